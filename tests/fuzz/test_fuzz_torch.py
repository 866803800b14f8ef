"""Differential fuzzer: every op of the README's PyTorch table, run on this engine and
on PyTorch with the same generated inputs. Compared: whether an error is raised,
the result's shape, dtype and values, and the gradient of a weighted sum of the
result. Inputs: shapes with 0 to 3 dims and 0-size dims, broadcasting pairs,
float32/float64/int64/uint8/bool, values with NaN, ±inf, huge, tiny and zero,
``dim`` in every form (int, negative, tuple, ``()``, out of range), and indexing
(negative, repeated, boolean, empty).

CI runs a fixed budget with a fixed seed (``FUZZ_EXAMPLES`` per op, below);
``pytest --fuzz N`` runs N examples per op with fresh randomness. Known, intended
deviations live in ``deviations.py`` and are skipped there, by name.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from deviations import deviation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tensor

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.filterwarnings("ignore:The use of `x.T`:UserWarning"),
              pytest.mark.filterwarnings("ignore:Tensor.T is deprecated:UserWarning")]

# Examples per op. CI: 150 with a fixed seed (114 tests, 17,100 examples);
# `pytest --fuzz N` (or TINYGRAD_FUZZ=N) runs N with fresh randomness.
FUZZ_LONG = int(os.environ.get("TINYGRAD_FUZZ", "0"))
FUZZ_EXAMPLES = FUZZ_LONG or 150

DTYPES = ["float32", "float64", "int64", "uint8", "bool"]
SPECIAL = [0.0, -0.0, np.nan, np.inf, -np.inf, 1e30, -1e30, 1e-30, 1e-40, 3.0e38]


def _elements(dtype: str):
    if dtype == "bool":
        return st.booleans()
    if dtype == "uint8":
        return st.integers(0, 255)
    if dtype == "int64":
        return st.one_of(st.integers(-20, 20), st.sampled_from([0, 2**62, -(2**62)]))
    width = 32 if dtype == "float32" else 64
    return st.one_of(st.floats(-5, 5, width=width),
                     st.sampled_from(SPECIAL).map(lambda v: float(np.dtype(dtype).type(v))))


shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)


@st.composite
def arrays(draw, shape=None, dtype=None):
    dtype = dtype or draw(st.sampled_from(DTYPES))
    shape = draw(shapes) if shape is None else shape
    return draw(hnp.arrays(np.dtype(dtype), shape, elements=_elements(dtype)))


@st.composite
def dims(draw, ndim: int, allow_none=True, allow_tuple=True):
    lo, hi = -max(ndim, 1) - 1, max(ndim, 1)  # one past each end: out of range too
    one = st.integers(lo, hi)
    options = [one]
    if allow_none:
        options.append(st.none())
    if allow_tuple:
        options.append(st.lists(one, max_size=3, unique=True).map(tuple))
    return draw(st.one_of(*options))


# ----- running one case on both sides ------------------------------------------------
def _run(lib, fn, arrays_in, grad: bool):
    """(result, grads) or the exception; ``grad`` makes float inputs require grad."""
    if lib is torch:
        leaves = [torch.tensor(a) if isinstance(a, np.ndarray) else a for a in arrays_in]
    else:
        leaves = [tensor.tensor(a) if isinstance(a, np.ndarray) else a for a in arrays_in]
    wants = [grad and hasattr(t, "dtype") and t.dtype in (lib.float32, lib.float64)
             for t in leaves]
    for t, w in zip(leaves, wants):
        if w:
            t.requires_grad_(True)
    try:
        out = fn(lib, *leaves)
        if isinstance(out, tuple):
            out = out[0]
        if not any(wants) or not out.requires_grad:
            return out, None
        weights = lib.tensor(np.cos(np.arange(out.numel())).reshape(tuple(out.shape)))
        (out * weights.to(out.dtype)).sum().backward()
        return out, [t.grad if w else None for t, w in zip(leaves, wants)]
    except Exception as exc:  # noqa: BLE001 - any error counts, compared with torch's
        return exc


def _numpy(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def _tolerance(arrays_in, dtype):
    finite = [np.abs(a[np.isfinite(a)]).max(initial=0) for a in arrays_in
              if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
    scale = 1.0 + max(finite, default=0.0)
    # a float64 input whose values went through a float32 op carries float32 rounding
    float32_seen = dtype == np.float32 or any(
        isinstance(a, np.ndarray) and a.dtype == np.float32 for a in arrays_in)
    return (1e-5, 1e-5 * scale) if float32_seen else (1e-11, 1e-11 * scale)


def _close(ours, theirs, arrays_in, what, normwise=False):
    """Elementwise to the inputs' scale; ``normwise`` (gradients) also to the result's
    largest element: a gradient's entries are sums whose terms can cancel to rounding
    noise of its largest one (normalize's gradient at [0, 3.8e-8]: 2.6e7 and ~1e-9)."""
    ours, theirs = _numpy(ours), _numpy(theirs)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} vs torch {theirs.shape}"
    assert ours.dtype == theirs.dtype, f"{what}: dtype {ours.dtype} vs torch {theirs.dtype}"
    if ours.dtype.kind == "f":
        rtol, atol = _tolerance(arrays_in, ours.dtype)
        if normwise:
            atol += rtol * np.abs(theirs[np.isfinite(theirs)]).max(initial=0)
        np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol, equal_nan=True,
                                   err_msg=what)
    else:
        np.testing.assert_array_equal(ours, theirs, err_msg=what)


