"""Run a lesson program (tests/parity/lessons/<name>.py, written for PyTorch) once
with PyTorch and once with this framework under PyTorch's module names, and
capture what it prints.

Here ``torch`` means this framework: while the program runs, ``sys.modules`` maps
``torch`` to `tensor`, ``torch.nn`` to `nn`, ``torch.optim`` to `nn.optim`, …
(the README's import table), so ``import torch.nn.functional as F`` inside the
program, or inside a helper module it imports (the lessons' ``d2l`` stand-in),
binds this framework's modules. ``torchvision`` is the bundled-data stand-in
(`tinygrad_mnist.vision`, or its PyTorch-making twin for the PyTorch run).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.util
import io
import os
import random
import re
import sys
import traceback
import types
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

LESSONS = Path(__file__).resolve().parent / "lessons"
ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")

# PyTorch's module → ours: the README's import table (tensor/_imports.py), longest first
_OURS = {"torch.utils.data": "tensor.utils.data", "torch.utils": "tensor.utils",
         "torch.nn.functional": "nn.functional", "torch.nn.init": "nn.init",
         "torch.nn.utils": "nn.utils", "torch.nn": "nn",
         "torch.optim.lr_scheduler": "nn.optim.lr_scheduler", "torch.optim": "nn.optim",
         "torch": "tensor"}


def ours_name(name: str) -> str:
    """``torch.autograd.functional`` → ``tensor.autograd.functional``."""
    prefix = max((p for p in _OURS if name == p or name.startswith(p + ".")), key=len)
    return _OURS[prefix] + name[len(prefix):]


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """``import torch.X`` → the module ``ours_name("torch.X")``, imported once under
    its own name (no second copy of a module under the torch name)."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname == "torch" or fullname.startswith("torch."):
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        return importlib.import_module(ours_name(spec.name))  # ModuleNotFoundError: missing

    def exec_module(self, module):
        pass


def _torchvision(ours: bool) -> dict[str, types.ModuleType]:
    if ours:
        from tinygrad_mnist.vision import datasets, transforms
    else:
        from tinygrad_mnist.vision.for_torch import datasets, transforms
    tv, tr, ds = (types.ModuleType(n) for n in
                  ("torchvision", "torchvision.transforms", "torchvision.datasets"))
    tr.__dict__.update(vars(transforms))
    ds.__dict__.update(vars(datasets))
    tv.transforms, tv.datasets = tr, ds
    return {"torchvision": tv, "torchvision.transforms": tr, "torchvision.datasets": ds}


@contextlib.contextmanager
def _modules(ours: bool):
    """The module table the program imports from, restored afterwards (and the
    lessons' own helper modules forgotten, so the next run imports them afresh)."""
    saved = {k: v for k, v in sys.modules.items()
             if k == "torch" or k.startswith("torch.")} if ours else {}
    finder = _Alias()
    if ours:
        import nn  # noqa: F401  (torch.nn below)
        import tensor

        for k in saved:
            del sys.modules[k]
        sys.modules["torch"] = tensor
        for name in ("torch.nn", "torch.nn.functional", "torch.optim", "torch.utils",
                     "torch.utils.data"):
            sys.modules[name] = importlib.import_module(ours_name(name))
        sys.meta_path.insert(0, finder)
    sys.modules.update(_torchvision(ours))
    sys.path.insert(0, str(LESSONS))
    try:
        yield
    finally:
        sys.path.remove(str(LESSONS))
        if ours:
            sys.meta_path.remove(finder)
            for k in [k for k in sys.modules if k == "torch" or k.startswith("torch.")]:
                del sys.modules[k]
            sys.modules.update(saved)
        for k in [k for k in sys.modules if k.startswith(("torchvision", "d2l"))]:
            del sys.modules[k]


@dataclass
class Run:
    out: str
    error: str | None = None  # the exception's last line, when the program raised
    where: str | None = None  # the program's line that raised
    warnings: list[str] = field(default_factory=list)


