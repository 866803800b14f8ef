"""View rebase: a view taken before its base was updated in place follows the base.

    a = x * 2
    v = a[1:]            # a view: v's node is a slice of a's node
    a.mul_(c)            # a's memory changes, and a gets a new node: a ← a·c
    (v * 3).sum()        # v holds the new values, so its gradient must go through a·c

The update gives ``a`` a newer node (inplace.py). A node recorded before it keeps
reaching ``a``'s old node (``function.as_of``); but ``v``, used after it, is a view of
the new ``a``. So when a view whose base has a newer node is next used, it gets a
node of its own on the updated base, which PyTorch names ``AsStridedBackward0``:
``v`` is the elements of ``a`` at fixed positions, and its gradient is added back
at those positions. Nodes recorded from ``v`` before that keep its old node
(``before``)."""

from __future__ import annotations

import numpy as np

from .. import function
from ..function import Function, inplace_clock, storage


class AsStrided(Function):
    """y = x.flat[positions] (a view of x);  dx = g added at the positions"""

    torch_name = "AsStridedBackward0"
    broadcasts = False
    twice_differentiable = True

    @staticmethod
    def backward(ctx, g):
        if not isinstance(g, np.ndarray):  # a Tensor under create_graph: the same sum,
            zeros = function._make(np.zeros(ctx.base_shape, g.data.dtype), None)  # recorded
            at = function._make(ctx.positions, None)
            return zeros.reshape(-1).index_add(0, at, g.reshape(-1)).reshape(ctx.base_shape)
        dx = np.zeros(ctx.base_shape, g.dtype)
        # np.add.at, not assignment: an expanded view holds one element several times
        np.add.at(dx.reshape(-1), ctx.positions, g.reshape(-1))
        return dx


def rebase(tensors) -> None:
    """Give each tensor that is a stale view (see the module docstring) its node on
    the updated base. One compare per tensor when nothing is stale."""
    newest = newest_update
    for t in tensors:
        node = getattr(t, "_ctx", None)
        if node is not None:
            if node.seq < newest:
                _rebase(t)
        elif getattr(t, "_view_of", None) is not None:  # a view taken without a graph
            _rebase(t)


# seq of the newest node an in-place update gave a graph tensor: a node newer than
# it was made after every update, so none of its inputs can be stale
newest_update = -1


def _rebase(t) -> None:
    node = t._ctx
    if node is None:
        _rebase_plain(t)
        return
    if node.parents is None or node.seq >= newest_update:
        return
    base = node.parents[0]
    if not hasattr(base, "_ctx"):  # a custom Function's hub, a non-tensor input
        return
    _rebase(base)  # a view of a view: its base first
    if (base._ctx is None or base._ctx.seq <= node.seq
            or storage(t.data) is not storage(base.data)):
        return
    _follow(t, base, node)


def _rebase_plain(t) -> None:
    """A view taken while neither it nor its base had a graph (``t._view_of``): once
    an update gives the base a graph, the view follows it, as in PyTorch."""
    base = t._view_of
    if base is None:
        return
    _rebase(base)
    if storage(t.data) is not storage(base.data):  # the base's array was replaced
        del t._view_of
    elif base._ctx is not None:
        del t._view_of
        _follow(t, base, None)


def _follow(t, base, node) -> None:
    """``t`` becomes the elements of ``base`` at its positions (an AsStrided node);
    nodes recorded from ``t`` before keep its old ``node`` (``before``)."""
    before = function._make(t.data, node)
    before.requires_grad = t.requires_grad
    ctx = object.__new__(AsStrided)
    ctx.saved, ctx.needs_input_grad, ctx.parents = (), (True,), (base,)
    ctx.seq, ctx.stamp = next(function._sequence), inplace_clock.now
    ctx.positions, ctx.base_shape = positions(t.data, base.data), base.data.shape
    ctx.before = before
    t._ctx, t.requires_grad = ctx, base.requires_grad


def positions(view: np.ndarray, base: np.ndarray) -> np.ndarray:
    """The flat (C-order) index in ``base`` of each element of ``view``, two arrays on
    the same memory: matched by their addresses."""
    where = _addresses(base)
    order = np.argsort(where, kind="stable")
    wanted = _addresses(view)
    at = order[np.searchsorted(where[order], wanted).clip(0, max(where.size - 1, 0))]
    if where.size == 0 and wanted.size or where.size and not np.array_equal(where[at], wanted):
        raise RuntimeError(f"rebase: a view of shape {view.shape} is not inside its base of "
                           f"shape {base.shape}")
    return at


def _addresses(a: np.ndarray) -> np.ndarray:
    """Each element's byte address, in C order."""
    start = np.int64(a.__array_interface__["data"][0])
    offset = np.zeros(a.shape, np.int64)
    for axis, (n, stride) in enumerate(zip(a.shape, a.strides)):
        shape = [1] * a.ndim
        shape[axis] = n
        offset = offset + np.arange(n, dtype=np.int64).reshape(shape) * stride
    return (start + offset).reshape(-1)
