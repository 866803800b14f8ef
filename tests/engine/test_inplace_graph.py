"""In-place updates of tensors that are in the graph (``out = x @ W; out += b``),
compared with PyTorch on random programs: the values, the gradients, the node
names, and whether backward refuses because a saved value was overwritten."""

from __future__ import annotations

import numpy as np
import pytest

import tensor

torch = pytest.importorskip("torch")

# (name, the update) on a (3, 4) float64 non-leaf ``y``; ``w`` is a leaf (3, 4)
UPDATES = {
    "iadd_tensor": lambda lib, y, w: y.__iadd__(w),
    "isub_number": lambda lib, y, w: y.__isub__(1.5),
    "imul_row": lambda lib, y, w: y.__imul__(w[0]),
    "itruediv": lambda lib, y, w: y.__itruediv__(w.exp()),
    "add_alpha": lambda lib, y, w: y.add_(w, alpha=0.5),
    "sub_alpha": lambda lib, y, w: y.sub_(w.sin(), alpha=2),
    "mul_number": lambda lib, y, w: y.mul_(3),
    "div_number": lambda lib, y, w: y.div_(4),
    "clamp_": lambda lib, y, w: y.clamp_(-0.5, 0.7),
    "relu_": lambda lib, y, w: y.relu_(),
    "exp_": lambda lib, y, w: y.exp_(),
    "tanh_": lambda lib, y, w: y.tanh_(),
    "abs_": lambda lib, y, w: y.abs_(),
    "neg_": lambda lib, y, w: y.neg_(),
    "tril_": lambda lib, y, w: y.tril_(1),
    "triu_": lambda lib, y, w: y.triu_(),
    "zero_": lambda lib, y, w: y.zero_(),
    "fill_": lambda lib, y, w: y.fill_(0.25),
    "copy_": lambda lib, y, w: y.copy_(w[1] * 2),
    "setitem_row": lambda lib, y, w: y.__setitem__(1, w[2].cos()),
    "setitem_col_number": lambda lib, y, w: y.__setitem__((slice(None), 2), 0.5),
    "setitem_mask": lambda lib, y, w: y.__setitem__(y.detach() > 0.3, 1.0),
}
# how y is made from the leaves x and w (the node the update replaces)
STARTS = {
    "matmul": lambda lib, x, w: x @ w.T @ w,
    "exp": lambda lib, x, w: x.exp(),          # saves its output
    "mul": lambda lib, x, w: x * w,            # saves its inputs (leaves)
    "sigmoid": lambda lib, x, w: (x * 2).sigmoid(),
    "div": lambda lib, x, w: x / (w.abs() + 1),
    "buffer": lambda lib, x, w: lib.zeros(3, 4, dtype=lib.float64),  # a leaf without grad
    "tanh": lambda lib, x, w: (x + w).tanh(),
    "log": lambda lib, x, w: (x.abs() + 0.5).log(),
    "sqrt": lambda lib, x, w: (x * x + 0.1).sqrt(),
    "sin": lambda lib, x, w: x.sin(),
    "softmax": lambda lib, x, w: (x * w).softmax(1),
    "log_softmax": lambda lib, x, w: x.log_softmax(0),
    "relu": lambda lib, x, w: (x - w).relu(),
    "pow": lambda lib, x, w: x ** 2,
    "clone": lambda lib, x, w: x.clone(),
}


def run(lib, start, updates, xv, wv, weights):
    x = lib.tensor(xv, requires_grad=True)
    w = lib.tensor(wv, requires_grad=True)
    y = STARTS[start](lib, x, w)
    for name in updates:
        r = UPDATES[name](lib, y, w)
        assert r is None or r is y
    out = {"value": y.detach().numpy().copy(), "grad_fn": type(y.grad_fn).__name__
           if lib is torch else (y.grad_fn.backward_name() if y.grad_fn else "NoneType"),
           "requires_grad": y.requires_grad, "is_leaf": y.is_leaf}
    try:
        (y * lib.tensor(weights)).sum().backward()
        out["grads"] = [None if t.grad is None else t.grad.numpy().copy() for t in (x, w)]
    except RuntimeError as exc:
        out["error"] = str(exc)
    return out


GRAD_FN_NAMES = {  # PyTorch's node name → ours, where they differ by design
    "WhereBackward0": {"ZeroBackward0", "FillBackward2", "FillBackward3", "CopyBackwards"},
}


def _same(name_ours, name_torch):
    return name_ours == name_torch or name_torch in GRAD_FN_NAMES.get(name_ours, ())


