"""torch.autograd.Function as PyTorch defines it, run here and in PyTorch: ctx,
saved tensors, several outputs, non-differentiable outputs, materialize_grads,
needs_input_grad, mark_dirty, setup_context, once_differentiable, the errors, and
the "double backward with custom functions" tutorial's three functions."""

import numpy as np
import pytest

import tensor

torch = pytest.importorskip("torch")
LIBS = [tensor, torch]


def functions(lib):
    """The same custom Functions, written once against either library."""
    F = lib.autograd.Function

    class Cube(F):
        @staticmethod
        def forward(ctx, x, k):
            ctx.save_for_backward(x)
            ctx.k = k
            return x ** 3 * k

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x ** 2 * ctx.k, None

    class Split(F):  # three outputs, one of them an integer index
        @staticmethod
        def forward(ctx, x):
            a, b, idx = x * 2, x.exp(), (x > 0).long()
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(b)
            return a, b, idx

        @staticmethod
        def backward(ctx, ga, gb, gidx):
            (b,) = ctx.saved_tensors
            return ga * 2 + gb * b

    class Pair(F):  # materialize_grads off: None for an output that got no gradient
        @staticmethod
        def forward(ctx, x, y):
            ctx.set_materialize_grads(False)
            ctx.save_for_backward(x, y)
            return x * y, x + y

        @staticmethod
        def backward(ctx, g1, g2):
            x, y = ctx.saved_tensors
            calls.append((g1 is None, g2 is None, ctx.needs_input_grad))
            gx = gy = None
            if g1 is not None:
                gx, gy = g1 * y, g1 * x
            if g2 is not None:
                gx = g2 if gx is None else gx + g2
                gy = g2 if gy is None else gy + g2
            return gx, gy

    # The tutorial's three: save an input, save an output, save an intermediate
    class Square(F):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 2

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 2 * x

    class Exp(F):
        @staticmethod
        def forward(ctx, x):
            out = x.exp()
            ctx.save_for_backward(out)
            return out

        @staticmethod
        def backward(ctx, g):
            (out,) = ctx.saved_tensors
            return g * out

    class Sinh(F):  # intermediates returned as outputs, so they are in the graph
        @staticmethod
        def forward(ctx, x):
            expx, expnegx = x.exp(), (-x).exp()
            ctx.save_for_backward(expx, expnegx)
            return (expx - expnegx) / 2, expx, expnegx

        @staticmethod
        def backward(ctx, g, g_expx, g_expnegx):
            expx, expnegx = ctx.saved_tensors
            return g * (expx + expnegx) / 2 + g_expx * expx - g_expnegx * expnegx

    class MulTwo(F):  # setup_context style, keyword argument
        @staticmethod
        def forward(x, scale=2.0):
            return x * scale

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.scale = inputs[1]

        @staticmethod
        def backward(ctx, g):
            return g * ctx.scale, None

    class AddOneInPlace(F):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    class Frozen(F):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.sin()

        @staticmethod
        @lib.autograd.function.once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x.cos()

    return dict(Cube=Cube, Split=Split, Pair=Pair, Square=Square, Exp=Exp, Sinh=Sinh,
                MulTwo=MulTwo, AddOneInPlace=AddOneInPlace, Frozen=Frozen)


calls = []
X = np.array([0.5, -1.2, 2.0])
Y = np.array([1.5, 0.3, -0.7])


def run_both(fn):
    out = []
    for lib in LIBS:
        x = lib.tensor(X, dtype=lib.float64, requires_grad=True)
        y = lib.tensor(Y, dtype=lib.float64, requires_grad=True)
        calls.clear()
        result = fn(lib, functions(lib), x, y)
        out.append([r.detach().numpy() if hasattr(r, "detach") else r for r in result])
    return out


def assert_both_equal(fn):
    ours, theirs = run_both(fn)
    assert len(ours) == len(theirs)
    for i, (o, t) in enumerate(zip(ours, theirs)):
        if isinstance(t, np.ndarray):
            np.testing.assert_allclose(o, t, rtol=1e-12, atol=1e-12, err_msg=f"result {i}")
        else:
            assert o == t, f"result {i}: {o} vs torch {t}"


