"""`Function`: one op's forward and backward, and the graph node it leaves behind.

An op is a subclass with two static methods side by side:

    class Exp(Function):
        '''y = eˣ;  dx = g·y'''
        @staticmethod
        def forward(ctx, x): ...
        @staticmethod
        def backward(ctx, g): ...

``forward`` gets NumPy arrays and returns one array; ``backward`` gets the
gradient of the output and returns one gradient per input (``None`` where no
gradient is needed). The engine undoes broadcasting (`unbroadcast`), so ops
need not; an op whose gradients always have their inputs' shapes says
``broadcasts = False`` and the engine skips comparing them.

Gradients of gradients (``create_graph=True``): an op whose backward is written in
operations that Tensors have too (``*``, ``/``, ``.sum(axis=…)``, the helpers in
``ops/either.py``) says ``twice_differentiable = True``. The engine then calls the
same backward with Tensors: ``g`` and, in ``ctx.saved``, the graph's own input and
output tensors, so that its arithmetic is recorded like any other (see
``autograd/backprop.py``). Other ops still give a first gradient under
``create_graph=True``; a gradient of it raises, naming the op.

This ``Function`` is the engine's; ``torch.autograd.Function``, whose forward gets
Tensors as PyTorch's does, is built on it in ``autograd/function.py``.
"""

from __future__ import annotations

import contextlib
import itertools
import weakref
from operator import attrgetter

import numpy as np

from .grad_mode import grad_mode


class _AnomalyMode:
    """Process-wide, as PyTorch's (grad mode is per thread): a plain attribute read
    on every op, cheaper than a thread-local one."""

    enabled = False


anomaly_mode = _AnomalyMode()


class _InplaceClock:
    """Counts in-place tensor updates. A node records the clock when it is made
    (``stamp``); if the clock has not moved since, nothing it saved can have
    changed and one integer compare skips the check."""

    now = 0


inplace_clock = _InplaceClock()
# id(storage) → the clock at its last in-place update. Keyed by the array that owns
# the memory, so views, reshapes and detached tensors share one version, as in
# PyTorch: writing through any of them is seen by every node that saved another.
_versions: dict[int, int] = {}


def as_of(t, seq: int):
    """``t`` as the node numbered ``seq`` recorded it. An in-place update gives a
    tensor a newer node (``a.mul_(c)``: a ← a·c, inplace.py), and rebasing gives a
    view one (views.py); a node made before that must still reach the old one, as
    PyTorch's edges do. A node is always newer than its inputs' nodes, so a newer
    one on an input means exactly that."""
    ctx = t._ctx
    while ctx is not None and ctx.seq > seq:
        t = ctx.before
        ctx = t._ctx
    return t


def storage(array: np.ndarray) -> np.ndarray:
    """The array that owns ``array``'s memory (itself if it is not a view)."""
    base = array.base
    while isinstance(base, np.ndarray):
        array, base = base, base.base
    return array


def bump_version(array: np.ndarray) -> None:
    """Record an in-place update of ``array``'s memory."""
    owner = storage(array)
    key = id(owner)
    if key not in _versions:  # forget it with the array, before its id is reused
        weakref.finalize(owner, _versions.pop, key, None)
    inplace_clock.now += 1
    _versions[key] = inplace_clock.now


def version(array: np.ndarray) -> int:
    return _versions.get(id(storage(array)), 0)


class detect_anomaly(contextlib.ContextDecorator):
    """Raise as soon as any op's forward or backward produces NaN or inf."""

    def __enter__(self):
        self.prev = anomaly_mode.enabled
        anomaly_mode.enabled = True

    def __exit__(self, *exc):
        anomaly_mode.enabled = self.prev
        return False


def check_finite(array: np.ndarray, what: str) -> None:
    if not isinstance(array, np.ndarray):  # a Tensor under create_graph=True
        array = getattr(array, "data", None)
    if isinstance(array, np.ndarray) and array.dtype.kind == "f" and not np.isfinite(array).all():
        bad = "nan" if np.isnan(array).any() else "inf"
        raise RuntimeError(f"detect_anomaly: {what} produced {bad} values")


def shapes_of(arrays) -> str:
    return " and ".join(str(tuple(a.shape)) for a in arrays)


_sequence = itertools.count()  # graph nodes in creation order
_data = attrgetter("data")
_requires_grad = attrgetter("requires_grad")


