"""gradcheck/gradgradcheck with torch's signatures (and failing where they must), the
functional API against torch, and the profiler's table."""

import numpy as np
import pytest

import nn
import tensor
from tensor.autograd import functional as ours_functional

torch = pytest.importorskip("torch")


def wrong_double_backward(lib):
    """x³ with a correct first derivative written so that its own derivative is
    wrong (3x² computed as 3·x·x.detach())."""
    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x * x.detach()
    return Cube


def wrong_backward(lib):
    class Twice(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 3
    return Twice


@pytest.mark.parametrize("lib", [tensor, torch], ids=["ours", "torch"])
def test_gradcheck_and_gradgradcheck_fail_where_torchs_do(lib):
    x = lib.tensor([0.3, -1.1, 0.8], dtype=lib.float64, requires_grad=True)
    cube = wrong_double_backward(lib)
    assert lib.autograd.gradcheck(cube.apply, (x,), eps=1e-6, atol=1e-5, rtol=1e-3)
    assert lib.autograd.gradgradcheck(cube.apply, (x,), raise_exception=False) is False
    with pytest.raises(RuntimeError, match="Jacobian mismatch for output 0 with respect to "
                                           "input 0"):
        lib.autograd.gradgradcheck(cube.apply, (x,))
    twice = wrong_backward(lib)
    assert lib.autograd.gradcheck(twice.apply, (x,), raise_exception=False) is False
    with pytest.raises(RuntimeError, match="Jacobian mismatch"):
        lib.autograd.gradcheck(twice.apply, (x,))


def test_gradcheck_needs_an_input_that_requires_grad_and_warns_on_float32():
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        tensor.autograd.gradcheck(lambda t: t * 2, (tensor.ones(2, dtype=tensor.float64),))
    with pytest.warns(UserWarning, match="not a double precision"):
        tensor.autograd.gradcheck(lambda t: t * 2, (tensor.ones(2, requires_grad=True),),
                                  atol=1e-2, rtol=1e-2, eps=1e-3)


@pytest.mark.parametrize("name, fn", [
    ("tanh_matmul", lambda x, y: (y @ x).tanh()), ("softmax", lambda x, y: (x * y).softmax(1)),
    ("losses", lambda x, y: (x.log_softmax(1) * y).sum() + (x - y).pow(2).mean())])
def test_gradgradcheck_on_ops(name, fn, rng):
    x = tensor.tensor(rng.standard_normal((3, 3)), requires_grad=True)
    y = tensor.tensor(rng.standard_normal((3, 3)), requires_grad=True)
    assert tensor.autograd.gradgradcheck(fn, (x, y))


# ----- torch.autograd.functional ----------------------------------------------------------
def _cases(lib, functional, a, b, v2, v3):
    def f(x, y):
        return (y @ x).tanh() * x.sum(), (x * x).exp()

    def s(x):
        return (x.sin() * x).sum() + (x ** 3).sum()

    def t(v):
        return lib.tensor(v, dtype=lib.float64)

    return {
        "jacobian": functional.jacobian(f, (t(a), t(b))),
        "jacobian_one": functional.jacobian(s, t(a)),
        "hessian": functional.hessian(s, t(a)),
        "hessian_two": functional.hessian(lambda x, y: ((y @ x.sin()) * (y @ x)).sum(),
                                          (t(a), t(b))),
        "vjp": functional.vjp(f, (t(a), t(b)), (t(v2), t(v3))),
        "vjp_scalar": functional.vjp(s, t(a)),
        "jvp": functional.jvp(f, (t(a), t(b)), (t(v3), t(b * 0.5))),
        "hvp": functional.hvp(s, t(a), t(v3)),
        "vhp": functional.vhp(s, t(a), t(v3)),
    }


def _assert_nested_close(o, t, what):
    if isinstance(t, (tuple, list)):
        assert isinstance(o, (tuple, list)) and len(o) == len(t), what
        for i, (x, y) in enumerate(zip(o, t)):
            _assert_nested_close(x, y, f"{what}[{i}]")
        return
    assert tuple(o.shape) == tuple(t.shape), what
    np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), rtol=1e-10,
                               atol=1e-12, err_msg=what)