def assert_matches_torch(name, fn, arrays_in, kw=None, grad=True):
    """Run ``fn`` on both libraries and assert they agree, unless documented."""
    if deviation(name, arrays_in, kw or {}):
        return
    with np.errstate(all="ignore"):
        ours = _run(tensor, fn, arrays_in, grad)
    theirs = _run(torch, fn, arrays_in, grad)
    case = f"{name} on {[getattr(a, 'dtype', a) for a in arrays_in]} " \
           f"{[getattr(a, 'shape', ()) for a in arrays_in]} {kw or ''}"
    if isinstance(theirs, Exception) or isinstance(ours, Exception):
        assert isinstance(ours, Exception) == isinstance(theirs, Exception), (
            f"{case}: torch {'raised ' + repr(theirs) if isinstance(theirs, Exception) else 'ran'}"
            f", this engine {'raised ' + repr(ours) if isinstance(ours, Exception) else 'ran'}")
        return
    (out, grads), (tout, tgrads) = ours, theirs
    _close(out, tout, arrays_in, f"{case}: forward")
    assert (grads is None) == (tgrads is None), f"{case}: gradient computed on one side only"
    for i, (g, tg) in enumerate(zip(grads or (), tgrads or ())):
        assert (g is None) == (tg is None), f"{case}: input {i} got a gradient on one side"
        if g is not None:
            _close(g, tg, arrays_in, f"{case}: gradient of input {i}", normwise=True)


def fuzz(test):
    """The budget: fixed and derandomized in CI, ``--fuzz N`` for longer runs."""
    return settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=not FUZZ_LONG,
                    suppress_health_check=list(HealthCheck), database=None)(test)