class Function:
    """Base class of every op. An instance is the `ctx` of one call and the
    graph node of its result (`tensor.grad_fn`)."""

    # The fields every node has are slots (cheaper than an instance dict): parents
    # (input Tensors), saved (arrays for backward), needs_input_grad, stamp (the
    # in-place clock when recorded), seq (creation order, for backward), inputs (after
    # backward freed parents: their nodes, or the leaves themselves). Ops add their
    # own (ctx.dim, …) to the instance dict; out_ref (for hooks) is rare and
    # defaults here.
    __slots__ = ("parents", "saved", "needs_input_grad", "stamp", "seq", "inputs",
                 "__dict__")
    out_ref = None
    # Whether backward may return a gradient of the broadcast (output) shape, for the
    # engine to sum back to the input's shape. Ops whose gradients always have their
    # inputs' shapes say False, and the engine skips comparing shapes for them.
    broadcasts = True
    # False for ops whose output never requires grad (comparisons, argmax, casts to
    # integers): see ops/nograd.py
    differentiable = True

    # The node's name in PyTorch, printed as grad_fn=<…>; ops whose PyTorch name is
    # not just their class name + "Backward0" set it
    torch_name = None
    # True when backward, given Tensors, computes with tensor ops (see the docstring)
    twice_differentiable = False
    # On the node an in-place update gave a tensor: the stand-in holding the node the
    # tensor had before, for the nodes recorded earlier (`as_of`)
    before = None

    @classmethod
    def name(cls) -> str:
        return cls.__name__.lower()

    def backward_name(self) -> str:
        return self.torch_name or f"{type(self).__name__}Backward0"

    @property
    def next_functions(self) -> tuple:
        """(node, 0) per input, as PyTorch: the input's grad_fn, an `AccumulateGrad`
        for a leaf that requires grad, None for an input that needs no gradient."""
        inputs = self.parents if self.parents is not None else self.inputs
        edges = []
        for t in inputs:
            if not isinstance(t, Function):
                t = as_of(t, self.seq)
            if isinstance(t, Function):  # after backward, a computed input's node
                edges.append((t, 0))
            elif t._ctx is not None:
                edges.append((t._ctx, 0))
            else:
                edges.append((AccumulateGrad(t) if t.requires_grad else None, 0))
        return tuple(edges)

    def save_for_backward(self, *arrays) -> None:
        # Saved unconditionally: when nothing is recorded, apply drops the ctx (and
        # with it these arrays) as soon as forward returns.
        self.saved = arrays

    @staticmethod
    def forward(ctx, *arrays, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad):  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def error(cls, arrays, exc: Exception) -> Exception:
        """Turn a NumPy exception from forward into one that names the op and shapes."""
        msg = str(exc)
        if "broadcast" in msg:
            return RuntimeError(f"{cls.name()}: shapes {shapes_of(arrays)} cannot be broadcast")
        return RuntimeError(f"{cls.name()}: {msg} (input shapes {shapes_of(arrays)})")

    @classmethod
    def apply(cls, *inputs, **kwargs):
        """Run forward on the inputs' arrays and, when recording, link the result
        into the graph."""
        if profiler is not None:  # autograd.profiler.profile is on (profiler.py)
            return profiler.apply(cls, inputs, kwargs)
        if rebase is not None:  # a graph tensor was updated in place: views taken of
            rebase(inputs)  # it before then are moved onto its new node (views.py)
        ctx = _new(cls)
        ctx.saved = ()
        needs = ctx.needs_input_grad = tuple(map(_requires_grad, inputs))
        try:
            out = cls.forward(ctx, *map(_data, inputs), **kwargs)
        except (ValueError, IndexError, TypeError) as exc:
            raise cls.error(tuple(map(_data, inputs)), exc) from None
        if out.__class__ is not np.ndarray:  # NumPy gives 0-d results as scalars, which
            out = _as_array(ctx, out)  # nothing can update in place (x += 1)
        if anomaly_mode.enabled:
            check_finite(out, f"{cls.name()} forward on shapes "
                              f"{shapes_of(tuple(map(_data, inputs)))}")
        t = _new(Tensor)  # Tensor._make written out: one call fewer per op
        t.data = out
        t.grad = None
        if grad_mode.enabled and True in needs and cls.differentiable:
            ctx.parents = inputs
            ctx.seq = next(_sequence)
            ctx.stamp = inplace_clock.now
            t.requires_grad = True
            t._ctx = ctx
        else:
            t.requires_grad = False
            t._ctx = None
            if out.base is not None and grad_mode.enabled and inputs:
                _remember_view(t, inputs[0])
        if recorder is not None:  # tensor.compile is recording this call (capture.py)
            recorder.op(cls, inputs, kwargs, t)
        return t

    def check_saved(self) -> None:
        """Raise if an array this node saved was modified in place since forward."""
        for array in self.saved:
            if array is None or version(array) <= self.stamp:
                continue
            owner = storage(array)
            what = next((f"input {i} of shape {tuple(t.shape)}"
                         for i, t in enumerate(self.parents) if storage(t.data) is owner),
                        f"its output of shape {array.shape}")
            raise RuntimeError(
                f"{self.name()}: {what}, needed for gradient computation, was modified by "
                "an in-place operation after the forward pass"
            )

    def __repr__(self) -> str:
        return f"<{self.backward_name()} object at {id(self):#x}>"


def _remember_view(t, base) -> None:
    """A view of a tensor without a graph keeps its base (``t._view_of``), as
    PyTorch's views do: an in-place update may give the base a graph later, and then
    the view must follow it (views.py). Not for results merely made from a view."""
    if isinstance(base, Tensor) and storage(t.data) is storage(base.data):
        t._view_of = base


def _as_array(ctx, scalar) -> np.ndarray:
    """A 0-d op result as an array; where forward saved the scalar itself, the array
    takes its place, so that create_graph still knows the saved value for the output."""
    out = np.asarray(scalar)
    if any(a is scalar for a in ctx.saved):
        ctx.saved = tuple(out if a is scalar else a for a in ctx.saved)
    return out


class AccumulateGrad:
    """The node that writes a leaf's ``.grad`` (seen in ``next_functions``)."""

    def __init__(self, variable):
        self.variable = variable
        self.next_functions = ()

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {id(self):#x}>"


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``grad`` back to ``shape``: the leading axes broadcasting added, then the
    axes that were 1 in ``shape``. The one place broadcasting is undone."""
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad


_new = object.__new__

# The capture hook: while tensor.compile records a call, the `Recorder` (capture.py)
# that every op is reported to; None otherwise.
recorder = None
# While autograd.profiler.profile is on, the profile that times every op; None otherwise.
profiler = None
# Once a tensor in a graph has been updated in place, views.rebase (inplace.py sets
# it): views taken of it before are moved onto its new node when next used
rebase = None

# Tensor's methods call Function.apply and apply makes Tensors; tensor.py fills these
# in once the class exists, which breaks the import cycle.
Tensor = None
_make = None
