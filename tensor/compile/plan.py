"""``tensor.compile(fn)``: run a step once eagerly while recording it (``capture.py``),
then replay it as straight-line NumPy code written from the recording
(``codegen.py``): no Tensor objects, graph nodes or heap.

    step = tensor.compile(train_step)       # or @tensor.compile
    loss = step(xb, yb)                      # 1st call: eager, recorded
    loss = step(xb, yb)                      # later calls: the plan

A plan is kept per guard. The key: the arguments (tuples, lists and dicts opened)
with their shapes, dtypes and requires_grad, which of them are the same array, the
keyword names, grad mode and anomaly mode. Then what the recording call was seen to
depend on (``observe.py``): each module's ``training`` flag and version, every leaf
tensor the ops read (its array and requires_grad, frozen ones too), every global
and closure cell that any Python frame of the call named, and the items of the
plain containers and objects reached from them. A miss records another plan (the
last, smaller batch of an epoch is a second one); past ``cache_size_limit`` plans
the function runs eagerly, with one warning. What can't be replayed (``.item()``,
printing, hooks, tensors made inside from values the plan can't follow, in-place
changes, state written outside an op) makes the function run eagerly with one
warning, or raises `CaptureError` with ``fullgraph=True``. A replay runs the ops
and the optimizers', schedulers' and clipping calls, nothing else of the Python.
"""

from __future__ import annotations

import builtins
import inspect
import keyword
import operator
import sys
from itertools import repeat

import numpy as np

from .. import function
from ..tensor import Tensor
from . import codegen
from .bytecode import unread_numbers
from .capture import CaptureError, Recorder, warn_fallback
from .key import flatten, guard_key, is_leaf_type
from .memory import keep_freed_memory
from .module import CompiledFunction, optimized_module
from .observe import unchanged

_DATA, _REQUIRES_GRAD = operator.attrgetter("data"), operator.attrgetter("requires_grad")
_MODE = operator.attrgetter("training", "version")  # Module.version: see nn/module.py
_CONTENTS = operator.attrgetter("cell_contents")
_MISSING = object()


class Plan:
    """One recorded call as straight-line code (``codegen.py``), with the guards
    that say when it may run again."""

    def __init__(self, recorder: Recorder, arg_slots: list, arg_names: list, out, aot: bool):
        # what the guards compare, as lists that map() walks in C: Python loops over
        # them were most of the wrapper's cost
        seen = recorder.observer
        self.cells = [c for c, _ in seen.cells.values()]
        self.cell_values = [v for _, v in seen.cells.values()]
        self.namespaces = [ns for ns, _, _ in seen.globals.values()]
        self.names = [name for _, name, _ in seen.globals.values()]
        self.global_values = [v for _, _, v in seen.globals.values()]
        self.objects = list(seen.objects.values())
        self.submodules = list(seen.modules.values())
        # the modes the call started with are the guard; those it left are set again
        # after a replay (a model.train() inside the step)
        self.modes = [(seen.training[id(m)], seen.module_states[id(m)]["version"])
                      for m in self.submodules]
        self.exit_modes = [(m, m.training) for m in self.submodules
                           if m.training != seen.training[id(m)]]
        self.params = list(recorder.params.values())
        self.arrays = [p.data for p in self.params]
        self.requires_grad = [p.requires_grad for p in self.params]
        self.fused = recorder.fused
        self.aot = aot
        self.source, namespace = codegen.generate(recorder.events, arg_slots, arg_names, out,
                                                  recorder.fused, _param_names(recorder.events),
                                                  aot)
        exec(builtins.compile(self.source, "<tensor.compile plan>", "exec"), namespace)  # noqa: S102
        self.replay = namespace["replay"]

    numbers: list = []  # the int and float arguments' values it holds (None: any value)

    def serves(self, numbers) -> bool:
        """Whether the plan holds the value of every number argument it read."""
        return all(v is None or v == n[1] for v, n in zip(self.numbers, numbers))

    def valid(self) -> bool:
        """The guards a cache key can't hold: each leaf's array and requires_grad,
        each module's training flag and version (its attributes reassigned), the
        globals and cells the call named, the plain objects it reached, and the
        parameters of the optimizer whose update is fused."""
        try:
            return (all(map(operator.is_, map(_DATA, self.params), self.arrays))
                    and list(map(_REQUIRES_GRAD, self.params)) == self.requires_grad
                    and list(map(_MODE, self.submodules)) == self.modes
                    and all(map(operator.is_, map(_CONTENTS, self.cells), self.cell_values))
                    and all(map(operator.is_, map(dict.get, self.namespaces, self.names,
                                                  repeat(_MISSING)), self.global_values))
                    and (not self.objects
                         or all(unchanged(items, obj) for obj, items in self.objects))
                    and (self.fused is None or self.fused.unchanged()))
        except ValueError:  # a closure cell emptied
            return False

    def run(self, leaves_in: list):
        if self.aot:  # one graph node whose backward is the written-out backward
            inputs = [*(t for t in leaves_in if isinstance(t, Tensor)), *self.params]
            out = CompiledFunction.apply(*inputs, replay=self.replay, leaves=leaves_in,
                                         inputs=inputs)
        else:
            out = self.replay(leaves_in)
        for m, training in self.exit_modes:
            m.training = training
        return out



