"""Issue #22's families against PyTorch on seeded inputs: order statistics with
their gradients (no ties, so the indices are PyTorch's), counting, indexing
writes (repeated indices, every dtype), defaults, tensor facts, and the adaptive
optimizers' trajectories. The fuzzer (tests/fuzz) covers dtypes/shapes/edges."""

from __future__ import annotations

import numpy as np
import pytest

import tensor

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(22)
DTYPES = ["float32", "float64"]


def _pair(x, grad=True):
    return (tensor.tensor(x, requires_grad=grad), torch.tensor(x, requires_grad=grad))


def assert_same(a, b, rtol=1e-6):
    if a is None or b is None:  # a gradient that neither side computed
        assert a is None and b is None, (a, b)
        return
    a = a.detach().numpy() if hasattr(a, "detach") else np.asarray(a)
    b = b.detach().numpy() if hasattr(b, "detach") else np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, b.shape, a.dtype, b.dtype)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol, equal_nan=True)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,dim", [((7,), 0), ((3, 5), 1), ((3, 5), 0), ((2, 3, 4), -2)])
@pytest.mark.parametrize("op", [
    lambda lib, x, d: x.sort(dim=d).values, lambda lib, x, d: lib.sort(x, d, descending=True),
    lambda lib, x, d: x.argsort(dim=d, descending=True) * 1,
    lambda lib, x, d: x.topk(2, dim=d), lambda lib, x, d: x.topk(1, d, largest=False),
    lambda lib, x, d: lib.median(x, d), lambda lib, x, d: x.median(d, keepdim=True),
    lambda lib, x, d: x.median(), lambda lib, x, d: x.kthvalue(2, d),
    lambda lib, x, d: x.prod(d), lambda lib, x, d: x.prod(),
    lambda lib, x, d: lib.cumsum(x, d), lambda lib, x, d: x.cumprod(d),
    lambda lib, x, d: x.logsumexp(d) * x.erf().sum(), lambda lib, x, d: x.sigmoid().logit(),
])
def test_order_statistics_and_products_values_and_gradients(op, shape, dim, dtype):
    x = RNG.permutation(np.arange(np.prod(shape))).reshape(shape).astype(dtype) / 7 - 0.5
    x.flat[0] = 0.0  # a zero (for the products' gradients), still no ties
    ours, theirs = _pair(x)
    a, b = op(tensor, ours, dim), op(torch, theirs, dim)
    a, b = (a[0], b[0]) if isinstance(a, tuple) else (a, b)
    assert_same(a, b)
    if b.requires_grad:
        w = np.cos(np.arange(b.numel())).reshape(tuple(b.shape))
        (a * tensor.tensor(w, dtype=a.dtype)).sum().backward()
        (b * torch.tensor(w, dtype=b.dtype)).sum().backward()
        assert_same(ours.grad, theirs.grad, rtol=1e-5)


def test_named_tuples_and_mode():
    x = np.array([[1, 2, 2, 1, 3], [4, 4, 0, 0, 4]])
    for name in ("sort", "topk", "median", "mode", "kthvalue"):
        args = (2, 1) if name in ("topk", "kthvalue") else (1,)
        a, b = getattr(tensor.tensor(x), name)(*args), getattr(torch.tensor(x), name)(*args)
        assert a._fields == ("values", "indices") and type(a).__name__ == type(b).__name__
        assert_same(a.values, b.values)
    a, b = tensor.tensor(x).mode(1), torch.tensor(x).mode(1)
    assert_same(a.indices, b.indices)


@pytest.mark.parametrize("kw", [{}, {"return_inverse": True}, {"return_counts": True},
                                {"return_inverse": True, "return_counts": True, "dim": 0},
                                {"dim": 1, "return_counts": True}])
def test_unique_as_torch(kw):
    x = RNG.integers(0, 3, (6, 2))
    a, b = tensor.unique(tensor.tensor(x), **kw), torch.unique(torch.tensor(x), **kw)
    for u, v in zip(a if isinstance(a, tuple) else (a,), b if isinstance(b, tuple) else (b,)):
        assert_same(u, v)
    assert_same(tensor.tensor(x).reshape(-1).unique_consecutive(return_counts=True)[1],
          torch.tensor(x).reshape(-1).unique_consecutive(return_counts=True)[1])


