"""Gradients of gradients of the ops issue #22 added (scans, order statistics, erf,
logit, lerp, maximum/minimum, clamp with tensor bounds, the index writes, triangles,
numbers on the left, dot/mv/bmm/outer/unbind, embedding, where), against PyTorch:
seeded sweeps over shapes (0-d, size 1, empty where torch allows) and over float32
and float64, with zeros placed where the product formulas change. And the rule
behind them: every op with a backward is twice differentiable, and an op that is
not raises, naming itself, instead of giving a wrong second derivative."""

import numpy as np
import pytest
from test_double_backward import assert_second_derivatives_match

import nn.functional as F
import tensor
from tensor.function import Function

torch = pytest.importorskip("torch")

DTYPES = ["float64", "float32"]
SHAPES = [(), (1,), (5,), (0,), (2, 3), (1, 4), (3, 1), (2, 0, 3), (2, 3, 4)]


def _f(lib):
    return F if lib is tensor else torch.nn.functional


def _sample(seed, shape, zeros=0):
    """Normal numbers with ``zeros`` of them set to 0 (where products change formula)."""
    r = np.random.default_rng(seed)
    a = r.standard_normal(shape)
    if zeros and a.size:
        a.reshape(-1)[r.choice(a.size, min(zeros, a.size), replace=False)] = 0
    return a


POINTWISE = {  # x ↦ an expression; inputs are any reals
    "erf": lambda x, lib: (x * x).erf(),
    "logit": lambda x, lib: (x.sigmoid() * 0.9 + 0.05).logit(),
    "logit_eps": lambda x, lib: (x.sigmoid() * 1.2 - 0.1).logit(eps=0.05) * x,
    "rsub": lambda x, lib: (2.5 - x * x) * x,
    "reciprocal": lambda x, lib: 1.5 / (x * x + 0.5),
    "rpow": lambda x, lib: 2.0 ** (x * x),
    "rpow_small": lambda x, lib: 0.5 ** x * x,
    "median_all": lambda x, lib: (x * x).median() if x.numel() else x.sum(),
    "prod_all": lambda x, lib: (x * 1.5).prod(),
    "maximum_tie": lambda x, lib: lib.maximum(x * x, (x * x).detach()) * x,
    "minimum": lambda x, lib: lib.minimum(x * x, x.exp() - 1),
    "where": lambda x, lib: lib.where(x > 0, x.exp(), x * x * x),
}

