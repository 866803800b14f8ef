"""Reverse-mode autodiff: topological order and the backward pass."""

from __future__ import annotations

import numpy as np

from .function import check_finite, grad_mode, unbroadcast


def toposort(root):
    """Graph nodes reachable from ``root`` (a Function), outputs before inputs.

    Iterative depth-first search with an explicit stack, so chains of any length
    work; a node comes only after every node that consumes its output.
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
    from .tensor import Tensor

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
        grad = np.ones_like(root.data)
    else:
        grad = np.array(gradient.data if isinstance(gradient, Tensor) else gradient,
                        dtype=root.dtype)
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
    grads = {root._ctx: grad}
    for node in toposort(root._ctx):
        g = grads.pop(node)
        if node.out_ref is not None:
            g = _non_leaf_hooks(node.out_ref(), g)
        if node.saved:
            node.check_saved()
        with_grad = grad_mode.enabled
        grad_mode.enabled = False  # backward math is not itself recorded
        try:
            in_grads = node.backward(node, g)
        finally:
            grad_mode.enabled = with_grad
        if len(node.parents) == 1:
            in_grads = (in_grads,)
        for p, pg in zip(node.parents, in_grads):
            if pg is None or not p.requires_grad:
                continue
            if anomaly:
                check_finite(pg, f"{node.name()} backward (input of shape {tuple(p.shape)})")
            if pg.shape != p.data.shape:
                pg = unbroadcast(pg, p.data.shape)
            key = p._ctx if p._ctx is not None else p
            prev = grads.get(key)
            grads[key] = pg if prev is None else prev + pg
        if not retain_graph:
            node.parents = None  # frees saved arrays and the intermediate tensors
            node.saved = ()
    seen = set()
    for leaf, g in grads.items():
        _accumulate_leaf(leaf, g, seen)


def _non_leaf_hooks(t, g):
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
    for hook in leaf._hooks or ():
        out = hook(_wrap(g))
        if out is not None:
            g = out.data
    if g.dtype != leaf.data.dtype:
        g = g.astype(leaf.data.dtype)
    if leaf.grad is None:
        # An array another leaf also received (x + x, a + b) or a view must not
        # become a .grad that later accumulates in place.
        if id(g) in seen or g.base is not None or not g.flags.writeable:
            g = g.copy()
        seen.add(id(g))
        leaf.grad = _wrap(g)
    else:
        leaf.grad.data += g


def _wrap(array):
    from .tensor import Tensor

    return Tensor._make(array, None)