def test_histograms_and_bincount_as_torch():
    x = RNG.standard_normal(200).astype("float32")
    for kw in ({}, {"bins": 7}, {"bins": 5, "min": -1, "max": 1}):
        assert_same(tensor.histc(tensor.tensor(x), **kw), torch.histc(torch.tensor(x), **kw))
    for kw in ({"bins": 6}, {"bins": 4, "range": (-1.0, 2.0), "density": True}):
        a, b = tensor.histogram(tensor.tensor(x), **kw), torch.histogram(torch.tensor(x), **kw)
        assert_same(a.hist, b.hist, 1e-5)
        assert_same(a.bin_edges, b.bin_edges, 1e-6)
    i = RNG.integers(0, 6, 30)
    w = RNG.random(30).astype("float32")
    assert_same(tensor.bincount(tensor.tensor(i)), torch.bincount(torch.tensor(i)))
    assert_same(tensor.tensor(i).bincount(tensor.tensor(w), minlength=9),
          torch.tensor(i).bincount(torch.tensor(w), minlength=9), 1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "uint8", "bool"])
def test_index_writes_with_repeated_indices_on_every_dtype(dtype):
    base = RNG.integers(0, 2, (5, 3)).astype(dtype)
    idx, src = np.array([0, 2, 0, 4]), RNG.integers(0, 2, (4, 3)).astype(dtype)
    for accumulate in (False, True):
        if dtype == "bool" and accumulate:
            continue
        a, b = tensor.tensor(base), torch.tensor(base)
        a.index_put_((tensor.tensor(idx),), tensor.tensor(src[3]), accumulate=accumulate)
        b.index_put_((torch.tensor(idx),), torch.tensor(src[3]), accumulate=accumulate)
        assert_same(a, b)
    a, b = tensor.tensor(base), torch.tensor(base)
    if dtype != "bool":
        a[tensor.tensor(idx)] += 1  # repeats add once, as PyTorch's
        b[torch.tensor(idx)] += 1
        assert_same(a, b)
        assert_same(tensor.tensor(base).index_add_(0, tensor.tensor(idx), tensor.tensor(src)),
              torch.tensor(base).index_add_(0, torch.tensor(idx), torch.tensor(src)))
        j = np.array([[0, 1, 2], [4, 1, 0]])
        assert_same(tensor.tensor(base).scatter_add_(0, tensor.tensor(j), tensor.tensor(src)),
              torch.tensor(base).scatter_add_(0, torch.tensor(j), torch.tensor(src)))


def test_bigram_counts_as_makemore():
    words = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "ava"]
    chars = sorted(set("".join(words)))
    stoi = {s: i + 1 for i, s in enumerate(chars)}
    stoi["."] = 0
    counts = []
    for lib in (tensor, torch):
        n = lib.zeros((len(stoi), len(stoi)), dtype=lib.int32)
        for w in words:
            cs = ["."] + list(w) + ["."]
            for c1, c2 in zip(cs, cs[1:]):
                n[stoi[c1], stoi[c2]] += 1
        counts.append(n)
    assert_same(*counts)
    assert counts[0].dtype == tensor.int32 and int(counts[0].sum()) == int(counts[1].sum())


@pytest.mark.parametrize("dtype", DTYPES)
def test_out_of_place_index_writes_have_torchs_gradients(dtype):
    x, s = RNG.standard_normal((5, 3)).astype(dtype), RNG.standard_normal((4, 3)).astype(dtype)
    idx, j = np.array([0, 2, 0, 4]), np.array([[0, 1, 2], [4, 1, 0]])
    ops = [lambda lib, a, b: a.index_put((lib.tensor(idx),), b, accumulate=True),
           lambda lib, a, b: a.index_put((lib.tensor(idx[1:2]),), b[0]),
           lambda lib, a, b: a.index_add(0, lib.tensor(idx), b, alpha=2),
           lambda lib, a, b: a.scatter_add(0, lib.tensor(j), b[:2]),
           lambda lib, a, b: a.scatter(0, lib.tensor(j), b[:2]),
           lambda lib, a, b: lib.maximum(a[:4], b), lambda lib, a, b: lib.min(a[:4], b),
           lambda lib, a, b: lib.clamp(a[:4], min=b, max=b + 0.5),
           lambda lib, a, b: a[:4].lerp(b, 0.7), lambda lib, a, b: lib.lerp(a[:4], b, b),
           lambda lib, a, b: lib.where(a[:4] > b, a[:4], 0.5)]
    for op in ops:
        (a, ta), (b, tb) = _pair(x), _pair(s)
        y, ty = op(tensor, a, b), op(torch, ta, tb)
        assert_same(y, ty)
        w = np.cos(np.arange(ty.numel())).reshape(tuple(ty.shape)).astype(dtype)
        (y * tensor.tensor(w)).sum().backward()
        (ty * torch.tensor(w)).sum().backward()
        assert_same(a.grad, ta.grad)
        assert_same(b.grad, tb.grad)