DIM = {  # (x, dim) ↦ an expression, for tensors with at least one dimension
    "prod_dim": lambda x, d, lib: (x * 1.5).prod(d) ** 2,
    "prod_keepdim": lambda x, d, lib: (x * 1.5).prod(d, keepdim=True) * x,
    "cumsum": lambda x, d, lib: (x * x).cumsum(d) ** 2,
    "cumprod": lambda x, d, lib: lib.cumprod(x * 1.5, d) * x,
    "sort": lambda x, d, lib: (x * x).sort(d, descending=True).values ** 2,
    "topk": lambda x, d, lib: (x * x).topk(min(2, x.shape[d]), d).values ** 2,
    "kthvalue": lambda x, d, lib: (x * x).kthvalue(1, d).values ** 2,
    "median_dim": lambda x, d, lib: (x * x).median(d).values ** 2,
    "mode": lambda x, d, lib: (x * x).mode(d).values ** 2,
    "logsumexp": lambda x, d, lib: (x * x).logsumexp(d) ** 2,
    "max_dim": lambda x, d, lib: (x * x).max(d).values ** 2,
    "unbind": lambda x, d, lib: lib.stack([t ** 3 for t in x.unbind(d)], -1),
    "stack": lambda x, d, lib: lib.stack([x * x, x.exp(), x], d) ** 2,
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", sorted(POINTWISE))
def test_pointwise_second_derivatives_vs_torch(name, shape, dtype):
    assert_second_derivatives_match(POINTWISE[name], [_sample(7, shape)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [s for s in SHAPES if s and 0 not in s], ids=str)
@pytest.mark.parametrize("name, zeros", [(n, 0) for n in sorted(DIM)] + [
    (n, z) for n in DIM if n.startswith(("prod", "cumprod")) for z in (1, 2)])
def test_dim_op_second_derivatives_vs_torch(name, zeros, shape, dtype):
    """Zeros (one, two) only change the product formulas: swept for those."""
    for d in range(-len(shape), len(shape)):
        x = _sample(len(shape) * 10 + d, shape, zeros)
        assert_second_derivatives_match(lambda t, lib, d=d: DIM[name](t, d, lib), [x], dtype)


@pytest.mark.parametrize("zeros", [0, 1, 2, 3])
def test_prod_all_with_zeros_second_derivatives_vs_torch(zeros):
    """prod() of all elements with two zeros: first gradient 0 everywhere, second not."""
    x = _sample(zeros, (2, 3), zeros)
    assert_second_derivatives_match(lambda t, lib: t.prod() * t.sum(), [x])


BINARY = {
    "maximum": lambda a, b, lib: lib.maximum(a * a, b) ** 2,
    "minimum": lambda a, b, lib: lib.minimum(a, b * b).exp(),
    "max_two": lambda a, b, lib: lib.max(a.exp(), b) * a,
    "clamp_tensors": lambda a, b, lib: lib.clamp(a * a, min=b, max=b * b + 1) ** 2,
    "clamp_min_tensor": lambda a, b, lib: (a * a).clamp(min=b) * b,
    "clamp_max_tensor": lambda a, b, lib: (a * a).clamp(max=b) * a,
    "lerp_scalar": lambda a, b, lib: (a * a).lerp(b.exp(), 0.3) ** 2,
    "lerp_tensor": lambda a, b, lib: (a * a).lerp(b.exp(), b.sigmoid()) ** 2,
    "where": lambda a, b, lib: lib.where(a > b, a * b, b.exp()),
}
PAIRS = [((), ()), ((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 4)), ((1,), (0,)), ((4,), ())]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes", PAIRS, ids=str)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_second_derivatives_vs_torch(name, shapes, dtype):
    a, b = _sample(1, shapes[0]), _sample(2, shapes[1])
    assert_second_derivatives_match(BINARY[name], [a, b], dtype)


def test_maximum_at_ties_shares_the_gradient_as_torch():
    a = np.array([1.0, 2.0, -1.0, 0.5])
    b = np.array([1.0, 3.0, -1.0, 0.0])
    for op in ("maximum", "minimum"):
        assert_second_derivatives_match(
            lambda x, y, lib, op=op: getattr(lib, op)(x * x, y * y) ** 2, [a, b])


INDEX = {  # (x, v) ↦ an expression writing v into x
    "index_put": lambda x, v, lib: (x * x).index_put((lib.tensor([0, 2, 0]),), v * v),
    "index_put_acc": lambda x, v, lib: (x * x).index_put((lib.tensor([0, 2, 0]),), v.exp(),
                                                         accumulate=True) ** 2,
    "index_put_2d": lambda x, v, lib: (x * x).index_put(
        (lib.tensor([1, 3, 1]), lib.tensor([0, 2, 0])), v[0] * v[0], accumulate=True) ** 2,
    "index_add": lambda x, v, lib: (x * x).index_add(0, lib.tensor([1, 1, 3]), v * v,
                                                     alpha=2.0) ** 2,
    "scatter": lambda x, v, lib: (x * x).scatter(0, lib.tensor([[0, 1, 2], [3, 0, 1],
                                                                [2, 2, 0]]), v * v) ** 2,
    "scatter_add": lambda x, v, lib: (x * x).scatter_add(1, lib.tensor(
        [[0, 0, 2], [1, 2, 1], [2, 2, 2]]), v.exp()) ** 2,
    "gather": lambda x, v, lib: (x * x).gather(0, lib.tensor([[3, 0, 0], [3, 1, 2]])) * v[:2],
    "masked_fill": lambda x, v, lib: (x * v[0]).masked_fill(x > 0.3, 2.0) ** 2,
    "setitem_slice": lambda x, v, lib: _setitem(x * x, (slice(1, 4),), v * v) ** 2,
    "setitem_index": lambda x, v, lib: _setitem(x * x, lib.tensor([0, 2, 0]), v.exp()) ** 2,
    "setitem_mask": lambda x, v, lib: _setitem(x * x, x > 0, x.sum() * 2) ** 2,
}


def _setitem(t, key, v):
    t[key] = v
    return t


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(INDEX))
def test_index_write_second_derivatives_vs_torch(name, dtype):
    for seed in range(3):
        x, v = _sample(seed, (4, 3)), _sample(seed + 10, (3, 3))
        assert_second_derivatives_match(INDEX[name], [x, v], dtype)


PRODUCTS = {
    "dot": ((4,), (4,), lambda a, b, lib: lib.dot(a * a, b).exp()),
    "mv": ((3, 4), (4,), lambda a, b, lib: lib.mv(a, b * b) ** 2),
    "bmm": ((2, 3, 4), (2, 4, 5), lambda a, b, lib: lib.bmm(a * a, b).tanh()),
    "outer": ((3,), (4,), lambda a, b, lib: lib.outer(a, b * b) ** 2),
    "tril": ((3, 4), (4,), lambda a, b, lib: (a * b).tril(1) ** 2),
    "triu": ((2, 4, 3), (3,), lambda a, b, lib: (a * b).triu(-1).exp()),
    "tril_empty": ((0, 3), (3,), lambda a, b, lib: (a * b).tril() ** 2),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(PRODUCTS))
def test_product_second_derivatives_vs_torch(name, dtype):
    sa, sb, fn = PRODUCTS[name]
    assert_second_derivatives_match(fn, [_sample(3, sa), _sample(4, sb)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("padding_idx", [None, 1, -1])
def test_embedding_second_derivatives_vs_torch(padding_idx, dtype):
    idx = np.array([[0, 1, 3], [1, 1, 4]])

    def fn(w, lib):
        out = _f(lib).embedding(lib.tensor(idx), w * w, padding_idx=padding_idx)
        return out ** 3

    assert_second_derivatives_match(fn, [_sample(5, (5, 3))], dtype)
    module_grads = []
    for lib in (tensor, torch):  # nn.Embedding, a second derivative through its weight
        lib.manual_seed(0)
        emb = lib.nn.Embedding(5, 3, padding_idx=padding_idx).double()
        with lib.no_grad():
            emb.weight.copy_(lib.tensor(_sample(6, (5, 3))))
        loss = (emb(lib.tensor(idx)) ** 3).sum()
        (g,) = lib.autograd.grad(loss, emb.weight, create_graph=True)
        (h,) = lib.autograd.grad((g * g).sum(), emb.weight)
        module_grads.append(h.detach().numpy())
    np.testing.assert_allclose(*module_grads, rtol=1e-12)


def _differentiable_ops():
    def subclasses(c):
        for s in c.__subclasses__():
            yield s
            yield from subclasses(s)
    import tensor.compile.module  # noqa: F401 - its Function subclass too
    return {c for c in subclasses(Function) if c.differentiable}


# Nodes that are not ops: the one that raises for an op without a double backward, and
# a compiled function's (torch.compile has no double backward either: it raises too);
# hardsigmoid, whose backward PyTorch does not differentiate ("derivative for
# aten::hardsigmoid_backward is not implemented": the fuzzers check it raises here too);
# floor_divide, which has no first derivative either (its backward raises, as PyTorch's)
NOT_TWICE = {"OnceDifferentiable", "CompiledFunction", "Hardsigmoid", "FloorDivide"}


def test_every_op_with_a_backward_is_twice_differentiable():
    missing = sorted(c.__name__ for c in _differentiable_ops()
                     if not c.twice_differentiable and c.__name__ not in NOT_TWICE)
    assert missing == []


def test_an_op_without_a_double_backward_raises_naming_it():
    """A gradient computed on arrays under create_graph is a first gradient only: its
    gradient raises, naming the op, rather than coming out silently as 0."""

    class Cube(Function):
        """y = x³;  dx = 3x²·g, on arrays only"""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            return 3 * ctx.saved[0] ** 2 * g

    x = tensor.tensor([1.0, 2.0], requires_grad=True)
    (g,) = tensor.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), [3.0, 12.0])
    with pytest.raises(RuntimeError, match="CubeBackward0: a gradient of its gradient is not "
                                           "implemented"):
        tensor.autograd.grad(g.sum(), x)
    with pytest.raises(RuntimeError, match="CubeBackward0"):
        g.sum().backward()


def test_a_compiled_function_has_one_gradient_and_refuses_a_second():
    """tensor.compile's node (as torch.compile's aot_autograd): a first gradient, also
    of a function of one tensor, and an error naming it for a second one."""
    f = tensor.compile(lambda x: (x * x).sin().sum())
    x = tensor.tensor([1.0, 2.0], requires_grad=True)
    for _ in range(3):  # past the eager and the capturing calls
        y = f(x)
    assert type(y.grad_fn).__name__ == "CompiledFunction"
    y.backward(retain_graph=True)
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.data * np.cos(x.data * x.data))
    (g,) = tensor.autograd.grad(y, x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), x.grad.numpy())
    with pytest.raises(RuntimeError, match="CompiledFunctionBackward: a gradient of its "
                                           "gradient is not implemented"):
        tensor.autograd.grad(g.sum(), x)


def test_gradgradcheck_where_torch_cannot_compare():
    """This engine's own gradgradcheck (finite differences of the first gradient), on
    cases torch's double backward refuses (scatter's src larger than its index) and on
    the product formulas at zeros."""
    r = np.random.default_rng(9)
    x = tensor.tensor(r.standard_normal((4, 3)), requires_grad=True)
    src = tensor.tensor(r.standard_normal((3, 3)), requires_grad=True)
    index = tensor.tensor([[0, 1, 2], [3, 0, 1]])
    for add in (False, True):
        op = "scatter_add" if add else "scatter"
        assert tensor.autograd.gradgradcheck(
            lambda x, s, op=op: getattr(x * x, op)(0, index, s * s) ** 2, (x, src))
    with_zeros = tensor.tensor([[1.5, 0.0, -0.7, 2.0], [0.0, 0.0, 1.2, -0.4]],
                               dtype=tensor.float64, requires_grad=True)
    assert tensor.autograd.gradgradcheck(lambda t: t.cumprod(1), (with_zeros,))
    assert tensor.autograd.gradgradcheck(lambda t: t.prod(1), (with_zeros,))
    assert tensor.autograd.gradgradcheck(lambda t: t.prod(), (with_zeros,))