def test_non_tensor_argument_and_second_derivative():
    def case(lib, f, x, y):
        out = f["Cube"].apply(x, 2.0)
        lib.ones(2).add_(1)  # an in-place update elsewhere: the saved x is still valid
        (g,) = lib.autograd.grad(out.sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), x)
        return [out, g, gg, type(out.grad_fn).__name__, out.requires_grad]
    assert_both_equal(case)


def test_several_outputs_and_a_non_differentiable_one():
    def case(lib, f, x, y):
        a, b, idx = f["Split"].apply(x)
        flags = [a.requires_grad, b.requires_grad, idx.requires_grad, str(idx.dtype)]
        (a.sum() + (b * 3).sum()).backward()
        g_both = x.grad.clone()
        x.grad = None
        _, b2, _ = f["Split"].apply(x)
        b2.sum().backward()  # the other outputs' gradients are materialized as zeros
        return [*flags, g_both, x.grad, idx]
    assert_both_equal(case)


def test_materialize_grads_off_and_needs_input_grad():
    def case(lib, f, x, y):
        y.requires_grad_(False)
        _, q = f["Pair"].apply(x, y)
        q.sum().backward()
        return [x.grad, *calls[0][:2], *calls[0][2]]
    assert_both_equal(case)


@pytest.mark.parametrize("name", ["Square", "Exp", "Sinh"])
def test_double_backward_tutorial_functions_pass_gradgradcheck(name):
    def case(lib, f, x, y):
        def fn(t):
            out = f[name].apply(t)
            return out[0] if isinstance(out, tuple) else out
        (g,) = lib.autograd.grad(fn(x).sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad((g * y).sum(), x)
        ok = (lib.autograd.gradcheck(fn, (x.detach().requires_grad_(True),)) and
              lib.autograd.gradgradcheck(fn, (x.detach().requires_grad_(True),)))
        return [g, gg, ok]
    assert_both_equal(case)


def test_setup_context_keyword_arguments_and_mark_dirty():
    def case(lib, f, x, y):
        out = f["MulTwo"].apply(x, scale=3.0)
        out.sum().backward()
        g1 = x.grad.clone()
        h = y * 1  # a non-leaf, modified in place by the function
        z = f["AddOneInPlace"].apply(h)
        same = z is h
        (z * z).sum().backward()
        return [out, g1, same, y.grad, h]
    assert_both_equal(case)


def test_mark_dirty_on_a_leaf_that_requires_grad_raises():
    for lib in LIBS:
        x = lib.tensor(X, dtype=lib.float64, requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            functions(lib)["AddOneInPlace"].apply(x)


def test_once_differentiable_gives_a_first_gradient_and_refuses_a_second():
    for lib in LIBS:
        x = lib.tensor(X, dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad(functions(lib)["Frozen"].apply(x).sum(), x,
                                 create_graph=True)
        np.testing.assert_allclose(g.detach().numpy(), np.cos(X))
        with pytest.raises(RuntimeError):
            g.sum().backward()


def test_errors_as_torch():
    def bad(lib, backward):
        class Bad(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, k):
                ctx.save_for_backward(x)
                return x * k

        Bad.backward = staticmethod(backward)
        return Bad

    cases = [(lambda ctx, g: g, "incorrect number of gradients"),
             (lambda ctx, g: (g, g), "different than None at position 2"),
             (lambda ctx, g: (g[:2], None), "invalid gradient at index 0")]
    for lib in LIBS:
        for backward, message in cases:
            x = lib.tensor(X, dtype=lib.float64, requires_grad=True)
            with pytest.raises(RuntimeError, match=message):
                bad(lib, backward).apply(x, 2.0).sum().backward()
        x = lib.tensor(X, dtype=lib.float64, requires_grad=True)
        out = bad(lib, lambda ctx, g: (g * ctx.saved_tensors[0], None)).apply(x, 2.0).sum()
        out.backward()
        with pytest.raises(RuntimeError, match="second time"):
            out.backward()


def test_no_graph_under_no_grad_and_for_inputs_without_grad():
    for lib in LIBS:
        cube = functions(lib)["Cube"]
        x = lib.tensor(X, dtype=lib.float64, requires_grad=True)
        with lib.no_grad():
            assert not cube.apply(x, 2.0).requires_grad
        assert not cube.apply(x.detach(), 2.0).requires_grad
        assert cube.apply(x, 2.0).grad_fn is not None