def test_comparisons_where_and_creation_as_torch():
    a, b = RNG.standard_normal(6), RNG.standard_normal(6)
    b[:2] = a[:2] + 1e-9
    for lib_fn in ("isclose", "allclose", "equal"):
        assert np.all(np.asarray(getattr(tensor, lib_fn)(tensor.tensor(a), tensor.tensor(b))) ==
                      np.asarray(getattr(torch, lib_fn)(torch.tensor(a), torch.tensor(b))))
    c = RNG.random((3, 4)) > 0.5
    for u, v in zip(tensor.where(tensor.tensor(c)), torch.where(torch.tensor(c))):
        assert_same(u, v)
    for args in [(0, 1, 0.1), (0.5, 10, 0.37), (5, 0, -0.3), (3,), (1, 2.5)]:
        np.testing.assert_allclose(tensor.arange(*args).numpy(), torch.arange(*args).numpy(),
                                   rtol=1e-6, atol=1e-6)
        assert tensor.arange(*args).dtype.name == str(torch.arange(*args).dtype)[6:]
    for fn in ("empty", "zeros", "ones"):
        x, y = getattr(tensor, fn)(2, 3, dtype=tensor.float64), getattr(torch, fn)(
            2, 3, dtype=torch.float64)
        assert x.shape == y.shape and x.dtype == tensor.float64
        z = getattr(tensor, f"{fn}_like")(x, requires_grad=True)
        assert z.requires_grad and z.is_leaf and z.dtype == tensor.float64
    assert tensor.full((2,), 1).dtype == tensor.int64 and tensor.full((2,), True).dtype == \
        tensor.bool


def test_defaults_and_tensor_facts_as_torch():
    assert tensor.get_default_dtype() == tensor.float32
    tensor.set_default_device("cpu")
    with pytest.raises(RuntimeError, match="cuda"):
        tensor.set_default_device("cuda")
    with pytest.raises(TypeError):
        tensor.set_default_dtype(tensor.int64)
    try:
        tensor.set_default_dtype(tensor.float64)
        assert tensor.tensor([1.5]).dtype == tensor.float64
        assert tensor.zeros(2).dtype == tensor.float64 and tensor.arange(0, 1, .5).dtype == \
            tensor.float64
        assert (tensor.tensor([1, 2]) * 1.5).dtype == tensor.float64
    finally:
        tensor.set_default_dtype(tensor.float32)
    assert tensor.tensor([1.5]).dtype == tensor.float32
    for lib in (tensor, torch):
        x = lib.ones(2, requires_grad=True)
        y = x * 2
        y.retain_grad()
        z = y.detach()
        with lib.no_grad():
            w = x * 2
        v = lib.ones(2).requires_grad_()
        facts = [(t.is_leaf, t.retains_grad, t.requires_grad) for t in (x, y, z, w, v, y * 1)]
        sizes = [lib.ones(1, dtype=d).element_size() for d in (lib.float32, lib.float64,
                                                               lib.int64, lib.uint8, lib.bool)]
        if lib is tensor:
            ours = (facts, sizes)
    assert ours == (facts, sizes)
    for lib in (tensor, torch):
        with pytest.raises(RuntimeError, match="can't retain_grad"):
            lib.ones(2).retain_grad()


