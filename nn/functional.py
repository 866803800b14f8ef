"""``nn.functional``: the stateless layers and losses, with PyTorch's signatures."""

from __future__ import annotations

import warnings

import numpy as np

import tensor
from tensor import Tensor
from tensor.ops.linalg import Linear
from tensor.ops.nn import BinaryCrossEntropyWithLogits, CrossEntropy, Dropout, MseLoss, NllLoss
from tensor.ops.nograd import OneHot

from .functional_conv import (  # noqa: F401  (re-exported: nn.functional.conv2d, …)
    adaptive_avg_pool2d,
    avg_pool2d,
    conv2d,
    max_pool2d,
)

_REDUCTIONS = ("mean", "sum", "none")
# Bound once: looking up a classmethod makes a new bound method on every call
_linear, _cross_entropy, _dropout = Linear.apply, CrossEntropy.apply, Dropout.apply


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x·Wᵀ + b as one fused op (one graph node, one matmul each way)."""
    if bias is None:
        return _linear(input, weight)
    return _linear(input, weight, bias)


def relu(input: Tensor) -> Tensor:
    return input.relu()


def sigmoid(input: Tensor) -> Tensor:
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    return input.tanh()


def softmax(input: Tensor, dim: int) -> Tensor:
    return input.softmax(dim)


def log_softmax(input: Tensor, dim: int) -> Tensor:
    return input.log_softmax(dim)


def _reduce(losses: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return losses.mean()
    return losses.sum() if reduction == "sum" else losses


def _check_reduction(reduction: str, op: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _class_targets(input: Tensor, target, op: str) -> np.ndarray:
    """Targets as an integer array of shape (N,); their range is checked by the op."""
    t = getattr(target, "data", target)
    if not isinstance(t, np.ndarray):
        t = np.asarray(t)
    if t.dtype.kind not in "iu":
        raise TypeError(f"{op}: expected integer class targets, got dtype {t.dtype}")
    if input.data.ndim != 2 or t.shape != input.data.shape[:1]:
        raise ValueError(f"{op}: expected input of shape (N, C) and target of shape (N,), got "
                         f"input {tuple(input.shape)} and target {t.shape}")
    return t


def cross_entropy(input: Tensor, target, weight=None, size_average=None,
                  ignore_index: int = -100, reduce=None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Mean of −log softmax(input)[target]. Integer targets use the fused, stable op
    (gradient (softmax − one_hot)/N; with ``weight``, ``ignore_index`` and
    ``label_smoothing`` ε the one-hot becomes ((1 − ε)·one_hot + ε/C)·w and the mean is
    over Σ w[target]); float targets of input's shape are class probabilities, as in
    PyTorch."""
    t = target.data if isinstance(target, Tensor) else target  # (an ndarray's .data is a buffer)
    if (type(t) is np.ndarray and t.dtype.kind in "iu" and t.ndim == 1
            and input.data.ndim == 2 and t.shape[0] == input.data.shape[0]
            and reduction in _REDUCTIONS and weight is None and ignore_index == -100
            and label_smoothing == 0.0):  # the training loop's case, checked cheaply
        return _cross_entropy(input, target=t, reduction=reduction)
    _check_reduction(reduction, "cross_entropy")
    if input.ndim == 1:  # one sample of C logits and a scalar target
        out = cross_entropy(input.unsqueeze(0), _unsqueeze_target(target), weight,
                            ignore_index=ignore_index, reduction=reduction,
                            label_smoothing=label_smoothing)
        return out.squeeze(0) if reduction == "none" else out
    c = input.shape[1] if input.ndim > 1 else 0
    if isinstance(t, np.ndarray) and t.dtype.kind == "f":
        if t.shape != input.shape:
            raise ValueError(f"cross_entropy: probability targets must have the input's shape "
                             f"{tuple(input.shape)}, got {t.shape}")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        _check_class_weights(weight, c, "cross_entropy: ")
        _check_smoothing(label_smoothing)
        target = target if isinstance(target, Tensor) else tensor.from_numpy(t)
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / c
        losses = input.log_softmax(1) * target
        if weight is not None:
            losses = losses * weight
        return _reduce(-losses.sum(1), reduction)
    _check_smoothing(label_smoothing)
    _check_class_weights(weight, c)
    t = _class_targets(input, target, "cross_entropy")
    kw = {}
    if weight is not None:  # an input without a gradient, as PyTorch's nll_loss has it
        if getattr(weight, "requires_grad", False):
            raise RuntimeError("The function 'nll_loss_forward' is not differentiable with "
                               "respect to argument 'weight'. This input cannot have "
                               "requires_grad True.")
        if weight.dtype != input.dtype:
            raise RuntimeError(f"expected scalar type {_C_NAME.get(input.dtype.name)} but "
                               f"found {_C_NAME.get(weight.dtype.name)}")
    if ignore_index != -100:
        kw["ignore_index"] = int(ignore_index)
    if label_smoothing > 0:
        kw["label_smoothing"] = float(label_smoothing)
    if weight is None:
        return _cross_entropy(input, target=t, reduction=reduction, **kw)
    return _cross_entropy(input, weight, target=t, reduction=reduction, **kw)


