"""Reverse-mode autodiff: topological order and the backward pass."""

from __future__ import annotations

from heapq import heappop, heappush

import numpy as np

from . import function
from .function import check_finite, grad_mode, inplace_clock, unbroadcast


def toposort(root):
    """Graph nodes reachable from ``root`` (a Function), outputs before inputs
    (used by the tests and tools; backward itself orders nodes by ``seq``).

    Iterative depth-first search with an explicit stack, so chains of any length
    work: a node is emitted after all its inputs' nodes (post-order), and the
    reversed list puts every node after each node that consumes its output.
    """
    order, visited = [], {root}
    stack = [(root, iter(root.parents))]
    while stack:
        node, parents = stack[-1]
        for p in parents:
            child = p._ctx
            if child is not None and child not in visited:
                if child.parents is None:
                    raise _freed_error(child)
                visited.add(child)
                stack.append((child, iter(child.parents)))
                break
        else:
            stack.pop()
            order.append(node)
    order.reverse()
    return order


def _freed_error(node) -> RuntimeError:
    return RuntimeError(
        f"backward: trying to backward through the graph a second time ({node.name()} was "
        "already freed); specify retain_graph=True on the first backward() if you need to"
    )


def backward(root, gradient=None, retain_graph: bool = False) -> None:
    """Accumulate d(root)/d(leaf) into every leaf's ``.grad`` (see ``Tensor.backward``)."""
    if not root.requires_grad:
        raise RuntimeError(
            "backward: tensor does not require grad and has no grad_fn "
            f"(shape {tuple(root.shape)})"
        )
    if gradient is None:
        if root.data.size != 1:
            raise RuntimeError(
                "backward: grad can be implicitly created only for scalar outputs; "
                f"got shape {tuple(root.shape)}, pass gradient="
            )
        grad = np.empty(root.data.shape, root.data.dtype)  # np.ones adds a Python frame
        grad.fill(1)
    else:
        grad = np.array(getattr(gradient, "data", gradient), dtype=root.dtype)
        if grad.shape != root.data.shape:
            raise RuntimeError(
                f"backward: gradient has shape {grad.shape} but the tensor has shape "
                f"{tuple(root.shape)}"
            )
    if root._ctx is None:
        _accumulate_leaf(root, grad, set())
        return
    if root._ctx.parents is None:
        raise _freed_error(root._ctx)

    anomaly = grad_mode.anomaly
    clock = inplace_clock.now
    # Nodes come off a heap newest first. A node is always newer than the nodes of
    # its inputs, so every consumer of a tensor is done before the tensor's own
    # node: a topological order without a separate sort, and nodes that receive
    # no gradient are never visited.
    heap = [(-root._ctx.seq, root._ctx)]
    grads = {root._ctx: grad}  # node (or leaf tensor) → its summed gradient
    leaves = {}
    enabled = grad_mode.enabled
    grad_mode.enabled = False  # backward math is not itself recorded
    try:
        while heap:
            node = heappop(heap)[1]
            g = grads.pop(node)
            if node.out_ref is not None:
                g = _non_leaf_hooks(node.out_ref(), g)
            if node.saved and node.stamp != clock:
                node.check_saved()
            in_grads = node.backward(node, g)
            parents = node.parents
            if len(parents) == 1:
                in_grads = (in_grads,)
            inputs = []  # the graph's shape, kept when the graph is freed
            for p, pg in zip(parents, in_grads):
                ctx = p._ctx
                inputs.append(ctx or p)
                if pg is None or not p.requires_grad:
                    continue
                if anomaly:
                    check_finite(pg, f"{node.name()} backward (input of shape {p.shape})")
                shape = p.data.shape
                if pg.shape != shape:
                    pg = unbroadcast(pg, shape)
                if ctx is None:
                    leaves[p] = leaves[p] + pg if p in leaves else pg
                elif ctx in grads:
                    grads[ctx] = grads[ctx] + pg
                else:
                    if ctx.parents is None:
                        raise _freed_error(ctx)
                    grads[ctx] = pg
                    heappush(heap, (-ctx.seq, ctx))
            if not retain_graph:
                # Free the saved arrays and the intermediate tensors; keep only the
                # graph's shape (input nodes and leaves) for drawing it afterwards.
                node.inputs = inputs
                node.parents = None
                node.saved = ()
        seen = set()
        for leaf, g in leaves.items():
            _accumulate_leaf(leaf, g, seen)
    finally:
        grad_mode.enabled = enabled


def _non_leaf_hooks(t, g):
    """Run a non-leaf's hooks and keep its gradient if it asked to."""
    if t is None:
        return g
    for hook in t._hooks or ():
        out = hook(_wrap(g))
        if out is not None:
            g = out.data
    if t._retains_grad:
        if t.grad is None:
            t.grad = _wrap(g.copy())
        else:
            t.grad.data += g
    return g


def _accumulate_leaf(leaf, g, seen: set) -> None:
    """Hooks, dtype, then a new ``.grad`` (owning its memory) or in-place accumulation."""
    if leaf._hooks:
        for hook in leaf._hooks:
            out = hook(_wrap(g))
            if out is not None:
                g = out.data
    data = leaf.data
    if g.dtype != data.dtype:
        g = g.astype(data.dtype)
    if leaf.grad is None:
        # .grad later accumulates in place, so it must own its memory alone: copy
        # when another leaf already got the same memory (x + x, a + b, the slices
        # of a cat) or when it is read-only (a broadcast view).
        owner = g if g.base is None else g.base
        if id(owner) in seen or not g.flags.writeable:
            g = owner = g.copy()
        seen.add(id(owner))
        leaf.grad = _wrap(g)
    else:
        leaf.grad.data += g


def _wrap(array):
    return function.Tensor._make(array, None)
