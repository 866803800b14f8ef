"""Gradients of gradients (create_graph=True) against PyTorch, in float64: every op of
the op table, the fused network ops, matmul and linear in every layout, and the
statistics composed from them. Each case computes g = ∂(Σ w·f(x))/∂x with
create_graph=True and then ∂(Σ v·g)/∂x, with random w and v."""

import numpy as np
import pytest
from op_table import BINARY, BINARY_PAIRS, MATRIX, UNARY, sample

import nn.functional as F
import tensor

torch = pytest.importorskip("torch")


def second_derivatives(lib, fn, arrays, seed=1, dtype="float64"):
    """(f(x), the first gradients, the second ones) as arrays; an input a gradient
    does not depend on gets zeros (torch gives None or zeros, both meaning 0)."""
    dt = getattr(lib, dtype)
    xs = [lib.tensor(a, dtype=dt, requires_grad=True) for a in arrays]
    out = fn(*xs, lib)
    rng = np.random.default_rng(seed)
    w = lib.tensor(rng.standard_normal(tuple(out.shape)), dtype=out.dtype)
    first = lib.autograd.grad((out * w).sum(), xs, create_graph=True, allow_unused=True)
    vs = [lib.tensor(rng.standard_normal(tuple(x.shape)), dtype=dt) for x in xs]
    total = sum((g * v).sum() for g, v in zip(first, vs) if g is not None)
    second = [None] * len(xs)
    if getattr(total, "requires_grad", False):
        second = lib.autograd.grad(total, xs, allow_unused=True)

    def numpy(t, like):
        if t is None:
            return np.zeros(like.shape)
        t = t.detach()
        return t.numpy(force=True) if lib is torch else t.numpy()

    return ([numpy(out, out)], [numpy(g, a) for g, a in zip(first, arrays)],
            [numpy(h, a) for h, a in zip(second, arrays)])


def assert_second_derivatives_match(fn, arrays, dtype="float64"):
    """Every op has a double backward now: an op without one fails here (its error
    names it), rather than being skipped."""
    ours = second_derivatives(tensor, fn, arrays, dtype=dtype)
    theirs = second_derivatives(torch, fn, arrays, dtype=dtype)
    # float32: both sides round each op, in different orders (a convolution's sums)
    rtol, atol = (1e-9, 1e-11) if dtype == "float64" else (2e-4, 1e-4)
    for what, o, t in zip(("value", "gradient", "second derivative"), ours, theirs):
        for i, (a, b) in enumerate(zip(o, t)):
            scale = 1.0 + np.abs(np.nan_to_num(b, posinf=0, neginf=0)).max(initial=0)
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol * scale, equal_nan=True,
                                       err_msg=f"{what} of input {i}")


@pytest.mark.parametrize("shapes", BINARY_PAIRS, ids=str)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_second_derivatives_vs_torch(name, shapes, rng):
    a = sample(rng, shapes[0], "positive" if name == "pow" else "any")
    b = sample(rng, shapes[1], "positive" if name in ("div", "pow") else "any")
    assert_second_derivatives_match(BINARY[name], [a, b])


@pytest.mark.parametrize("shape", [(), (4,), (3, 4), (1, 4)], ids=str)
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_second_derivatives_vs_torch(name, shape, rng):
    fn, kind = UNARY[name]
    assert_second_derivatives_match(fn, [sample(rng, shape, kind)])


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_matrix_second_derivatives_vs_torch(name, rng):
    assert_second_derivatives_match(MATRIX[name], [sample(rng, (3, 4), "nonzero")])


@pytest.mark.parametrize("shapes", [((3, 4), (4, 5)), ((4,), (4, 2)), ((3, 4), (4,)),
                                    ((4,), (4,)), ((2, 3, 4), (4, 5)), ((3, 4), (2, 4, 5))],
                         ids=str)
def test_matmul_second_derivatives_vs_torch(shapes, rng):
    arrays = [rng.standard_normal(s) for s in shapes]
    assert_second_derivatives_match(lambda a, b, lib: (a @ b).tanh(), arrays)


def _f(lib):
    return F if lib is tensor else torch.nn.functional


@pytest.mark.parametrize("x_shape, w_shape, bias", [
    ((5, 3), (4, 3), True), ((5, 3), (4, 3), False), ((2, 5, 3), (4, 3), True),
    ((3,), (4, 3), True), ((5, 3), (3,), False)], ids=str)
