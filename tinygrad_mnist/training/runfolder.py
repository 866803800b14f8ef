"""Guarding a run folder: never train over another run by accident, never let two
trainings write into one folder, never leave a failed command's traces behind."""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from pathlib import Path

LOCK = ".lock"
# Files that make a folder a run: one of these present and it is not an empty folder.
RUN_FILES = ("config.json", "model.safetensors", "checkpoint.safetensors", "history.csv")


class RunFolderError(RuntimeError):
    """A run folder that cannot be used; the message names it and what to do."""


def holds_run(folder: Path) -> bool:
    return any((folder / name).exists() for name in RUN_FILES)


@contextlib.contextmanager
def claim(folder: Path, *, resume: bool = False, overwrite: bool = False):
    """Hold ``folder`` for one training: refuse an existing run unless ``resume`` or
    ``overwrite``, take its lock (refusing while another live process holds it),
    clear the temporary files a killed write left, and on failure, when no
    checkpoint to resume from was written, remove what this call wrote (the folder
    itself if it created it): a failed command leaves nothing that blocks its --out."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise RunFolderError(f"--out {folder}: is a file, not a run folder")
    if holds_run(folder) and not (resume or overwrite):
        raise RunFolderError(f"{folder} already holds a run; pass --resume {folder} to "
                             "continue it, --overwrite to replace it, or another --out")
    created = not folder.exists()
    before = {name for name in RUN_FILES if (folder / name).exists()}
    folder.mkdir(parents=True, exist_ok=True)
    lock = _acquire(folder / LOCK)
    ok = False
    try:
        for stale in folder.glob(".*.tmp"):  # no writer is alive: we hold the lock
            stale.unlink(missing_ok=True)
        yield folder
        ok = True
    finally:
        lock.unlink(missing_ok=True)
        if not ok and not (folder / "checkpoint.safetensors").exists():
            if created:
                shutil.rmtree(folder, ignore_errors=True)
            for name in set(RUN_FILES) - before:
                (folder / name).unlink(missing_ok=True)


def _acquire(lock: Path) -> Path:
    for _ in range(2):  # a second try after removing a dead process's lock
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            pid = _owner(lock)
            being_written = pid is None and time.time() - _mtime(lock) < 10
            if being_written or (pid is not None and _alive(pid)):
                raise RunFolderError(f"{lock.parent} is in use by another training (process "
                                     f"{pid}, lock file {lock})") from None
            lock.unlink(missing_ok=True)
            continue
        with os.fdopen(fd, "w") as f:
            f.write(f"{os.getpid()}\n")
        return lock
    raise RunFolderError(f"{lock.parent}: could not take the lock file {lock}")


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _owner(lock: Path) -> int | None:
    try:
        return int(lock.read_text().strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True
