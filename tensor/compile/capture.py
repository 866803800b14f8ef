"""Recording one eager call of a function: the ops it ran, its backward() calls and
its replayable calls (optimizer steps, zero_grad, scheduler steps), as a list of
events over *references* (an argument, a parameter, a constant, an op's output).
`tensor.compile` turns the events into a plan (``plan.py``).

Where the compiler reaches into the eager engine and ``nn``, each for a reason:
- ``function.recorder``: `Function.apply` tells it every op (the one hook, as
  tinygrad's and JAX's tracers have), and ``Module.__call__`` every module called.
- ``Module.version`` (``nn/module.py``): a count of attribute assignments, so a
  replaced layer is one integer compare per module in the guards.
- `replayable` marks the calls a replay makes again instead of recording their
  insides (optimizers' ``step``/``zero_grad``, schedulers' ``step``, the
  ``nn.utils`` clipping): their state is theirs, not the plan's.
- ``.grad`` of a fused parameter is a `fuse.LazyGrad`, a full Tensor computed
  when read (computing it at every step would cost the GEMM the fusion saves).
- ``manual_seed()`` asks whether a recording runs (a replay would not reseed).
- While the first call runs, and only then, 17 attributes are wrapped
  (`Recorder.__enter__`, the wrappers in ``hooks.py``): the value reads
  (``item``, ``numpy``, ``__bool__``, …: a value used in Python would be frozen),
  ``backward`` (an event), ``_make``, ``__init__`` and ``scalar_array`` (which
  tensors and numbers were made inside), ``_inplace`` (in-place changes are not
  ops), ``grad`` (a gradient read or written by hand), ``Linear.backward`` (the
  gradient the fusion needs). The engine's own code has no trace of them.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np

from .. import dtypes, function
from ..inplace import InplaceMethods
from ..ops.linalg import Linear
from ..tensor import Tensor
from . import fuse
from .hooks import Hooks
from .observe import Observer


class CaptureError(RuntimeError):
    """A compiled function did something a replay cannot repeat."""


# Tensor methods whose result depends on tensor values in a way a plan can't see:
# their values would be frozen into the plan.
VALUE_READS = ("item", "numpy", "tolist", "__bool__", "__float__", "__int__", "__index__",
               "__repr__", "__format__", "register_hook", "retain_grad")


def replayable(method):
    """Mark a method (an optimizer's ``step``, ``zero_grad``, a scheduler's ``step``)
    as one that a replay calls again, as it is, instead of recording its insides."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        recorder = function.recorder
        if recorder is None:
            return method(*args, **kwargs)
        return recorder.call(method, args, kwargs)

    wrapper.replayable = True  # observe.py does not watch the state such calls change
    return wrapper


def _value_shaped(cls, kwargs) -> bool:
    """Whether an op's output shape depends on its inputs' values, not their shapes."""
    if cls.__name__ == "OneHot":
        return kwargs["num_classes"] == -1
    key = kwargs.get("key")
    parts = key if isinstance(key, tuple) else (key,)
    return any(isinstance(k, np.ndarray) and k.dtype == np.bool_ for k in parts)


