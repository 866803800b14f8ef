"""``torch.autograd.Function``: an op of the user's own, whose ``forward`` and
``backward`` get Tensors, as PyTorch's::

    class Exp(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y

    y = Exp.apply(x)

The engine's own ops (``tensor/function.py``) compute on NumPy arrays; this is
built on them. ``apply`` runs the user's forward without recording a graph, then
links the outputs to one node, ``ctx`` itself: an ``ExpBackward``, a subclass of
the engine's ``Function``. Its backward wraps the output gradients as Tensors,
calls the user's backward and hands arrays back to the engine; under
``create_graph=True`` it gets Tensors and the user's backward is recorded, so that
a backward written in tensor ops can be differentiated again.
"""

from __future__ import annotations

import inspect

import numpy as np

from .. import function
from ..function import Function as Node
from ..function import _new, _sequence, bump_version, inplace_clock
from ..grad_mode import grad_mode


def once_differentiable(backward):
    """Mark a custom backward as not differentiable itself: under
    ``create_graph=True`` it runs without recording and a second gradient raises."""
    backward.once_differentiable = True
    return backward


def _make(array, node=None):
    return function._make(array, node)


class Grads(dict):
    """The gradients of the outputs of a custom Function with several, by position:
    what the engine gathers for its node (``+`` merges them)."""

    def __add__(self, other: Grads) -> Grads:
        merged = Grads(self)
        for k, g in other.items():
            merged[k] = g if k not in merged else merged[k] + g
        return merged


class FunctionCtx(Node):
    """The ``ctx`` of a custom Function, and the graph node of its outputs."""

    fn = None  # the user's Function class
    twice_differentiable = True
    to_save = ()
    saved_spec = None
    non_differentiable = frozenset()
    dirty = frozenset()
    materialize_grads = True

    # ----- what forward may call -----------------------------------------------------
    def save_for_backward(self, *tensors) -> None:
        for t in tensors:
            if t is not None and not hasattr(t, "_ctx"):
                raise TypeError(f"save_for_backward can only save variables, but argument "
                                f"{tensors.index(t)} is of type {type(t).__name__}")
        self.to_save = tensors

    def mark_non_differentiable(self, *tensors) -> None:
        self.non_differentiable = self.non_differentiable | {id(t) for t in tensors}

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = bool(value)

    def mark_dirty(self, *tensors) -> None:
        self.dirty = self.dirty | {id(t) for t in tensors}

    # ----- what backward reads -------------------------------------------------------
    @property
    def saved_tensors(self) -> tuple:
        if self.saved_spec is None:
            return tuple(self.to_save)
        if self.parents is None:
            raise RuntimeError(
                f"{self.backward_name()}: Trying to backward through the graph a second time "
                "(or directly access saved tensors after they have already been freed). "
                "Specify retain_graph=True if you need to backward through the graph a "
                "second time or if you need to access saved tensors after calling backward.")
        if self.stamp != inplace_clock.now:
            self.check_saved()
        return tuple(None if s is None else s if hasattr(s, "_ctx")
                     else _make(s[1], self.output_nodes[s[0]]) for s in self.saved_spec)

    saved_variables = saved_tensors

    @classmethod
    def name(cls) -> str:
        return cls.fn.__name__ if cls.fn is not None else "function"

    def backward_name(self) -> str:
        return f"{self.name()}Backward"

    @staticmethod
    def backward(ctx, g):
        """The engine's call: the output gradients (arrays, or Tensors when
        recording) in, one gradient per tensor input out."""
        recording = grad_mode.enabled
        grads = [None] * len(ctx.outputs_meta)
        for k, gk in (g.items() if isinstance(g, Grads) else ((ctx.slot, g),)):
            grads[k] = gk if hasattr(gk, "_ctx") else _make(gk)
        if ctx.materialize_grads:
            grads = [_make(np.zeros(*meta)) if gk is None and meta is not None else gk
                     for gk, meta in zip(grads, ctx.outputs_meta)]
        fn = ctx.fn
        user_backward = fn.vjp if fn.backward is Function.backward else fn.backward
        result = user_backward(ctx, *grads)
        result = result if isinstance(result, tuple) else (result,)
        return _check_grads(ctx, result, recording)


def _check_grads(ctx, result: tuple, recording: bool):
    """The user's gradients held to PyTorch's rules: one per forward argument, None
    for a non-tensor argument, a shape the input's can be summed back to."""
    name = ctx.backward_name()
    n = len(ctx.arg_is_tensor)
    if len(result) != n:
        if len(result) < n or any(r is not None for r in result[n:]):
            raise RuntimeError(f"function {name} returned an incorrect number of gradients "
                               f"(expected {n}, got {len(result)})")
        result = result[:n]
    grads, parents = [], iter(ctx.parents)
    for i, (is_tensor, r) in enumerate(zip(ctx.arg_is_tensor, result)):
        if not is_tensor:
            if r is not None:
                raise RuntimeError(f"function {name} returned a gradient different than None "
                                   f"at position {i + 1}, but the corresponding forward input "
                                   "was not a Variable")
            continue
        p = next(parents)
        if r is None:
            grads.append(None)
            continue
        if not hasattr(r, "_ctx"):
            raise TypeError(f"function {name} returned a {type(r).__name__} as the gradient "
                            f"at position {i + 1}; expected a Tensor or None")
        if r.data.shape != p.data.shape:
            try:
                fits = np.broadcast_shapes(r.data.shape, p.data.shape) == r.data.shape
            except ValueError:
                fits = False
            if not fits:
                raise RuntimeError(f"Function {name} returned an invalid gradient at index {i} "
                                   f"- got {list(r.data.shape)} but expected shape compatible "
                                   f"with {list(p.data.shape)}")
        if r.data.dtype != p.data.dtype and p.data.dtype.kind == "f":
            r = r.to(p.data.dtype) if recording else _make(r.data.astype(p.data.dtype))
        grads.append(r if recording else r.data)
    return grads[0] if len(grads) == 1 else tuple(grads)