def _trajectory(lib, name, kw, dtype, steps):
    rng = np.random.default_rng(1)
    w0, b0 = rng.standard_normal((5, 3)).astype(dtype), rng.standard_normal(3).astype(dtype)
    x = lib.tensor(rng.standard_normal((8, 5)).astype(dtype))
    w, b = lib.tensor(w0, requires_grad=True), lib.tensor(b0, requires_grad=True)
    # a group of one tensor and one of a generator, as PyTorch accepts
    opt = getattr(lib.optim, name)([{"params": w}, {"params": (p for p in [b])}], **kw)
    for _ in range(steps):
        opt.zero_grad()
        loss = ((x @ w + b).tanh() ** 2).sum() + (w * w).sum() * 0.01
        loss.backward()
        opt.step()
    return w.detach().numpy().copy(), b.detach().numpy().copy()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,kw", [
    ("RMSprop", {"lr": 1e-3}), ("RMSprop", {"momentum": 0.9, "centered": True,
                                            "weight_decay": 0.1, "lr": 1e-3}),
    ("RMSprop", {"maximize": True, "lr": 1e-3}), ("Adagrad", {}),
    ("Adagrad", {"lr_decay": 0.01, "weight_decay": 0.1, "initial_accumulator_value": 0.5}),
    ("Adamax", {}), ("Adamax", {"weight_decay": 0.1, "betas": (0.8, 0.99)}),
    ("NAdam", {}), ("NAdam", {"weight_decay": 0.1, "momentum_decay": 0.01}),
    ("NAdam", {"weight_decay": 0.1, "decoupled_weight_decay": True}), ("RAdam", {}),
    ("RAdam", {"weight_decay": 0.1}),
    ("RAdam", {"weight_decay": 0.1, "decoupled_weight_decay": True, "lr": 0.01}),
    ("SGD", {"lr": 0.01, "momentum": 0.9}), ("Adam", {}),
])
def test_optimizer_trajectories_as_torch(name, kw, dtype):
    ours = _trajectory(tensor, name, kw, dtype, 150)
    theirs = _trajectory(torch, name, kw, dtype, 150)
    tol = 2e-5 if dtype == "float32" else 1e-12
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


@pytest.mark.parametrize("name", ["RMSprop", "Adagrad", "Adamax", "NAdam", "RAdam"])
def test_optimizer_defaults_and_errors_as_torch(name):
    import inspect

    ours, theirs = getattr(tensor.optim, name), getattr(torch.optim, name)
    ps, pt = inspect.signature(ours).parameters, inspect.signature(theirs).parameters
    assert list(ps) == list(pt)
    assert {k: p.default for k, p in ps.items()} == {k: p.default for k, p in pt.items()}
    for bad in ({"lr": -1.0}, {"eps": -1.0}, {"weight_decay": -1.0}):
        with pytest.raises(ValueError) as ours_err:
            ours([tensor.ones(1, requires_grad=True)], **bad)
        with pytest.raises(ValueError) as torch_err:
            theirs([torch.ones(1, requires_grad=True)], **bad)
        assert str(ours_err.value) == str(torch_err.value)
    assert repr(ours([tensor.ones(1, requires_grad=True)])) == repr(
        theirs([torch.ones(1, requires_grad=True)]))


@pytest.mark.parametrize("dtype", DTYPES)
def test_in_place_forms_and_methods_as_torch(dtype):
    x = (RNG.random((3, 4)) * 0.8 + 0.1).astype(dtype)
    other = RNG.random((3, 4)).astype(dtype)
    mask = RNG.random((3, 4)) > 0.5
    cases = [lambda lib, t: t.cumsum_(1), lambda lib, t: t.cumprod_(0),
             lambda lib, t: t.erf_(), lambda lib, t: t.sigmoid_(), lambda lib, t: t.logit_(),
             lambda lib, t: t.logit_(0.2), lambda lib, t: t.clip_(0.2, 0.6),
             lambda lib, t: t.lerp_(lib.tensor(other), 0.7),
             lambda lib, t: t.lerp_(lib.tensor(other), lib.tensor(other)),
             lambda lib, t: t.masked_fill_(lib.tensor(mask), -1.5),
             lambda lib, t: t.where(lib.tensor(mask), lib.tensor(other)),
             lambda lib, t: t.masked_fill(lib.tensor(mask), 2.0),
             lambda lib, t: lib.erf_(t), lambda lib, t: t.clamp_max(0.4).clamp_min(0.3),
             lambda lib, t: t.index_add_(1, lib.tensor([0, 0, 3]), lib.tensor(other[:, :3]),
                                         alpha=2),
             lambda lib, t: t.scatter_(1, lib.tensor([[1, 1], [0, 2], [3, 3]]),
                                       lib.tensor(other)),
             lambda lib, t: t.nonzero(), lambda lib, t: (t > 0.5).nonzero(as_tuple=True)[1]]
    for op in cases:
        a, b = op(tensor, tensor.tensor(x)), op(torch, torch.tensor(x))
        assert_same(a, b)
    with pytest.raises(RuntimeError):  # in place on a leaf that requires grad, as torch
        tensor.tensor(x, requires_grad=True).cumsum_(0)
    with pytest.raises(RuntimeError):  # an integer tensor can't hold erf
        tensor.tensor([1, 2]).erf_()


