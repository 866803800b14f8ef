"""``gradcheck``: autograd's Jacobian against central finite differences, in float64."""

from __future__ import annotations

import numpy as np

from .tensor import Tensor


class GradcheckError(RuntimeError):
    pass


def _outputs(out) -> list:
    return list(out) if isinstance(out, (tuple, list)) else [out]


def gradcheck(fn, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3) -> bool:
    """Check every input that requires grad, element by element, like
    ``torch.autograd.gradcheck``: returns True or raises `GradcheckError` naming
    the input, the input and output elements, and both values."""
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    xs = [Tensor._make(np.array(t.data, dtype=np.float64), None).requires_grad_(True)
          if isinstance(t, Tensor) and t.requires_grad else t for t in inputs]
    outs = _outputs(fn(*xs))
    checked = [i for i, x in enumerate(xs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise GradcheckError("gradcheck: no input requires grad")
    for k, out in enumerate(outs):
        if not out.requires_grad:
            continue
        analytic = _analytic_jacobian(out, [xs[i] for i in checked])
        for col, i in enumerate(checked):
            numeric = _numeric_jacobian(fn, xs, i, k, eps)
            a = analytic[col]
            bad = np.abs(a - numeric) > atol + rtol * np.abs(numeric)
            if bad.any():
                o, e = (int(v) for v in np.argwhere(bad)[0])
                x_shape = xs[i].shape
                raise GradcheckError(
                    f"gradcheck: Jacobian mismatch for output {k} with respect to input {i} "
                    f"(shape {x_shape}) at input element {_index(e, x_shape)}, output "
                    f"element {_index(o, out.shape)}: numerical {numeric[o, e]:.10g} "
                    f"vs analytical {a[o, e]:.10g}"
                )
    return True


def _index(flat: int, shape: tuple) -> tuple:
    return tuple(int(v) for v in np.unravel_index(flat, shape))


def _analytic_jacobian(out: Tensor, xs: list) -> list:
    """One backward per output element gives one row of every input's Jacobian."""
    jac = [np.zeros((out.data.size, x.data.size)) for x in xs]
    for row in range(out.data.size):
        for x in xs:
            x.grad = None
        seed = np.zeros(out.data.size)
        seed[row] = 1
        out.backward(seed.reshape(out.shape), retain_graph=True)
        for j, x in enumerate(xs):
            if x.grad is not None:
                jac[j][row] = x.grad.data.ravel()
    return jac


def _numeric_jacobian(fn, xs: list, i: int, k: int, eps: float) -> np.ndarray:
    from .grad_mode import no_grad

    x = xs[i].data
    flat = x.reshape(-1)
    cols = []
    with no_grad():
        for e in range(flat.size):
            orig = flat[e]
            flat[e] = orig + eps
            plus = np.array(_outputs(fn(*xs))[k].data, dtype=np.float64)
            flat[e] = orig - eps
            minus = np.array(_outputs(fn(*xs))[k].data, dtype=np.float64)
            flat[e] = orig
            cols.append(((plus - minus) / (2 * eps)).ravel())
    return np.stack(cols, axis=1) if cols else np.zeros((0, 0))
