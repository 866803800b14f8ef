"""The network ops: softmax and log-softmax, the losses (cross-entropy, NLL, MSE,
binary cross-entropy with logits), dropout. Each is one fused node, as PyTorch's
(``NllLossBackward0``, ``MseLossBackward0``, …), faster and more stable than its
composition, with its own VJP checked against the composed ops in the tests."""

from __future__ import annotations

import numpy as np

from ..dtypes import ONE
from ..function import Function
from ..random import default_generator
from ..random.sampling import bernoulli_scalar
from .either import astype, constant, exp, is_tensor, log, softplus, value

# The ufuncs' own reductions: ndarray.sum/max add a Python frame on every call.
_sum = np.add.reduce
_max = np.maximum.reduce
# Without its __array_function__ dispatch (a Python frame per call): the op passes
# plain ndarrays, for which the dispatch never changes the result.
_ravel_multi_index = getattr(np.ravel_multi_index, "_implementation", np.ravel_multi_index)



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


_ARANGE = {}


def _arange(n: int) -> np.ndarray:
    """0…n−1, cached: the same few batch sizes come back every step. At most 8
    sizes are kept, so a sweep over batch sizes cannot grow it without bound."""
    rows = _ARANGE.get(n)
    if rows is None:
        if len(_ARANGE) >= 8:
            _ARANGE.clear()
        rows = _ARANGE[n] = np.arange(n)
        rows.flags.writeable = False
    return rows


def target_positions(target: np.ndarray, shape: tuple, op: str = "cross_entropy") -> np.ndarray:
    """The flat positions of x[n, targetₙ] in an (N, C) x; checks 0 ≤ t < C in the
    same call."""
    n, c = shape
    try:
        return _ravel_multi_index((_arange(n), target), shape)
    except ValueError:
        bad = target[(target < 0) | (target >= c)][0]
        raise IndexError(f"{op}: target {bad} is out of bounds for {c} classes") from None


