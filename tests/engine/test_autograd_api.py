"""torch.autograd's API against PyTorch: grad() with every option, backward() with
create_graph and inputs, the errors, hooks under create_graph, the import paths."""

import numpy as np
import pytest

import tensor

torch = pytest.importorskip("torch")
LIBS = [tensor, torch]
pytestmark = pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")


def leaves(lib, *arrays):
    return [lib.tensor(a, dtype=lib.float64, requires_grad=True) for a in arrays]


def arr(t):
    return None if t is None else t.detach().numpy()


def both(fn):
    """fn(lib) on both libraries, results as nested arrays."""
    def convert(v):
        if isinstance(v, (tuple, list)):
            return [convert(x) for x in v]
        return arr(v) if hasattr(v, "detach") else v
    return [convert(fn(lib)) for lib in LIBS]


def assert_same(ours, theirs, what=""):
    if isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), what
        for i, (o, t) in enumerate(zip(ours, theirs)):
            assert_same(o, t, f"{what}[{i}]")
    elif theirs is None or isinstance(theirs, (bool, str)):
        assert ours == theirs, what
    else:
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12, err_msg=what)


@pytest.fixture
def xy(rng):
    return rng.standard_normal((3, 2)), rng.standard_normal(2)


# ----- torch.autograd.grad ---------------------------------------------------------------
def test_grad_with_grad_outputs_and_several_outputs_and_non_leaf_inputs(xy):
    def run(lib):
        x, y = leaves(lib, *xy)
        h = x * y
        out1, out2 = h.exp(), (h.sin() * y).sum(0)
        go1 = lib.tensor(np.arange(6.0).reshape(3, 2), dtype=lib.float64)
        return lib.autograd.grad([out1, out2], [x, y, h], [go1, None if False else
                                                           lib.ones(2, dtype=lib.float64)])
    assert_same(*both(run))


def test_grad_with_create_graph_twice_and_thrice(xy):
    def run(lib):
        x, _ = leaves(lib, *xy)
        y = (x ** 4).sum()
        (g1,) = lib.autograd.grad(y, x, create_graph=True)
        (g2,) = lib.autograd.grad(g1.sum(), x, create_graph=True)
        (g3,) = lib.autograd.grad(g2.sum(), x)
        return [g1, g2, g3, g1.requires_grad, g3.requires_grad]
    assert_same(*both(run))


def test_grad_allow_unused_and_materialize_grads(xy):
    def run(lib):
        x, y = leaves(lib, *xy)
        out = (x * 2).sum()
        a = lib.autograd.grad(out, [x, y], retain_graph=True, allow_unused=True)
        b = lib.autograd.grad(out, [x, y], materialize_grads=True)
        return [a, b]
    assert_same(*both(run))


def test_grad_leaves_dot_grad_untouched_and_retain_graph(xy):
    def run(lib):
        x, _ = leaves(lib, *xy)
        out = x.exp().sum()
        first = lib.autograd.grad(out, x, retain_graph=True)
        second = lib.autograd.grad(out, x)
        return [first, second, x.grad is None]
    assert_same(*both(run))


def test_grad_of_an_output_with_respect_to_itself(xy):
    def run(lib):
        x, _ = leaves(lib, *xy)
        h = x * 3
        return lib.autograd.grad(h, [h, x], lib.ones_like(h))
    assert_same(*both(run))


@pytest.mark.parametrize("case", ["input_no_grad", "output_no_grad", "unused", "twice",
                                  "non_scalar", "shape"])
def test_grad_errors_as_torch(case, xy):
    messages = {"input_no_grad": "does not require grad",
                "output_no_grad": "does not require grad and does not have a grad_fn",
                "unused": "appears to not have been used in the graph",
                "twice": "backward through the graph a second time",
                "non_scalar": "grad can be implicitly created only for scalar outputs",
                "shape": "Mismatch in shape"}
    for lib in LIBS:
        x, y = leaves(lib, *xy)
        z = lib.tensor(xy[1], dtype=lib.float64)
        out = (x * y).sum()
        with pytest.raises(RuntimeError, match=messages[case]):
            if case == "input_no_grad":
                lib.autograd.grad(out, [x, z])
            elif case == "output_no_grad":
                lib.autograd.grad(z.sum(), [x])
            elif case == "unused":
                lib.autograd.grad((x * 2).sum(), [x, y])
            elif case == "twice":
                lib.autograd.grad(out, x)
                lib.autograd.grad(out, x)
            elif case == "non_scalar":
                lib.autograd.grad(x * y, x)
            else:
                lib.autograd.grad(x * y, x, lib.ones(2, dtype=lib.float64))


def test_backward_twice_without_retain_graph_raises_as_torch(xy):
    for lib in LIBS:
        x, _ = leaves(lib, *xy)
        out = x.exp().sum()
        out.backward()
        with pytest.raises(RuntimeError, match="second time"):
            out.backward()


# ----- backward(create_graph=True), torch.autograd.backward, inputs= -----------------------
def test_backward_create_graph_accumulates_a_differentiable_grad(xy):
    def run(lib):
        x, y = leaves(lib, *xy)
        loss = (x.sin() * y).sum()
        loss.backward(create_graph=True)
        gx = x.grad
        (gx * gx).sum().backward()  # accumulates into x.grad, out of place
        return [gx, x.grad, y.grad, gx.requires_grad, x.grad.requires_grad]
    assert_same(*both(run))


def test_autograd_backward_several_roots_and_inputs(xy):
    def run(lib):
        x, y = leaves(lib, *xy)
        a, b = (x * y).exp(), (x + y).sum()
        lib.autograd.backward([a, b], [lib.ones_like(a), None])
        gx, gy = x.grad.clone(), y.grad.clone()
        x.grad = y.grad = None
        ((x * y).sum()).backward(inputs=[y])
        return [gx, gy, x.grad, y.grad]
    assert_same(*both(run))


def test_hooks_and_retain_grad_under_create_graph(xy):
    def run(lib):
        x, y = leaves(lib, *xy)
        h = x * y
        h.retain_grad()
        h.register_hook(lambda g: g * 2)
        x.register_hook(lambda g: g + 1)
        (h ** 2).sum().backward(create_graph=True)
        (gx,) = lib.autograd.grad(x.grad.sum(), y)
        return [h.grad, x.grad, gx]
    assert_same(*both(run))


# ----- import paths ------------------------------------------------------------------------
def test_torch_autograd_names_are_reachable():
    import tensor as torch_like
    from tensor.autograd import Function, grad  # noqa: F401
    from tensor.autograd.functional import hessian, jacobian, jvp  # noqa: F401
    from tensor.autograd.profiler import profile, record_function  # noqa: F401

    for name in ("Function", "grad", "backward", "gradcheck", "gradgradcheck", "functional",
                 "profiler", "detect_anomaly", "set_detect_anomaly", "no_grad", "enable_grad",
                 "Variable", "once_differentiable"):
        assert hasattr(torch_like.autograd, name), name
        if name != "once_differentiable":
            assert hasattr(torch.autograd, name) or hasattr(torch.autograd.function, name), name
    assert torch_like.autograd.functional.jacobian is jacobian
    assert callable(torch_like.autograd.profiler.profile)
    assert torch_like.autograd.gradcheck is torch_like.gradcheck