class Recorder(Hooks):
    """Installed while the first call runs: records events and every reason the call
    can't be replayed (the first is raised at once with ``strict``)."""

    def __init__(self, strict: bool):
        self.strict = strict
        self.events: list = []
        self.problems: list[str] = []
        self.slot_of: dict[int, int] = {}   # id(array) → slot of an argument or op output
        self.owner: dict[int, Tensor] = {}  # slot → the tensor that holds it
        self.keep: list = []                # what the ids above refer to, kept alive
        self.made: set[int] = set()         # ids of tensors created during the call
        self.scalars: set[int] = set()      # ids of 0-d arrays made from Python numbers
        self.params: dict[int, Tensor] = {}  # the leaves from outside the ops read
        self.observer = Observer()
        self.modules: list = []
        self.n_slots = 0
        self.depth = 0  # > 0 inside a replayable call: its ops and reads are its own
        self.in_backward = False
        self.reading = 0
        self.items: dict = {}  # id(float) → (slot, the float): .item() values returned
        self.entry = None      # the code that calls the function (plan.Compiled._record)
        # For the fused SGD update (fuse.py), done in this call as a replay will do it:
        # id(Linear node) → (its event index, its input x); event index → its upstream
        # g; the parameters with a gradient before backward(); the fusion made
        self.linear: dict[int, tuple] = {}
        self.upstream: dict[int, np.ndarray] = {}
        self.had_grad: set[int] = set()
        self.fused = None

    # ----- what the engine and nn tell it ------------------------------------------------
    def slot(self, array: np.ndarray, owner=None) -> int:
        self.slot_of[id(array)] = self.n_slots
        if owner is not None:
            self.owner[self.n_slots] = owner
        self.keep.append(array)
        self.n_slots += 1
        return self.n_slots - 1

    def op(self, cls, inputs, kwargs, out: Tensor) -> None:
        if self.depth:
            return
        refs = [self.ref(t, cls) for t in inputs]
        kw = {k: self.encode(v, cls) for k, v in kwargs.items()}
        if _value_shaped(cls, kwargs):
            self.problem(f"{cls.name()}'s output shape depends on the values (a boolean mask, "
                         "one_hot without num_classes); a replay keeps the first call's shapes")
        needs = tuple(t.requires_grad for t in inputs)
        shapes = tuple(t.data.shape for t in inputs)
        if cls is Linear and out._ctx is not None:
            self.linear[id(out._ctx)] = (len(self.events), inputs[0].data)
        self.events.append(("op", cls, refs, kw, needs, shapes, self.slot(out.data, out),
                            out.data.shape))

    def module(self, module) -> None:
        if not self.depth and all(m is not module for m in self.modules):
            self.modules.append(module)
            self.observer.reach(module)

    def call(self, method, args, kwargs):
        if self.depth:
            return method(*args, **kwargs)
        if any(isinstance(a, (Tensor, np.ndarray)) for a in (*args, *kwargs.values())):
            self.problem(f"{method.__qualname__}() was given a tensor argument")
        self.check_writes(f"before {method.__qualname__}()")
        k = len(self.events)
        self.events.append(("call", method, args, kwargs, None))
        self.depth += 1
        try:
            # never fused once the call can't be replayed: it must equal eager itself
            if fuse.is_sgd_step(method, args) and self.fused is None and not self.problems:
                self.fused = fuse.record(self.events, dict(self.linear.values()),
                                         self.upstream, self.had_grad, args[0])
                if self.fused is not None:
                    return self.fused.step(lambda: method(*args, **kwargs))
            result = method(*args, **kwargs)
            if isinstance(result, Tensor):  # clip_grad_norm_'s norm: a replay returns its own
                self.events[k] = ("call", method, args, kwargs, self.slot(result.data, result))
            return result
        finally:
            self.depth -= 1
            self.observer.refresh_tensors()

    def backward(self, original, root, gradient=None, retain_graph=False):
        self.in_backward = True  # its own reads and writes of .grad
        try:
            if not self.depth:
                if id(root.data) not in self.slot_of:
                    self.problem("backward() of a tensor the function did not compute")
                grad = None if gradient is None else self.encode(getattr(gradient, "data",
                                                                         gradient), None)
                self.events.append(("backward", self.slot_of.get(id(root.data)), grad))
                self.had_grad |= {k for k, p in self.params.items() if p.grad is not None}
            return original(root, gradient, retain_graph)
        finally:
            self.in_backward = False

    # ----- references ---------------------------------------------------------------------
    def ref(self, t: Tensor, cls):
        """How a replay finds an op's input: ("slot", i), ("cut", i) for a leaf that
        shares slot i's array (``h.detach()``: no gradient flows back through it),
        ("param", tensor) for a leaf from outside, read live at every replay (frozen
        ones too: their requires_grad is guarded) or ("const", tensor)."""
        slot = self.slot_of.get(id(t.data))
        if slot is not None:
            owner = self.owner.get(slot)
            if owner is not None and owner is not t and t._ctx is None and owner.requires_grad:
                return ("cut", slot)
            return ("slot", slot)
        if id(t) in self.made:
            if id(t.data) not in self.scalars:
                self.problem(f"{cls.name()} got a tensor of shape {tuple(t.shape)} made inside "
                             "the function from values the plan can't follow (a comparison, "
                             "argmax, .long(), a new tensor from data, …); pass it as an "
                             "argument")
            return ("const", t)
        if t._ctx is None:
            if id(t) not in self.params:
                self.params[id(t)] = t
                self.observer.reach(t)
            return ("param", t)
        if t.requires_grad:
            self.problem(f"{cls.name()} got a tensor of shape {tuple(t.shape)} computed outside "
                         "the function, with a graph of its own; a replay would not "
                         "backpropagate into it (detach it, or compute it inside)")
        return ("const", t)

    def encode(self, value, cls):
        """An op's keyword argument: arrays by reference, other values as they are."""
        if isinstance(value, (np.ndarray, np.generic)):  # a NumPy scalar is data too
            slot = self.slot_of.get(id(value))
            if slot is not None:
                return ("slot", slot)
            if id(value) not in self.scalars:
                name = cls.name() if cls is not None else "backward"
                self.problem(f"{name} got an array of shape {value.shape} made inside the "
                             "function (a list index, a comparison, …); pass it as a tensor "
                             "argument")
            return ("array", value)
        if isinstance(value, tuple):
            return ("tuple", tuple(self.encode(v, cls) for v in value))
        return ("value", value)

    # ----- what can't be replayed ------------------------------------------------------------
    def problem(self, reason: str) -> None:
        if self.strict:
            raise CaptureError(f"compile: {reason}")
        self.problems.append(reason)

    def unrepeatable(self, what: str) -> None:
        """A call the function makes that a replay would not make again."""
        if not self.depth:
            self.problem(f"{what} inside the function: a replay would not repeat it")

    def check_writes(self, when: str) -> None:
        """What the call wrote that is not an op (``observe.py``), up to now, and the
        random generators and clocks it called."""
        for call in self.observer.unrepeatable[:1]:
            self.problem(f"the function calls {call}, whose value a replay would not draw "
                         "again (draw it outside and pass it as a tensor)")
        for what in self.observer.changed()[:1]:
            self.problem(f"the function {what} {when}, outside an op or an optimizer's "
                         "step(); a replay would not repeat it")

    # ----- installing -------------------------------------------------------------------------
    def __enter__(self):
        if function.recorder is not None:
            raise CaptureError("compile: a compiled function called another while recording")
        self.patched = []
        for name in VALUE_READS:
            self._wrap(Tensor, name, self._value_read(name, getattr(Tensor, name)))
        original_backward = Tensor.backward

        def backward(t, gradient=None, retain_graph=False):
            return self.backward(original_backward, t, gradient, retain_graph)

        self._wrap(Tensor, "backward", backward)
        self._wrap(Tensor, "_make", staticmethod(self._made(Tensor._make)))
        self._wrap(InplaceMethods, "_inplace", self._in_place(InplaceMethods._inplace))
        self._wrap(Tensor, "__init__", self._made_init(Tensor.__init__))
        self._wrap(Tensor, "grad", self._grad_access(Tensor.__dict__["grad"]))
        self._wrap(Linear, "backward", staticmethod(self._upstream(Linear.backward)))
        self._wrap(dtypes, "scalar_array", self._scalar(dtypes.scalar_array))
        function.recorder = self
        self.observer.__enter__()
        return self

    def __exit__(self, *exc):
        self.observer.__exit__(*exc)
        function.recorder = None
        for owner, name, original in reversed(self.patched):
            setattr(owner, name, original)
        if exc[0] is None:
            self.check_writes("during the call")
        return False


def warn_fallback(name: str, reason: str) -> None:
    warnings.warn(f"compile: {name} runs eagerly: {reason}", RuntimeWarning, stacklevel=3)