def _param_names(events) -> dict:
    """id(parameter) → its name in the code: W1, b1, W2, … for the Linear layers in
    the order they run (the notebook's names); the rest are named by the code."""
    names, n = {}, 0
    for e in events:
        if e[0] == "op" and e[1].__name__ == "Linear":
            params = [r[1] for r in e[2][1:] if r[0] == "param"]
            if params and id(params[0]) not in names:
                n += 1
                for p, prefix in zip(params, ("W", "b")):
                    names[id(p)] = f"{prefix}{n}"
    return names


def _encode_out(value, recorder: Recorder):
    """What the function returned, by reference to the plan's arrays; a value the
    plan can't recompute (an argmax, a comparison, a NumPy array or scalar) is a
    problem: a replay would return the first call's."""
    if isinstance(value, Tensor):
        slot = recorder.slot_of.get(id(value.data))
        if slot is not None:
            return ("slot", slot)
        if id(value) in recorder.made:
            recorder.problem(f"the function returns a tensor of shape {tuple(value.shape)} "
                             "made inside from values the plan can't follow (argmax, a "
                             "comparison, …); a replay would return the first call's")
        return ("value", value)  # a tensor from outside: the object itself
    if isinstance(value, (np.ndarray, np.generic)):
        recorder.problem(f"the function returns a NumPy {type(value).__name__}; a replay "
                         "would return the first call's (return a tensor)")
        return ("value", value)
    if isinstance(value, float) and id(value) in recorder.items:
        return ("item", recorder.items[id(value)][0])  # loss.item(): read again at a replay
    if isinstance(value, (int, float, complex, str)) and not isinstance(value, bool):
        if not recorder.observer.explains(value):
            recorder.problem(f"the function returns {type(value).__name__} {value!r}, which "
                             "is neither an argument, a constant of its code, nor a value the "
                             "guards watch (an optimizer's lr, a count): a replay would "
                             "return this one")
        return ("value", value)
    if isinstance(value, (tuple, list)):
        return (type(value).__name__, [_encode_out(v, recorder) for v in value])
    if isinstance(value, dict):
        return ("dict", {k: _encode_out(v, recorder) for k, v in value.items()})
    return ("value", value)


PLANS_PER_KEY = 4


