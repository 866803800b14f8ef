"""The network ops: softmax and log-softmax, the losses (NLL, MSE, binary
cross-entropy with logits; cross-entropy is in ``cross_entropy.py``), hardsigmoid,
dropout. Each is one fused node, as PyTorch's (``NllLossBackward0``,
``MseLossBackward0``, …), faster and more stable than its composition, with its own
VJP checked against the composed ops in the tests."""

from __future__ import annotations

import numpy as np

from ..function import Function
from ..random import default_generator
from ..random.sampling import bernoulli_scalar
from .cross_entropy import CrossEntropy, target_positions  # noqa: F401 (re-exported)
from .either import astype, exp, is_tensor, log, softplus, value

# The ufuncs' own reductions: ndarray.sum/max add a Python frame on every call.
_sum = np.add.reduce


def _log_softmax(x, axis):
    if x.size == 0:
        return x.copy()
    z = x - x.max(axis=axis, keepdims=True)  # max subtracted: e^z never overflows
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


class LogSoftmax(Function):
    """y = x − max − log Σ e^(x − max);  dx = g − softmax(x)·Σ g"""

    twice_differentiable = True
    broadcasts = False

    @staticmethod
    def forward(ctx, x, dim):
        y = _log_softmax(x, dim)
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, g):
        y = ctx.saved[0]
        return g - exp(y) * g.sum(axis=ctx.dim, keepdims=True)


class Softmax(Function):
    """y = e^(x − max) / Σ e^(x − max);  dx = y·(g − Σ g·y)"""

    twice_differentiable = True
    broadcasts = False

    @staticmethod
    def forward(ctx, x, dim):
        if x.size == 0:
            ctx.save_for_backward(x)
            ctx.dim = dim
            return x.copy()
        e = np.exp(x - np.amax(x, axis=dim, keepdims=True))
        y = e / e.sum(axis=dim, keepdims=True)
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, g):
        y = ctx.saved[0]
        return y * (g - (g * y).sum(axis=ctx.dim, keepdims=True))


class Hardsigmoid(Function):
    """y = min(max(x + 3, 0), 6)/6;  dx = g/6 where −3 < x < 3, else 0 (NaN too)"""

    # once only, as PyTorch's (its hardsigmoid_backward has no derivative)
    broadcasts = False

    @staticmethod
    def forward(ctx, x):
        # PyTorch's kernel multiplies by 1/6 rounded to float32 (0.16666667163…) in
        # float64 too
        ctx.save_for_backward(((x > -3) & (x < 3)) * x.dtype.type(np.float32(1 / 6)))
        return np.minimum(np.maximum(x + 3, 0), 6) / 6

    @staticmethod
    def backward(ctx, g):
        return g * ctx.saved[0]


class Dropout(Function):
    """y = x·m / (1 − p), m ~ Bernoulli(1 − p) drawn from the global generator on every
    call (PyTorch's draws: one double uniform per element, kept if < 1 − p);  dx = g·m / (1 − p)"""

    twice_differentiable = True
    torch_name = "MulBackward0"  # PyTorch's eager dropout is a multiplication by the mask
    broadcasts = False

    @staticmethod
    def forward(ctx, x, p):
        keep = bernoulli_scalar(default_generator, x.size, 1.0 - p).reshape(x.shape)
        one = np.ones((), x.dtype)
        ctx.mask = keep * (one / one.dtype.type(1.0 - p))  # torch: noise.div_(1 − p) in x's dtype
        return x * ctx.mask

    @staticmethod
    def backward(ctx, g):
        return g * ctx.mask