def _reset(lib) -> None:
    """The same start for every run: seeds, and the defaults a program may change."""
    random.seed(0)
    np.random.seed(0)
    lib.manual_seed(0)
    if hasattr(lib, "set_default_dtype"):
        lib.set_default_dtype(lib.float32)


def run(name: str, ours: bool, workdir: Path) -> Run:
    """Run lessons/<name>.py in ``workdir`` (where names.txt is, and files are saved)."""
    import torch

    import tensor

    path = LESSONS / f"{name}.py"
    code = compile(path.read_text(), str(path), "exec")
    out, error, where = io.StringIO(), None, None
    cwd = os.getcwd()
    os.chdir(workdir)
    try:
        with _modules(ours), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            _reset(tensor if ours else torch)
            with contextlib.redirect_stdout(out):
                try:
                    exec(code, {"__name__": "__main__", "__file__": str(path)})  # noqa: S102
                except Exception as exc:  # noqa: BLE001  (the first difference, reported)
                    error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
                    frames = [f for f in traceback.extract_tb(exc.__traceback__)
                              if f.filename == str(path)]
                    where = f"line {frames[-1].lineno}: {frames[-1].line}" if frames else None
    finally:
        os.chdir(cwd)
        _reset(torch)
        torch.set_default_device(None)
        _reset(tensor)
        if hasattr(tensor, "set_default_device"):
            with contextlib.suppress(Exception):
                tensor.set_default_device("cpu")
    return Run(ADDRESS.sub(" at 0x…", out.getvalue()), error, where,
               [f"{w.category.__name__}: {w.message}" for w in caught])


# ----------------------------------------------------------------- comparing outputs

NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|nan|inf")


@dataclass
class Compare:
    """How two outputs are compared, line by line. ``rtol``/``atol``: numbers in the
    other lines (the text around them must be equal). ``loose``: lines whose numbers
    depend on the random generator (only their text is compared). ``skip``: lines not
    compared at all (random text, timings). ``drop``: (start, end) regexes of blocks
    removed before comparing (tables whose length differs). ``bounds``: (regex with
    one group, lo, hi): every match, in both outputs, must lie in [lo, hi]."""

    rtol: float = 1e-5
    atol: float = 1e-6
    loose: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    drop: tuple[tuple[str, str], ...] = ()
    bounds: tuple[tuple[str, float, float], ...] = ()

    def _lines(self, text: str) -> list[str]:
        lines, dropping = [], None
        for line in text.splitlines():
            if dropping is None:
                start = next((d for d in self.drop if re.search(d[0], line)), None)
                if start is None:
                    lines.append(line)
                    continue
                dropping = start
            if re.search(dropping[1], line):
                dropping = None
        return lines

    def differences(self, ours: str, theirs: str) -> list[str]:
        """Empty when the outputs agree; else the first differing lines, described."""
        found = []
        for text, who in ((ours, "ours"), (theirs, "torch")):
            for pattern, lo, hi in self.bounds:
                values = [float(m) for m in re.findall(pattern, text)]
                if not values:
                    found.append(f"{who}: nothing matches {pattern!r}")
                found += [f"{who}: {pattern!r} = {v} not in [{lo}, {hi}]" for v in values
                          if not lo <= v <= hi]
        a, b = self._lines(ours), self._lines(theirs)
        if len(a) != len(b):
            found.append(f"{len(a)} lines printed, torch printed {len(b)}")
        for i, (x, y) in enumerate(zip(a, b)):
            if any(re.search(p, y) for p in self.skip):
                continue
            if NUMBER.sub("#", x) != NUMBER.sub("#", y):
                found.append(f"line {i + 1}: {x!r} != torch's {y!r}")
            elif not any(re.search(p, y) for p in self.loose):
                for u, v in zip(NUMBER.findall(x), NUMBER.findall(y)):
                    integral = ("." in u or "e" in u) != ("." in v or "e" in v)  # 1 vs 1.
                    if integral or u != v and not np.isclose(float(u), float(v), self.rtol,
                                                             self.atol):
                        found.append(f"line {i + 1}: {x!r} != torch's {y!r}")
                        break
            if len(found) >= 5:
                break
        return found
