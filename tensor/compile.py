"""``tensor.compile(fn)``: run a step once eagerly while recording it (``capture.py``),
then replay a flat plan: the ops' own forward and backward functions called on
arrays, in the recorded order, with no Tensor objects, graph nodes or heap.

    step = tensor.compile(train_step)       # or @tensor.compile
    loss = step(xb, yb)                      # 1st call: eager, recorded
    loss = step(xb, yb)                      # later calls: the plan

A plan is kept per guard: the arguments' shapes, dtypes and requires_grad, grad
mode, anomaly mode, each module's ``training`` flag and the identity and shape of
every parameter array. A miss records another plan (the last, smaller batch of
an epoch is a second one); past ``cache_size_limit`` plans the function runs
eagerly, with one warning. What can't be replayed (``.item()``, printing,
hooks, tensors made inside from values the plan can't follow, parameters changed
outside an optimizer) makes the function run eagerly with one warning, or raises
`CaptureError` with ``fullgraph=True``.

Replayed, as in eager: the learning rate a scheduler sets, Adam's step count,
dropout's masks (drawn by the op, so the generator advances as in eager), and
``.grad`` of every parameter. What a replay returns is a fresh, detached tensor.
"""

from __future__ import annotations

import numpy as np

from . import autograd, function, fuse
from .capture import CaptureError, Recorder, warn_fallback
from .function import anomaly_mode, unbroadcast
from .grad_mode import grad_mode
from .tensor import Tensor

_new = object.__new__


class Plan:
    """The events of one recorded call, ready to run again on new arguments.

    Each op event is turned once into what a replay needs of it (its forward and
    backward functions, where its inputs come from, where its gradients go), so a
    replay does no lookups beyond list indexing.
    """

    def __init__(self, recorder: Recorder, arg_slots: list, out):
        self.events = recorder.events
        self.n_slots = recorder.n_slots
        self.arg_slots = arg_slots
        self.out = out
        self.modules = [(m, [(sub, sub.training) for sub in m.modules()])
                        for m in recorder.modules]
        self.params = [(p, p.data) for p in recorder.params.values()]
        self.fused = {k: fuse.FusedLinear(*v) for k, v in fuse.find(self.events).items()}
        self.program = [self._compile(k, e) for k, e in enumerate(self.events)]
        self.applied: list = []  # parameters this call's fused updates already stepped

    def _compile(self, k, event):
        if event[0] != "op":
            return event
        _, cls, refs, kw, needs, shapes, out = event
        inputs = tuple((r[0] == "slot", r[1]) for r in refs)
        # (input position, to a slot?, slot or tensor, shape) for inputs that get a gradient
        edges = tuple((i, r[0] == "slot", r[1], shape)
                      for i, (r, need, shape) in enumerate(zip(refs, needs, shapes))
                      if need and r[0] != "const")
        return ("op", cls, inputs, kw or None, needs, out, edges, self.fused.get(k))

    def valid(self) -> bool:
        """The guards a cache key can't hold: parameters and training flags."""
        return (all(p.data is array for p, array in self.params)
                and all(sub.training == flag for _, subs in self.modules
                        for sub, flag in subs))

    def run(self, leaves_in: list):
        slots = [None] * self.n_slots
        for slot, t in zip(self.arg_slots, leaves_in):
            slots[slot] = t.data if isinstance(t, Tensor) else t
        ops = []  # (ctx, compiled op) in order, for backward
        for step in self.program:
            if step[0] == "op":
                _, cls, inputs, kw, needs, out, _, _ = step
                ctx = _new(cls)
                ctx.saved = ()
                ctx.needs_input_grad = needs
                arrays = [slots[v] if is_slot else v.data for is_slot, v in inputs]
                if kw is None:
                    slots[out] = cls.forward(ctx, *arrays)
                else:
                    slots[out] = cls.forward(ctx, *arrays,
                                             **{k: _decode(v, slots) for k, v in kw.items()})
                ops.append((ctx, step))
            elif step[0] == "backward":
                self._backward(slots, ops, step, leaves_in)
            else:
                self._call(step[1], step[2], step[3])
        return _decode_out(self.out, slots)

    def _call(self, method, args, kwargs) -> None:
        """A replayable call; an optimizer's step skips what fused updates did."""
        if not self.applied or not hasattr(args[0] if args else None, "plain_sgd"):
            method(*args, **kwargs)
            return
        applied, self.applied = self.applied, []
        grads = [p.grad for p in applied]
        for p in applied:
            p.grad = None
        try:
            method(*args, **kwargs)
        finally:
            for p, g in zip(applied, grads):
                p.grad = g

    def _backward(self, slots, ops, event, leaves_in) -> None:
        _, root, grad = event
        g0 = slots[root]
        g0 = np.ones(g0.shape, g0.dtype) if grad is None else np.array(
            _decode(grad, slots), dtype=g0.dtype)
        grads = {root: g0}
        leaves = {}
        plain = {}  # optimizer → whether its step is plain SGD now (asked once per call)
        enabled = grad_mode.enabled
        grad_mode.enabled = False
        try:
            for ctx, (_, cls, _, _, _, out, edges, fused) in reversed(ops):
                g = grads.pop(out, None)
                if g is None:
                    continue
                in_grads = None
                if fused is not None:
                    opt = fused.optimizer
                    if opt not in plain:
                        plain[opt] = opt.plain_sgd()
                    if plain[opt]:
                        in_grads = fused.backward(ctx, g, self.applied)
                if in_grads is None:
                    in_grads = cls.backward(ctx, g)
                    if len(ctx.needs_input_grad) == 1:
                        in_grads = (in_grads,)
                for i, to_slot, target, shape in edges:
                    pg = in_grads[i]
                    if pg is None:
                        continue
                    if cls.broadcasts and pg.shape != shape:
                        pg = unbroadcast(pg, shape)
                    store = grads if to_slot else leaves
                    prev = store.get(target)
                    store[target] = pg if prev is None else prev + pg
            for slot, t in zip(self.arg_slots, leaves_in):  # leaf arguments
                if slot in grads and isinstance(t, Tensor) and t.requires_grad:
                    leaves[t] = grads[slot]
            if leaves:
                autograd._accumulate_leaves(leaves)
        finally:
            grad_mode.enabled = enabled


