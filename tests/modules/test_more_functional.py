"""nn.functional's activations, normalisations, losses, pad, cosine_similarity and
scaled_dot_product_attention against PyTorch on generated inputs: values, input
gradients, errors (raised by both, of one type), over shapes with batch 1 and empty
batches, float32/float64, non-contiguous views and edge values."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from seeds import seed_of

import nn.functional as F
import tensor

torch = pytest.importorskip("torch")
TF = torch.nn.functional
DTYPES = [np.float32, np.float64]
SHAPES = [(3, 4), (1, 4), (0, 4), (2, 3, 5), (4,)]
EDGE = np.array([0.0, -0.0, 1e-8, -1e-8, 20.0, 20.0000001, 30.0, -30.0, 100.0, -100.0, 1.0,
                 -1.0, 0.5])


def _tol(dtype):
    return dict(rtol=2e-5, atol=2e-6) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)


def _run(lib, fn, arrays, transpose):
    """fn's result and the gradients of a weighted sum of it, or the exception."""
    mod = F if lib is tensor else TF
    leaves = [lib.tensor(a.copy(), requires_grad=a.dtype.kind == "f") for a in arrays]
    xs = [x.transpose(-1, -2) if transpose and x.ndim >= 2 else x for x in leaves]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = fn(mod, lib, *xs)
    except Exception as e:  # noqa: BLE001  (compared with PyTorch's)
        return e
    w = lib.tensor(np.cos(np.arange(out.numel()).reshape(tuple(out.shape))).astype(
        np.float64), dtype=out.dtype)
    wanted = [x for x in leaves if x.requires_grad]
    grads = lib.autograd.grad((out * w).sum(), wanted, allow_unused=True) if wanted else []
    return out.detach().numpy(), [None if g is None else g.numpy() for g in grads]


def assert_like_torch(fn, arrays, transpose=False, loose=False):
    """Assert ``fn`` gives PyTorch's values, dtype, shape and gradients, or the same
    error type."""
    dtype = arrays[0].dtype
    tol = dict(rtol=1e-3, atol=1e-6) if loose else _tol(dtype)
    ours, theirs = _run(tensor, fn, arrays, transpose), _run(torch, fn, arrays, transpose)
    if isinstance(theirs, Exception) or isinstance(ours, Exception):
        assert isinstance(ours, Exception) and isinstance(theirs, Exception), (ours, theirs)
        assert type(ours).__name__ == type(theirs).__name__ or isinstance(ours, type(theirs)), (
            ours, theirs)
        return
    assert ours[0].dtype == theirs[0].dtype and ours[0].shape == theirs[0].shape
    np.testing.assert_allclose(ours[0], theirs[0], **tol, equal_nan=True)
    for g, h in zip(ours[1], theirs[1]):
        if h is None:
            assert g is None or not np.any(g)
        else:
            np.testing.assert_allclose(g, h, **tol, equal_nan=True)


