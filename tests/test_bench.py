"""The benchmark command runs on a tiny subset and prints its table."""

import json

from tinygrad_mnist import cli


def test_bench_prints_table(capsys):
    code = cli.main(["bench", "--subset", "640", "--repeats", "2", "--batch-size", "32", "64",
                     "--no-memory"])
    assert code == 0
    out = capsys.readouterr().out
    for text in ("batch 32", "batch 64", "tinygrad-mnist (float32)", "hand-derived NumPy float32",
                 "hand-derived NumPy float64", "× NumPy f32", "inference", "BLAS"):
        assert text in out, text
    ratio_rows = [ln for ln in out.splitlines() if ln.startswith("hand-derived NumPy float32")]
    assert all(ln.split()[-2:] == ["1.00", "1.00"] for ln in ratio_rows)


def test_bench_json(capsys):
    assert cli.main(["bench", "--subset", "320", "--repeats", "1", "--batch-size", "32",
                     "--no-memory", "--no-torch", "--json", "--threads", "1"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["images"] == 320 and r["torch"] is None
    assert all(b["num_threads"] == 1 for b in r["blas"])
    rows = r["tables"]["32"]
    assert [row["implementation"] for row in rows][0] == "tinygrad-mnist (float32)"
    assert all(row["median_s"] > 0 for row in rows)


def test_bench_rejects_bad_options(capsys):
    assert cli.main(["bench", "--repeats", "0"]) == 2
    assert "at least 1" in capsys.readouterr().err
