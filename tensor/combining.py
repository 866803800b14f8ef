"""torch-level functions for the names in ``reshaping.py`` and ``more_math.py``
(``torch.split(x, 2)`` is ``x.split(2)``, as ``function_forms.py`` does for the
others), and the ones that take several tensors: einsum, broadcast_tensors."""

from __future__ import annotations

import numpy as np

from .creation import _as_tensor
from .function_forms import _function
from .ops.einsum import Einsum, parse

NAMES = ("split", "chunk", "tensor_split", "narrow", "movedim", "moveaxis",
         "swapaxes", "swapdims", "unflatten", "flip", "fliplr", "flipud", "roll", "tile",
         "repeat_interleave", "index_select", "masked_select", "broadcast_to", "diagonal",
         "diag", "trace", "sign", "sgn", "square", "neg", "negative", "clone", "addmm",
         "baddbmm", "addcmul", "addcdiv", "nan_to_num", "nan_to_num_", "diff", "square_",
         "neg_", "negative_")

globals().update({name: _function(name) for name in NAMES})


def broadcast_tensors(*tensors):
    """The tensors expanded to their common shape (views)."""
    shapes = [tuple(t.shape) for t in tensors]
    try:
        shape = np.broadcast_shapes(*shapes)
    except ValueError:
        raise RuntimeError(f"broadcast_tensors: shapes {shapes} cannot be broadcast "
                           f"together") from None
    return tuple(t.expand(shape) for t in tensors)


def einsum(equation, *operands):
    """``torch.einsum("bij,bjk->bik", a, b)``: the sum over the letters missing from
    the output of the products of the operands' elements. Size-1 dims broadcast."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    xs = [_as_tensor(x) for x in operands]
    if not xs:
        raise RuntimeError("einsum(): must provide at least one operand")
    for x in xs[1:]:
        if x.data.dtype != xs[0].data.dtype:
            raise RuntimeError(f"einsum(): expected scalar type {xs[0].dtype} but found "
                               f"{x.dtype} (all operands must have one dtype)")
    subs, out = parse(equation, [x.ndim for x in xs])
    sizes = {}
    for i, (s, x) in enumerate(zip(subs, xs)):
        for c in set(s):
            ns = [n for d, n in zip(s, x.shape) if d == c]
            if len(set(ns)) > 1:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {i} but "
                                   f"the sizes don't match, {ns[1]} != {ns[0]}")
        for c, n in zip(s, x.shape):
            if sizes.get(c, 1) != 1 and n not in (1, sizes[c]):
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {i} "
                                   f"which does not broadcast with previously seen size "
                                   f"{sizes[c]}")
            sizes[c] = sizes.get(c, 1) if n == 1 else n
    summed = set("".join(subs)) - set(out)
    if summed and xs[0].data.dtype.kind in "biu":  # as PyTorch: one operand's sum is
        if len(xs) == 1:  # torch.sum's (to int64), a contraction is bmm's (none for bool)
            xs = [xs[0].long()]
        elif xs[0].data.dtype == bool and all(x.data.size for x in xs) and any(
                sizes[c] > 1 for c in summed):
            raise NotImplementedError(f"einsum(): {equation!r} sums products, which is not "
                                      f"implemented for bool tensors")
    xs = [x if all(n == sizes[c] for c, n in zip(s, x.shape)) else
          x.expand(tuple(sizes[c] for c in s)) for s, x in zip(subs, xs)]
    return Einsum.apply(*xs, subs=subs, out=out)


__all__ = [*NAMES, "broadcast_tensors", "einsum"]
