"""The in-place ops: ``add_``, ``mul_``, ``x[i] = v``, ``zero_``, ``uniform_``, …
They change a tensor's array and bump its version (``function.bump_version``), so
a backward that saved the old values refuses. On a leaf that requires grad they
raise, as PyTorch's do. On any other tensor in a graph (``out = x @ W; out += b``)
they are recorded as PyTorch records them: the out-of-place op runs on the old
values, its result is written into the tensor's own array, and the tensor's node
becomes the new one (`_record_inplace`)."""

from __future__ import annotations

import numpy as np

from . import dtypes, function
from .autograd import views
from .function import bump_version
from .grad_mode import grad_mode
from .ops.shape import Where, index_key
from .ops.update import SetItem


class InplaceMethods:
    __slots__ = ()

    def _inplace_operand(self, op: str, value, true_div: bool = False):
        """``value`` checked as PyTorch checks an in-place op's result dtype: it must
        not need a higher category (bool < integer < float) than this tensor's."""
        if isinstance(value, (bool, int, float, np.number)):
            dt = dtypes.scalar_dtype(value, self.data.dtype)
        else:
            value = np.asarray(value)
            dt = dtypes.result_type(self.data.dtype, dtypes.infer_dtype(value),
                                    self.data.ndim > 0, value.ndim > 0)
        if true_div and dt.kind != "f":
            dt = dtypes.DEFAULT_FLOAT
        if dtypes.category(dt) > dtypes.category(self.data.dtype):
            raise RuntimeError(f"{op}: result type {dt.name} can't be cast to the desired "
                               f"output type {self.data.dtype.name}")
        if isinstance(value, (bool, int, float)):
            return dtypes.scalar_array(value, self.data.dtype, op)
        return value

    def _inplace(self, op: str, fn, other=None, arithmetic: bool = False, graph=None,
                 operands=()):
        """Apply ``fn(array, value)`` to this tensor's array. ``graph(old)``, where
        given, is the out-of-place op (on a tensor holding the old values) that
        records the update when a gradient must flow through it: when this tensor,
        ``other`` or one of ``operands`` (the op's other tensors) requires grad."""
        value = other.data if hasattr(other, "_ctx") else other  # a Tensor's array
        if arithmetic:
            value = self._inplace_operand(op, value, true_div=op == "div_")
        if grad_mode.enabled and (self.requires_grad or getattr(other, "requires_grad", False)
                                  or any(getattr(t, "requires_grad", False) for t in operands)):
            if self._ctx is None and self.requires_grad:
                raise RuntimeError(
                    f"{op}: a leaf Variable that requires grad is being used in an in-place "
                    "operation (wrap it in no_grad() or use .data)"
                )
            if graph is None:
                raise RuntimeError(f"{op}: in-place operations on tensors that are part of a "
                                   "graph are not supported; use the out-of-place op")
            return self._record_inplace(op, graph)
        try:
            fn(self.data, value)
        except (ValueError, TypeError) as exc:
            shape = getattr(value, "shape", ())
            raise RuntimeError(f"{op}: cannot update a tensor of shape {tuple(self.shape)} and "
                               f"dtype {self.dtype.name} with shape {tuple(shape)}: {exc}"
                               ) from None
        bump_version(self.data)
        return self

    def _record_inplace(self, op: str, graph):
        """``self`` ← ``graph(old)``, recorded: the new node's input is a tensor
        holding the old values (a copy, as PyTorch saves the original where a
        formula needs it), its output is this tensor's own array. Nodes that saved
        this array before see its version move and refuse at backward, as PyTorch's."""
        if function.storage(self.data) is not self.data:
            raise RuntimeError(
                f"{op}: in-place update of a view (or slice) of a tensor that is part of a "
                f"graph is not supported here (PyTorch rebases the view's graph); use the "
                f"out-of-place op on the whole tensor")
        old = function._make(self.data.copy(), self._ctx)
        old.requires_grad = self.requires_grad
        result = graph(old)
        if result.data.shape != self.data.shape:
            raise RuntimeError(f"{op}: output with shape {tuple(self.shape)} doesn't match "
                               f"the broadcast shape {tuple(result.shape)}")
        if result.data.dtype != self.data.dtype:  # the result keeps this tensor's dtype
            result = result.to(self.dtype)
        np.copyto(self.data, result.data)
        bump_version(self.data)
        node = result._ctx
        if node is not None:  # what it saved of its output is now this array
            node.saved = tuple(self.data if a is result.data else a for a in node.saved)
            node.stamp = function.inplace_clock.now
            # nodes recorded before reach the old node through it (function.as_of), and
            # views taken before are moved onto the new one when next used
            node.before = old
            views.newest_update = node.seq
            function.rebase = views.rebase
        self._ctx, self.requires_grad = node, result.requires_grad
        return self

    def zero_(self):
        return self._inplace("zero_", lambda a, _: a.fill(0),
                             graph=lambda t: _where_false(t, 0))

    def fill_(self, value):
        return self._inplace("fill_", lambda a, v: a.fill(v), value,
                             graph=lambda t: _where_false(t, value))

    def add_(self, other, alpha=1):
        if alpha != 1:
            other = other * alpha
        return self._inplace("add_", lambda a, v: np.add(a, v, out=a, casting="unsafe"),
                             other, arithmetic=True, graph=lambda t: t + other)

    def sub_(self, other, alpha=1):
        if alpha != 1:
            other = other * alpha
        return self._inplace("sub_", lambda a, v: np.subtract(a, v, out=a, casting="unsafe"),
                             other, arithmetic=True, graph=lambda t: t - other)

    def mul_(self, other):
        return self._inplace("mul_", lambda a, v: np.multiply(a, v, out=a, casting="unsafe"),
                             other, arithmetic=True, graph=lambda t: t * other)

    def div_(self, other):
        return self._inplace("div_", lambda a, v: np.divide(a, v, out=a, casting="unsafe"),
                             other, arithmetic=True, graph=lambda t: t / other)

    def copy_(self, other):
        return self._inplace("copy_", lambda a, v: np.copyto(a, v, casting="unsafe"), other,
                             graph=lambda t: _where_false(t, other))

    def clamp_(self, min=None, max=None):
        return self._inplace("clamp_", lambda a, _: np.clip(a, min, max, out=a),
                             graph=lambda t: t.clamp(min, max))

    def _unary_(self, name: str):
        """``x.relu_()``, ``x.exp_()``, …: ``x.relu()`` written back (float tensors)."""
        if self.data.dtype.kind != "f":
            raise RuntimeError(f"{name}_: result type Float can't be cast to the desired "
                               f"output type {self.dtype.name}")
        return self._inplace(f"{name}_", lambda a, _: np.copyto(a, getattr(a_t(a), name)().data),
                             graph=lambda t: getattr(t, name)())

    def relu_(self):
        return self._unary_("relu")

    def exp_(self):
        return self._unary_("exp")

    def log_(self):
        return self._unary_("log")

    def sqrt_(self):
        return self._unary_("sqrt")

    def tanh_(self):
        return self._unary_("tanh")

    def abs_(self):
        return self._unary_("abs")

    def neg_(self):  # integers too (more_math.py's _update), as PyTorch
        return self._update("neg_", lambda t: -t)

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def __setitem__(self, index, value) -> None:
        key = index_key(index)
        self._inplace("__setitem__", lambda a, v: a.__setitem__(key, v), value,
                      graph=lambda t: SetItem.apply(t, _same_dtype_tensor(value, t), key=key))


def a_t(array):
    """An array as a constant Tensor (to run a method's math with no graph)."""
    return function._make(array, None)


def _same_dtype_tensor(value, like):
    t = value if hasattr(value, "_ctx") else a_t(np.asarray(value, like.data.dtype))
    return t.to(like.dtype)


def _where_false(t, value):
    """``value`` everywhere, in ``t``'s dtype and shape, recorded with ``t`` as an
    input whose gradient is 0 (PyTorch's fill_/zero_/copy_ nodes have that edge)."""
    value = _same_dtype_tensor(value, t)
    return Where.apply(t, value.expand(t.shape), cond=np.zeros(t.shape, bool))