POINTWISE = {
    "gelu": lambda F, lib, x: F.gelu(x),
    "gelu_tanh": lambda F, lib, x: F.gelu(x, approximate="tanh"),
    "silu": lambda F, lib, x: F.silu(x),
    "leaky_relu": lambda F, lib, x: F.leaky_relu(x),
    "leaky_relu_0.2": lambda F, lib, x: F.leaky_relu(x, 0.2),
    "elu": lambda F, lib, x: F.elu(x),
    "elu_alpha": lambda F, lib, x: F.elu(x, alpha=0.3),
    "softplus": lambda F, lib, x: F.softplus(x),
    "softplus_beta": lambda F, lib, x: F.softplus(x, beta=2.0, threshold=5.0),
    "layer_norm_last": lambda F, lib, x: F.layer_norm(x, x.shape[-1:]),
    "layer_norm_two": lambda F, lib, x: F.layer_norm(x, x.shape[-2:], eps=1e-3),
    "layer_norm_affine": lambda F, lib, x: F.layer_norm(
        x, x.shape[-1:], lib.linspace(0.5, 2, x.shape[-1], dtype=x.dtype),
        lib.linspace(-1, 1, x.shape[-1], dtype=x.dtype)),
    "normalize": lambda F, lib, x: F.normalize(x, dim=-1),
    "normalize_p1": lambda F, lib, x: F.normalize(x, p=1.0, dim=0),
    "pad_constant": lambda F, lib, x: F.pad(x, (1, 2)),
    "pad_value_crop": lambda F, lib, x: F.pad(x, (-1, 2, 1, 0) if x.ndim >= 2 else (2, -1),
                                              value=3.5),
    "pad_reflect": lambda F, lib, x: F.pad(x, (2, 1), mode="reflect"),
    "pad_replicate": lambda F, lib, x: F.pad(x, (2, 3), mode="replicate"),
    "pad_circular": lambda F, lib, x: F.pad(x, (1, 2), mode="circular"),
    "pad_reflect_2d": lambda F, lib, x: F.pad(x, (1, 1, 1, 0), mode="reflect"),
    "pad_replicate_2d": lambda F, lib, x: F.pad(x, (0, 1, 2, 1), mode="replicate"),
    "pad_bad_mode": lambda F, lib, x: F.pad(x, (1, 1), mode="nearest"),
    "pad_odd": lambda F, lib, x: F.pad(x, (1, 1, 1)),
    "batch_norm_train": lambda F, lib, x: F.batch_norm(x, None, None, training=True)
    if x.ndim >= 2 else F.batch_norm(x.reshape(-1, 1), None, None, training=True),
    "cosine_similarity": lambda F, lib, x: F.cosine_similarity(x, x.exp() - 1.5, dim=-1),
    "cosine_similarity_bcast": lambda F, lib, x: F.cosine_similarity(
        x, x[..., :1, :] * 2 if x.ndim >= 2 else x, dim=0),
    "l1_loss": lambda F, lib, x: F.l1_loss(x, x.detach().sin()),
    "l1_loss_sum": lambda F, lib, x: F.l1_loss(x.tanh(), x.detach().cos(), reduction="sum"),
    "smooth_l1": lambda F, lib, x: F.smooth_l1_loss(x, x.detach().sin() * 3),
    "smooth_l1_beta": lambda F, lib, x: F.smooth_l1_loss(x, x.detach() * 0.1, beta=0.5,
                                                         reduction="none"),
    "smooth_l1_beta0": lambda F, lib, x: F.smooth_l1_loss(x, x.detach() * 0.1, beta=0.0),
    "huber": lambda F, lib, x: F.huber_loss(x, x.detach().sin() * 3),
    "huber_delta": lambda F, lib, x: F.huber_loss(x, x.detach() * 0.1, delta=0.3,
                                                  reduction="sum"),
    "bce": lambda F, lib, x: F.binary_cross_entropy(x.sigmoid(), (x.detach() > 0).to(x.dtype)),
    "bce_soft_weight": lambda F, lib, x: F.binary_cross_entropy(
        x.sigmoid(), x.detach().cos().abs(), weight=x.detach().abs() + 0.5, reduction="none"),
    "bce_out_of_range": lambda F, lib, x: F.binary_cross_entropy(x + 5, x.detach().abs()),
    "kl_div": lambda F, lib, x: F.kl_div(x.log_softmax(-1), x.detach().softmax(-1),
                                         reduction="batchmean"),
    "kl_div_zeros": lambda F, lib, x: F.kl_div(x.log_softmax(-1), x.detach().relu(),
                                               reduction="sum"),
    "kl_div_mean": lambda F, lib, x: F.kl_div(x.log_softmax(-1), x.detach().softmax(-1)),
    "kl_div_log_target": lambda F, lib, x: F.kl_div(
        x.log_softmax(-1), x.detach().log_softmax(-1), reduction="none", log_target=True),
    "loss_bad_reduction": lambda F, lib, x: F.l1_loss(x, x, reduction="avg"),
}


@pytest.mark.parametrize("name", sorted(POINTWISE))
@pytest.mark.parametrize("dtype", DTYPES)
def test_functionals_match_torch(name, dtype):
    rng = np.random.default_rng(seed_of(name))
    for shape in SHAPES:
        for transpose in (False, True):
            x = (rng.standard_normal(shape) * 3).astype(dtype)
            if transpose and x.ndim >= 2:
                x = np.ascontiguousarray(np.swapaxes(x, -1, -2))
            assert_like_torch(POINTWISE[name], [x], transpose)


@pytest.mark.parametrize("name", [n for n in sorted(POINTWISE) if not n.startswith(
    ("layer_norm", "normalize", "batch_norm", "cosine", "kl_div", "pad_reflect"))])
