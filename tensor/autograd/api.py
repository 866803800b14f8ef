"""``torch.autograd.grad`` and ``torch.autograd.backward``, and ``Tensor.backward``
with ``create_graph=True`` or ``inputs=``: their arguments checked as PyTorch's,
the roots' gradients made, then the general pass (``backprop.py``) run."""

from __future__ import annotations

import numpy as np

from .. import function
from ..grad_mode import grad_mode
from . import engine
from .backprop import run
from .engine import _accumulate_leaves


def _tensor(array):
    return function._make(array, None)


def _seed(root, gradient, create_graph: bool, what: str):
    """The gradient a root starts with: ones for one element, else the one given."""
    data = root.data
    if gradient is None:
        if data.size != 1:
            raise RuntimeError(f"{what}: grad can be implicitly created only for scalar "
                               f"outputs; got shape {tuple(root.shape)}")
        g = np.ones(data.shape, data.dtype)
        return _tensor(g) if create_graph else g
    if hasattr(gradient, "_ctx"):
        if tuple(gradient.shape) != data.shape:
            raise RuntimeError(f"{what}: Mismatch in shape: grad_output has a shape of "
                               f"{tuple(gradient.shape)} and output has a shape of "
                               f"{tuple(root.shape)}")
        if create_graph:
            return gradient if gradient.data.dtype == data.dtype else gradient.to(data.dtype)
        return np.array(gradient.data, dtype=data.dtype)
    g = np.array(gradient, dtype=data.dtype)
    if g.shape != data.shape:
        raise RuntimeError(f"{what}: gradient has shape {g.shape} but the tensor has shape "
                           f"{tuple(root.shape)}")
    return _tensor(g) if create_graph else g


def _as_tuple(x) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def backward(root, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    """``Tensor.backward`` with ``create_graph`` or ``inputs`` (``engine.backward``
    runs the plain case itself)."""
    backward_many((root,), None if gradient is None else (gradient,), retain_graph,
                  create_graph, inputs)


def backward_many(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
                  inputs=None) -> None:
    """``torch.autograd.backward``: accumulate into ``.grad``, as ``Tensor.backward``
    does, the gradients of several tensors at once."""
    tensors = _as_tuple(tensors)
    grads = (None,) * len(tensors) if grad_tensors is None else _as_tuple(grad_tensors)
    if len(grads) != len(tensors):
        raise RuntimeError(f"backward: got {len(tensors)} tensors and {len(grads)} gradients")
    if retain_graph is None:
        retain_graph = create_graph
    for i, t in enumerate(tensors):
        if not t.requires_grad:
            raise RuntimeError(f"backward: element {i} of tensors does not require grad and "
                               "does not have a grad_fn")
    seeds = [_seed(t, g, create_graph, "backward") for t, g in zip(tensors, grads)]
    if inputs is not None:
        inputs = _as_tuple(inputs)
        if not inputs:
            raise RuntimeError("backward: 'inputs' argument to backward() cannot be empty")
    enabled = grad_mode.enabled
    grad_mode.enabled = create_graph  # the backward pass is recorded only if asked
    try:
        caught = run(tensors, seeds, retain_graph, create_graph, inputs).values()
        if create_graph:
            for t, g in caught:
                _accumulate(t, g)
        else:  # together: leaves given one array (a + b) must not share it as .grad
            _accumulate_leaves({t: g for t, g in caught if t._ctx is None})
            for t, g in caught:
                if t._ctx is not None:  # a non-leaf named in inputs=
                    t.grad = _tensor(np.array(g)) if t.grad is None else \
                        _tensor(np.asarray(t.grad.data + g))
    finally:
        grad_mode.enabled = enabled


def _accumulate(t, g) -> None:
    """Into ``t.grad`` under create_graph: out of place (the old .grad may be in a
    graph), as PyTorch."""
    for hook in (t._hooks or ()) if t._ctx is None else ():
        out = hook(g)
        g = g if out is None else out
    if g.data.dtype != t.data.dtype:
        g = g.to(t.data.dtype)
    t.grad = g if t.grad is None else t.grad + g


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False,
         materialize_grads=False):
    """``torch.autograd.grad``: the gradients of ``outputs`` with respect to ``inputs``
    (a tuple, one per input), leaving every ``.grad`` untouched."""
    if is_grads_batched:
        raise NotImplementedError("grad: is_grads_batched=True is not supported")
    if allow_unused is None:
        allow_unused = materialize_grads
    elif materialize_grads and not allow_unused:
        raise ValueError("grad: expected allow_unused to be True or not passed when "
                         "materialize_grads=True, but got: allow_unused=False.")
    outputs, inputs = _as_tuple(outputs), _as_tuple(inputs)
    grads = (None,) * len(outputs) if grad_outputs is None else _as_tuple(grad_outputs)
    if len(grads) != len(outputs):
        raise RuntimeError(f"grad: grad requires one grad_output per output: got "
                           f"{len(grads)} grad_outputs and {len(outputs)} outputs")
    if retain_graph is None:
        retain_graph = create_graph
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError("grad: One of the differentiated Tensors does not require grad")
    for i, t in enumerate(outputs):
        if not t.requires_grad:
            raise RuntimeError(f"grad: element {i} of tensors does not require grad and does "
                               "not have a grad_fn")
    seeds = [_seed(t, g, create_graph, "grad") for t, g in zip(outputs, grads)]
    enabled = grad_mode.enabled
    grad_mode.enabled = create_graph  # the backward pass is recorded only if asked
    try:
        caught = run(outputs, seeds, retain_graph, create_graph, inputs)
    finally:
        grad_mode.enabled = enabled
    result = []
    for i, t in enumerate(inputs):
        g = caught.get(id(t), (None, None))[1]
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"grad: One of the differentiated Tensors (input {i} of shape "
                    f"{tuple(t.shape)}) appears to not have been used in the graph. Set "
                    "allow_unused=True if this is the desired behavior.")
            if materialize_grads:
                g = np.zeros(t.data.shape, t.data.dtype)
        if g is not None and not hasattr(g, "_ctx"):  # np.array: a 0-d scalar as an array too
            g = _tensor(g if g.__class__ is np.ndarray and g.flags.writeable and g.base is None
                        else np.array(g))
        if g is not None and g.data.dtype != t.data.dtype:
            g = g.to(t.data.dtype) if create_graph else _tensor(g.data.astype(t.data.dtype))
        result.append(g)
    return tuple(result)


engine.general_backward = backward