# ----- the ops ------------------------------------------------------------------------
UNARY = {
    "neg": lambda lib, x: -x,
    "abs": lambda lib, x: x.abs(),
    "exp": lambda lib, x: x.exp(),
    "log": lambda lib, x: x.log(),
    "sqrt": lambda lib, x: x.sqrt(),
    "relu": lambda lib, x: x.relu(),
    "sigmoid": lambda lib, x: x.sigmoid(),
    "tanh": lambda lib, x: x.tanh(),
    "float": lambda lib, x: x.float(),
    "double": lambda lib, x: x.double(),
    "long": lambda lib, x: x.long() * 1,
    "bool": lambda lib, x: x.bool(),
    "T": lambda lib, x: (x.T if x.ndim <= 2 else x.mT) * 1,
    "flatten": lambda lib, x: x.flatten(),
    "squeeze": lambda lib, x: x.squeeze(),
    "pow2": lambda lib, x: x**2,
    "pow0": lambda lib, x: x**0,
    "pow_half": lambda lib, x: x**0.5,
    "rsub": lambda lib, x: 3 - x,
    "rdiv_int": lambda lib, x: -3 / x,
    "rdiv_float": lambda lib, x: 1.5 / x,
    "mul_int": lambda lib, x: x * 2,
    "add_float": lambda lib, x: x + 0.5,
    "add_bool": lambda lib, x: x + True,
    "lt": lambda lib, x: x < 0.5,
    "eq_int": lambda lib, x: x == 1,
    "clamp": lambda lib, x: x.clamp(-1, 2),
    "clamp_min": lambda lib, x: x.clamp(min=0.5),
    "sum_all": lambda lib, x: x.sum(),
    "mean_all": lambda lib, x: x.mean(),
    "max_all": lambda lib, x: x.max(),
    "min_all": lambda lib, x: x.min(),
    "amax_all": lambda lib, x: x.amax(),
    "argmax_all": lambda lib, x: x.argmax(),
    "argmin_all": lambda lib, x: x.argmin(),
    "item_sum": lambda lib, x: lib.tensor(float(x.sum().item())) if x.is_floating_point()
    else x.sum() * 1,
    # issue #22's families
    "prod_all": lambda lib, x: x.prod(),
    "median_all": lambda lib, x: x.median() if x.numel() else x.sum(),
    "nanmedian_all": lambda lib, x: lib.nanmedian(x) if x.numel() else x.sum(),
    "erf": lambda lib, x: x.erf(),
    "logit": lambda lib, x: x.logit(),
    # NaN's gradient with eps differs between PyTorch's vector and scalar loops
    "logit_eps": lambda lib, x: lib.logit(lib.where(x == x, x, 0.5) if x.is_floating_point()
                                          else x, eps=0.1),
    "sigmoid_fn": lambda lib, x: lib.sigmoid(x),
    "clamp_min_fn": lambda lib, x: lib.clamp_min(x, 0.25),
    "clamp_max": lambda lib, x: x.clamp_max(1),
    "all": lambda lib, x: x.all(),
    "any_fn": lambda lib, x: lib.any(x),
    "unique": lambda lib, x: lib.unique(x.detach(), return_inverse=True,
                                        return_counts=True)[1] * 1,
    "unique_values": lambda lib, x: x.detach().unique() * 1,
    "unique_grad_error": lambda lib, x: x.unique(),
    "unique_counts": lambda lib, x: x.detach().unique(return_counts=True)[1] * 1,
    "nonzero": lambda lib, x: x.nonzero() * 1,
    "where_one": lambda lib, x: lib.where(x > 0)[0] * 1 if x.ndim else x * 1,
    "histc": lambda lib, x: lib.histc(x, bins=5) if x.numel() else lib.histc(x, 4, -1, 1),
    "histc_range": lambda lib, x: x.histc(bins=3, min=-1, max=2),
    "isclose_self": lambda lib, x: lib.isclose(x, x * 1),
    "isclose_nan": lambda lib, x: x.isclose(x, equal_nan=True),
    "element_size": lambda lib, x: lib.tensor(x.element_size()),
    # statistics and norms (issue #22): integer inputs raise in both
    "var_all": lambda lib, x: x.var(),
    "std_unbiased_false": lambda lib, x: x.std(unbiased=False),
    "var_correction0": lambda lib, x: lib.var(x, correction=0),
    "norm_all": lambda lib, x: x.norm(),
    "norm_p1": lambda lib, x: lib.norm(x, p=1),
    "norm_inf": lambda lib, x: x.norm(float("inf")),
    "linalg_norm": lambda lib, x: lib.linalg.norm(x),
    "nelement": lambda lib, x: lib.tensor(x.nelement()),
}

# the names after the basics (tests/parity/test_more_names.py has the sweep by layout)
UNARY.update({
    "split_last": lambda lib, x: x.split(2, dim=-1)[-1],
    "chunk": lambda lib, x: lib.chunk(x, 3)[0],
    "tensor_split": lambda lib, x: x.tensor_split(3, -1)[-1],
    "narrow": lambda lib, x: x.narrow(-1, 1, 1),
    "movedim": lambda lib, x: x.movedim(0, -1),
    "swapaxes": lambda lib, x: lib.swapaxes(x, 0, -1),
    "unflatten": lambda lib, x: x.unflatten(-1, (1, -1)),
    "flip": lambda lib, x: x.flip(-1),
    "roll": lambda lib, x: x.roll(2, -1),
    "roll_flat": lambda lib, x: lib.roll(x, -1),
    "repeat": lambda lib, x: x.repeat(2, *([1] * x.ndim)),
    "tile": lambda lib, x: x.tile(2),
    "repeat_interleave": lambda lib, x: x.repeat_interleave(2, dim=-1),
    "index_select": lambda lib, x: x.index_select(-1, lib.tensor([0, 0])),
    "masked_select": lambda lib, x: x.masked_select(x > 0),
    "diagonal": lambda lib, x: x.diagonal(0, 0, -1),
    "diag": lambda lib, x: lib.diag(x, 1),
    "trace": lambda lib, x: x.trace(),
    "sign": lambda lib, x: x.sign(),
    "square": lambda lib, x: lib.square(x),
    "nan_to_num": lambda lib, x: x.nan_to_num(posinf=1e3),
    "diff": lambda lib, x: x.diff(),
    "einsum_sum": lambda lib, x: lib.einsum("...->", x),
    "einsum_rows": lambda lib, x: lib.einsum("i...,i...->...", x, x),
    "addcmul": lambda lib, x: lib.addcmul(x, x, x, value=2),
    "addcdiv": lambda lib, x: x.addcdiv(x, x * x + 1),
    "square_inplace": lambda lib, x: (x * 1).square_(),
})