def _reduce(losses: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "none":
        return losses
    total = losses.sum() if reduction == "sum" else losses.mean() if losses.size else np.nan
    return np.asarray(total, losses.dtype)


def _scale(g: np.ndarray, shape: tuple, reduction: str) -> np.ndarray:
    """The upstream gradient of each element before the reduction."""
    if reduction == "mean":
        return g / max(int(np.prod(shape)), 1)
    return g


class MseLoss(Function):
    """ℓ = (x − y)², reduced;  dx = 2(x − y)·g (/ n for mean),  dy = −dx"""

    twice_differentiable = True
    broadcasts = False

    @staticmethod
    def forward(ctx, x, y, reduction):
        ctx.save_for_backward(x, y)
        ctx.reduction = reduction
        d = x - y
        return _reduce(d * d, reduction)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved
        d = x - y
        dx = astype(2 * _scale(g, d.shape, ctx.reduction) * d, x.dtype)
        return dx if ctx.needs_input_grad[0] else None, -dx if ctx.needs_input_grad[1] else None


class BinaryCrossEntropyWithLogits(Function):
    """ℓ = (1 − y)·x + L·log(1 + e⁻ˣ) with L = 1 + (p − 1)·y (p: pos_weight), reduced;
    dx = g·(L·(σ(x) − 1) + 1 − y),  dy = g·((p − 1)·log(1 + e⁻ˣ) − x)"""

    twice_differentiable = True
    broadcasts = False

    @staticmethod
    def forward(ctx, x, y, pos_weight=None, reduction="mean"):
        softplus_neg = np.logaddexp(0, -x)  # log(1 + e⁻ˣ) without overflow
        big_l = 1 if pos_weight is None else 1 + (pos_weight - 1) * y
        ctx.save_for_backward(x, y)
        ctx.pos_weight, ctx.reduction = pos_weight, reduction
        return _reduce(((1 - y) * x + big_l * softplus_neg).astype(x.dtype, copy=False),
                       reduction)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved
        p = ctx.pos_weight
        g = _scale(g, x.shape, ctx.reduction)
        big_l = 1 if p is None else 1 + (p - 1) * y
        softplus_neg = softplus(-x)
        sigmoid = exp(-softplus_neg)  # σ(x), without overflow for large |x|
        dx = astype(g * (big_l * (sigmoid - 1) + 1 - y), x.dtype)
        dy = None
        if ctx.needs_input_grad[1]:
            dy = astype(g * ((0 if p is None else (p - 1) * softplus_neg) - x), x.dtype)
        return dx, dy


class NllLoss(Function):
    """ℓₙ = −xₙ[tₙ] (x: log-probabilities), reduced;  dxₙ = −one_hot(tₙ)·g (/ N for
    mean)"""

    twice_differentiable = True
    torch_name = "NllLossBackward0"
    broadcasts = False

    @staticmethod
    def forward(ctx, x, target, reduction):
        picked = target_positions(target, x.shape, "nll_loss")
        ctx.picked, ctx.shape, ctx.reduction = picked, x.shape, reduction
        return _reduce(-x.take(picked), reduction)

    @staticmethod
    def backward(ctx, g):
        g = -_scale(g, ctx.picked.shape, ctx.reduction)
        if is_tensor(g):  # create_graph: the same, as a recorded op
            from .shape import IndexAdd

            rows, cols = np.unravel_index(ctx.picked, ctx.shape)
            return IndexAdd.apply(g.expand(rows.shape), shape=ctx.shape, key=(rows, cols))
        dx = np.zeros(ctx.shape, g.dtype)
        dx.put(ctx.picked, g)
        return dx

    @classmethod
    def error(cls, arrays, exc):
        return exc if isinstance(exc, IndexError) else super().error(arrays, exc)


_BCE_EPS = float(np.float32(1e-12))  # PyTorch's EPSILON, a float even for doubles


class BinaryCrossEntropy(Function):
    """ℓ = −[y·max(log x, −100) + (1 − y)·max(log(1 − x), −100)], reduced;
    dx = g·(x − y)/max(x·(1 − x), ε),  dy = g·(log(1 − x) − log x) (unclamped, as PyTorch)"""

    twice_differentiable = True
    broadcasts = False

    @staticmethod
    def forward(ctx, x, y, reduction="mean"):
        ctx.save_for_backward(x, y)
        ctx.reduction = reduction
        with np.errstate(divide="ignore"):
            log_x, log_1mx = np.maximum(np.log(x), -100), np.maximum(np.log1p(-x), -100)
        return _reduce((-(y * log_x + (1 - y) * log_1mx)).astype(x.dtype, copy=False),
                       reduction)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved
        g = _scale(g, x.shape, ctx.reduction)
        xv = value(x)
        dx = dy = None
        if ctx.needs_input_grad[0]:
            denom = x * (1 - x)
            tiny = (value(denom) < _BCE_EPS).astype(xv.dtype)
            dx = astype(g * (x - y) / (denom * (1 - tiny) + _BCE_EPS * tiny), xv.dtype)
        if ctx.needs_input_grad[1]:
            with np.errstate(divide="ignore"):
                dy = astype(g * (log(1 - x) - log(x)), xv.dtype)
        return dx, dy
