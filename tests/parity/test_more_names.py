"""The names after the basics (split, chunk, narrow, movedim, flip, roll, repeat,
einsum, addmm, …) against PyTorch on a seeded sweep: shapes with 0 to 3 dims, empty
and size-1 dims, float32/float64/int64, contiguous, transposed and sliced inputs.
Compared: raising or not (type, and our message names the op), values, shapes,
dtypes, the gradient of a weighted sum, which results share the input's memory
(with PyTorch's strides and storage offsets there), and in-place writes through
views reaching the base."""

from __future__ import annotations

import re

import numpy as np
import pytest
from seeds import seed_of

import tensor
from tensor.function import storage

torch = pytest.importorskip("torch")

SHAPES = [(), (0,), (3,), (1, 4), (3, 0), (4, 4), (2, 3, 4), (4, 1, 3)]
DTYPES = ["float32", "float64", "int64"]
LAYOUTS = ["plain", "transposed", "sliced"]


def _d0(x):
    return x.shape[0] if x.ndim else 1


# name -> fn(lib, x); the op's name is the text before the first ":"
OPS = {
    "contiguous": lambda lib, x: x.contiguous(),
    "stride:": lambda lib, x: lib.tensor(x.stride(-1) + 10 * x.storage_offset()),
    # (a size-1 dim's stride is never stepped along; NumPy and PyTorch differ there)
    "stride:all": lambda lib, x: lib.tensor([s for s, n in zip(x.stride(), x.shape) if n > 1]
                                            + [x.is_contiguous()]),
    "transposed_contiguous": lambda lib, x: x.transpose(0, -1).contiguous(),
    "split:int": lambda lib, x: x.split(2),
    "split:dim": lambda lib, x: lib.split(x, 1, dim=-1),
    "split:sizes": lambda lib, x: x.split([1, _d0(x) - 1]),
    "split:zero": lambda lib, x: x.split(0, dim=-1),
    "chunk:3": lambda lib, x: x.chunk(3),
    "chunk:dim": lambda lib, x: lib.chunk(x, 2, dim=-1),
    "tensor_split:sections": lambda lib, x: x.tensor_split(3, dim=-1),
    "tensor_split:indices": lambda lib, x: lib.tensor_split(x, [1, -1, 5]),
    "tensor_split:tensor": lambda lib, x: x.tensor_split(lib.tensor([0, 2])),
    "tensor_split:tensor0d": lambda lib, x: x.tensor_split(lib.tensor(2), dim=-1),
    "narrow:": lambda lib, x: x.narrow(-1, 1, 1),
    "narrow:neg_start": lambda lib, x: lib.narrow(x, 0, -1, 1),
    "narrow:tensor_start": lambda lib, x: x.narrow(0, lib.tensor(0), _d0(x)),
    "narrow:too_long": lambda lib, x: x.narrow(0, 1, _d0(x)),
    "movedim:": lambda lib, x: x.movedim(0, -1),
    "movedim:tuple": lambda lib, x: lib.movedim(x, (0, -1), (-1, 0)),
    "movedim:repeated": lambda lib, x: x.movedim((0, 0), (0, 1)),
    "moveaxis:": lambda lib, x: lib.moveaxis(x, -1, 0),
    "swapaxes:": lambda lib, x: x.swapaxes(0, -1),
    "swapdims:": lambda lib, x: lib.swapdims(x, -1, 0),
    "unflatten:": lambda lib, x: x.unflatten(-1, (1, -1)),
    "unflatten:sizes": lambda lib, x: lib.unflatten(x, 0, (_d0(x), 1)),
    "unflatten:bad": lambda lib, x: x.unflatten(0, (2, -1)),
    "flip:": lambda lib, x: x.flip(0),
    "flip:dims": lambda lib, x: lib.flip(x, (0, -1)),
    "flip:repeated": lambda lib, x: x.flip(0, 0),
    "fliplr:": lambda lib, x: x.fliplr(),
    "flipud:": lambda lib, x: lib.flipud(x),
    "roll:flat": lambda lib, x: x.roll(1),
    "roll:dim": lambda lib, x: lib.roll(x, -2, 0),
    "roll:dims": lambda lib, x: x.roll((1, 5), (0, -1)),
    "roll:misaligned": lambda lib, x: x.roll((1, 2)),
    "repeat:": lambda lib, x: x.repeat(*([2] + [1] * x.ndim)),
    "repeat:list": lambda lib, x: x.repeat([1, 3] + [2] * x.ndim),
    "repeat:short": lambda lib, x: x.repeat(2),
    "tile:": lambda lib, x: x.tile(2),
    "tile:long": lambda lib, x: lib.tile(x, (2, 1, 1)),
    "repeat_interleave:": lambda lib, x: x.repeat_interleave(2),
    "repeat_interleave:dim": lambda lib, x: lib.repeat_interleave(x, 3, dim=0),
    "repeat_interleave:tensor": lambda lib, x: x.repeat_interleave(
        lib.tensor(list(range(_d0(x)))), dim=0),
    "index_select:": lambda lib, x: x.index_select(0, lib.tensor([0, 0])),
    "index_select:last": lambda lib, x: lib.index_select(x, -1, lib.tensor([1])),
    "masked_select:": lambda lib, x: x.masked_select(x > 0),
    "masked_select:broadcast": lambda lib, x: lib.masked_select(
        x, lib.tensor([[True], [False]])),
    "expand_as:": lambda lib, x: x.expand_as(lib.zeros((2,) + tuple(x.shape))),
    "type_as:": lambda lib, x: x.type_as(lib.zeros(1, dtype=lib.float64)),
    "new_zeros:": lambda lib, x: x.new_zeros(2, 3),
    "new_ones:": lambda lib, x: x.new_ones((2,)),
    "new_full:": lambda lib, x: x.new_full((2,), 3),
    "new_empty:": lambda lib, x: x.new_empty((0, 2)).shape,
    "new_tensor:": lambda lib, x: x.new_tensor([1, 2]),
    "sign:": lambda lib, x: x.sign(),
    "sgn:": lambda lib, x: lib.sgn(x),
    "square:": lambda lib, x: lib.square(x),
    "neg:": lambda lib, x: lib.neg(x),
    "negative:": lambda lib, x: x.negative(),
    "clone:": lambda lib, x: lib.clone(x),
    "broadcast_to:": lambda lib, x: lib.broadcast_to(x, (2,) + tuple(x.shape)),
    "broadcast_to:bad": lambda lib, x: x.broadcast_to((5,)),
    "broadcast_tensors:": lambda lib, x: lib.broadcast_tensors(
        x, lib.ones((2,) + (1,) * x.ndim, dtype=x.dtype)),
    "diagonal:": lambda lib, x: x.diagonal(),
    "diagonal:offset": lambda lib, x: lib.diagonal(x, 1, -1, 0),
    "diagonal:far": lambda lib, x: x.diagonal(-7),
    "diag:": lambda lib, x: x.diag(),
    "diag:offset": lambda lib, x: lib.diag(x, -1),
    "trace:": lambda lib, x: x.trace(),
    "addmm:": lambda lib, x: lib.addmm(x[..., :1], x, x.transpose(-1, -2), beta=3, alpha=2),
    "addmm:beta0": lambda lib, x: x.transpose(-1, -2).addmm(x.transpose(-1, -2), x, beta=0),
    "baddbmm:": lambda lib, x: lib.baddbmm(x[:1], x, x.transpose(-1, -2), alpha=2),
    "addcmul:": lambda lib, x: lib.addcmul(x, x, x.flip(0), value=2),
    "addcdiv:": lambda lib, x: x.addcdiv(x, x * x + 1, value=3),
    "nan_to_num:": lambda lib, x: lib.nan_to_num(x.float().log()),
    "nan_to_num:bounds": lambda lib, x: (1 / x.double()).nan_to_num(1.5, posinf=2.0,
                                                                     neginf=-3.0),
    "diff:": lambda lib, x: x.diff(),
    "diff:n2": lambda lib, x: lib.diff(x, n=2, dim=0),
    "diff:bool": lambda lib, x: (x > 0).diff(),
    "diff:ends": lambda lib, x: x.diff(prepend=x[..., :1] * 2, append=x),
    "diff:promoted": lambda lib, x: x.diff(dim=0, append=(x[:1] > 0).double()),
    "einsum:transpose": lambda lib, x: lib.einsum("ij->ji", x),
    "einsum:rowdot": lambda lib, x: lib.einsum("ij,ij->i", x, x.flip(0)),
    "einsum:gram": lambda lib, x: lib.einsum("ij,kj->ik", x, x),
    "einsum:implicit": lambda lib, x: lib.einsum("ij,jk", x, x.transpose(-1, -2)),
    "einsum:diag": lambda lib, x: lib.einsum("ii->i", x),
    "einsum:trace": lambda lib, x: lib.einsum("ii", x),
    "einsum:sum": lambda lib, x: lib.einsum("ij->", x),
    "einsum:rows": lambda lib, x: lib.einsum("ij->i", x),
    "einsum:ellipsis": lambda lib, x: lib.einsum("...j,...j->...", x, x),
    "einsum:batched": lambda lib, x: lib.einsum("bij,bkj->bik", x, x),
    "einsum:outer": lambda lib, x: lib.einsum("i,j->ij", x.flatten(), x.flatten()[:2]),
    "einsum:bad": lambda lib, x: lib.einsum("ij->k", x),
    "pow_:": lambda lib, x: (x * 1).pow_(2),
    "pow_:float_into_int": lambda lib, x: (x * 1).pow_(0.5),
    "square_:": lambda lib, x: (x * 1).square_(),
    "sign_:": lambda lib, x: (x * 1).sign_(),
    "negative_:": lambda lib, x: lib.negative_(x * 1),
    "addcmul_:": lambda lib, x: (x * 1).addcmul_(x, x.flip(0), value=0.5),
    "addcdiv_:": lambda lib, x: (x * 1).addcdiv_(x, x * x + 1),
    "nan_to_num_:": lambda lib, x: (x.float() * 1).log().nan_to_num_(),
}