def _F(lib):
    """nn.functional on either side."""
    import importlib

    return importlib.import_module("torch.nn.functional" if lib is torch else "nn.functional")


UNARY.update({  # nn.functional's elementwise and last-dim functions
    "F_gelu": lambda lib, x: _F(lib).gelu(x),
    "F_gelu_tanh": lambda lib, x: _F(lib).gelu(x, approximate="tanh"),
    "F_silu": lambda lib, x: _F(lib).silu(x),
    "F_leaky_relu": lambda lib, x: _F(lib).leaky_relu(x, 0.1),
    "F_elu": lambda lib, x: _F(lib).elu(x),
    "F_softplus": lambda lib, x: _F(lib).softplus(x),
    "F_softplus_beta": lambda lib, x: _F(lib).softplus(x, beta=0.5, threshold=4.0),
    "F_layer_norm": lambda lib, x: _F(lib).layer_norm(x, x.shape[-1:]),
    "F_normalize": lambda lib, x: _F(lib).normalize(x, dim=-1),
    "F_pad": lambda lib, x: _F(lib).pad(x, (1, 2)),
    "F_pad_crop": lambda lib, x: _F(lib).pad(x, (-1, 1), value=2.5),
    "F_pad_replicate": lambda lib, x: _F(lib).pad(x, (2, 1), mode="replicate"),
    "F_pad_reflect": lambda lib, x: _F(lib).pad(x, (1, 1), mode="reflect"),
    "F_l1_loss": lambda lib, x: _F(lib).l1_loss(x, x.detach() * 0.5 + 1),
    "F_smooth_l1_loss": lambda lib, x: _F(lib).smooth_l1_loss(x, x.detach() * 0 + 0.5,
                                                              reduction="none"),
    "F_huber_loss": lambda lib, x: _F(lib).huber_loss(x, x.detach() * 0 + 0.5, delta=2.0),
    "F_bce": lambda lib, x: _F(lib).binary_cross_entropy(x.sigmoid(), x.detach() * 0 + 0.25),
})

UNARY.update({  # rounding, the NaN/inf tests, logical_not (tensor/rounding.py)
    "floor": lambda lib, x: x.floor(),
    "ceil": lambda lib, x: lib.ceil(x),
    "round": lambda lib, x: x.round(),
    "round_decimals": lambda lib, x: lib.round(x, decimals=2),
    "round_negative_decimals": lambda lib, x: x.round(decimals=-1),
    "trunc": lambda lib, x: x.trunc(),
    "fix": lambda lib, x: lib.fix(x),
    "frac": lambda lib, x: x.frac(),
    "floor_inplace": lambda lib, x: x.detach().clone().floor_() * 1,
    "round_inplace_graph": lambda lib, x: (x * 1).round_(decimals=1),
    "frac_inplace_graph": lambda lib, x: (x * 1).frac_(),
    "isnan": lambda lib, x: lib.isnan(x),
    "isinf": lambda lib, x: x.isinf(),
    "isposinf": lambda lib, x: lib.isposinf(x),
    "isneginf": lambda lib, x: x.isneginf(),
    "isfinite": lambda lib, x: lib.isfinite(x),
    "signbit": lambda lib, x: x.signbit(),
    "logical_not": lambda lib, x: lib.logical_not(x),
    "mod_int": lambda lib, x: x % 2,
    "mod_float": lambda lib, x: x % -1.5,
    "rmod": lambda lib, x: 3 % x,
    "fmod_float": lambda lib, x: lib.fmod(x, 1.5),
    "fmod_int": lambda lib, x: x.fmod(-2),
    "floordiv_int": lambda lib, x: x // 2,
    "rfloordiv_float": lambda lib, x: 7.5 // x,
    "remainder_inplace_graph": lambda lib, x: (x * 1).remainder_(0.75),
})

