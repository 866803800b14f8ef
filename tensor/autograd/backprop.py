"""The general backward pass behind ``torch.autograd.grad``, ``torch.autograd.backward``
and ``Tensor.backward`` with ``create_graph=True`` or ``inputs=`` (``api.py``).

It walks the graph as ``engine.py`` does (newest node first) with three additions:

a) several roots, each with its gradient;
b) ``inputs``: the gradient of any tensor, a leaf or not, is caught as it passes,
   and only the nodes that lead to one are run;
c) ``create_graph``: gradients are Tensors and each node's backward is recorded.
   A twice-differentiable op (``function.py``) runs its own backward on Tensors:
   ``ctx.saved`` then holds the graph's tensors (an input is the input itself, the
   output is re-wrapped with the same array and node, anything else is a constant).
   Other ops compute on arrays, and their results come from a node whose own
   backward raises, naming the op.
"""

from __future__ import annotations

from heapq import heappop, heappush

import numpy as np

from .. import function
from ..function import Function, anomaly_mode, as_of, check_finite, unbroadcast
from ..grad_mode import grad_mode
from .engine import _freed_error, _run_hook
from .function import FunctionCtx


def _tensor(array):
    return function._make(array, None)


def _needed(roots, leaves: dict, nodes: dict):
    """For gradients of some tensors only: the nodes a target is reached through
    (wanted: targets and the nodes before them) and those whose backward must run."""
    wanted, runs, state = set(), set(), {}
    stack = [r._ctx for r in roots if r._ctx is not None]
    while stack:
        node = stack[-1]
        if node not in state:  # first visit: its inputs' nodes go first
            state[node] = False
            if node.parents is None:
                raise _freed_error(node)
            parents = [as_of(p, node.seq) for p in node.parents]
            stack.extend(p._ctx for p in parents if p._ctx is not None and p._ctx not in state)
            continue
        stack.pop()
        if state[node]:
            continue
        state[node] = True
        if any(id(p) in leaves or p._ctx in wanted
               for p in (as_of(p, node.seq) for p in node.parents)):
            runs.add(node)
        if node in runs or node in nodes:
            wanted.add(node)
    return wanted, runs


def run(roots, grads, retain_graph: bool, create_graph: bool, inputs=None) -> dict:
    """Backpropagate ``grads`` from ``roots``. Returns id(tensor) → (tensor, gradient)
    for every leaf reached, or (``inputs`` given) for those tensors."""
    leaves = nodes = wanted = runs = None
    if function.rebase is not None:  # stale views among them (views.py)
        function.rebase((*roots, *(inputs or ())))
    if inputs is not None:
        leaves = {id(t): t for t in inputs if t._ctx is None}
        nodes = {t._ctx: t for t in inputs if t._ctx is not None}
        wanted, runs = _needed(roots, leaves, nodes)
    heap, pending, outputs, caught = [], {}, {}, {}
    profiling = function.profiler
    for r, g in zip(roots, grads):
        node = r._ctx
        if node is None:
            if leaves is None or id(r) in leaves:
                _catch(caught, r, g)
            continue
        if wanted is not None and node not in wanted:
            continue
        if node.parents is None:
            raise _freed_error(node)
        if node not in pending:
            heappush(heap, (-node.seq, node))
            outputs[node] = r
        pending[node] = g if node not in pending else pending[node] + g
    while heap:
        node = heappop(heap)[1]
        g = pending.pop(node)
        out = outputs[node]
        if out._hooks or out._retains_grad:
            g = (_non_leaf_hooks if create_graph else _array_hooks)(out, g)
        if nodes is not None and node in nodes:
            _catch(caught, nodes[node], g)
            if node not in runs:
                continue
        if node.saved and node.stamp != function.inplace_clock.now:
            node.check_saved()
        if profiling is not None:
            profiling.begin(node.backward_name())
        if create_graph:
            in_grads = _graph_backward(node, g, out)
        else:
            in_grads = node.backward(node, g)
        if profiling is not None:
            profiling.end()
        parents = node.parents
        edges = ((parents[0], in_grads),) if len(parents) == 1 else zip(parents, in_grads)
        kept = []  # the graph's shape, kept when the graph is freed
        for p, pg in edges:
            p = as_of(p, node.seq)  # updated in place since: the old node (function.as_of)
            ctx = p._ctx
            kept.append(ctx or p)
            if pg is None or not p.requires_grad:
                continue
            if ctx is None:
                if leaves is not None and id(p) not in leaves:
                    continue
            elif wanted is not None and ctx not in wanted:
                continue
            if anomaly_mode.enabled:
                check_finite(pg, f"{node.name()} backward (input of shape {tuple(p.shape)})")
            if node.broadcasts and tuple(pg.shape) != p.data.shape:
                pg = unbroadcast(pg, p.data.shape)
            if ctx is None:
                _catch(caught, p, pg)
            elif ctx in pending:
                pending[ctx] = pending[ctx] + pg
            else:
                if ctx.parents is None:
                    raise _freed_error(ctx)
                heappush(heap, (-ctx.seq, ctx))
                outputs[ctx] = p
                pending[ctx] = pg
        if not retain_graph:
            node.inputs = kept
            node.parents = None
            node.saved = ()
    return caught