class CrossEntropy(Function):
    """ℓₙ = −Σⱼ qₙⱼ·log softmax(xₙ)ⱼ;  dxₙ = (softmax(xₙ)·Σⱼ qₙⱼ − qₙ)·g (mean: / Σₙ w[tₙ])

    q = ((1 − ε)·one_hot(tₙ) + ε/C)·w (weight w, label smoothing ε), 0 in a row whose
    target is ignore_index. The training loop's case, w = 1 and ε = 0, is
    ℓₙ = −log softmax(xₙ)[tₙ] with dxₙ = softmax(xₙ) − one_hot(tₙ), computed as such."""

    twice_differentiable = True
    torch_name = "NllLossBackward0"
    broadcasts = False

    @staticmethod
    def forward(ctx, x, weight=None, *, target, reduction, ignore_index=-100,
                label_smoothing=0.0):
        n, c = x.shape
        # an empty batch has no row maximum to take out (NumPy refuses (0, 0))
        z = x - _max(x, 1, keepdims=True) if n else x
        e = np.exp(z)
        s = _sum(e, 1, keepdims=True)
        picked, valid = _positions(target, x.shape, ignore_index)
        ctx.save_for_backward(e, s, x)
        ctx.picked, ctx.reduction, ctx.q = picked, reduction, None
        ctx.weighted = weight is not None  # an input without a gradient, as in PyTorch
        ctx.smoothing = label_smoothing > 0
        if valid is None and weight is None and label_smoothing <= 0:
            if reduction == "none":
                return np.log(s).reshape(n) - z.take(picked)
            total = _sum(np.log(s), None) - _sum(z.take(picked))
            if reduction == "mean":
                total = total / n if n else np.nan  # an empty batch's mean is NaN, as PyTorch
            return np.asarray(total, x.dtype)
        q, w_t = _smoothed_targets(x, picked, valid, weight, label_smoothing)
        ctx.q, ctx.total, ctx.valid = q, _sum(w_t, None), valid
        # the target's term and the smoothing's apart, so that an ignored row or a
        # class with no share (ε = 0) never meets log softmax's −∞ or NaN
        log_p_t = z.take(picked) - np.log(s).reshape(n)
        losses = -(1 - max(label_smoothing, 0.0)) * w_t * log_p_t
        if label_smoothing > 0:
            w = np.ones(c, x.dtype) if weight is None else weight
            losses = losses - _sum((z - np.log(s)) * w, 1) * (label_smoothing / c)
        if valid is not None:
            losses = np.where(valid, losses, 0)
        losses = losses.astype(x.dtype, copy=False)
        if reduction == "none":
            return losses
        total = _sum(losses, None)
        if reduction == "mean":  # / Σ w[tₙ] over the rows kept: NaN when none is
            with np.errstate(invalid="ignore", divide="ignore"):
                total = total / ctx.total
        return np.asarray(total, x.dtype)

    @staticmethod
    def backward(ctx, g):
        e, s, x = ctx.saved
        q = ctx.q
        if q is None:  # one_hot(t), Σⱼ qₙⱼ = 1, mean over N
            if is_tensor(g):  # create_graph: the same formula in tensor ops
                one_hot = np.zeros(x.shape, x.data.dtype)
                one_hot.put(ctx.picked, 1)
                if ctx.reduction == "none":
                    g = g[:, None]
                elif ctx.reduction == "mean":
                    g = g / max(len(one_hot), 1)
                return (x.softmax(1) - constant(one_hot)) * g
            dx = e / s  # softmax(x), a fresh array
            picked = ctx.picked
            # − one_hot(t); take/put skip fancy indexing
            dx.put(picked, dx.take(picked) - ONE[dx.dtype])
            if ctx.reduction == "none":
                dx *= g[:, None]
            else:
                dx *= float(g) / max(len(dx), 1) if ctx.reduction == "mean" else float(g)
            return dx
        scale = _sum(q, 1, keepdims=True)  # Σⱼ qₙⱼ
        if ctx.reduction == "none":
            g = g[:, None]
        elif ctx.reduction == "mean":  # an ignored row (q = 0) is 0 even when Σ w is 0
            total = ctx.total if ctx.valid is None else np.where(ctx.valid, ctx.total, 1)
            with np.errstate(divide="ignore"):  # Σ w = 0: inf·0, NaN as PyTorch's
                g = g / (total if ctx.valid is None else total[:, None])
        if is_tensor(g):
            dx = (x.softmax(1) * constant(scale) - constant(q)) * g
        else:
            dx = e / s * scale - q
            with np.errstate(invalid="ignore"):
                dx *= g
        return (dx, None) if ctx.weighted else dx

    def backward_name(self) -> str:  # smoothing adds two terms in PyTorch
        return "AddBackward0" if self.smoothing else self.torch_name

    @classmethod
    def error(cls, arrays, exc):
        return exc if isinstance(exc, IndexError) else super().error(arrays, exc)


def _positions(target, shape, ignore_index):
    """The flat positions of x[n, tₙ] and the rows kept (None: all of them). A row
    whose target is ignore_index points at class 0, masked out later."""
    if not 0 <= ignore_index < shape[1]:
        try:  # the common case: no target to ignore, found without a mask
            return target_positions(target, shape), None
        except IndexError:
            if not (target == ignore_index).any():
                raise
    valid = target != ignore_index
    return target_positions(np.where(valid, target, 0), shape), valid


def _smoothed_targets(x, picked, valid, weight, eps):
    """q = ((1 − ε)·one_hot(t) + ε/C)·w per row (0 for an ignored row), and w[tₙ]."""
    n, c = x.shape
    eps = max(eps, 0.0)  # PyTorch ignores a negative ε
    w_t = np.ones(n, x.dtype) if weight is None else weight[picked % max(c, 1)]
    if valid is not None:
        w_t = np.where(valid, w_t, 0).astype(x.dtype, copy=False)
    q = np.zeros(x.shape, x.dtype)
    if eps > 0:
        w = np.ones(c, x.dtype) if weight is None else weight
        q += (eps / c) * w
        if valid is not None:
            q *= valid[:, None]
    q.put(picked, q.take(picked) + (1 - eps) * w_t)
    return q, w_t


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
