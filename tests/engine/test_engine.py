"""Engine behaviour: accumulation, order, depth, memory, grad mode, hooks."""

import gc
import weakref

import numpy as np
import pytest

import tensor
from tensor import Function
from tensor.autograd import toposort


def leaf(x, dtype=tensor.float64):
    return tensor.tensor(x, dtype=dtype, requires_grad=True)


def test_node_used_twice_accumulates_both_paths():
    x = leaf([1.0, -2.0, 3.0])
    (x * x + x).sum().backward()
    np.testing.assert_allclose(x.grad.data, 2 * x.data + 1)
    a = leaf([1.0, 2.0])
    b = leaf([3.0, 4.0])
    (a + b).sum().backward()  # both leaves get the same upstream array
    a.grad.data += 10  # must not leak into b.grad
    np.testing.assert_allclose(b.grad.data, [1.0, 1.0])


def test_grad_accumulates_across_backward_calls_until_cleared():
    w = leaf([1.0, 2.0])
    for _ in range(3):
        (w * 3).sum().backward()
    np.testing.assert_allclose(w.grad.data, [9.0, 9.0])
    assert w.grad.grad_fn is None and not w.grad.requires_grad
    w.grad = None
    (w * 3).sum().backward()
    np.testing.assert_allclose(w.grad.data, [3.0, 3.0])


def test_grad_dtype_matches_leaf():
    w = tensor.randn(3, requires_grad=True)  # float32
    (w.double() * 2).sum().backward()
    assert w.grad.dtype == tensor.float32


def test_toposort_puts_every_consumer_before_its_inputs():
    x = leaf(np.ones(3))
    a = x.exp()
    b = a * x
    c = a + b
    d = (c * b).sum()
    order = toposort(d.grad_fn)
    pos = {node: i for i, node in enumerate(order)}
    for node in order:
        for p in node.parents:
            if p.grad_fn is not None:
                assert pos[p.grad_fn] > pos[node]
    assert len(order) == 5


def test_chain_of_100000_ops_backpropagates():
    x = leaf([0.5])
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, [1.0])


def test_graph_is_released_after_backward():
    x = leaf(np.ones((4, 3)))
    w = leaf(np.ones((3, 2)))

    def forward():
        h = (x @ w).tanh()  # saves its output array
        ref = weakref.ref(h.data)
        return (h * 2).sum(), ref

    loss, ref = forward()
    gc.disable()  # freed by reference counting, not by the cycle collector
    try:
        assert ref() is not None
        loss.backward()
        assert ref() is None
    finally:
        gc.enable()


def test_second_backward_raises_unless_retained():
    x = leaf([1.0, 2.0])
    y = (x.exp() * 2).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.data, 4 * np.exp(x.data))
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_no_grad_records_nothing_and_enable_grad_inside():
    x = leaf([1.0, 2.0])
    with tensor.no_grad():
        y = x * 2
        assert not tensor.is_grad_enabled()
        with tensor.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None
    assert tensor.is_grad_enabled()

    @tensor.no_grad()
    def f(t):
        return t.exp()

    assert not f(x).requires_grad


def test_requires_grad_propagation_and_detach():
    x = leaf([1.0])
    c = tensor.tensor([2.0], dtype=tensor.float64)
    assert (x * c).requires_grad and not (c * c).requires_grad
    d = x.detach()
    assert not d.requires_grad and d.data is x.data
    with pytest.raises(RuntimeError, match="only floating point"):
        tensor.tensor([1, 2]).requires_grad_()


def test_backward_with_gradient_for_non_scalar():
    x = leaf([1.0, 2.0, 3.0])
    (x * x).backward(gradient=tensor.tensor([1.0, 0.5, 0.0], dtype=tensor.float64))
    np.testing.assert_allclose(x.grad.data, [2.0, 2.0, 0.0])


def test_hooks_and_retain_grad():
    x = leaf([1.0, 2.0])
    seen = []
    x.register_hook(lambda g: seen.append(g.data.copy()))
    h = x * 3
    h.retain_grad()
    handle = h.register_hook(lambda g: g * 10)  # replaces the gradient flowing on
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad.data, 10 * 2 * h.data)
    np.testing.assert_allclose(seen[0], 3 * 10 * 2 * h.data)
    np.testing.assert_allclose(x.grad.data, seen[0])
    handle.remove()
    x.grad = None
    (x * 3 * 1.0).sum().backward()
    np.testing.assert_allclose(x.grad.data, [3.0, 3.0])


def test_leaf_grads_own_their_memory():
    """.grad accumulates in place, so no two leaves may share a gradient array and
    none may be read-only: not when Add hands one array to both inputs (a fresh
    one here, a read-only broadcast view from sum's backward below), and not when
    a hook returns a read-only array."""
    a, b, c = leaf([1.0, 2.0]), leaf([3.0, 4.0]), leaf([5.0, 6.0])
    ((a + b) * c).sum().backward()  # mul's backward makes g·c; add passes it to a and b
    (a + b).sum().backward()  # sum's backward: a read-only view, passed to a and b
    x, y = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (x + y).sum().backward()
    frozen = np.array([7.0, 8.0])
    frozen.flags.writeable = False
    z = leaf([1.0, 2.0])
    z.register_hook(lambda g: tensor.from_numpy(frozen))
    (z * 2).sum().backward()
    grads = [t.grad.data for t in (a, b, c, x, y, z)]
    for i, g in enumerate(grads):
        assert g.flags.writeable
        assert not any(np.shares_memory(g, h) for h in grads[i + 1:] + [frozen])
    np.testing.assert_allclose(a.grad.data, [6.0, 7.0])  # c + 1, accumulated
    np.testing.assert_allclose(z.grad.data, frozen)
    z.grad.data += 1  # in place, as an optimizer or a second backward would
    np.testing.assert_allclose(frozen, [7.0, 8.0])


