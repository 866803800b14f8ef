"""Every example runs quickly with --limit/--epochs; the two training loops differ
only in their imports."""

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run(script, *args, cwd=None):
    out = subprocess.run([sys.executable, str(EXAMPLES / script), *args], capture_output=True,
                         text=True, timeout=300, cwd=cwd)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_training_loops_differ_only_in_imports():
    ours = (EXAMPLES / "train_mnist.py").read_text()
    theirs = (EXAMPLES / "train_mnist_torch.py").read_text()
    marker = "# %% Options"
    assert ours.split(marker)[1] == theirs.split(marker)[1]
    assert "import tensor as torch" in ours and "import torch\n" in theirs
    assert len(ours.split(marker)[1].splitlines()) < 60  # about 50 lines of training loop


def test_train_mnist_runs_and_learns():
    out = run("train_mnist.py", "--limit", "3000", "--epochs", "2", "--lr", "0.1")
    acc = float(out.strip().splitlines()[-1].split()[-1])
    assert acc > 0.75, out


def test_train_mnist_torch_runs():
    pytest.importorskip("torch")
    out = run("train_mnist_torch.py", "--limit", "3000", "--epochs", "2", "--lr", "0.1")
    assert float(out.strip().splitlines()[-1].split()[-1]) > 0.75, out


def test_from_scratch_vs_autograd_reports_equal_gradients():
    out = run("from_scratch_vs_autograd.py", "--steps", "2", "--limit", "1000")
    diffs = [float(line.split("max diff")[1]) for line in out.splitlines() if "max diff" in line]
    assert len(diffs) == 12 and max(diffs) < 1e-12


def test_render_graph(tmp_path):
    out = run("render_graph.py", "--out", str(tmp_path / "g.dot"), "--batch", "4")
    assert "wrote" in out
    assert "Z1 = X·W1ᵀ + b1" in (tmp_path / "g.dot").read_text()


def test_custom_op():
    out = run("custom_op.py", "--limit", "2000", "--epochs", "1")
    assert "gradcheck passed" in out
    assert float(out.strip().splitlines()[-1].split()[-1]) > 0.5