BAD = ("zero", "too_long", "repeated", "bad", "misaligned", "short", "float_into_int")


def _layouts(lib, base_array, layout, grad):
    """The same values as a plain, transposed or sliced tensor (a leaf, then the view)."""
    if layout == "plain":
        leaf = lib.tensor(base_array, requires_grad=grad)
        return leaf, leaf
    if layout == "transposed":
        leaf = lib.tensor(np.ascontiguousarray(base_array.T), requires_grad=grad)
        return leaf, leaf.permute(*reversed(range(base_array.ndim)))
    wide = np.repeat(base_array, 2, axis=-1) if base_array.ndim else base_array
    leaf = lib.tensor(wide, requires_grad=grad)
    return leaf, leaf[..., ::2] if base_array.ndim else leaf


def _numpy(t):
    if isinstance(t, torch.Tensor):  # force: sgn's gradient is one of PyTorch's ZeroTensors
        return t.detach().numpy(force=True)
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def _flat(out):
    return list(out) if isinstance(out, (tuple, list)) and not isinstance(
        out, (torch.Size, tensor.Size)) else [out]


def _shares(lib, out, x):
    if lib is torch:
        return out.untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
    return storage(out.data) is storage(x.data)


CASES = [(name, shape, dtype, layout) for name in OPS for shape in SHAPES
         for dtype in DTYPES for layout in LAYOUTS
         if not (layout != "plain" and len(shape) < 2) and not (dtype == "float32"
                                                                and layout == "sliced")]