def _decode(value, slots):
    kind, v = value
    if kind == "slot":
        return slots[v]
    if kind == "tuple":
        return tuple(_decode(x, slots) for x in v)
    return v  # "array" (a constant) or "value"


def _encode_out(value, recorder: Recorder):
    if isinstance(value, Tensor):
        slot = recorder.slot_of.get(id(value.data))
        return ("slot", slot) if slot is not None else ("value", value)
    if isinstance(value, (tuple, list)):
        return (type(value).__name__, [_encode_out(v, recorder) for v in value])
    if isinstance(value, dict):
        return ("dict", {k: _encode_out(v, recorder) for k, v in value.items()})
    return ("value", value)


def _decode_out(out, slots):
    kind, v = out
    if kind == "slot":
        return function._make(slots[v], None)
    if kind in ("tuple", "list"):
        items = [_decode_out(x, slots) for x in v]
        return tuple(items) if kind == "tuple" else items
    if kind == "dict":
        return {k: _decode_out(x, slots) for k, x in v.items()}
    return v


class Compiled:
    """A function with its plans; call it as the function."""

    def __init__(self, fn, fullgraph: bool = False, cache_size_limit: int = 8):
        self.fn, self.fullgraph, self.cache_size_limit = fn, fullgraph, cache_size_limit
        self.plans: dict = {}
        self.recorded = 0
        self.eager_reason: str | None = None
        self.__wrapped__ = fn
        self.__name__ = getattr(fn, "__name__", "function")
        self.__doc__ = getattr(fn, "__doc__", None)

    def __call__(self, *args, **kwargs):
        if self.eager_reason is not None or function.recorder is not None:
            return self.fn(*args, **kwargs)
        leaves = [*args, *(kwargs[k] for k in sorted(kwargs))]
        key = _guard_key(leaves)
        if key is None:
            return self.fn(*args, **kwargs)
        plan = self.plans.get(key)
        if plan is not None and plan.valid():
            return plan.run(leaves)
        if self.recorded >= self.cache_size_limit:
            self._go_eager(f"more than cache_size_limit={self.cache_size_limit} recordings "
                           "(shapes, dtypes, modes or parameters keep changing)")
            return self.fn(*args, **kwargs)
        return self._record(key, leaves, args, kwargs)

    def _record(self, key, leaves, args, kwargs):
        recorder = Recorder(strict=self.fullgraph)
        self.recorded += 1
        with recorder:
            arg_slots = [recorder.slot(t.data if isinstance(t, Tensor) else t) for t in leaves]
            result = self.fn(*args, **kwargs)
            out = _encode_out(result, recorder)
        if recorder.problems:
            self._go_eager(recorder.problems[0])
        else:
            self.plans[key] = Plan(recorder, arg_slots, out)
        return result

    def _go_eager(self, reason: str) -> None:
        self.eager_reason = reason
        self.plans.clear()
        warn_fallback(self.__name__, reason)


def _guard_key(leaves):
    """The hashable part of the guards, or None when an argument can't be a plan
    input (a tensor with a graph of its own)."""
    parts = [grad_mode.enabled, anomaly_mode.enabled]
    for a in leaves:
        if isinstance(a, Tensor):
            if a._ctx is not None:
                return None
            parts.append((a.data.shape, a.data.dtype, a.requires_grad))
        elif isinstance(a, np.ndarray):
            parts.append((a.shape, a.dtype))
        else:
            try:
                hash(a)
            except TypeError:
                return None
            parts.append(("value", type(a), a))
    return tuple(parts)


def compile(fn=None, *, fullgraph: bool = False, dynamic=None, backend=None, mode=None,
            options=None, disable: bool = False, cache_size_limit: int = 8):  # noqa: A001
    """``torch.compile``'s name and call form (usable as ``@compile`` or
    ``@compile(fullgraph=True)``); ``dynamic``, ``backend``, ``mode`` and ``options``
    are accepted and change nothing."""
    if fn is None:
        return lambda f: compile(f, fullgraph=fullgraph, disable=disable,
                                 cache_size_limit=cache_size_limit)
    if disable:
        return fn
    return Compiled(fn, fullgraph, cache_size_limit)


__all__ = ["CaptureError", "Compiled", "compile"]