_C_NAME = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long"}


def _check_smoothing(label_smoothing: float) -> None:
    if label_smoothing > 1.0:  # a negative ε is no smoothing, as in PyTorch
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                           f"{label_smoothing:g}")


def _check_class_weights(weight, c: int, prefix: str = "") -> None:
    if weight is not None and (weight.ndim != 1 or weight.numel() != c):
        raise RuntimeError(f"{prefix}weight tensor should be defined either for all {c} classes "
                           f"or no classes but got weight tensor of shape: {list(weight.shape)}")


def _unsqueeze_target(target):
    t = np.asarray(getattr(target, "data", target))
    return t.reshape(1, *t.shape) if t.dtype.kind == "f" else t.reshape(1)


def nll_loss(input: Tensor, target, reduction: str = "mean") -> Tensor:
    """Mean of −input[n, target[n]] (input holds log-probabilities)."""
    _check_reduction(reduction, "nll_loss")
    return NllLoss.apply(input, target=_class_targets(input, target, "nll_loss"),
                         reduction=reduction)


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean of (input − target)², one graph node (MseLossBackward0, as PyTorch)."""
    _check_reduction(reduction, "mse_loss")
    if not isinstance(target, Tensor):
        target = tensor.tensor(target, dtype=input.dtype)
    if input.dtype != target.dtype:
        input, target = input._operands(target, op="mse_loss")
    if input.shape != target.shape:
        # PyTorch broadcasts, with this warning: (3, 1) against (3,) is a (3, 3) loss
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input "
                      f"size ({input.shape}). This will likely lead to incorrect results due "
                      "to broadcasting. Please ensure they have the same size.", UserWarning,
                      stacklevel=2)
        return _reduce((input - target) ** 2, reduction)  # composed: broadcasting's gradient
    return MseLoss.apply(input, target, reduction=reduction)


def dropout(input: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1 − p)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    return _dropout(input, p=p)


def one_hot(input: Tensor, num_classes: int = -1) -> Tensor:
    if not isinstance(input, Tensor):
        input = tensor.from_numpy(np.asarray(input))
    if input.data.dtype.kind not in "iu":
        raise TypeError(f"one_hot: expected an integer tensor, got dtype {input.data.dtype}")
    return OneHot.apply(input, num_classes=num_classes)


def binary_cross_entropy_with_logits(input: Tensor, target, weight=None,
                                     reduction: str = "mean", pos_weight=None) -> Tensor:
    """Mean of −[y·log σ(x) + (1 − y)·log(1 − σ(x))], computed stably from the logits x."""
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    if not isinstance(target, Tensor):
        target = tensor.tensor(target, dtype=input.dtype)
    if target.shape != input.shape:
        raise ValueError(f"binary_cross_entropy_with_logits: target size {tuple(target.shape)} "
                         f"must be the same as input size {tuple(input.shape)}")
    pw = None if pos_weight is None else np.asarray(getattr(pos_weight, "data", pos_weight),
                                                    input.dtype)
    if weight is None:
        return BinaryCrossEntropyWithLogits.apply(input, target.to(input.dtype), pos_weight=pw,
                                                  reduction=reduction)
    losses = BinaryCrossEntropyWithLogits.apply(input, target.to(input.dtype), pos_weight=pw,
                                                reduction="none")
    return _reduce(losses * weight, reduction)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """``weight[input]``, rows by integer index (``nn/embedding.py``)."""
    from .embedding import embedding as _embedding  # nn/embedding.py imports this module

    return _embedding(input, weight, padding_idx, max_norm, norm_type, scale_grad_by_freq,
                      sparse)


# The layers a learner meets after the basics (transformers, normalisation, more
# losses), one file per concern; re-exported so that nn.functional names them all.
from .functional_activation import (  # noqa: E402,F401
    celu,
    elu,
    gelu,
    glu,
    leaky_relu,
    logsigmoid,
    mish,
    selu,
    silu,
    softmin,
    softplus,
    softsign,
    tanhshrink,
)
from .functional_extra import (  # noqa: E402,F401
    cosine_similarity,
    pad,
    scaled_dot_product_attention,
)
from .functional_loss import (  # noqa: E402,F401
    binary_cross_entropy,
    huber_loss,
    kl_div,
    l1_loss,
    smooth_l1_loss,
)
from .functional_norm import batch_norm, layer_norm, normalize  # noqa: E402,F401
from .functional_piecewise import (  # noqa: E402,F401
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh,
    relu6,
    softshrink,
    threshold,
)
