"""Every op: float64 finite differences (gradcheck) and, when installed, PyTorch."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from op_table import BINARY, BINARY_PAIRS, EDGES, MATRIX, PERMUTES, UNARY, sample

import tensor


def leaf(x):
    return tensor.tensor(x, dtype=tensor.float64, requires_grad=True)


def positive_for(name, rng, shape):
    # divisors and bases of pow stay positive so finite differences are well defined
    return sample(rng, shape, "positive" if name in ("div", "pow") else "any")


@pytest.mark.parametrize("shapes", BINARY_PAIRS, ids=str)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_gradcheck(name, shapes, rng):
    a = leaf(sample(rng, shapes[0], "positive" if name == "pow" else "any"))
    b = leaf(positive_for(name, rng, shapes[1]))
    assert tensor.gradcheck(lambda x, y: BINARY[name](x, y, tensor), (a, b))


@pytest.mark.parametrize("shape", [(), (4,), (3, 4), (1, 4), (3, 1)], ids=str)
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_gradcheck(name, shape, rng):
    fn, kind = UNARY[name]
    assert tensor.gradcheck(lambda x: fn(x, tensor), (leaf(sample(rng, shape, kind)),))


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_matrix_gradcheck(name, rng):
    x = leaf(sample(rng, (3, 4), "nonzero"))
    assert tensor.gradcheck(lambda t: MATRIX[name](t, tensor), (x,))


@pytest.mark.parametrize("shapes", [((3, 4), (4, 5)), ((4,), (4, 2)), ((3, 4), (4,)),
                                    ((4,), (4,)), ((2, 3, 4), (4, 5)), ((3, 4), (2, 4, 5))],
                         ids=str)
def test_matmul_gradcheck(shapes, rng):
    a, b = leaf(sample(rng, shapes[0])), leaf(sample(rng, shapes[1]))
    assert tensor.gradcheck(lambda x, y: x @ y, (a, b))


# ----- hypothesis: random shapes for elementwise and reduction ops ----------------------
shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)


@settings(max_examples=25, deadline=None)
@given(shape=shapes, name=st.sampled_from(["exp", "tanh", "sigmoid", "sum", "mean", "amax",
                                          "neg", "pow2"]), seed=st.integers(0, 2**16))
def test_unary_random_shapes(shape, name, seed):
    x = leaf(np.random.default_rng(seed).standard_normal(shape))
    assert tensor.gradcheck(lambda t: UNARY[name][0](t, tensor), (x,))


@settings(max_examples=25, deadline=None)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
       name=st.sampled_from(["add", "sub", "mul", "div"]), seed=st.integers(0, 2**16))
def test_binary_random_broadcast(shapes, name, seed):
    rng = np.random.default_rng(seed)
    a = leaf(rng.standard_normal(shapes.input_shapes[0]))
    b = leaf(np.abs(rng.standard_normal(shapes.input_shapes[1])) + 0.5)
    assert tensor.gradcheck(lambda x, y: BINARY[name](x, y, tensor), (a, b))


@settings(max_examples=25, deadline=None)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4),
       data=st.data(), keepdim=st.booleans())
def test_reductions_random_dims(shape, data, keepdim):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = leaf(np.random.default_rng(len(shape)).standard_normal(shape))
    for op in ("sum", "mean", "amax", "log_softmax", "softmax"):
        if op in ("softmax", "log_softmax"):
            fn = lambda t, op=op: getattr(t, op)(dim)  # noqa: E731
        else:
            fn = lambda t, op=op: getattr(t, op)(dim, keepdim)  # noqa: E731
        assert tensor.gradcheck(fn, (x,)), op


# ----- against PyTorch --------------------------------------------------------------
def assert_same_as_torch(arrays, fn):
    torch = pytest.importorskip("torch")
    ours = [leaf(a) for a in arrays]
    theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out_o, out_t = fn(*ours, tensor), fn(*theirs, torch)
    np.testing.assert_allclose(out_o.data, out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    seed = np.random.default_rng(1).standard_normal(out_o.shape)
    out_o.backward(seed)
    out_t.backward(torch.tensor(seed))
    for o, t in zip(ours, theirs):
        if t.grad is None:
            assert o.grad is None
        else:
            np.testing.assert_allclose(o.grad.data, t.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shapes", BINARY_PAIRS, ids=str)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_vs_torch(name, shapes, rng):
    a = sample(rng, shapes[0], "positive" if name == "pow" else "any")
    assert_same_as_torch([a, positive_for(name, rng, shapes[1])], BINARY[name])


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_vs_torch(name, rng):
    fn, kind = UNARY[name]
    assert_same_as_torch([sample(rng, (3, 4), kind)], fn)


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_matrix_vs_torch(name, rng):
    assert_same_as_torch([sample(rng, (3, 4), "nonzero")], MATRIX[name])


def test_ties_vs_torch():
    """max/amax with ties: amax shares the gradient, max(dim) gives it to one index."""
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    assert_same_as_torch([x], lambda t, lib: t.amax(1))
    assert_same_as_torch([x], lambda t, lib: t.max())
    assert_same_as_torch([x], lambda t, lib: t.max(dim=1).values)


def test_matmul_vs_torch(rng):
    def matmul(a, b, lib):
        return a @ b

    assert_same_as_torch([rng.standard_normal((2, 3, 4)), rng.standard_normal((4, 5))], matmul)
    assert_same_as_torch([rng.standard_normal(4), rng.standard_normal((2, 4, 3))], matmul)


def test_relu_at_zero_and_nan_vs_torch():
    """The gradient is 0 at exactly 0 and passes through a NaN, as torch's
    threshold_backward gives it (the mask is read off the output)."""
    torch = pytest.importorskip("torch")
    x = np.array([-1.0, 0.0, 2.0, np.nan])
    ours = tensor.tensor(x, dtype=tensor.float64, requires_grad=True)
    ours.relu().backward(tensor.tensor([1.0, 2.0, 3.0, 4.0], dtype=tensor.float64))
    theirs = torch.tensor(x, requires_grad=True)
    theirs.relu().backward(torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64))
    np.testing.assert_array_equal(ours.grad.data, theirs.grad.numpy())


@pytest.mark.parametrize("name", sorted(EDGES))
def test_gradients_at_kinks_and_bounds_vs_torch(name):
    """abs and relu at ±0, clamp at its bounds, max at ties: PyTorch's subgradients."""
    fn, values = EDGES[name]
    assert_same_as_torch([np.array(values)], fn)


@pytest.mark.parametrize("dims", PERMUTES)
def test_every_permute_of_three_dims_vs_torch(dims, rng):
    assert_same_as_torch([rng.standard_normal((2, 3, 4))], lambda t, lib: t.permute(*dims) * 1.5)
