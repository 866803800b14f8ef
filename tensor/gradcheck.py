"""``gradcheck`` and ``gradgradcheck``, as ``torch.autograd``'s: autograd's Jacobian
against central finite differences, element by element.

As in PyTorch the function runs on the inputs as given, perturbed in place; give it
float64 inputs (float32 warns: its rounding is larger than the default tolerances).
``gradgradcheck`` checks the gradient of the gradient: it runs ``gradcheck`` on the
function that returns the first gradients, computed with ``create_graph=True``.
"""

from __future__ import annotations

import warnings

import numpy as np

from .autograd.api import grad
from .grad_mode import enable_grad
from .tensor import Tensor


class GradcheckError(RuntimeError):
    """Raised by gradcheck and gradgradcheck when a Jacobian does not match."""


def _as_tuple(x) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _differentiable(outs) -> list:
    return [(k, o) for k, o in enumerate(outs)
            if isinstance(o, Tensor) and o.requires_grad and o.data.dtype.kind == "f"]


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, nondet_tol: float = 0.0,
              check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
              check_batched_grad: bool = False, check_batched_forward_grad: bool = False,
              check_forward_ad: bool = False, check_backward_ad: bool = True,
              fast_mode: bool = False, masked=None) -> bool:
    """True when every output's Jacobian with respect to every input that requires
    grad matches finite differences (|a − n| ≤ atol + rtol·|n|); otherwise raises
    `GradcheckError` naming the output, the input and the elements (or returns False
    with ``raise_exception=False``). ``fast_mode`` runs the full check."""
    if check_batched_grad or check_batched_forward_grad or check_forward_ad:
        raise NotImplementedError("gradcheck: batched and forward-mode checks are not "
                                  "supported (forward-mode AD is not implemented)")
    inputs = _as_tuple(inputs)
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, "
                         "but none of the them have requires_grad=True.")
    for i in checked:
        if inputs[i].data.dtype != np.float64:
            warnings.warn(f"Input #{i} requires gradient and is not a double precision "
                          "floating point. This check will likely fail if all the inputs are "
                          "not of double precision floating point.", UserWarning, stacklevel=2)
    with enable_grad():
        outs = _as_tuple(func(*inputs))
    xs = [inputs[i] for i in checked]
    for k, out in _differentiable(outs):
        analytic = _analytic_jacobian(out, xs)
        for col, i in enumerate(checked):
            numeric = _numeric_jacobian(func, inputs, i, k, eps)
            a = analytic[col]
            bad = np.abs(a - numeric) > atol + rtol * np.abs(numeric)
            if bad.any():
                o, e = (int(v) for v in np.argwhere(bad)[0])
                x_shape = tuple(inputs[i].shape)
                message = (
                    f"Jacobian mismatch for output {k} with respect to input {i} (shape "
                    f"{x_shape}) at input element {_index(e, x_shape)}, output element "
                    f"{_index(o, tuple(out.shape))}: numerical {numeric[o, e]:.10g} vs "
                    f"analytical {a[o, e]:.10g},\nnumerical:{numeric}\nanalytical:{a}\n")
                if raise_exception:
                    raise GradcheckError(message)
                return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, gen_non_contig_grad_outputs: bool = False,
                  raise_exception: bool = True, nondet_tol: float = 0.0,
                  check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
                  check_batched_grad: bool = False, check_fwd_over_rev: bool = False,
                  check_rev_over_rev: bool = True, fast_mode: bool = False,
                  masked: bool = False) -> bool:
    """gradcheck of the first gradients: ``grad_outputs`` (random in [−1, 1) when not
    given, and themselves checked) weight the outputs, and the Jacobian of the
    gradient they give is compared with finite differences of it."""
    inputs = _as_tuple(inputs)
    n = len(inputs)
    if grad_outputs is None:
        with enable_grad():
            outs = _as_tuple(func(*inputs))
        rng = np.random.default_rng(0)
        grad_outputs = [Tensor._make(rng.uniform(-1, 1, o.data.shape).astype(o.data.dtype),
                                     None).requires_grad_(True)
                        for _, o in _differentiable(outs)]
    grad_outputs = _as_tuple(grad_outputs)

    def first_gradients(*args):
        outs = _as_tuple(func(*args[:n]))
        pairs = [(o, g) for (_, o), g in zip(_differentiable(outs), args[n:])]
        xs = [x for x in args[:n] if isinstance(x, Tensor) and x.requires_grad]
        grads = grad([o for o, _ in pairs], xs, [g for _, g in pairs], create_graph=True,
                     allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_gradients, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol)


def _index(flat: int, shape: tuple) -> tuple:
    return tuple(int(v) for v in np.unravel_index(flat, shape))


def _analytic_jacobian(out: Tensor, xs: list) -> list:
    """One backward per output element gives one row of every input's Jacobian."""
    jac = [np.zeros((out.data.size, x.data.size)) for x in xs]
    for row in range(out.data.size):
        seed = np.zeros(out.data.size, out.data.dtype)
        seed[row] = 1
        grads = grad(out, xs, Tensor._make(seed.reshape(out.data.shape), None), retain_graph=True,
                     allow_unused=True)
        for j, g in enumerate(grads):
            if g is not None:
                jac[j][row] = g.data.ravel()
    return jac


def _numeric_jacobian(fn, inputs: tuple, i: int, k: int, eps: float) -> np.ndarray:
    """Column e: (f(x + eps·eₑ) − f(x − eps·eₑ)) / 2eps, x changed in place."""
    x = inputs[i]
    if not x.data.flags.writeable or not isinstance(x.data, np.ndarray):
        x.data = np.array(x.data)
    data = x.data
    cols = []
    with enable_grad():  # fn may itself differentiate (gradgradcheck's does)
        for e in range(data.size):
            at = np.unravel_index(e, data.shape)
            orig = data[at]
            data[at] = orig + eps
            plus = np.array(_as_tuple(fn(*inputs))[k].data, dtype=np.float64)
            data[at] = orig - eps
            minus = np.array(_as_tuple(fn(*inputs))[k].data, dtype=np.float64)
            data[at] = orig
            cols.append(((plus - minus) / (2 * eps)).ravel())
    if not cols:
        out = _as_tuple(fn(*inputs))[k]
        return np.zeros((out.data.size, 0))
    return np.stack(cols, axis=1)