class Output(Node):
    """One of several outputs of a custom Function: its gradient goes to its slot."""

    broadcasts = False
    twice_differentiable = True

    def backward_name(self) -> str:
        return self.owner.backward_name()

    @staticmethod
    def backward(ctx, g):
        return Grads({ctx.index: g})


class Function:
    """Base class of the user's own ops: static ``forward(ctx, *args)`` and
    ``backward(ctx, *grad_outputs)`` (or ``forward(*args)`` and
    ``setup_context(ctx, inputs, output)``), called through ``apply``."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        backward = cls.__dict__.get("backward") or cls.__dict__.get("vjp")
        once = getattr(getattr(backward, "__func__", backward), "once_differentiable", False)
        cls._node = type(f"{cls.__name__}Backward", (FunctionCtx,),
                         {"fn": cls, "__module__": cls.__module__,
                          "twice_differentiable": not once})

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward "
                                  "mode AD.")

    vjp = backward

    def __init__(self, *args, **kwargs):
        raise RuntimeError("Legacy autograd function with non-static forward method is "
                           "deprecated. Please use new-style autograd function with static "
                           "forward method. (Example: "
                           "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run forward on the arguments (Tensors and others) and link its outputs."""
        separate = cls.setup_context is not Function.setup_context
        if kwargs:
            bound = inspect.signature(cls.forward).bind(*(() if separate else (None,)),
                                                        *args, **kwargs)
            bound.apply_defaults()
            args = tuple(bound.args[0 if separate else 1:])
        ctx = _new(cls._node)
        ctx.saved, ctx.parents = (), None
        Tensor = function.Tensor
        if function.rebase is not None:  # stale views among them (views.py)
            function.rebase([a for a in args if isinstance(a, Tensor)])
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        profiler = function.profiler
        if profiler is not None:
            profiler.begin(cls.__name__)
        enabled = grad_mode.enabled
        grad_mode.enabled = False  # forward's own ops are not recorded
        try:
            if separate:
                out = cls.forward(*args)
                cls.setup_context(ctx, args, out)
            else:
                out = cls.forward(ctx, *args)
        finally:
            grad_mode.enabled = enabled
            if profiler is not None:
                profiler.end()
        return _link(ctx, args, out, enabled and True in ctx.needs_input_grad)


def _link(ctx, args: tuple, out, recording: bool):
    """Give the outputs their node (or none), as PyTorch: an input returned as is
    comes back as a new tensor, unless marked dirty (then the input is rebased)."""
    Tensor = function.Tensor
    many = isinstance(out, tuple)
    outs = list(out) if many else [out]
    inputs = {id(a) for a in args if isinstance(a, Tensor)}
    original = [id(o) for o in outs]
    for i, o in enumerate(outs):
        fresh = isinstance(o, Tensor) and (o._ctx is None and not o.requires_grad)
        if isinstance(o, Tensor) and ((id(o) in inputs and id(o) not in ctx.dirty)
                                      or not (fresh or id(o) in ctx.dirty)):
            outs[i] = _make(o.data)
    dirty = [a for a in args if isinstance(a, Tensor) and id(a) in ctx.dirty]
    for a in dirty:
        if recording and a._ctx is None and a.requires_grad:
            raise RuntimeError("a leaf Variable that requires grad has been used in an "
                               "in-place operation.")
        bump_version(a.data)
    if not recording:
        return tuple(outs) if many else outs[0]
    parents = []
    for a in args:
        if isinstance(a, Tensor):
            if id(a) in ctx.dirty:  # the input as it was: its old node, not this one
                old = _make(a.data, a._ctx)
                old.requires_grad = a.requires_grad
                a = old
            parents.append(a)
    ctx.parents = tuple(parents)
    ctx.arg_is_tensor = tuple(isinstance(a, Tensor) for a in args)
    ctx.outputs_meta = [(o.data.shape, o.data.dtype) if isinstance(o, Tensor) else None
                        for o in outs]
    ctx.seq = next(_sequence)
    ctx.stamp = inplace_clock.now
    differentiable = [i for i, (o, oid) in enumerate(zip(outs, original))
                      if isinstance(o, Tensor) and oid not in ctx.non_differentiable
                      and o.data.dtype.kind == "f"]
    nodes = [None] * len(outs)
    if len(differentiable) == 1:
        nodes[differentiable[0]] = ctx
        ctx.slot = differentiable[0]
    elif differentiable:
        hub = _make(np.empty(0), ctx)
        for i in differentiable:
            node = _new(Output)
            node.parents, node.saved, node.needs_input_grad = (hub,), (), (True,)
            node.seq, node.stamp = next(_sequence), ctx.stamp
            node.owner, node.index = ctx, i
            nodes[i] = node
    for o, node in zip(outs, nodes):
        if node is not None:
            o._ctx, o.requires_grad = node, True
    ctx.output_nodes = nodes
    spec = []
    for t in ctx.to_save:
        if t is not None and id(t) in original and id(t) not in inputs:
            i = original.index(id(t))
            t = (i, outs[i].data) if nodes[i] is not None else outs[i]
        spec.append(t)
    ctx.saved_spec, ctx.to_save = spec, ()
    ctx.saved = tuple(s.data if hasattr(s, "_ctx") else s[1] for s in spec if s is not None)
    return tuple(outs) if many else outs[0]
