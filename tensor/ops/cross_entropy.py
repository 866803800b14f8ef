"""Cross-entropy from logits and class indices, one fused node (PyTorch's
``NllLossBackward0``, or ``AddBackward0`` with label smoothing): softmax, the log
and the pick of the target's term in one pass, with its own VJP, checked against
the composed ops in the tests. ``target_positions`` is shared with nll_loss and
with the compiled step's written-out loss (``compile/codegen.py``)."""

from __future__ import annotations

import numpy as np

from ..dtypes import ONE
from ..function import Function
from .either import constant, is_tensor

_sum = np.add.reduce
_max = np.maximum.reduce
# Without its __array_function__ dispatch (a Python frame per call): the op passes
# plain ndarrays, for which the dispatch never changes the result.
_ravel_multi_index = getattr(np.ravel_multi_index, "_implementation", np.ravel_multi_index)


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