def test_functional_api_matches_torch(rng):
    import torch.autograd.functional as theirs_functional

    arrays = rng.standard_normal(3), rng.standard_normal((2, 3)), rng.standard_normal(2), \
        rng.standard_normal(3)
    ours = _cases(tensor, ours_functional, *arrays)
    theirs = _cases(torch, theirs_functional, *arrays)
    for name in theirs:
        _assert_nested_close(ours[name], theirs[name], name)


def test_functional_errors_and_create_graph_as_torch(rng):
    import torch.autograd.functional as theirs_functional

    for lib, functional in ((tensor, ours_functional), (torch, theirs_functional)):
        x = lib.tensor(rng.standard_normal(3), dtype=lib.float64)
        with pytest.raises(RuntimeError, match="v can only be None"):
            functional.vjp(lambda t: t * 2, x)
        with pytest.raises(RuntimeError, match="should contain a single element"):
            functional.hessian(lambda t: t * 2, x)
        with pytest.raises(RuntimeError, match="Output 0 of the user-provided function does "
                           "not require gradients"):
            functional.vjp(lambda t: t.detach().sum(), x, strict=True)
        w = lib.tensor(rng.standard_normal(3), dtype=lib.float64, requires_grad=True)
        jac = functional.jacobian(lambda t, w=w: (t * w).sin(), x, create_graph=True)
        assert jac.requires_grad
        assert not functional.jacobian(lambda t, w=w: (t * w).sin(), x).requires_grad


# ----- the profiler ----------------------------------------------------------------------
def test_profiler_table_names_each_op_and_counts_its_calls():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    x = tensor.randn(5, 4)
    with tensor.autograd.profiler.profile() as prof:
        for _ in range(3):
            with tensor.autograd.profiler.record_function("train_step"):
                loss = nn.functional.cross_entropy(model(x), tensor.tensor([0, 1, 2, 0, 1]))
                loss.backward()
    counts = {e.key: e.count for e in prof.key_averages()}
    assert counts["train_step"] == 3
    assert counts["aten::linear"] == 6 and counts["aten::relu"] == 3
    assert counts["AddmmBackward0"] == 6 and counts["ReluBackward0"] == 3
    assert counts["NllLossBackward0"] == 3
    table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=20)
    for name in ("Name", "Self CPU %", "CPU total", "# of Calls", "aten::linear", "train_step",
                 "AddmmBackward0"):
        assert name in table
    row = next(line for line in table.splitlines() if "aten::relu" in line)
    assert row.split()[-1] == "3"
    totals = {e.key: e for e in prof.key_averages()}
    assert totals["train_step"].cpu_time_total >= totals["aten::linear"].cpu_time_total


def test_profiler_costs_nothing_when_off_and_nests_custom_functions():
    from tensor import function

    assert function.profiler is None
    with tensor.autograd.profiler.profile() as prof:
        assert function.profiler is prof
        x = tensor.randn(3, requires_grad=True)

        class Double(tensor.autograd.Function):
            @staticmethod
            def forward(ctx, t):
                return t * 2

            @staticmethod
            def backward(ctx, g):
                return g * 2

        Double.apply(x).sum().backward()
    assert function.profiler is None
    names = [e.name for e in prof.events()]
    assert "Double" in names and "aten::mul" in names and "DoubleBackward" in names
    double = next(e for e in prof.events() if e.name == "Double")
    assert double.self_cpu_time_total <= double.cpu_time_total


def test_backward_while_profiling_gives_the_same_grads(rng):
    """While a profile is on, backward() takes the general pass: the same .grad, and
    leaves handed one array (a + b) still get a .grad each."""
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
    x = tensor.tensor(rng.standard_normal((5, 4)), dtype=tensor.float32)
    model(x).pow(2).sum().backward()
    expected = [p.grad.data.copy() for p in model.parameters()]
    model.zero_grad()
    with tensor.autograd.profiler.profile():
        model(x).pow(2).sum().backward()
        a, b = tensor.ones(3, requires_grad=True), tensor.ones(3, requires_grad=True)
        (a + b).sum().backward()
        (a + b).sum().backward()
    for p, e in zip(model.parameters(), expected):
        np.testing.assert_array_equal(p.grad.data, e)
    a.grad.data += 1
    np.testing.assert_array_equal(b.grad.data, [2.0, 2.0, 2.0])