UNARY.update({  # the activations after the basics: kinks, NaN and integer inputs as PyTorch
    "F_hardtanh": lambda lib, x: _F(lib).hardtanh(x),
    "F_hardtanh_bounds": lambda lib, x: _F(lib).hardtanh(x, -0.0, 2.0),
    "F_hardtanh_inplace": lambda lib, x: _F(lib).hardtanh(x * 1, 0.5, 1.0, inplace=True),
    "F_relu6": lambda lib, x: _F(lib).relu6(x),
    "F_relu6_inplace": lambda lib, x: _F(lib).relu6(x * 1, inplace=True),
    "F_logsigmoid": lambda lib, x: _F(lib).logsigmoid(x),
    "F_hardswish": lambda lib, x: _F(lib).hardswish(x),
    "F_hardswish_inplace": lambda lib, x: _F(lib).hardswish(x * 1, inplace=True),
    "F_hardsigmoid": lambda lib, x: _F(lib).hardsigmoid(x),
    "F_hardsigmoid_inplace": lambda lib, x: _F(lib).hardsigmoid(x * 1, inplace=True),
    "F_mish": lambda lib, x: _F(lib).mish(x),
    "F_mish_inplace": lambda lib, x: _F(lib).mish(x * 1, inplace=True),
    "F_selu": lambda lib, x: _F(lib).selu(x),
    "F_selu_inplace": lambda lib, x: _F(lib).selu(x * 1, inplace=True),
    "F_celu": lambda lib, x: _F(lib).celu(x),
    "F_celu_alpha": lambda lib, x: _F(lib).celu(x, alpha=2.0, inplace=True),
    "F_softsign": lambda lib, x: _F(lib).softsign(x),
    "F_tanhshrink": lambda lib, x: _F(lib).tanhshrink(x),
    "F_threshold": lambda lib, x: _F(lib).threshold(x, 1.0, 20.0),
    "F_threshold_int": lambda lib, x: _F(lib).threshold(x, 0, -2, inplace=True),
    "F_hardshrink": lambda lib, x: _F(lib).hardshrink(x),
    "F_hardshrink_lambd": lambda lib, x: _F(lib).hardshrink(x, 1.0),
    "F_softshrink": lambda lib, x: _F(lib).softshrink(x),
    "F_softshrink_lambd": lambda lib, x: _F(lib).softshrink(x, lambd=2.0),
    "F_softmin_implicit_dim": lambda lib, x: _F(lib).softmin(x, dtype=lib.float64),
})

REDUCE = {  # take dim (and keepdim)
    "all_dim": lambda lib, x, dim, keep: x.all(dim=dim, keepdim=keep),
    "any_dim": lambda lib, x, dim, keep: lib.any(x, dim=dim, keepdim=keep),
    "sum": lambda lib, x, dim, keep: x.sum(dim=dim, keepdim=keep),
    "mean": lambda lib, x, dim, keep: x.mean(dim=dim, keepdim=keep),
    "amax": lambda lib, x, dim, keep: x.amax(dim=dim, keepdim=keep),
    "amin": lambda lib, x, dim, keep: x.amin(dim=dim, keepdim=keep),
    "var": lambda lib, x, dim, keep: x.var(dim=dim, keepdim=keep),
    "std_correction": lambda lib, x, dim, keep: lib.std(x, dim=dim, correction=0,
                                                         keepdim=keep),
    "var_keepdims_alias": lambda lib, x, dim, keep: x.var(axis=dim, keepdims=keep),
    "norm": lambda lib, x, dim, keep: x.norm(dim=dim, keepdim=keep),
    "sum_axis_alias": lambda lib, x, dim, keep: x.sum(axis=dim, keepdims=keep),
}

