"""``torch.autograd.functional``: derivatives of a whole function, built on `grad`.

- ``vjp(f, x, v)``: vᵀ·J, one backward pass;
- ``jvp(f, x, v)``: J·v, by the double-vjp trick (the vjp's gradient with respect
  to its own v, which needs ``create_graph``: no forward mode here, as PyTorch's
  own implementation of this function);
- ``jacobian``: one vjp per output element (PyTorch's ``vectorize=False``);
- ``hessian``: the jacobian of the gradient; ``hvp``/``vhp``: H·v and vᵀ·H.

Inputs and outputs are a Tensor or a tuple of Tensors and the results follow the
same structure, as PyTorch's. Results are detached unless ``create_graph=True``.
"""

from __future__ import annotations

import numpy as np

from .. import function
from ..grad_mode import enable_grad
from .api import grad


def _const(array):
    return function._make(array, None)


def _tuple(x, what: str, fn: str) -> tuple[bool, tuple]:
    is_tuple = isinstance(x, (tuple, list))
    items = tuple(x) if is_tuple else (x,)
    for i, t in enumerate(items):
        if not isinstance(t, function.Tensor):
            raise TypeError(f"The {what} given to {fn} must be either a Tensor or a tuple of "
                            f"Tensors but the value at index {i} has type {type(t).__name__}.")
    return is_tuple, items


def _prepare(inputs: tuple, create_graph: bool) -> tuple:
    """Fresh leaves that require grad (or views that keep the graph, to differentiate
    the result again)."""
    if create_graph:
        return tuple(x.view_as(x) if x.requires_grad else x.detach().requires_grad_(True)
                     for x in inputs)
    return tuple(x.detach().requires_grad_(True) for x in inputs)


def _finish(items, create_graph: bool, like_inputs=None):
    out = []
    for k, t in enumerate(items):
        if t is None:  # an input the output does not depend on: zeros
            ref = like_inputs[k]
            t = _const(np.zeros(ref.data.shape, ref.data.dtype))
        out.append(t if create_graph else t.detach())
    return tuple(out)


def _grads(outputs, inputs, v, create_graph: bool, strict: bool, fn: str) -> tuple:
    pairs = [(o, g) for o, g in zip(outputs, v) if o.requires_grad]
    for i, o in enumerate(outputs):
        if strict and not o.requires_grad:
            raise RuntimeError(f"{fn}: Output {i} of the user-provided function does not "
                               "require gradients. The outputs must be computed in a "
                               "differentiable manner from the input when running in strict "
                               "mode.")
    if not pairs:
        return (None,) * len(inputs)
    result = grad([o for o, _ in pairs], inputs, [g for _, g in pairs],
                  retain_graph=True, create_graph=create_graph, allow_unused=True)
    if strict:
        for i, r in enumerate(result):
            if r is None:
                raise RuntimeError(f"{fn}: The output of the user-provided function is "
                                   f"independent of input {i}. This is not allowed in strict "
                                   "mode.")
    return result


def _v(v, outputs: tuple, fn: str, what: str = "outputs") -> tuple:
    if v is None:
        if len(outputs) != 1 or outputs[0].data.size != 1:
            raise RuntimeError(f"{fn}: The vector v can only be None if the user-provided "
                               f"function returns a single Tensor with a single element.")
        return (_const(np.ones(outputs[0].data.shape, outputs[0].data.dtype)),)
    _, v = _tuple(v, "v", fn)
    if len(v) != len(outputs):
        raise RuntimeError(f"{fn}: v has {len(v)} Tensors but the {what} have {len(outputs)}")
    for i, (a, b) in enumerate(zip(v, outputs)):
        if a.shape != b.shape:
            raise RuntimeError(f"{fn}: Entry {i} in v has invalid size: should be "
                               f"{tuple(b.shape)} but got {tuple(a.shape)}.")
    return v


def vjp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), vᵀ·J)."""
    in_tuple, inputs = _tuple(inputs, "inputs", "vjp")
    with enable_grad():
        inputs = _prepare(inputs, create_graph)
        out = func(*inputs)
        out_tuple, outputs = _tuple(out, "outputs of the user-provided function", "vjp")
        result = _grads(outputs, inputs, _v(v, outputs, "vjp"), create_graph, strict, "vjp")
    result = _finish(result, create_graph, inputs)
    outputs = tuple(o if create_graph else o.detach() for o in outputs)
    return (outputs if out_tuple else outputs[0]), (result if in_tuple else result[0])


def jvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), J·v)."""
    in_tuple, inputs = _tuple(inputs, "inputs", "jvp")
    v = _v(v, inputs, "jvp", "inputs")
    with enable_grad():
        inputs = _prepare(inputs, create_graph)
        out_tuple, outputs = _tuple(func(*inputs), "outputs of the user-provided function",
                                    "jvp")
        # u ↦ uᵀ·J is linear in u; its gradient with respect to u is J·v
        us = tuple(_const(np.zeros(o.data.shape, o.data.dtype)).requires_grad_(True)
                   for o in outputs)
        first = _grads(outputs, inputs, us, True, strict, "jvp")
        used = [(f, x) for f, x in zip(first, v) if f is not None]
        if used:
            result = grad([f for f, _ in used], us, [x for _, x in used],
                          create_graph=create_graph, allow_unused=True)
        else:
            result = (None,) * len(us)
    result = _finish(result, create_graph, outputs)
    outputs = tuple(o if create_graph else o.detach() for o in outputs)
    return (outputs if out_tuple else outputs[0]), (result if out_tuple else result[0])