@pytest.mark.parametrize("dtype", DTYPES)
def test_functionals_at_edge_values(name, dtype):
    # bce's sigmoid near 0 and 1: its last-ulp difference from PyTorch's, divided by
    # x·(1 − x) ≈ 1e-12, is the only difference, hence a looser tolerance
    loose = name.startswith("bce")
    assert_like_torch(POINTWISE[name], [EDGE.astype(dtype)], loose=loose)
    assert_like_torch(POINTWISE[name], [EDGE.astype(dtype).reshape(1, -1)], loose=loose)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_cross_entropy_at_0_and_1(dtype, reduction):
    """Probabilities of exactly 0 and 1 (a saturated sigmoid): PyTorch's clamped logs
    and finite gradients, also for the target."""
    x = np.array([0.0, 1.0, 0.0, 1.0, 1e-30, 1 - 1e-7, 0.5, 1e-45], dtype)
    y = np.array([0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.3, 1.0], dtype)
    assert_like_torch(lambda F, lib, x, y: F.binary_cross_entropy(x, y, reduction=reduction),
                      [x, y])


def test_gelu_rejects_an_unknown_approximation():
    assert_like_torch(lambda F, lib, x: F.gelu(x, approximate="fast"), [np.ones(3)])


@pytest.mark.parametrize("seed", range(12))
def test_scaled_dot_product_attention(seed):
    rng = np.random.default_rng(seed)
    dtype = DTYPES[seed % 2]
    batch = [(), (2,), (2, 3)][seed % 3]
    L, S, E, Ev = rng.integers(1, 5, 4)
    q = rng.standard_normal((*batch, L, E)).astype(dtype)
    k = rng.standard_normal((*batch, S, E)).astype(dtype)
    v = rng.standard_normal((*batch, S, Ev)).astype(dtype)
    bool_mask = rng.random((L, S)) > 0.4  # some rows fully masked: zeros, as PyTorch
    float_mask = np.where(rng.random((L, S)) > 0.3, rng.standard_normal((L, S)), -np.inf)
    float_mask = float_mask.astype(dtype)
    assert_like_torch(lambda F, lib, q, k, v: F.scaled_dot_product_attention(q, k, v), [q, k, v])
    assert_like_torch(lambda F, lib, q, k, v: F.scaled_dot_product_attention(
        q, k, v, is_causal=True), [q, k, v])
    assert_like_torch(lambda F, lib, q, k, v: F.scaled_dot_product_attention(
        q, k, v, attn_mask=lib.tensor(bool_mask), scale=0.3), [q, k, v])
    assert_like_torch(lambda F, lib, q, k, v, m: F.scaled_dot_product_attention(
        q, k, v, attn_mask=m), [q, k, v, float_mask])
    assert_like_torch(lambda F, lib, q, k, v: F.scaled_dot_product_attention(
        q, k, v, attn_mask=lib.tensor(bool_mask), is_causal=True), [q, k, v])


@pytest.mark.parametrize("seed", range(6))
def test_batch_norm_with_running_statistics(seed):
    rng = np.random.default_rng(seed)
    dtype = DTYPES[seed % 2]
    shape = [(5, 3), (4, 3, 2), (2, 3, 2, 2)][seed % 3]
    mean0 = rng.standard_normal(3).astype(dtype)
    var0 = (np.abs(rng.standard_normal(3)) + 0.5).astype(dtype)
    x0 = rng.standard_normal(shape).astype(dtype)
    stats = {}
    for lib in (tensor, torch):
        mod = F if lib is tensor else TF
        rm, rv, x = lib.tensor(mean0), lib.tensor(var0), lib.tensor(x0)
        w, b = lib.ones(3, dtype=x.dtype) * 1.5, lib.zeros(3, dtype=x.dtype) + 0.2
        train = mod.batch_norm(x, rm, rv, w, b, training=True, momentum=0.3, eps=1e-3)
        evaluated = mod.batch_norm(x, rm, rv, w, b, training=False)
        stats[lib.__name__] = [t.numpy().copy() for t in (train, evaluated, rm, rv)]
    for ours, theirs in zip(stats["tensor"], stats["torch"]):
        np.testing.assert_allclose(ours, theirs, **_tol(dtype))
