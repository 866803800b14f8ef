"""Convolution and pooling against PyTorch on the geometries the generated cases of
test_conv.py rarely reach: stride larger than the kernel, dilation, groups up to
depthwise, padding wider than the kernel, 1×1 kernels, batches of 0 and 1, inputs
that are views (permuted, strided, sliced), padding='same' with even kernels, ties
and NaN in max-pooling, and chains whose gradients arrive in either memory layout.
Values and every gradient, float32 and float64."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from seeds import seed_of

import nn.functional as F
import tensor

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def tol(dtype):
    return dict(rtol=2e-4, atol=2e-4) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)


def run_both(fn, arrays, view=None, seed=0):
    """fn(lib, *leaves) in both frameworks; (output, grads) of each, the output
    weighted by the same random array and summed before backward. ``view`` makes
    the first input a view of its leaf in both (lib, t) → t."""
    results = []
    for lib in (tensor, torch):
        leaves = [None if a is None else lib.tensor(a, requires_grad=True) for a in arrays]
        args = list(leaves)
        if view is not None:
            args[0] = view(lib, args[0])
        out = fn(lib, *args)
        weights = np.random.default_rng(seed).standard_normal(tuple(out.shape))
        (out * lib.tensor(weights.astype(arrays[0].dtype))).sum().backward()
        results.append((out.detach().numpy(),
                        [None if t is None or t.grad is None else t.grad.detach().numpy()
                         for t in leaves]))
    return results


def check(results, dtype):
    (out, grads), (t_out, t_grads) = results
    assert out.shape == t_out.shape and out.dtype == t_out.dtype
    np.testing.assert_allclose(out, t_out, **tol(dtype))
    for g, tg in zip(grads, t_grads):
        assert (g is None) == (tg is None)
        if g is not None:
            assert g.shape == tg.shape
            np.testing.assert_allclose(g, tg, **tol(dtype))


def conv_geometries():
    """(n, c, o, groups, size, kernel, stride, padding, dilation), the edges first,
    then a seeded sweep."""
    edges = [
        (2, 3, 4, 1, (9, 8), (2, 2), (3, 4), 0, 1),  # stride > kernel: rows never read
        (2, 2, 2, 1, (7, 7), (1, 1), (3, 2), 0, 1),  # 1×1 kernel, strided
        (3, 4, 6, 1, (5, 6), (1, 1), 1, 0, 1),  # 1×1 kernel: a plain matrix product
        (2, 4, 4, 4, (6, 7), (3, 3), 1, 1, 1),  # depthwise
        (2, 6, 4, 2, (8, 8), (3, 2), (2, 1), (1, 2), (2, 3)),  # everything at once
        (1, 2, 3, 1, (4, 4), (3, 3), 1, 4, 1),  # padding wider than the kernel
        (1, 2, 3, 1, (3, 5), (3, 3), (2, 2), 3, (1, 2)),
        (0, 3, 4, 1, (6, 6), (3, 3), 1, 1, 1),  # an empty batch
        (1, 1, 1, 1, (3, 3), (3, 3), 1, 0, 1),  # one output pixel
        (2, 3, 5, 1, (12, 10), (2, 3), 1, 0, (3, 2)),  # dilation
        (2, 32, 8, 1, (10, 10), (3, 3), 1, 0, 1),  # wide enough for several blocks
    ]
    rng = np.random.default_rng(7)
    sweep = []
    for _ in range(40):
        groups = int(rng.choice([1, 1, 2, 3]))
        c, o = groups * int(rng.integers(1, 4)), groups * int(rng.integers(1, 4))
        kernel = tuple(int(k) for k in rng.integers(1, 5, 2))
        stride = tuple(int(s) for s in rng.integers(1, 5, 2))
        dilation = tuple(int(d) for d in rng.integers(1, 3, 2))
        padding = tuple(int(p) for p in rng.integers(0, 4, 2))
        span = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
        size = tuple(max(1, s - 2 * p) + int(rng.integers(0, 6)) for s, p in zip(span, padding))
        sweep.append((int(rng.integers(0, 4)), c, o, groups, size, kernel, stride, padding,
                      dilation))
    return edges + sweep


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", conv_geometries())
def test_conv2d_geometry_matches_torch(case, dtype):
    n, c, o, groups, size, kernel, stride, padding, dilation = case
    rng = np.random.default_rng(seed_of(case))
    x = rng.standard_normal((n, c, *size)).astype(dtype)
    w = rng.standard_normal((o, c // groups, *kernel)).astype(dtype)
    b = rng.standard_normal(o).astype(dtype)
    kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    check(run_both(lambda lib, *a: lib.nn.functional.conv2d(*a, **kw), [x, w, b]), dtype)
    check(run_both(lambda lib, *a: lib.nn.functional.conv2d(*a, **kw), [x, w]), dtype)


VIEWS = {
    "permuted": (lambda a: a.transpose(0, 2, 3, 1), lambda lib, t: t.permute(0, 3, 1, 2)),
    "strided": (lambda a: a, lambda lib, t: t[:, :, ::2, 1::2]),
    "channel slice": (lambda a: a, lambda lib, t: t[:, 1:4]),
    "transposed hw": (lambda a: a, lambda lib, t: t.transpose(2, 3)),
}


@pytest.mark.parametrize("view", sorted(VIEWS))
@pytest.mark.parametrize("op", ["conv", "max", "avg"])
def test_views_as_inputs_match_torch(view, op, rng):
    """A view (any strides) as the input; its gradient reaches the leaf it came from."""
    to_leaf, make_view = VIEWS[view]
    x = to_leaf(rng.standard_normal((2, 5, 11, 9)))
    w = rng.standard_normal((4, 3, 3, 2))
    fns = {"conv": lambda lib, x, w: lib.nn.functional.conv2d(x[:, :3], w, padding=1),
           "max": lambda lib, x, w: lib.nn.functional.max_pool2d(x, 2, 1, padding=1),
           "avg": lambda lib, x, w: lib.nn.functional.avg_pool2d(x, 3, 2)}
    check(run_both(fns[op], [x, w], view=make_view), np.float64)


@pytest.mark.parametrize("kernel,dilation", [(2, 1), (4, 1), ((2, 3), 1), ((2, 2), (1, 2)),
                                             (3, 2), ((1, 4), (3, 1)), (3, 1)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_same_padding_matches_torch_for_every_kernel(kernel, dilation, dtype, rng):
    """PyTorch pads an odd total (an even kernel) one more after than before."""
    ks = (kernel, kernel) if isinstance(kernel, int) else kernel
    x = rng.standard_normal((2, 3, 7, 6)).astype(dtype)
    w = rng.standard_normal((2, 3, *ks)).astype(dtype)
    b = rng.standard_normal(2).astype(dtype)
    results = run_both(lambda lib, *a: lib.nn.functional.conv2d(*a, padding="same",
                                                                 dilation=dilation), [x, w, b])
    check(results, dtype)
    assert results[0][0].shape[2:] == x.shape[2:]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_chain_of_convs_and_pools_matches_torch(dtype, rng):
    """The official example's shape in small: each op's gradient arrives in the
    layout the next op left it (channels last from a convolution), or in the
    ordinary one after a reshape."""
    x = rng.standard_normal((3, 2, 14, 13)).astype(dtype)
    w1 = (rng.standard_normal((6, 2, 3, 3)) / 3).astype(dtype)
    w2 = (rng.standard_normal((5, 6, 3, 2)) / 5).astype(dtype)
    b1, b2 = rng.standard_normal(6).astype(dtype), rng.standard_normal(5).astype(dtype)

    def net(lib, x, w1, b1, w2, b2):
        F_ = lib.nn.functional
        h = F_.relu(F_.conv2d(x, w1, b1))
        h = F_.max_pool2d(F_.relu(F_.conv2d(h, w2, b2, padding=(1, 0))), 2)
        h = F_.conv2d(h.reshape(3, -1).reshape(h.shape), w2[:, :5].transpose(0, 1)[:5],
                      stride=2)
        return F_.avg_pool2d(h, 1) * h

    check(run_both(net, [x, w1, b1, w2, b2]), dtype)


def _reads_input_everywhere(kernel, stride, padding, dilation, size) -> bool:
    """Whether every window holds an element of the input, not only padding (PyTorch
    leaves the other case undefined: it routes gradient to another channel, or
    aborts)."""
    for k, s, p, d, n in zip(kernel, stride, padding, dilation, size):
        out = (n + 2 * p - d * (k - 1) - 1) // s + 1
        if any(all(not 0 <= o * s + d * i - p < n for i in range(k)) for o in range(out)):
            return False
    return True


def pool_geometries():
    rng = np.random.default_rng(3)
    edges = [((2, 2), (2, 2), (0, 0), (1, 1), (8, 8)),  # the official example's
             ((2, 2), (3, 3), (0, 0), (1, 1), (9, 10)),  # stride > kernel
             ((1, 1), (2, 1), (0, 0), (1, 1), (5, 4)),
             ((3, 3), (1, 1), (1, 1), (2, 2), (7, 7)),  # dilation, overlapping
             ((2, 3), (2, 2), (1, 1), (1, 1), (5, 6)),
             ((2, 2), (2, 2), (0, 0), (2, 1), (8, 6))]  # dilated but tiling-sized
    sweep = []
    for _ in range(25):
        kernel = tuple(int(k) for k in rng.integers(1, 4, 2))
        dilation = tuple(int(d) for d in rng.integers(1, 3, 2))
        padding = tuple(int(rng.integers(0, k // 2 + 1)) for k in kernel)
        span = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
        size = tuple(max(1, s - 2 * p) + int(rng.integers(0, 5)) for s, p in zip(span, padding))
        sweep.append((kernel, tuple(int(s) for s in rng.integers(1, 5, 2)), padding, dilation,
                      size))
    return [case for case in edges + sweep if _reads_input_everywhere(*case)]


@pytest.mark.parametrize("values", ["distinct", "ties", "nan", "inf"])
@pytest.mark.parametrize("n", [0, 1, 3])
@pytest.mark.parametrize("case", pool_geometries())
def test_max_pool_matches_torch_with_ties_and_nan(case, n, values, rng):
    """Values and the routing of the gradient: ties go to the first maximum in
    PyTorch's scan, a window with NaN gives NaN and routes to its last NaN."""
    kernel, stride, padding, dilation, size = case
    shape = (n, 2, *size)
    if values == "distinct":
        x = rng.permutation(int(np.prod(shape))).reshape(shape) / 3.0
    else:
        x = rng.integers(0, 3, shape).astype(np.float64)  # many ties
    if values in ("nan", "inf") and x.size:
        special = np.nan if values == "nan" else -np.inf
        x[rng.random(shape) < 0.3] = special
        x.flat[0] = special
    kw = dict(kernel_size=kernel, stride=stride, padding=padding, dilation=dilation)
    results = run_both(lambda lib, a: lib.nn.functional.max_pool2d(a, **kw), [x])
    (out, (g,)), (t_out, (tg,)) = results
    np.testing.assert_array_equal(out, t_out)
    # exact routing; overlapping windows add in another order than PyTorch's
    np.testing.assert_allclose(g, tg, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("n", [0, 1, 2])
@pytest.mark.parametrize("case", pool_geometries())
def test_avg_pool_matches_torch(case, n, rng):
    kernel, stride, padding, _, size = case
    x = rng.standard_normal((n, 3, *size))
    kw = dict(kernel_size=kernel, stride=stride, padding=padding)
    check(run_both(lambda lib, a: lib.nn.functional.avg_pool2d(a, **kw), [x]), np.float64)


@pytest.mark.parametrize("dtype", [np.int64, np.int32])
def test_max_pool_of_integers_matches_torch(dtype, rng):
    x = rng.integers(-5, 5, (2, 3, 7, 6)).astype(dtype)
    for kernel, stride, padding in itertools.product([2, 3], [1, 2], [0, 1]):
        ours = F.max_pool2d(tensor.tensor(x), kernel, stride, padding).numpy()
        theirs = TF.max_pool2d(torch.tensor(x), kernel, stride, padding).numpy()
        np.testing.assert_array_equal(ours, theirs)
        assert ours.dtype == theirs.dtype


def test_conv_gradients_by_finite_differences_on_new_geometries(rng):
    """gradcheck (float64 central differences), independent of PyTorch."""
    x = tensor.tensor(rng.standard_normal((2, 4, 7, 6)), requires_grad=True)
    w = tensor.tensor(rng.standard_normal((4, 1, 2, 3)), requires_grad=True)
    b = tensor.tensor(rng.standard_normal(4), requires_grad=True)
    assert tensor.gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=(3, 4), padding=(2, 0),
                                                     dilation=(2, 1), groups=4), (x, w, b))
    assert tensor.gradcheck(lambda x, w, b: F.conv2d(x, w, b, padding="same", groups=4),
                            (x, w, b))
    assert tensor.gradcheck(lambda x: F.max_pool2d(x, 2, 3, dilation=(1, 2)), (x,))