def jacobian(func, inputs, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode"):
    """∂outputᵢ/∂inputⱼ of shape outputᵢ.shape + inputⱼ.shape, for every i and j."""
    if strategy != "reverse-mode":
        raise NotImplementedError("jacobian: only strategy='reverse-mode' is supported (there "
                                  "is no forward-mode AD)")
    in_tuple, inputs = _tuple(inputs, "inputs", "jacobian")
    with enable_grad():
        inputs = _prepare(inputs, create_graph)
        out_tuple, outputs = _tuple(func(*inputs), "outputs of the user-provided function",
                                    "jacobian")
        rows = []
        for i, out in enumerate(outputs):
            per_input = [[] for _ in inputs]
            for e in range(out.data.size):
                seed = np.zeros(out.data.size, out.data.dtype)
                seed[e] = 1
                v = [_const(np.zeros(o.data.shape, o.data.dtype)) for o in outputs]
                v[i] = _const(seed.reshape(out.data.shape))
                gs = _grads(outputs, inputs, v, create_graph, False, "jacobian")
                if strict and gs[0] is None and out.requires_grad:
                    _grads([out], inputs, [v[i]], create_graph, True, "jacobian")
                for j, g in enumerate(_finish(gs, create_graph, inputs)):
                    per_input[j].append(g)
            rows.append(tuple(_stack(parts, out, x) for parts, x in zip(per_input, inputs)))
    if not create_graph:
        rows = [tuple(r.detach() for r in row) for row in rows]
    if out_tuple and in_tuple:
        return tuple(rows)
    if out_tuple:
        return tuple(row[0] for row in rows)
    return rows[0] if in_tuple else rows[0][0]


def _stack(parts: list, out, x):
    shape = tuple(out.shape) + tuple(x.shape)
    if not parts:
        return _const(np.zeros(shape, x.data.dtype))
    from ..creation import stack

    return stack(parts).reshape(shape)


def hessian(func, inputs, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode"):
    """The Jacobian of the gradient of a function with one element of output."""
    in_tuple, inputs = _tuple(inputs, "inputs", "hessian")

    def gradient(*xs):
        out = func(*xs)
        out_tuple, outs = _tuple(out, "outputs of the user-provided function", "hessian")
        _single(out_tuple, outs, "hessian")
        gs = _grads(outs, xs, _v(None, outs, "hessian"), True, strict, "hessian")
        return _finish(gs, True, xs)

    result = jacobian(gradient, inputs, create_graph=create_graph, strict=strict)
    return result if in_tuple else result[0][0]


def _single(out_tuple: bool, outs: tuple, fn: str) -> None:
    if out_tuple and len(outs) != 1:
        raise RuntimeError(f"{fn}: The function given to {fn} should return a single Tensor")
    if outs[0].data.size != 1:
        raise RuntimeError(f"{fn}: The Tensor returned by the function given to {fn} should "
                           "contain a single element")


def vhp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), vᵀ·H)."""
    return _hessian_product(func, inputs, v, create_graph, strict, "vhp")


def hvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), H·v) (H is symmetric, so vᵀ·H transposed)."""
    return _hessian_product(func, inputs, v, create_graph, strict, "hvp")


def _hessian_product(func, inputs, v, create_graph: bool, strict: bool, fn: str):
    in_tuple, inputs = _tuple(inputs, "inputs", fn)
    v = _v(v, inputs, fn, "inputs")
    with enable_grad():
        inputs = _prepare(inputs, create_graph)
        out_tuple, outs = _tuple(func(*inputs), "outputs of the user-provided function", fn)
        _single(out_tuple, outs, fn)
        first = _grads(outs, inputs, _v(None, outs, fn), True, strict, fn)
        used = [(f, x) for f, x in zip(first, v) if f is not None and f.requires_grad]
        if used:
            result = grad([f for f, _ in used], inputs, [x for _, x in used],
                          create_graph=create_graph, allow_unused=True)
        else:
            result = (None,) * len(inputs)
    result = _finish(result, create_graph, inputs)
    out = outs[0] if create_graph else outs[0].detach()
    return out, (result if in_tuple else result[0])