def test_log_softmax_is_stable_and_matches_composition():
    x = leaf([[1e4, 0.0, -1e4], [3.0, 1.0, 0.2]])
    y = x.log_softmax(1)
    assert np.isfinite(y.data).all()
    np.testing.assert_allclose(y.data[0], [0.0, -1e4, -2e4])
    s = x.softmax(1)
    assert np.isfinite(s.data).all()

    def composed(t):
        z = t - t.amax(1, keepdim=True).detach()
        return z - z.exp().sum(1, keepdim=True).log()

    z = leaf(np.random.default_rng(0).standard_normal((3, 5)))
    g = np.random.default_rng(1).standard_normal((3, 5))
    for fused, comp in ((lambda t: t.log_softmax(1), composed),
                        (lambda t: t.softmax(1), lambda t: composed(t).exp())):
        z.grad = None
        fused(z).backward(g)
        g_fused = z.grad.data.copy()
        z.grad = None
        comp(z).backward(g)
        np.testing.assert_allclose(g_fused, z.grad.data, rtol=1e-12, atol=1e-14)


def test_gradcheck_reports_the_bad_element():
    class WrongSquare(Function):
        """y = x²; dx = 2x, except element 1 is wrong on purpose"""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            dx = 2 * ctx.saved[0] * g
            dx[1] *= 1.25
            return dx

    x = leaf([1.0, 2.0, 3.0])
    with pytest.raises(tensor.GradcheckError) as err:
        tensor.gradcheck(lambda t: WrongSquare.apply(t), (x,))
    msg = str(err.value)
    assert "input 0" in msg and "input element (1,), output element (1,)" in msg
    assert "numerical 4" in msg and "analytical 5" in msg


def test_detect_anomaly_names_the_op():
    x = leaf([-1.0, 1.0])
    with tensor.detect_anomaly():
        with pytest.raises(RuntimeError, match="log forward on shapes \\(2,\\)"):
            x.log()
        y = leaf([0.0, 1.0]).sqrt().sum()
        with pytest.raises(RuntimeError, match="sqrt backward.*inf"):
            y.backward()
    assert np.isnan(x.log().data[0])  # outside the context: no check


def test_dtype_promotion_matches_torch():
    torch = pytest.importorskip("torch")
    ours = {"f32": tensor.ones(2), "f64": tensor.ones(2, dtype=tensor.float64),
            "i64": tensor.ones(2, dtype=tensor.int64), "b": tensor.ones(2, dtype=tensor.bool_),
            "f64_0d": tensor.tensor(1.0, dtype=tensor.float64),
            "i64_0d": tensor.tensor(1)}
    theirs = {"f32": torch.ones(2), "f64": torch.ones(2, dtype=torch.float64),
              "i64": torch.ones(2, dtype=torch.int64), "b": torch.ones(2, dtype=torch.bool),
              "f64_0d": torch.tensor(1.0, dtype=torch.float64), "i64_0d": torch.tensor(1)}
    names = {torch.float32: "float32", torch.float64: "float64", torch.int64: "int64",
             torch.bool: "bool"}
    for a in ours:
        for b in list(ours) + [2, 2.5]:
            oa, ob = ours[a], ours.get(b, b)
            ta, tb = theirs[a], theirs.get(b, b)
            for op in ("__add__", "__mul__", "__truediv__"):
                if a == "b" and b == "b" and op == "__add__":
                    continue
                got = getattr(oa, op)(ob).dtype.name
                want = names[getattr(ta, op)(tb).dtype]
                assert got == want, (a, b, op)


def test_grads_of_leaves_that_received_one_array_do_not_share_memory():
    """(a + b) gives a and b the same gradient array; each .grad must own its memory,
    or accumulating into one (a second backward) changes the other as well."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    va, vb, vc = rng.standard_normal((2, 3)), rng.standard_normal((2, 3)), rng.standard_normal(6)
    ours = [tensor.tensor(v, requires_grad=True) for v in (va, vb, vc)]
    theirs = [torch.tensor(v, requires_grad=True) for v in (va, vb, vc)]
    for _ in range(2):
        ((ours[0] + ours[1]).reshape(6) * ours[2]).sum().backward()
        ((theirs[0] + theirs[1]).reshape(6) * theirs[2]).sum().backward()
    assert not np.shares_memory(ours[0].grad.data, ours[1].grad.data)
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-12)


def test_an_in_place_change_before_the_forward_is_not_reported_as_one_after():
    """x changed in place, then used; another tensor changed after the forward: the
    graph saw x's new values, so backward runs (the version check is strict: <=)."""
    x = tensor.ones(3)
    w = tensor.tensor([1.0, 2.0, 3.0], requires_grad=True)
    z = tensor.ones(3)
    x.add_(1)
    y = (x * w).sum()
    z.mul_(2)
    y.backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 2.0, 2.0])
    x.add_(1)  # now a value the graph saved has changed: backward must refuse
    y2 = (x * w).sum()
    x.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y2.backward()