@pytest.mark.parametrize("name,shape,dtype,layout", CASES,
                         ids=[f"{n}-{s}-{d}-{la}" for n, s, d, la in CASES])
def test_matches_torch(name, shape, dtype, layout):
    rng = np.random.default_rng(seed_of(name, shape, dtype, layout))
    values = rng.integers(-3, 4, shape) if dtype == "int64" else rng.standard_normal(shape)
    values = values.astype(dtype)
    if dtype != "int64" and values.size > 2:
        values.flat[1] = 0.0  # a zero: sign, log and 1/x meet their edges
    grad = dtype != "int64"
    fn = OPS[name]
    op = name.split(":")[0]
    t_leaf, t_x = _layouts(torch, values, layout, grad)
    o_leaf, o_x = _layouts(tensor, values, layout, grad)
    try:
        want = fn(torch, t_x)
    except (RuntimeError, IndexError, ValueError, TypeError) as exc:
        with pytest.raises(type(exc)) as ours:
            fn(tensor, o_x)
        msg = str(ours.value)
        # an op refusing its arguments names itself; a bad case may fail while making
        # its arguments (x[..., :1] of a 0-d tensor), in an op that names itself too
        if name.endswith(BAD):
            assert op.rstrip("_") in msg, (op, msg)
        assert re.match(r"[a-z_]+(\(\))?[: ]", msg) or "out of range" in msg, msg
        return
    got = fn(tensor, o_x)
    wants, gots = _flat(want), _flat(got)
    assert len(wants) == len(gots)
    for w, g in zip(wants, gots):
        if isinstance(w, torch.Size):
            assert tuple(w) == tuple(g)
            continue
        assert tuple(g.shape) == tuple(w.shape), (g.shape, w.shape)
        assert str(g.dtype) == str(w.dtype), (g.dtype, w.dtype)
        np.testing.assert_allclose(_numpy(g), _numpy(w), rtol=1e-5, atol=1e-6, equal_nan=True)
        if w.numel() == 0:  # PyTorch's empty tensors all point at address 0
            continue
        view = _shares(torch, w, t_x)
        assert _shares(tensor, g, o_x) == view, "memory shared on one side"
        # the layout of a view (or of contiguous()), not of new results: PyTorch's
        # elementwise results keep a transposed input's strides, this engine's are
        # row-major (a documented deviation)
        if view or op == "contiguous":
            assert g.is_contiguous() == w.is_contiguous()
            # (a size-1 dim's stride is never stepped along; NumPy and PyTorch differ there)
            assert [s for s, n in zip(g.stride(), g.shape) if n > 1] == [
                s for s, n in zip(w.stride(), w.shape) if n > 1]
            assert g.storage_offset() == w.storage_offset()
    if grad and any(getattr(w, "requires_grad", False) for w in wants):
        weights = [np.cos(np.arange(w.numel())).reshape(tuple(w.shape))
                   if hasattr(w, "numel") else None for w in wants]
        t_loss = sum((w * torch.tensor(c, dtype=w.dtype)).sum() for w, c in zip(wants, weights)
                     if getattr(w, "requires_grad", False))
        o_loss = sum((g * tensor.tensor(c, dtype=g.dtype)).sum() for g, c in zip(gots, weights)
                     if getattr(g, "requires_grad", False))
        t_loss.backward()
        o_loss.backward()
        tg = t_leaf.grad if t_leaf.grad is not None else torch.zeros_like(t_leaf)
        og = o_leaf.grad if o_leaf.grad is not None else tensor.zeros_like(o_leaf)
        np.testing.assert_allclose(_numpy(og), _numpy(tg), rtol=1e-5, atol=1e-6,
                                   equal_nan=True)