@pytest.mark.parametrize("seed", range(120))
def test_random_update_programs_match_torch(seed):
    rng = np.random.default_rng(seed)
    start = list(STARTS)[seed % len(STARTS)]
    updates = list(rng.choice(list(UPDATES), size=int(rng.integers(1, 4))))
    xv, wv, weights = (rng.standard_normal((3, 4)) for _ in range(3))
    ours = run(tensor, start, updates, xv, wv, weights)
    want = run(torch, start, updates, xv, wv, weights)
    np.testing.assert_allclose(ours["value"], want["value"], rtol=1e-12, atol=1e-12)
    assert (ours["requires_grad"], ours["is_leaf"]) == (want["requires_grad"], want["is_leaf"])
    assert _same(ours["grad_fn"], want["grad_fn"]), (ours["grad_fn"], want["grad_fn"])
    assert ("error" in ours) == ("error" in want), (start, updates, ours.get("error"),
                                                   want.get("error"))
    if "error" in want:
        if "inplace" in want["error"]:
            assert "modified by an in-place operation" in ours["error"]
        return
    for g, h in zip(ours["grads"], want["grads"]):
        assert (g is None) == (h is None)
        if g is not None:
            np.testing.assert_allclose(g, h, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(UPDATES))
@pytest.mark.parametrize("start", sorted(STARTS))
def test_each_update_after_each_start(name, start):
    rng = np.random.default_rng(len(name) * 7 + len(start))
    xv, wv, weights = (rng.standard_normal((3, 4)) for _ in range(3))
    ours = run(tensor, start, [name], xv, wv, weights)
    want = run(torch, start, [name], xv, wv, weights)
    np.testing.assert_allclose(ours["value"], want["value"], rtol=1e-12, atol=1e-12)
    assert ("error" in ours) == ("error" in want), (ours.get("error"), want.get("error"))
    if "error" not in want:
        for g, h in zip(ours["grads"], want["grads"]):
            assert (g is None) == (h is None)
            if g is not None:
                np.testing.assert_allclose(g, h, rtol=1e-10, atol=1e-12)


def test_wavenet_linear_out_plus_bias():
    """makemore's Linear: self.out = x @ self.weight; self.out += self.bias."""
    rng = np.random.default_rng(0)
    xv, wv, bv = rng.standard_normal((4, 5, 6)), rng.standard_normal((6, 3)), rng.standard_normal(3)
    grads = []
    for lib in (tensor, torch):
        x, w, b = (lib.tensor(v, requires_grad=True) for v in (xv, wv, bv))
        out = x @ w
        out += b
        assert type(out.grad_fn).__name__ == "AddBackward0" or out.grad_fn.backward_name() == \
            "AddBackward0"
        out.tanh().sum().backward()
        grads.append([t.grad.numpy() for t in (x, w, b)])
    for g, h in zip(*grads):
        np.testing.assert_allclose(g, h, rtol=1e-10)


@pytest.mark.parametrize("op", ["add_", "mul_", "zero_", "setitem", "relu_", "tril_"])
def test_leaf_that_requires_grad_still_raises(op):
    for lib in (tensor, torch):
        x = lib.ones(3, 3, requires_grad=True)
        do = {"add_": lambda x=x: x.add_(1), "mul_": lambda x=x: x.mul_(2), "zero_": x.zero_,
              "setitem": lambda x=x: x.__setitem__(0, 2.0), "relu_": x.relu_,
              "tril_": x.tril_}[op]
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            do()


def test_no_grad_updates_are_not_recorded():
    for lib in (tensor, torch):
        x = lib.ones(3, requires_grad=True)
        y = x * 2
        node = y.grad_fn
        with lib.no_grad():
            y += 1
        assert y.grad_fn is node


def test_update_through_a_view_of_a_graph_tensor_raises_clearly():
    """A documented limit: PyTorch rebases a view's graph (CopySlices); here an
    in-place update of a view of a graph tensor is refused with a clear error."""
    x = tensor.ones(3, 4, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="view .*not supported"):
        y[0] += 1  # y[0] is a view; y[0] = … (setitem on y itself) is supported
    with pytest.raises(RuntimeError, match="view .*not supported"):
        y.T.mul_(2)


def test_int_buffer_plus_float_graph_tensor_is_a_dtype_error():
    for lib in (tensor, torch):
        b = lib.zeros(3, dtype=lib.int64)
        with pytest.raises(RuntimeError):
            b += lib.ones(3, requires_grad=True)


def test_shape_growing_update_raises():
    for lib in (tensor, torch):
        y = lib.ones(3, requires_grad=True) * 1
        with pytest.raises(RuntimeError):
            y += lib.ones(2, 3)
