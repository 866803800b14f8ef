"""Every example runs quickly with --limit/--epochs; the two training loops differ
only in their imports."""

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run(script, *args, cwd=None):
    out = subprocess.run([sys.executable, str(EXAMPLES / script), *args], capture_output=True,
                         text=True, timeout=300, cwd=cwd)
    assert out.returncode == 0, out.stderr
    return out.stdout


TWINS = [("train_mnist.py", "# %% Options", 65), ("quickstart.py", "# %% Options", 110),
         ("mnist_cnn.py", "# %% The network", 120)]


@pytest.mark.parametrize("ours,marker,most_lines", TWINS)
def test_twins_differ_only_in_imports(ours, marker, most_lines):
    """Everything after the import block is the same text in both frameworks."""
    theirs = ours.replace(".py", "_torch.py")
    ours, theirs = (EXAMPLES / ours).read_text(), (EXAMPLES / theirs).read_text()
    assert ours.count(marker) == theirs.count(marker) == 1
    assert ours.split(marker)[1] == theirs.split(marker)[1]
    assert "import tensor as torch" in ours and "import torch\n" in theirs
    assert "import tensor" not in theirs and "tinygrad_mnist.vision.for_torch" not in ours
    assert len(ours.split(marker)[1].splitlines()) < most_lines


def _last_accuracy(out: str) -> float:
    return float(out.strip().splitlines()[-1].split()[-1])


@pytest.mark.parametrize("script", ["quickstart.py", "quickstart_torch.py"])
def test_quickstart_runs_saves_loads_and_learns(script, tmp_path):
    if "torch" in script:
        pytest.importorskip("torch")
    out = run(script, "--dataset", "mnist", "--limit", "3000", "--epochs", "2", "--lr", "0.1",
              "--out", str(tmp_path / "model.pth"), cwd=tmp_path)
    assert "Shape of X [N, C, H, W]: torch.Size([64, 1, 28, 28])" in out
    assert "Shape of y: torch.Size([64]) torch.int64" in out
    assert "<All keys matched successfully>" in out and (tmp_path / "model.pth").exists()
    assert _last_accuracy(out) > 0.75


@pytest.mark.parametrize("script", ["mnist_cnn.py", "mnist_cnn_torch.py"])
def test_mnist_cnn_quick_run_learns(script, tmp_path):
    if "torch" in script:
        pytest.importorskip("torch")
    out = run(script, "--limit", "1000", "--epochs", "1", "--log-interval", "5",
              "--save-model", cwd=tmp_path)
    assert "Train Epoch: 1 [0/1000 (0%)]" in out and (tmp_path / "mnist_cnn.pt").exists()
    assert _last_accuracy(out) > 0.5
    dry = run(script, "--limit", "1000", "--epochs", "1", "--dry-run", cwd=tmp_path)
    assert dry.count("Train Epoch") == 1


def test_train_mnist_runs_and_learns_compiled_or_not():
    """--compile wraps the step in tensor.compile: the same training, to float32
    rounding (the fused SGD update rounds once where eager rounds twice);
    --compile-model (model = torch.compile(model)) replays the forward and
    backpropagates through the code written for it: the same numbers as eager."""
    args = ("--limit", "3000", "--epochs", "2", "--lr", "0.1")
    eager, compiled, module = (run("train_mnist.py", *args, *extra) for extra in
                               ((), ("--compile",), ("--compile-model",)))
    accs = [float(out.strip().splitlines()[-1].split()[-1]) for out in (eager, compiled)]
    assert min(accs) > 0.75 and abs(accs[0] - accs[1]) < 0.01, (eager, compiled)
    assert module == eager


@pytest.mark.parametrize("compiled", [[], ["--compile"], ["--compile-model"]],
                         ids=["eager", "torch.compile(step)", "torch.compile(model)"])
def test_train_mnist_torch_runs(compiled):
    """The twin, with PyTorch's own torch.compile on the same lines (its inductor
    compiles C++ for ~30 s here: the price of checking that the lines are the same)."""
    pytest.importorskip("torch")
    out = run("train_mnist_torch.py", "--limit", "3000", "--epochs", "2", "--lr", "0.1",
              *compiled)
    assert float(out.strip().splitlines()[-1].split()[-1]) > 0.75, out


def test_the_official_example_runs_with_its_model_compiled(tmp_path):
    """model = torch.compile(model) in the official example: the same losses as eager."""
    args = ("--limit", "256", "--epochs", "1", "--log-interval", "1")
    eager = run("mnist_cnn.py", *args, cwd=tmp_path)
    module = run("mnist_cnn.py", *args, "--compile-model", cwd=tmp_path)
    losses = [[line.split("Loss: ")[1] for line in out.splitlines() if "Loss: " in line]
              for out in (eager, module)]
    assert losses[0] and losses[0] == losses[1], (eager, module)


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


def test_what_autograd_wrote_prints_the_captured_step():
    out = run("what_autograd_wrote.py", "--batch-size", "16")
    for line in ("def replay(args):", "Z1 = X @ W1.T", "dZ3 = E1 / sumE1",
                 "dA2 = dZ3 @ W3", "dZ2 = dA2 * (A2 != ZERO[A2.dtype])",
                 "leaves[P_W1] = (X.T @ dZ1).T", "dZ3 = (A3 - Y) / m"):
        assert line in out, line
    diffs = [float(ln.split()[-1]) for ln in out.splitlines() if "largest difference" in ln]
    assert len(diffs) == 3 and max(diffs) < 1e-6