class Compiled:
    """A function with its plans; call it as the function."""

    def __init__(self, fn, fullgraph: bool = False, cache_size_limit: int = 8):
        self.fn, self.fullgraph, self.cache_size_limit = fn, fullgraph, cache_size_limit
        self.plans: dict = {}
        self.recorded = 0
        self.last: Plan | None = None
        self.eager_reason: str | None = None
        self.__wrapped__ = fn
        self.__name__ = getattr(fn, "__name__", "function")
        self.__doc__ = getattr(fn, "__doc__", None)

    def __call__(self, *args, **kwargs):
        if self.eager_reason is not None or function.recorder is not None:
            return self.fn(*args, **kwargs)
        if kwargs or not all(map(is_leaf_type, args)):
            leaves, structure = [], []
            flatten((args, kwargs), leaves, structure)
            key, numbers = guard_key(leaves, tuple(structure))
        else:  # the usual step(x, y): nothing to open
            leaves = args
            key, numbers = guard_key(args, len(args))
        if key is None:
            return self.fn(*args, **kwargs)
        for plan in self.plans.get(key, ()):  # newest first: usually the only one
            if (not numbers or plan.serves(numbers)) and plan.valid():
                return plan.run(leaves)
        if self.recorded >= self.cache_size_limit:
            self._go_eager(f"more than cache_size_limit={self.cache_size_limit} recordings "
                           "(shapes, dtypes, modes or parameters keep changing)")
            return self.fn(*args, **kwargs)
        return self._record(key, numbers, leaves, args, kwargs)

    def _record(self, key, numbers, leaves, args, kwargs):
        recorder = Recorder(strict=self.fullgraph)
        self.recorded += 1
        for value in (self.fn, *args, *kwargs.values()):  # before the call changes them
            recorder.observer.reach(value)
        recorder.entry = sys._getframe().f_code
        recorder.observer.args = list(leaves)
        with recorder:
            arg_slots = [recorder.slot(t.data, t) if isinstance(t, Tensor) else recorder.slot(t)
                         for t in leaves]
            result = self.fn(*args, **kwargs)
            out = _encode_out(result, recorder)
            aot = _check_graphs(result, out, leaves, recorder)
        if recorder.problems:
            self._go_eager(recorder.problems[0])
        else:
            names = self._arg_names(len(args), sorted(kwargs)) if len(leaves) == len(args) + len(
                kwargs) else [f"arg_{i}" for i in range(len(leaves))]
            self.last = Plan(recorder, arg_slots, names, out, aot)
            unread = unread_numbers(self.fn, args, kwargs)
            self.last.numbers = [None if n in unread else v for n, v in numbers]
            # a few per key: a function called in train() and eval() mode keeps both
            self.plans[key] = [self.last, *self.plans.get(key, ())][:PLANS_PER_KEY]
        return result

    def _arg_names(self, n_args: int, keywords: list) -> list:
        """The function's own parameter names (code-safe), for the generated code."""
        try:
            names = list(inspect.signature(self.fn).parameters)[:n_args]
        except (TypeError, ValueError):
            names = []
        names += [f"a{i}" for i in range(len(names), n_args)] + keywords
        taken = set(codegen.Writer().env) | set(dir(builtins)) | {"args", "fused", "leaves"}
        # the code's own names all end in a digit (Z1, dW2, ctx3, …)
        return [n if n.isidentifier() and not keyword.iskeyword(n) and n not in taken
                and not n[-1].isdigit() else f"arg_{i}" for i, n in enumerate(names)]

    @property
    def source(self) -> str:
        """The code of the last plan recorded: what a replay runs."""
        if self.last is None:
            raise RuntimeError(f"compile: {self.__name__} has not been recorded yet (call it "
                               "once)" if self.eager_reason is None else
                               f"compile: {self.__name__} runs eagerly: {self.eager_reason}")
        return self.last.source

    def _go_eager(self, reason: str) -> None:
        self.eager_reason = reason
        self.plans.clear()
        warn_fallback(self.__name__, reason)


def _check_graphs(result, out, leaves, recorder) -> bool:
    """Whether the plan is a forward whose output backpropagates (a compiled
    module's: no backward() inside, one returned tensor with a graph); graphs a
    replay could not give are problems."""
    backward = any(e[0] == "backward" for e in recorder.events)
    if backward and any(isinstance(t, Tensor) and t._ctx is not None and t.requires_grad
                        for t in leaves):
        recorder.problem("an argument has a graph of its own and backward() runs inside; a "
                         "replay would not backpropagate into it")
    graphs = _graphs(result)
    if backward or not graphs:
        return False
    if not (isinstance(result, Tensor) and out[0] == "slot"):
        recorder.problem(f"the function returns {graphs} tensor(s) with a graph inside a "
                         "container (a replay can give a graph to one returned tensor only)")
    return True


def _graphs(value) -> int:
    if isinstance(value, Tensor):
        return int(value._ctx is not None and value.requires_grad)
    if isinstance(value, (tuple, list)):
        return sum(map(_graphs, value))
    if isinstance(value, dict):
        return sum(map(_graphs, value.values()))
    return 0


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
    keep_freed_memory()  # replays reuse the last step's memory (memory.py)
    if hasattr(type(fn), "named_modules"):  # an nn.Module: torch.compile(model)
        return optimized_module(fn, Compiled(fn, fullgraph, cache_size_limit))
    return Compiled(fn, fullgraph, cache_size_limit)


__all__ = ["CaptureError", "Compiled", "compile"]
