"""What a newcomer trips on: the CLI's messages, PyTorch's printing of optimizers and
generators, torch.equal, one traceback per error, names in the compiled code."""

from __future__ import annotations

import subprocess
import sys
import traceback

import numpy as np
import pytest
from PIL import Image

import nn
import tensor
from tinygrad_mnist.cli import main


def test_bare_command_lists_every_command_with_one_line(capsys):
    assert main([]) == 2
    err = capsys.readouterr().err
    for command in ("train", "evaluate", "predict", "graph", "report", "bridge", "bench"):
        line = next(line for line in err.splitlines() if line.split()[:1] == [command])
        assert len(line.split()) > 2  # the command, then what it does


def test_predict_with_an_image_first_says_the_run_folder_is_missing(tmp_path, capsys):
    for i in range(2):
        Image.fromarray(np.zeros((28, 28), np.uint8)).save(tmp_path / f"img{i}.png")
    assert main(["predict", str(tmp_path / "img0.png"), str(tmp_path / "img1.png")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "img0.png is an image" in err and "run folder or a checkpoint" in err


def test_a_linear_shape_mismatch_is_one_traceback():
    code = ("import nn, tensor\n"
            "nn.Linear(3, 2)(tensor.ones(4, 5))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "Linear(in_features=3, out_features=2) got input of shape (4, 5)" in out.stderr
    assert "During handling" not in out.stderr and out.stderr.count("Traceback") == 1
    try:
        nn.Linear(3, 2)(tensor.ones(4, 5))
    except RuntimeError as exc:
        assert exc.__context__ is None or exc.__suppress_context__
        assert "During handling" not in "".join(traceback.format_exception(exc))


@pytest.mark.parametrize("a,b", [([1, 2], [1.0, 2.0]), ([1, 2], [1, 2, 3]), ([[1]], [1]),
                                 ([float("nan")], [float("nan")]), ([], []), (3.5, 3.5),
                                 ([True, False], [1, 0])])
def test_equal_is_torchs(a, b):
    torch = pytest.importorskip("torch")
    assert tensor.equal(tensor.tensor(a), tensor.tensor(b)) == torch.equal(
        torch.tensor(a), torch.tensor(b))
    assert tensor.tensor(a).equal(tensor.tensor(b)) is torch.equal(torch.tensor(a),
                                                                    torch.tensor(b))


def test_an_optimizer_prints_its_parameter_groups_as_torch_does():
    torch = pytest.importorskip("torch")

    def groups(lib, opt):
        a, b = (lib.zeros(2, requires_grad=True) for _ in range(2))
        return opt([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)

    for ours_cls, theirs_cls in ((nn.optim.SGD, torch.optim.SGD),
                                 (nn.optim.Adam, torch.optim.Adam),
                                 (nn.optim.AdamW, torch.optim.AdamW),
                                 (nn.optim.Adadelta, torch.optim.Adadelta)):
        ours = repr(groups(tensor, ours_cls)).splitlines()
        theirs = repr(groups(torch, theirs_cls)).splitlines()
        # the same block, minus the settings PyTorch has and we don't (foreach, fused, …)
        assert ours == [line for line in theirs if line in ours or not line.startswith("    ")]


def test_manual_seed_returns_a_generator_printed_as_torchs():
    g = tensor.manual_seed(5)
    assert isinstance(g, tensor.Generator) and g.initial_seed() == 5
    assert repr(g).startswith("<tensor.Generator object at 0x") and repr(g).endswith(">")
    assert repr(tensor.Generator()).startswith("<tensor.Generator object at 0x")


def test_the_compiled_code_names_the_labels_as_the_step_does_and_comments_use_its_names():
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    opt = nn.optim.SGD(model.parameters(), lr=0.1)

    @tensor.compile
    def step(X, y):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(X), y)
        loss.backward()
        opt.step()
        return loss

    step(tensor.randn(5, 4), tensor.tensor([0, 1, 0, 1, 1]))
    source = step.source
    assert "# Z1 = X·W1ᵀ + b1" in source and "# A1 = max(Z1, 0)" in source
    assert "y = x·Wᵀ" not in source and "one_hot(y)" in source


@pytest.mark.parametrize("statement,hint", [
    ("from torch.utils.data import DataLoader", "from tensor.utils.data import"),
    ("from torch.optim.lr_scheduler import StepLR", "from nn.optim.lr_scheduler import"),
    ("import torch.nn.functional as F", "from nn.functional import"),
])
def test_a_from_torch_import_after_import_tensor_as_torch_says_what_to_write(statement, hint):
    code = f"import tensor as torch\n{statement}\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 1 and "ImportError" in out.stderr and hint in out.stderr
    # without the alias, PyTorch imports as usual (where installed)
    plain = subprocess.run([sys.executable, "-c", "import tensor\nimport torch"],
                           capture_output=True, text=True)
    assert plain.returncode == 0 or "No module named 'torch'" in plain.stderr


@pytest.mark.parametrize("shape", [(0, 0), (0, 3)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_of_an_empty_batch_is_torchs(shape, reduction):
    torch = pytest.importorskip("torch")
    import nn.functional as F

    ours = F.cross_entropy(tensor.zeros(*shape, requires_grad=True),
                           tensor.zeros(0, dtype=tensor.int64), reduction=reduction)
    theirs = torch.nn.functional.cross_entropy(torch.zeros(*shape, requires_grad=True),
                                               torch.zeros(0, dtype=torch.long),
                                               reduction=reduction)
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())


def test_mse_loss_broadcasts_with_torchs_warning():
    torch = pytest.importorskip("torch")
    import nn.functional as F

    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 1)), rng.standard_normal(3)
    x, tx = tensor.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    with pytest.warns(UserWarning, match="different to the input size"):
        loss = F.mse_loss(x, tensor.tensor(b))
    with pytest.warns(UserWarning, match="different to the input size"):
        theirs = torch.nn.functional.mse_loss(tx, torch.tensor(b))
    loss.backward()
    theirs.backward()
    np.testing.assert_allclose(loss.item(), theirs.item(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


def test_mT_of_a_0d_tensor_and_cats_dim_range_are_torchs():
    torch = pytest.importorskip("torch")
    with pytest.warns(UserWarning, match="mT is deprecated on 0-D"):
        assert tensor.tensor(2.0).mT.item() == 2.0
    with pytest.raises(IndexError) as ours:
        tensor.cat([tensor.zeros(0), tensor.ones(2, 3)], dim=5)
    with pytest.raises(IndexError) as theirs:
        torch.cat([torch.zeros(0), torch.ones(2, 3)], dim=5)
    assert "[-2, 1]" in str(ours.value) and "[-2, 1]" in str(theirs.value)