ONE_DIM = {  # take a single int dim
    "prod_dim": lambda lib, x, d, keep: x.prod(d, keepdim=keep),
    "prod_dtype": lambda lib, x, d, keep: lib.prod(x, dim=d, dtype=lib.float64),
    "cumsum": lambda lib, x, d, keep: x.cumsum(d),
    "cumsum_dtype": lambda lib, x, d, keep: lib.cumsum(x, dim=d, dtype=lib.float64),
    "cumprod": lambda lib, x, d, keep: lib.cumprod(x, d),
    # stable sorts: indices compared too (ties keep their order, as in PyTorch)
    "sort": lambda lib, x, d, keep: x.sort(dim=d, stable=True, descending=keep),
    "sort_indices": lambda lib, x, d, keep: lib.sort(x, dim=d, stable=True,
                                                     descending=keep).indices,
    "argsort": lambda lib, x, d, keep: x.argsort(dim=d, stable=True, descending=keep),
    "sort_values": lambda lib, x, d, keep: x.sort(dim=d, descending=keep).values,
    # values only: which of several equal elements topk picks is PyTorch's choice
    "topk_values": lambda lib, x, d, keep: x.detach().topk(
        min(2, x.shape[d] if x.ndim else 1), d, largest=keep).values,
    "median_dim": lambda lib, x, d, keep: x.median(d, keepdim=keep).values,
    "nanmedian_dim": lambda lib, x, d, keep: x.nanmedian(d, keepdim=keep).values,
    "kthvalue": lambda lib, x, d, keep: x.detach().kthvalue(1, d, keepdim=keep).values,
    # values only and without NaN: PyTorch's mode sorts unstably, so which of equal
    # elements it points at, and where a NaN ties, are its own
    "mode_values": lambda lib, x, d, keep: (lib.where(x == x, x, 0) if x.is_floating_point()
                                            else x).detach().mode(d, keepdim=keep).values,
    # without NaN: unique(dim=) orders NaN rows differently (a known deviation)
    "unique_dim": lambda lib, x, d, keep: lib.where(x == x, x, 0).detach().unique(
        dim=d, return_inverse=keep)[0] * 1 if keep else x.detach().unique(dim=d) * 1
    if not x.is_floating_point() else lib.where(x == x, x, 0).detach().unique(dim=d) * 1,
    "max_dim": lambda lib, x, d, keep: x.max(dim=d, keepdim=keep),
    "min_dim": lambda lib, x, d, keep: x.min(dim=d, keepdim=keep),
    "argmax": lambda lib, x, d, keep: x.argmax(dim=d, keepdim=keep),
    "argmin": lambda lib, x, d, keep: x.argmin(dim=d, keepdim=keep),
    "softmax": lambda lib, x, d, keep: x.softmax(d),
    "log_softmax": lambda lib, x, d, keep: x.log_softmax(dim=d),
    "unsqueeze": lambda lib, x, d, keep: x.unsqueeze(d),
    "squeeze_dim": lambda lib, x, d, keep: x.squeeze(d),
    "transpose0": lambda lib, x, d, keep: x.transpose(0, d) if x.ndim else x.transpose(0, 0),
    "flatten_from": lambda lib, x, d, keep: x.flatten(d),
    "logsumexp": lambda lib, x, d, keep: x.logsumexp(d, keepdim=keep),
    "argmax_axis_alias": lambda lib, x, d, keep: x.argmax(axis=d, keepdim=keep),
}

ONE_DIM.update({  # nn.functional's activations along a dim
    "F_softmin": lambda lib, x, d, keep: _F(lib).softmin(x, d),
    "F_softmin_dtype": lambda lib, x, d, keep: _F(lib).softmin(x, dim=d, dtype=lib.float64),
    "F_glu": lambda lib, x, d, keep: _F(lib).glu(x, d),
})

