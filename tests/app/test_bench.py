"""The benchmark command runs on a tiny subset and prints its table."""

import json

import pytest

from tinygrad_mnist import cli
from tinygrad_mnist.bench import bench, bench_data_cnn


def _has_torch() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture
def no_pause(monkeypatch):
    """The rests between timed slices only matter for the figures, not for the table."""
    monkeypatch.setattr(bench, "PAUSE", 0.0)
    monkeypatch.setattr(bench_data_cnn, "PAUSE", 0.0)


@pytest.mark.parametrize("n, bs, parts", [(50000, 32, 5), (640, 32, 5), (100, 32, 5),
                                          (31, 32, 5), (257, 256, 3)])
def test_epoch_slices_cover_the_epoch_at_batch_boundaries(n, bs, parts):
    slices = bench.epoch_slices(n, bs, parts)
    assert [a for a, _ in slices] == [0] + [b for _, b in slices[:-1]]  # contiguous
    assert slices[-1][1] == n and len(slices) <= parts
    # the batches of the sliced epoch are those of the whole epoch
    sliced = [(s, min(s + bs, b)) for a, b in slices for s in range(a, b, bs)]
    assert sliced == [(s, min(s + bs, n)) for s in range(0, n, bs)]


def test_bench_prints_table(capsys, no_pause):
    code = cli.main(["bench", "--subset", "640", "--repeats", "2", "--batch-size", "32", "64",
                     "--no-memory"])
    assert code == 0
    out = capsys.readouterr().out
    for text in ("batch 32", "batch 64", "tinygrad-mnist (float32)", "hand-derived NumPy float32",
                 "hand-derived NumPy float64", "× NumPy f32", "inference", "BLAS"):
        assert text in out, text
    ratio_rows = [ln for ln in out.splitlines() if ln.startswith("hand-derived NumPy float32")]
    assert all(ln.split()[-2:] == ["1.00", "1.00"] for ln in ratio_rows)
    if _has_torch():
        assert out.count("PyTorch takes") == 2  # one paired comparison per batch size
    else:
        assert "PyTorch is not installed" in out


def test_bench_json(capsys, no_pause):
    assert cli.main(["bench", "--subset", "320", "--repeats", "1", "--batch-size", "32",
                     "--no-memory", "--no-torch", "--json", "--threads", "1"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["images"] == 320 and r["torch"] is None
    assert [b["num_threads"] for b in r["blas"] if b["package"] == "numpy"] == [1]
    rows = r["tables"]["32"]
    assert [row["implementation"] for row in rows][0] == "tinygrad-mnist (float32)"
    assert all(row["median_s"] > 0 for row in rows)


def test_bench_rejects_bad_options(capsys):
    assert cli.main(["bench", "--repeats", "0"]) == 2
    assert "at least 1" in capsys.readouterr().err


def test_bench_times_the_dataloader_and_the_cnn(capsys, no_pause):
    assert cli.main(["bench", "--subset", "320", "--repeats", "1", "--batch-size", "64",
                     "--no-memory", "--cnn", "128", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    rows = r["dataloader"]["rows"]
    assert list(rows) == ["NumPy index slicing", "DataLoader(TensorDataset)",
                          "NumPy slicing + ToTensor/Normalize arithmetic",
                          "DataLoader(vision.datasets.MNIST)"]
    assert rows["NumPy index slicing"]["paired_ratio"] == 1.0
    assert all(row["median_s"] > 0 for row in rows.values())
    cnn = r["cnn"]
    assert cnn["images"] == 128
    assert {"tinygrad-mnist eager", "tinygrad-mnist compiled"} <= set(cnn["rows"])
    assert cnn["rows"][cnn["base"]]["paired_ratio"] == 1.0
    assert all(row["cpu_s"] > 0 and row["median_s"] > 0 for row in cnn["rows"].values())


def test_bench_cnn_only_times_eager_compiled_and_torch(capsys, no_pause):
    pytest.importorskip("torch")
    assert cli.main(["bench", "--cnn-only", "--cnn", "192", "--repeats", "2", "--threads", "1",
                     "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    cnn = r["cnn"]
    assert cnn["base"].startswith("PyTorch") and cnn["images"] == 192
    assert list(cnn["rows"]) == ["tinygrad-mnist eager", "tinygrad-mnist compiled", cnn["base"]]
    assert all(b["num_threads"] == 1 for b in r["blas"])
    assert cli.main(["bench", "--cnn-only", "--cnn", "128", "--repeats", "1", "--no-torch"]) == 0
    assert "tinygrad-mnist compiled" in capsys.readouterr().out


def test_official_cnn_is_the_same_network_in_both_frameworks():
    torch = pytest.importorskip("torch")
    import nn
    from tinygrad_mnist.bench.bench_data_cnn import official_cnn

    ours, theirs = official_cnn(nn), official_cnn(torch.nn)
    assert repr(ours) == repr(theirs)
    assert [tuple(p.shape) for p in ours.parameters()] == [
        tuple(p.shape) for p in theirs.parameters()]
