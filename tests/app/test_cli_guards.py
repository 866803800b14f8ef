"""The CLI under bad input and misuse: exit status 2, one line naming the file or
option, no traceback, and the run folder unchanged (file hashes before and after)."""

import gzip
import hashlib
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import nn
from tinygrad_mnist import cli
from tinygrad_mnist.data.datasets import DatasetError, read_bytes
from tinygrad_mnist.outputs import predict
from tinygrad_mnist.training.checkpoint import CHECKPOINT, MODEL
from tinygrad_mnist.training.runfolder import LOCK, claim


def hashes(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A finished 1-epoch run on 600 images (figures and report included)."""
    out = tmp_path_factory.mktemp("finished") / "run"
    assert cli.main(["train", "--limit", "600", "--epochs", "1", "--out", str(out),
                     "--no-progress"]) == 0
    return out


def assert_fails(capsys, argv, *needles):
    """Run the CLI, expect exit 2 and one stderr line containing every needle."""
    code = cli.main([str(a) for a in argv])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2, err
    assert len(err) == 1 and err[0].startswith("tinygrad-mnist: error: "), err
    for needle in needles:
        assert str(needle) in err[0], (needle, err[0])
    return err[0]


# ----- runs are never lost or mixed ------------------------------------------------------
def test_train_refuses_a_folder_that_holds_a_run(finished, capsys):
    before = hashes(finished)
    assert_fails(capsys, ["train", "--limit", "100", "--epochs", "1", "--out", finished],
          finished, "--resume", "--overwrite")
    assert hashes(finished) == before


def test_train_refuses_a_folder_locked_by_a_live_process(finished, capsys):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (finished / LOCK).write_text(f"{sleeper.pid}\n")
        before = hashes(finished)
        assert_fails(capsys, ["train", "--limit", "100", "--epochs", "1", "--out", finished,
                       "--overwrite"], "in use by another training", sleeper.pid)
        assert hashes(finished) == before
    finally:
        sleeper.kill()
        sleeper.wait()
        (finished / LOCK).unlink()


def test_a_dead_process_lock_and_stale_temporary_files_are_cleared(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / LOCK).write_text(f"{dead.pid}\n")
    (tmp_path / ".checkpoint.safetensors.abc.tmp").write_bytes(b"half")
    with claim(tmp_path):
        assert (tmp_path / LOCK).read_text().strip() == str(os.getpid())
        assert not (tmp_path / ".checkpoint.safetensors.abc.tmp").exists()
    assert not (tmp_path / LOCK).exists()


@pytest.mark.parametrize("extra, needle", [
    (["--lr", "0.1"], "--lr cannot change"),
    (["--batch-size", "64", "--dataset", "fashion-mnist"], "--batch-size, --dataset"),
    (["--epochs", "0"], "already trained 1 epochs"),
    ([], "finished its 1 epochs"),
])
def test_resume_refuses_options_it_cannot_honour(finished, capsys, extra, needle):
    before = hashes(finished)
    assert_fails(capsys, ["train", "--resume", finished, *extra, "--no-progress"], needle)
    assert hashes(finished) == before


def test_a_failed_resume_changes_nothing(finished, tmp_path, capsys):
    copy = tmp_path / "copy"
    copy.mkdir()
    for p in finished.iterdir():
        (copy / p.name).write_bytes(p.read_bytes())
    (copy / CHECKPOINT).write_bytes(b"\x00" * 100)
    before = hashes(copy)
    assert_fails(capsys, ["train", "--resume", copy, "--epochs", "2"], CHECKPOINT)
    assert hashes(copy) == before


@pytest.mark.parametrize("meta_change", ["missing", "extra"])
def test_corrupt_resume_metadata_names_the_file(finished, tmp_path, capsys, meta_change):
    from nn.serialization import load_arrays

    arrays, meta = load_arrays(finished / CHECKPOINT)
    resume = json.loads(meta["tinygrad_mnist"])
    if meta_change == "missing":
        del resume["optim_groups"]
    else:
        resume["state"]["config"]["colour"] = "red"
    bad = tmp_path / CHECKPOINT
    nn.save(arrays, bad, metadata={"tinygrad_mnist": json.dumps(resume)})
    assert_fails(capsys, ["train", "--resume", bad, "--epochs", "2"], bad,
                 "corrupt resume metadata")


def test_resume_a_finished_run_into_a_new_folder(finished, tmp_path, capsys):
    before = hashes(finished)
    new = tmp_path / "longer"
    assert cli.main(["train", "--resume", str(finished), "--epochs", "2", "--out", str(new),
                     "--no-progress"]) == 0
    history = (new / "history.csv").read_text().splitlines()
    assert len(history) == 3  # header, the source's epoch 1 and the new epoch 2
    assert json.loads((new / "config.json").read_text())["epochs"] == 2
    assert hashes(finished) == before


def test_failure_on_bad_data_leaves_no_run_folder(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    out = tmp_path / "new-run"
    assert_fails(capsys, ["train", "--data-dir", empty, "--out", out], empty)
    assert not out.exists()


@pytest.mark.parametrize("argv, needle", [
    (["--lr", "inf"], "--lr must be a finite number"),
    (["--lr", "-inf"], "--lr must be a finite number"),
    (["--lr", "nan"], "--lr must be a finite number"),
    (["--momentum", "inf"], "--momentum must be a finite number"),
    (["--weight-decay", "inf"], "--weight-decay must be a finite number"),
    (["--seed", "-1"], "--seed must be in"),
])
def test_non_finite_and_out_of_range_options_are_rejected(tmp_path, capsys, argv, needle):
    out = tmp_path / "run"
    assert_fails(capsys, ["train", *argv, "--out", out], needle)
    assert not out.exists()


def test_a_diverging_run_stops_with_the_epoch_and_step(tmp_path, capsys):
    out = tmp_path / "run"
    assert_fails(capsys, ["train", "--lr", "1e30", "--limit", "200", "--epochs", "1", "--out", out,
                   "--no-progress"], "diverged", "epoch 1, step", "no checkpoint")
    assert not (out / MODEL).exists() and not (out / CHECKPOINT).exists()


@pytest.mark.parametrize("options,named", [
    (["--lr", "1e9"], ["--lr 1e+09"]),
    # lr 0.1: at 0.5 seed 42's (PyTorch's) initial weights lose every ReLU at once and
    # the run ends with a finite loss instead of diverging
    (["--lr", "0.1", "--momentum", "2"], ["--lr 0.1", "--momentum 2"]),
])
def test_a_diverged_run_leaves_nothing_and_names_the_options_that_set_its_step(
        tmp_path, capsys, monkeypatch, options, named):
    """No checkpoint was written: the folder goes (with --out, without it, and an
    existing empty folder stays empty), so the same command can run again."""
    args = ["train", *options, "--epochs", "1", "--limit", "2000", "--no-progress"]
    out = tmp_path / "D"
    assert_fails(capsys, [*args, "--out", out], "diverged", *named)
    assert not out.exists()
    assert_fails(capsys, [*args, "--out", out], "diverged")  # not "already holds a run"
    out.mkdir()
    assert_fails(capsys, [*args, "--out", out], "diverged")
    assert list(out.iterdir()) == []
    monkeypatch.chdir(tmp_path)
    assert_fails(capsys, args, "diverged")
    assert not (tmp_path / "runs").exists() or list((tmp_path / "runs").iterdir()) == []


def test_ctrl_c_while_the_report_is_written_says_how_to_finish_it(tmp_path, capsys,
                                                                  monkeypatch):
    from tinygrad_mnist.outputs import report

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    out = tmp_path / "run"
    monkeypatch.setattr(report, "generate", interrupted)
    assert cli.main(["train", "--limit", "600", "--epochs", "1", "--out", str(out),
                     "--no-progress"]) == 130
    err = capsys.readouterr().err
    assert f"tinygrad-mnist report {out}" in err and (out / CHECKPOINT).exists()
    monkeypatch.undo()
    assert_fails(capsys, ["train", "--resume", out], "finished its 1 epochs",
                 f"tinygrad-mnist report {out}")
    assert cli.main(["report", str(out)]) == 0 and (out / "report.html").exists()


def test_out_naming_an_existing_file(tmp_path, capsys):
    target = tmp_path / "notes.txt"
    target.write_text("mine")
    assert_fails(capsys, ["train", "--out", target], target, "is a file")
    assert target.read_text() == "mine"


# ----- one clear line, never a traceback -------------------------------------------------
@pytest.mark.parametrize("weights", [
    {"0.weight": np.zeros((128, 784), np.float32), "0.bias": np.zeros(128, np.float32),
     "2.weight": np.zeros((64, 128), np.float32), "2.bias": np.zeros(64, np.float32),
     "4.weight": np.zeros((7, 64), np.float32), "4.bias": np.zeros(7, np.float32)},
    {"0.weight": np.zeros(784, np.float32)},
], ids=["7-classes", "1-d-weight"])
@pytest.mark.parametrize("command", ["evaluate", "predict"])
def test_a_checkpoint_of_another_shape_is_one_line(tmp_path, capsys, weights, command):
    path = tmp_path / "other.safetensors"
    nn.save(weights, path)
    image = tmp_path / "digit.png"
    Image.fromarray(np.pad(np.full((10, 4), 255, np.uint8), 9)).save(image)
    argv = [command, path] + ([image] if command == "predict" else [])
    assert_fails(capsys, argv, path)


def test_a_gzip_file_with_a_bad_deflate_block(tmp_path, capsys):
    from test_datasets import tiny_parts, write_parts

    folder = write_parts(tmp_path / "data", tiny_parts(np.random.default_rng(0)))
    bad = folder / "train-images-idx3-ubyte.gz"
    raw = bytearray(bad.read_bytes())
    raw[20:40] = b"\xff" * 20  # inside the deflate stream
    bad.write_bytes(bytes(raw))
    assert_fails(capsys, ["train", "--data-dir", folder, "--out", tmp_path / "run"], bad)


def test_a_full_disk_names_the_file_and_leaves_nothing(tmp_path, capsys, monkeypatch):
    import tensor._atomic as atomic

    def no_space(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", no_space)
    out = tmp_path / "graph.svg"
    assert_fails(capsys, ["graph", "--out", out], "No space left", "nothing half-written")
    assert list(tmp_path.iterdir()) == []


def test_a_missing_folder_names_the_file_not_a_temporary(tmp_path, capsys):
    out = tmp_path / "no" / "such" / "graph.dot"
    line = assert_fails(capsys, ["graph", "--out", out], out)
    assert ".tmp" not in line


def test_a_config_without_dataset(finished, tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / MODEL).write_bytes((finished / MODEL).read_bytes())
    (run / "config.json").write_text("{}")
    assert_fails(capsys, ["evaluate", run], "config.json", "--dataset")


def test_a_folder_where_a_file_belongs_is_not_called_missing(tmp_path, capsys):
    (tmp_path / MODEL).mkdir()
    line = assert_fails(capsys, ["evaluate", tmp_path], "is a directory")
    assert "no such file" not in line.lower()


def test_a_state_dict_mismatch_shows_the_shapes(tmp_path, capsys):
    from tinygrad_mnist.training.model import mlp

    state = {k: v.data for k, v in mlp(seed=0).state_dict().items()}
    state["2.weight"] = np.zeros((64, 100), np.float32)
    nn.save(state, tmp_path / MODEL)
    assert_fails(capsys, ["evaluate", tmp_path / MODEL], "[64, 100]")


def test_evaluate_json_into_a_closed_pipe(finished):
    cmd = (f"{sys.executable} -m tinygrad_mnist evaluate {finished} --json | head -c 10")
    done = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=300)
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr
    assert done.stdout.startswith("{")


# ----- resources bounded -----------------------------------------------------------------
def test_a_gzip_bomb_is_read_only_as_far_as_its_header_declares(tmp_path):
    header = bytes([0, 0, 8, 1]) + np.array([10], ">u4").tobytes()
    bomb = tmp_path / "bomb.gz"
    with gzip.open(bomb, "wb") as f:
        f.write(header)
        for _ in range(256):  # 256 MiB of zeros, about 256 KiB on disk
            f.write(bytes(1 << 20))
    raw = read_bytes(bomb)
    assert len(raw) == len(header) + 11  # the declared 10 bytes and one more
    from tinygrad_mnist.data.datasets import parse_idx

    with pytest.raises(DatasetError, match="too long"):
        parse_idx(raw, str(bomb))


def _digit(size=28, mode="L"):
    a = np.zeros((size, size), np.uint8)
    a[size // 4:3 * size // 4, size // 2 - size // 10:size // 2 + size // 10] = 255
    return a


def test_predict_refuses_images_over_the_pixel_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(predict, "MAX_PIXELS", 100)
    path = tmp_path / "big.png"
    Image.fromarray(_digit(28)).save(path)
    with pytest.raises(predict.ImageError, match="larger than the 100-pixel limit"):
        predict.load_digit(path)


def test_predict_lays_a_transparent_drawing_on_white(tmp_path):
    rgba = np.zeros((40, 40, 4), np.uint8)  # transparent black everywhere
    rgba[8:32, 18:22, 3] = 255  # an opaque black stroke: the ink
    path = tmp_path / "drawing.png"
    Image.fromarray(rgba, "RGBA").save(path)
    image = predict.load_digit(path).reshape(28, 28)
    assert image.max() > 0.9 and image[0].max() == 0  # light ink on black, like MNIST


def test_predict_keeps_the_levels_of_16_bit_gray(tmp_path):
    a = (_digit(40).astype(np.uint16) * 257)
    a[10:30, 5:9] = 30000  # a mid-grey stroke
    path = tmp_path / "deep.png"
    Image.fromarray(a).save(path)  # uint16: Pillow's 16-bit gray mode
    image = predict.load_digit(path)
    assert ((image > 0.3) & (image < 0.6)).any()  # the mid-grey stroke is not black or white


def test_predict_reports_a_bad_file_and_goes_on(finished, tmp_path, capsys):
    good = tmp_path / "good.png"
    Image.fromarray(_digit()).save(good)
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a png")
    code = cli.main(["predict", str(finished), str(bad), str(good)])
    out, err = capsys.readouterr()
    assert code == 2
    assert str(good) in out and str(bad) in err and len(err.strip().splitlines()) == 1


def test_cross_entropy_keeps_a_bounded_cache():
    import nn.functional as F
    import tensor
    from tensor.ops import cross_entropy as ops_nn

    for n in range(1, 40):
        F.cross_entropy(tensor.zeros(n, 3), tensor.zeros(n, dtype=tensor.int64))
    assert len(ops_nn._ARANGE) <= 8