BINARY = {
    "remainder": lambda lib, a, b: a % b,
    "remainder_fn": lambda lib, a, b: lib.remainder(a, b),
    "fmod": lambda lib, a, b: lib.fmod(a, b),
    "floor_divide": lambda lib, a, b: a // b,
    "logical_and": lambda lib, a, b: lib.logical_and(a, b),
    "logical_or": lambda lib, a, b: a.logical_or(b),
    "logical_xor": lambda lib, a, b: lib.logical_xor(a, b),
    "maximum": lambda lib, a, b: lib.maximum(a, b),
    "minimum": lambda lib, a, b: a.minimum(b),
    "atan2": lambda lib, a, b: lib.atan2(a, b),
    "arctan2_method": lambda lib, a, b: a.arctan2(b),
    "max_two": lambda lib, a, b: lib.max(a, b),
    "min_two": lambda lib, a, b: lib.min(a, b),
    "clamp_tensors": lambda lib, a, b: lib.clamp(a, min=b, max=b + 1),
    "clamp_tensor_min": lambda lib, a, b: a.clamp(min=b),
    "lerp_half": lambda lib, a, b: lib.lerp(a, b, 0.3),
    "lerp_tensor": lambda lib, a, b: a.lerp(b, b),
    "isclose": lambda lib, a, b: lib.isclose(a, b),
    "where_scalar": lambda lib, a, b: lib.where(a > b, a, 0.5),
    "add": lambda lib, a, b: a + b,
    "sub": lambda lib, a, b: a - b,
    "mul": lambda lib, a, b: a * b,
    "div": lambda lib, a, b: a / b,
    "pow": lambda lib, a, b: a**b,
    "gt": lambda lib, a, b: a > b,
    "where": lambda lib, a, b: lib.where(a > b, a, b),
    "matmul": lambda lib, a, b: a @ b,
    "cat": lambda lib, a, b: lib.cat([a, b], dim=0),
    "stack": lambda lib, a, b: lib.stack([a, b], dim=-1),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@fuzz
@given(x=arrays())
def test_unary_matches_torch(name, x):
    assert_matches_torch(name, UNARY[name], [x])


@pytest.mark.parametrize("name", sorted(REDUCE))
@fuzz
@given(data=st.data(), x=arrays(), keep=st.booleans())
def test_reduction_matches_torch(name, data, x, keep):
    dim = data.draw(dims(x.ndim))
    assert_matches_torch(name, lambda lib, t: REDUCE[name](lib, t, dim, keep), [x], {"dim": dim})


@pytest.mark.parametrize("name", sorted(ONE_DIM))
@fuzz
@given(data=st.data(), x=arrays(), keep=st.booleans())
def test_dim_op_matches_torch(name, data, x, keep):
    d = data.draw(dims(x.ndim, allow_none=False, allow_tuple=False))
    assert_matches_torch(name, lambda lib, t: ONE_DIM[name](lib, t, d, keep), [x], {"dim": d})


@st.composite
def operand_pairs(draw):
    """Two arrays whose shapes broadcast (mostly) or not (sometimes)."""
    if draw(st.integers(0, 5)) == 0:
        sa, sb = draw(shapes), draw(shapes)
    else:
        sa, sb = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_side=0,
                                                        max_side=4)).input_shapes
    return draw(arrays(shape=sa)), draw(arrays(shape=sb))


@pytest.mark.parametrize("name", sorted(BINARY))
@fuzz
@given(pair=operand_pairs())
def test_binary_matches_torch(name, pair):
    assert_matches_torch(name, BINARY[name], list(pair))


@fuzz
@given(x=arrays(), data=st.data())
def test_shape_ops_match_torch(x, data):
    n = x.ndim
    perm = tuple(data.draw(st.permutations(range(n)))) if n else ()
    sizes = tuple(data.draw(st.sampled_from([-1, s, 1])) if s == 1 else s for s in x.shape)
    lead = data.draw(st.lists(st.integers(0, 3), max_size=2))
    assert_matches_torch("permute", lambda lib, t: t.permute(perm) * 1, [x], {"dims": perm})
    assert_matches_torch("expand", lambda lib, t: t.expand((*lead, *sizes)) * 1, [x],
                         {"sizes": sizes})
    assert_matches_torch("reshape", lambda lib, t: t.reshape(-1) * 1, [x])
    assert_matches_torch("view", lambda lib, t: t.view(x.shape[::-1]) * 1, [x])


@st.composite
def index_keys(draw, shape):
    """A __getitem__ key: ints (negative too), slices, lists (repeated, empty),
    boolean masks, None and Ellipsis."""
    if not shape:
        return draw(st.sampled_from([(), Ellipsis, None]))
    n = shape[0]
    part = st.one_of(
        st.integers(-n - 1, n),
        st.builds(slice, st.none() | st.integers(-n - 1, n + 1),
                  st.none() | st.integers(-n - 1, n + 1),
                  st.none() | st.integers(1, 3)),
        st.lists(st.integers(-n, n - 1), max_size=5) if n else st.just([]),
        st.just(Ellipsis), st.none())
    first = draw(part)
    if draw(st.booleans()):
        return first
    if draw(st.booleans()):
        return ("mask", draw(hnp.arrays(np.bool_, shape)))
    return (first, draw(part))