def _catch(caught: dict, t, g) -> None:
    prev = caught.get(id(t))
    caught[id(t)] = (t, g if prev is None else prev[1] + g)


def _array_hooks(t, g):
    for hook in t._hooks or ():
        g = _run_hook(hook, g)
    if t._retains_grad:  # in grad() too, as PyTorch
        t.grad = _tensor(np.array(g)) if t.grad is None else _tensor(np.asarray(t.grad.data + g))
    return g


def _non_leaf_hooks(t, g):
    """A tensor's hooks and retain_grad, on a gradient that is a Tensor."""
    for hook in t._hooks or ():
        out = hook(g)
        g = g if out is None else out
    if t._retains_grad:
        t.grad = g if t.grad is None else t.grad + g
    return g


def _graph_backward(node, g, out):
    """One node's backward, recorded: on Tensors for a twice-differentiable op, else
    on arrays behind a node that refuses a second differentiation."""
    if not node.twice_differentiable:
        return _once(node, g)
    if isinstance(node, FunctionCtx):  # a custom Function's ctx hands out its own Tensors
        return node.backward(node, g)
    arrays = node.saved
    parents = [as_of(p, node.seq) for p in node.parents]
    node.saved = tuple(_as_graph_tensor(a, parents, out) for a in arrays)
    try:
        return node.backward(node, g)
    finally:
        node.saved = arrays


def _as_graph_tensor(a, parents, out):
    if not isinstance(a, (np.ndarray, np.generic)):
        return a
    for p in parents:
        if p.data is a:
            return p
    if out.data is a:
        return out
    return _tensor(a)


class OnceDifferentiable(Function):
    """y = a gradient an op computed on arrays;  dy: none (it raises, naming the op)"""

    @staticmethod
    def forward(ctx, *inputs, value, op):
        ctx.op = op
        return value

    def backward_name(self) -> str:
        return "OnceDifferentiableBackward"

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError(
            f"{ctx.op}: a gradient of its gradient is not implemented (its backward runs "
            "on arrays only: create_graph=True gives a first gradient through it, not a "
            "second one)")


def _once(node, g):
    grad_mode.enabled = False  # the arrays' pass, as in a first-order backward
    try:
        if isinstance(g, dict):  # the outputs' gradients of a custom Function with several
            linked = (*g.values(), *node.parents)
            arrays = node.backward(node, type(g)({k: v.data for k, v in g.items()}))
        else:
            linked = (g, *node.parents)
            arrays = node.backward(node, g.data)
    finally:
        grad_mode.enabled = True
    many = isinstance(arrays, tuple)
    results = [None if a is None else OnceDifferentiable.apply(
        *linked, value=a, op=node.backward_name()) for a in (arrays if many else (arrays,))]
    return tuple(results) if many else results[0]