def test_histogram_weights_and_edges_and_errors_as_torch():
    x = RNG.standard_normal(50)
    w = RNG.random(50)
    edges = np.array([-3.0, -1.0, 0.0, 0.5, 3.0])
    for lib in (tensor, torch):
        h = lib.histogram(lib.tensor(x), lib.tensor(edges), weight=lib.tensor(w))
        h2 = lib.histogram(lib.tensor(x), 3, weight=lib.tensor(w), density=True)
        if lib is tensor:
            ours = (h.hist, h2.hist, h2.bin_edges)
    assert_same(ours[0], h.hist, 1e-12)
    assert_same(ours[1], h2.hist, 1e-12)
    assert_same(ours[2], h2.bin_edges, 1e-12)
    for bad in (lambda lib: lib.histc(lib.tensor([1, 2])),
                lambda lib: lib.bincount(lib.tensor([-1, 2])),
                lambda lib: lib.bincount(lib.tensor([[1, 2]])),
                lambda lib: lib.tensor([1.0]).topk(2),
                lambda lib: lib.maximum(lib.tensor([1.0]), 2.0),
                lambda lib: lib.lerp(lib.tensor([1.0]), lib.tensor([1.0], dtype=lib.float64), 0.5),
                lambda lib: lib.isclose(lib.tensor([1.0]), lib.tensor([1.0], dtype=lib.float64)),
                lambda lib: lib.tensor([1.0]).index_put_((lib.tensor([0]),),
                                                         lib.tensor([1.0], dtype=lib.float64)),
                lambda lib: lib.tensor([1.0, 2]).sort(dim=1),
                lambda lib: lib.histogram(lib.tensor([1, 2]), 3),
                lambda lib: lib.tensor([1.0, 2]).kthvalue(3),
                lambda lib: lib.unique(lib.tensor([[1.0]]), dim=2),
                lambda lib: lib.tensor([1.0]).cumsum(1)):
        with pytest.raises(Exception) as theirs:
            bad(torch)
        with pytest.raises(type(theirs.value)):
            bad(tensor)


def test_creation_with_dtype_device_and_requires_grad_as_torch():
    def made(lib):
        ts = [lib.full((2,), 1.5, dtype=lib.float64, requires_grad=True),
              lib.zeros_like(lib.tensor([1, 2]), dtype=lib.float32, requires_grad=True),
              lib.empty(2, 3, requires_grad=True), lib.empty((0, 2)),
              lib.arange(5, dtype=lib.float32, requires_grad=True),
              lib.full_like(lib.tensor([1, 2]), 7.9),
              lib.ones_like(lib.tensor([1.0]), device="cpu"),
              lib.empty_like(lib.tensor([1, 2]), dtype=lib.float64), lib.full((2, 2), True),
              lib.full((1,), 3), lib.arange(1, 4, 0.5, dtype=lib.float64),
              lib.rand_like(lib.ones(2), dtype=lib.float64), lib.arange(0.5, 3)]
        return [(tuple(t.shape), str(t.dtype)[6:], t.requires_grad, t.is_leaf) for t in ts]

    assert made(tensor) == made(torch)
    for lib in (tensor, torch):
        with pytest.raises(TypeError):
            lib.full(3, 1.0)
        with pytest.raises(RuntimeError):
            lib.zeros(2, dtype=lib.int64, requires_grad=True)


def test_return_types_print_as_torch():
    x = np.array([[2.0, 1.0, 3.0]])
    for name, args in (("sort", ()), ("max", (1,)), ("min", (1,)), ("topk", (2,)),
                       ("median", (1,)), ("mode", (1,)), ("kthvalue", (1,))):
        a, b = getattr(tensor.tensor(x), name)(*args), getattr(torch.tensor(x), name)(*args)
        assert repr(a) == repr(b)
        assert isinstance(a, tuple) and a.values is a[0]
