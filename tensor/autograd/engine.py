"""Reverse-mode autodiff: topological order and the backward pass of
``Tensor.backward()``. This is the first-order pass, on arrays, that every training
step runs; ``backprop.py`` holds the general one (``create_graph=True``, gradients
of any tensors, several roots), which this hands over to when asked."""

from __future__ import annotations

from heapq import heappop, heappush

import numpy as np

from .. import function
from ..function import anomaly_mode, as_of, check_finite, inplace_clock, unbroadcast
from ..grad_mode import grad_mode


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
            child = as_of(p, node.seq)._ctx
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


# The general pass, for create_graph, inputs= and profiling: api.py fills it in when
# the package loads (it is built on this module, so this one cannot import it).
general_backward = None


def _freed_error(node) -> RuntimeError:
    return RuntimeError(
        f"backward: trying to backward through the graph a second time ({node.name()} was "
        "already freed); specify retain_graph=True on the first backward() if you need to"
    )


def backward(root, gradient=None, retain_graph=None, create_graph: bool = False,
             inputs=None) -> None:
    """``Tensor.backward``: accumulate d(root)/d(leaf) into the ``.grad`` of every leaf
    that requires grad. ``gradient`` is d(something)/d(root), needed unless root has
    one element; ``retain_graph`` keeps the graph for another backward;
    ``create_graph`` records the backward pass itself (for a gradient of the
    gradient); ``inputs`` limits the accumulation to these tensors."""
    if create_graph or inputs is not None or function.profiler is not None:
        return general_backward(root, gradient, retain_graph, create_graph, inputs)
    if not root.requires_grad:
        raise RuntimeError(
            "backward: tensor does not require grad and has no grad_fn "
            f"(shape {tuple(root.shape)})"
        )
    data = root.data
    if gradient is None:
        if data.size != 1:
            raise RuntimeError(
                "backward: grad can be implicitly created only for scalar outputs; "
                f"got shape {tuple(root.shape)}, pass gradient="
            )
        grad = np.empty(data.shape, data.dtype)  # np.ones adds a Python frame
        grad.fill(1)
    else:
        grad = np.array(getattr(gradient, "data", gradient), dtype=data.dtype)
        if grad.shape != data.shape:
            raise RuntimeError(
                f"backward: gradient has shape {grad.shape} but the tensor has shape "
                f"{tuple(root.shape)}"
            )
    if function.rebase is not None:
        function.rebase((root,))
    node = root._ctx
    if node is None:
        _accumulate_leaves({root: grad})
        return
    if node.parents is None:
        raise _freed_error(node)
    enabled = grad_mode.enabled
    grad_mode.enabled = False  # backward math is not itself recorded
    try:
        _accumulate_leaves(_backprop(node, grad, retain_graph))
    finally:
        grad_mode.enabled = enabled


def _backprop(root, grad, retain_graph: bool) -> dict:
    """Run every node's backward, newest first; return leaf → summed gradient."""
    anomaly = anomaly_mode.enabled
    clock = inplace_clock.now
    # Nodes come off a heap newest first. A node is always newer than the nodes of
    # its inputs, so every consumer of a tensor is done before the tensor's own
    # node: a topological order without a separate sort, and nodes that receive
    # no gradient are never visited.
    heap = [(-root.seq, root)]
    grads = {root: grad}  # node → its summed gradient
    leaves = {}
    while heap:
        node = heappop(heap)[1]
        g = grads.pop(node)
        if node.out_ref is not None:
            g = _non_leaf_hooks(node.out_ref(), g)
        if node.saved and node.stamp != clock:
            node.check_saved()
        in_grads = node.backward(node, g)
        broadcasts = node.broadcasts
        parents = node.parents
        # one input (a bare gradient) without building a zip
        edges = ((parents[0], in_grads),) if len(parents) == 1 else zip(parents, in_grads)
        inputs = []  # the graph's shape, kept when the graph is freed
        seq = node.seq
        for p, pg in edges:
            ctx = p._ctx
            if ctx is not None and ctx.seq > seq:  # updated in place since: the old node
                p = as_of(p, seq)
                ctx = p._ctx
            inputs.append(ctx or p)
            if pg is None or not p.requires_grad:
                continue
            if anomaly:
                check_finite(pg, f"{node.name()} backward (input of shape {tuple(p.shape)})")
            if broadcasts and pg.shape != p.data.shape:
                pg = unbroadcast(pg, p.data.shape)
            if ctx is None:
                prev = leaves.get(p)
                leaves[p] = pg if prev is None else prev + pg
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
    return leaves


def _non_leaf_hooks(t, g):
    """Run a non-leaf's hooks and keep its gradient if it asked to."""
    if t is None:
        return g
    for hook in t._hooks or ():
        g = _run_hook(hook, g)
    if t._retains_grad:
        if t.grad is None:
            t.grad = _wrap(np.array(g))  # a copy; an array also where g is a 0-d scalar
        else:
            t.grad.data += g
    return g


def _accumulate_leaves(leaves: dict) -> None:
    """Per leaf: hooks, dtype, then a new ``.grad`` (owning its memory) or in-place
    accumulation into the existing one."""
    seen = set()
    make = function._make
    for leaf, g in leaves.items():
        if g.__class__ is not np.ndarray:  # NumPy gives a 0-d result as a scalar, which
            g = np.array(g)  # an optimizer's in-place update (buf *= m) would not change
        hooked = leaf._hooks
        if hooked:
            for hook in hooked:
                g = _run_hook(hook, g)
        dtype = leaf.data.dtype
        if g.dtype is not dtype and g.dtype != dtype:
            g = g.astype(dtype)
        if leaf.grad is not None:
            leaf.grad.data += g
            continue
        # .grad later accumulates in place, so it must own its memory alone: copy
        # when another leaf already got the same memory (x + x, a + b, the slices
        # of a cat) or when it is read-only (a broadcast view; an op's fresh result
        # is writeable, a hook's may not be).
        owner = g.base
        if owner is None:
            owner = g
            if id(g) in seen or (hooked and not g.flags.writeable):
                g = owner = g.copy()
        elif id(owner) in seen or not g.flags.writeable:
            g = owner = g.copy()
        seen.add(id(owner))
        leaf.grad = make(g, None)


def _run_hook(hook, g: np.ndarray) -> np.ndarray:
    """A hook's replacement gradient, held to PyTorch's rules: a Tensor of the same
    shape and dtype, or None to keep ``g``."""
    out = hook(_wrap(g))
    if out is None:
        return g
    name = getattr(hook, "__name__", type(hook).__name__)
    if not isinstance(out, function.Tensor):
        raise TypeError(f"backward: expected a Tensor or None, but hook '{name}' returned "
                        f"{type(out).__name__}")
    if out.shape != g.shape:
        raise RuntimeError(f"backward: hook '{name}' has changed the size of value (from "
                           f"{g.shape} to {out.shape})")
    if out.dtype != g.dtype:
        raise RuntimeError(f"backward: hook '{name}' has changed the type of value (was "
                           f"{g.dtype.name}, got {out.dtype.name})")
    return out.data


def _wrap(array):
    return function._make(array, None)