VIEWS = ["split:int", "split:sizes", "chunk:3", "tensor_split:sections", "narrow:",
         "movedim:", "swapaxes:", "unflatten:", "diagonal:", "diagonal:offset"]


@pytest.mark.parametrize("name", VIEWS)
@pytest.mark.parametrize("shape", [(4, 4), (2, 3, 4), (3, 2)])
def test_writing_through_a_view_changes_the_base(name, shape):
    values = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    bases = []
    for lib in (torch, tensor):
        base = lib.tensor(values)
        for piece in _flat(OPS[name](lib, base)):
            piece.add_(100)  # through the view: the base sees it
            piece[...] = piece * 2
        bases.append(_numpy(base))
    np.testing.assert_array_equal(bases[0], bases[1])
    assert not np.array_equal(bases[1], values)


@pytest.mark.parametrize("name", [
    "split:int", "split:sizes", "chunk:3", "tensor_split:sections", "narrow:", "diagonal:",
    "movedim:", "swapaxes:", "unflatten:", "expand_as:", "broadcast_to:", "flip:", "roll:dim",
    "repeat:", "index_select:", "masked_select:", "sign:", "square:", "nan_to_num:", "diag:",
    "diag:offset", "diff:", "contiguous", "trace:", "negative:", "transposed_contiguous"])