@fuzz
@given(x=arrays(), data=st.data())
def test_indexing_matches_torch(x, data):
    key = data.draw(index_keys(x.shape))
    if isinstance(key, tuple) and key and isinstance(key[0], str):
        mask = key[1]
        assert_matches_torch("index_mask", lambda lib, t: t[lib.tensor(mask)] * 1, [x])
        return
    assert_matches_torch("index", lambda lib, t: t[key] * 1, [x], {"key": key})


@fuzz
@given(x=arrays(dtype="float64", shape=st.sampled_from([(3, 4), (2, 3, 2), (4,)])),
       data=st.data())
def test_gather_matches_torch(x, data):
    d = data.draw(st.integers(-x.ndim, x.ndim - 1))
    shape = tuple(data.draw(st.integers(0, s + 1)) for s in x.shape)
    idx = data.draw(hnp.arrays(np.int64, shape, elements=st.integers(-2, x.shape[d])))
    assert_matches_torch("gather", lambda lib, t: t.gather(d, lib.tensor(idx)), [x], {"dim": d})


@fuzz
@given(data=st.data(), dtype=st.sampled_from(["float32", "float64"]))
def test_losses_match_torch(data, dtype):
    n, c = data.draw(st.integers(0, 4)), data.draw(st.integers(1, 4))
    x = data.draw(arrays(shape=(n, c), dtype=dtype))
    target = data.draw(hnp.arrays(np.int64, (n,), elements=st.integers(-1, c)))
    reduction = data.draw(st.sampled_from(["mean", "sum", "none"]))
    import torch.nn.functional as torch_f

    import nn.functional as ours_f

    def fn(lib, t, tt):
        f = torch_f if lib is torch else ours_f
        return f.cross_entropy(t, tt, reduction=reduction)

    assert_matches_torch("cross_entropy", fn, [x, target], {"reduction": reduction})


@fuzz
@given(x=arrays(shape=st.sampled_from([(4,), (3, 2), (0,), (2, 0)])), data=st.data(),
       accumulate=st.booleans())
def test_index_writes_match_torch(x, data, accumulate):
    """index_put (repeated indices, with and without accumulate), index_add and
    scatter_add on every dtype, in place and out of place (with gradients)."""
    n = x.shape[0]
    idx = np.asarray(data.draw(st.lists(st.integers(-n, n - 1), max_size=5)) if n else [],
                     dtype=np.int64)
    src = data.draw(arrays(shape=(len(idx),) + x.shape[1:], dtype=str(x.dtype)))
    one = data.draw(arrays(shape=x.shape[1:], dtype=str(x.dtype)))
    kw = {"idx": idx.tolist(), "accumulate": accumulate}
    assert_matches_torch("index_put", lambda lib, t, v: t.index_put(
        (lib.tensor(idx),), v, accumulate=accumulate), [x, one], kw)
    assert_matches_torch("index_put_", lambda lib, t, v: t.detach().clone().index_put_(
        (lib.tensor(idx),), v.detach(), accumulate=accumulate) * 1, [x, src], kw)
    assert_matches_torch("setitem_add", lambda lib, t: _iadd_at(lib, t, idx), [x], kw)
    if len(idx) and idx.min() >= 0:
        assert_matches_torch("index_add", lambda lib, t, v: t.index_add(
            0, lib.tensor(idx), v, alpha=2 if t.dtype != lib.bool else 1), [x, src], kw)
        j = np.broadcast_to(idx.reshape((-1,) + (1,) * (x.ndim - 1)), src.shape).copy()
        assert_matches_torch("scatter_add", lambda lib, t, v: t.scatter_add(
            0, lib.tensor(j), v), [x, src], kw)


def _iadd_at(lib, t, idx):
    """``t[idx] += 1`` on a copy: repeated indices add once, as PyTorch's."""
    t = t.detach().clone()
    if t.dtype == lib.bool:
        t[lib.tensor(idx)] = True
    else:
        t[lib.tensor(idx)] += 1
    return t * 1