def test_linear_second_derivatives_vs_torch(x_shape, w_shape, bias, rng):
    arrays = [rng.standard_normal(x_shape), rng.standard_normal(w_shape)]
    if bias:
        arrays.append(rng.standard_normal(w_shape[:1]))
    def layer(x, w, *rest):
        *b, lib = rest
        return _f(lib).linear(x, w, *b).sigmoid() * x.sum()

    assert_second_derivatives_match(layer, arrays)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_loss_second_derivatives_vs_torch(reduction, rng):
    x, y = rng.standard_normal((5, 4)), rng.standard_normal((5, 4))
    target = rng.integers(0, 4, 5)

    def cross_entropy(t, lib):
        return _f(lib).cross_entropy(t * t, lib.tensor(target), reduction=reduction)

    def nll(t, lib):
        return _f(lib).nll_loss((t * t).log_softmax(1), lib.tensor(target), reduction=reduction)

    def mse(a, b, lib):
        return _f(lib).mse_loss(a * b, b.exp(), reduction=reduction)

    def bce(a, b, lib):
        return _f(lib).binary_cross_entropy_with_logits(a * a, b.sigmoid(), reduction=reduction)

    assert_second_derivatives_match(cross_entropy, [x])
    assert_second_derivatives_match(nll, [x])
    assert_second_derivatives_match(mse, [x, y])
    assert_second_derivatives_match(bce, [x, y])


@pytest.mark.parametrize("name, fn", [
    ("var", lambda x, lib: x.var(1)), ("std", lambda x, lib: x.std()),
    ("norm", lambda x, lib: x.norm()), ("norm_dim", lambda x, lib: x.norm(dim=0)),
    ("logsumexp", lambda x, lib: x.logsumexp(1)),
    ("softmax_chain", lambda x, lib: (x.softmax(1) * x).log_softmax(0)),
    ("dropout_eval", lambda x, lib: _f(lib).dropout(x * x, 0.5, training=False)),
    ("gather_twice", lambda x, lib: x.gather(1, lib.tensor([[0, 0], [1, 3], [2, 1]])) ** 2),
    ("index_repeats", lambda x, lib: x[[0, 2, 0]] ** 3),
    ("where_pow", lambda x, lib: lib.where(x > 0, x ** 3, x.exp())),
    ("clone_cast", lambda x, lib: (x.float().double() * x).clone() ** 2)], ids=lambda v: v
    if isinstance(v, str) else "")
def test_composed_second_derivatives_vs_torch(name, fn, rng):
    assert_second_derivatives_match(fn, [sample(rng, (3, 4), "nonzero")])


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4)], ids=str)
def test_hessian_of_a_small_network_vs_torch(shape, rng):
    """The makemore/d2l pattern: a gradient penalty ‖∂loss/∂x‖² trained through."""
    x, w = rng.standard_normal(shape), rng.standard_normal((5, shape[-1]))

    def penalty(x, w, lib):
        loss = _f(lib).linear(x, w).relu().sum() + (x @ w.T).tanh().sum()
        (gx,) = lib.autograd.grad(loss, x, create_graph=True)
        return (gx * gx).sum() + loss

    assert_second_derivatives_match(penalty, [x, w])


def test_conv_and_pool_first_gradient_under_create_graph_is_torchs(rng):
    """create_graph=True through conv2d and max_pool2d gives the same first gradient
    as the plain backward, and it can be differentiated again (test_double_backward_conv.py
    compares the second derivatives)."""
    x = tensor.tensor(rng.standard_normal((1, 2, 5, 5)), requires_grad=True)
    w = tensor.tensor(rng.standard_normal((3, 2, 3, 3)), requires_grad=True)
    for fn, name in ((lambda: F.conv2d(x, w), "Convolution"),
                     (lambda: F.max_pool2d(x, 2), "MaxPool2D")):
        (gx,) = tensor.autograd.grad(fn().pow(2).sum(), x, create_graph=True)
        tx = torch.tensor(x.data, requires_grad=True)
        tw = torch.tensor(w.data)
        tout = torch.nn.functional.conv2d(tx, tw) if "Conv" in name else \
            torch.nn.functional.max_pool2d(tx, 2)
        (tgx,) = torch.autograd.grad(tout.pow(2).sum(), tx)
        np.testing.assert_allclose(gx.detach().numpy(), tgx.numpy(), rtol=1e-9, atol=1e-10)
        assert gx.requires_grad
        gx.sum().backward()
        assert x.grad is not None and np.isfinite(x.grad.numpy()).all()