def test_grad_fn_names_as_torch(name):
    names = []
    for lib in (torch, tensor):
        x = lib.tensor(np.ones((4, 4)), requires_grad=True)
        names.append([type(o.grad_fn).__name__ if lib is torch or o.grad_fn is None
                      else o.grad_fn.backward_name() for o in _flat(OPS[name](lib, x))])
    assert names[0] == names[1]


@pytest.mark.parametrize("name", ["narrow:", "movedim:", "swapaxes:", "unflatten:",
                                  "diagonal:", "diagonal:offset", "expand_as:"])
def test_a_view_follows_its_base_updated_in_place_with_a_graph(name):
    """A view taken while its base had no graph: once an in-place update gives the base
    one, the view's gradient reaches what the update used, as in PyTorch."""
    grads = []
    for lib in (torch, tensor):
        base = lib.zeros(4, 4, dtype=lib.float64)
        view = OPS[name](lib, base)
        p = lib.tensor(np.linspace(0.5, 2.0, 4), requires_grad=True)
        base.add_(p[:, None] * lib.arange(4.0, dtype=lib.float64))
        w = np.cos(np.arange(view.numel())).reshape(tuple(view.shape))
        (view * lib.tensor(w)).sum().backward()
        grads.append(_numpy(p.grad))
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12)


EINSUMS = [
    ("ij,jk->ik", [(3, 4), (4, 2)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]), ("ij,ij->ij", [(3, 1), (3, 4)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]), ("iii->i", [(3, 3, 3)]), ("iij->ji", [(2, 2, 3)]),
    ("ij,k->ikj", [(2, 3), (4,)]), ("...ij,...jk", [(2, 3, 4), (4, 5)]), ("i,i", [(5,)]),
    ("ij->", [(0, 3)]), ("ba,ab->", [(3, 2), (2, 3)]), ("i j , j ->i", [(2, 3), (3,)]),
    ("ij,jk->ik", [(3, 4), (5, 2)]), ("ii->i", [(2, 3)]), ("ij,jk->ik", [(3, 4)]),
    ("i->ii", [(3,)]), ("ij->k", [(2, 2)]), ("...i,...i->...", [(1, 3), (4, 1, 3)]),
]


@pytest.mark.parametrize("equation,shapes", EINSUMS, ids=[e for e, _ in EINSUMS])
def test_einsum_values_gradients_and_second_derivatives(equation, shapes):
    rng = np.random.default_rng(len(equation) + sum(map(len, shapes)))
    arrays = [rng.standard_normal(s) for s in shapes]
    results = []
    for lib in (torch, tensor):
        xs = [lib.tensor(a, requires_grad=True) for a in arrays]
        try:
            out = lib.einsum(equation, *xs)
        except RuntimeError as exc:
            results.append(exc)
            continue
        w = lib.tensor(np.cos(np.arange(out.numel())).reshape(tuple(out.shape)))
        first = lib.autograd.grad((out * w).tanh().sum(), xs, create_graph=True)
        second = lib.autograd.grad(sum((g * g).sum() for g in first), xs)
        results.append([_numpy(out)] + [_numpy(g) for g in (*first, *second)])
    theirs, ours = results
    if isinstance(theirs, Exception):
        assert isinstance(ours, RuntimeError) and "einsum" in str(ours), ours
        return
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
