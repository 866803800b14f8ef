"""``torch.autograd``: what PyTorch's autograd package offers a user.

- ``engine.py``: ``Tensor.backward``, the first-order pass every training step runs
  (read it first: the graph, newest node first, gradients gathered per node).
- ``api.py``: `grad` and `backward`, and ``backprop.py``, the general pass behind
  them and ``create_graph=True`` (gradients of gradients).
- ``function.py``: `Function`, the user's own op with ``forward(ctx, …)`` on Tensors.
- ``functional.py``: ``jacobian``, ``hessian``, ``vjp``, ``jvp``, ``hvp``, ``vhp``.
- ``profiler.py``: ``profiler.profile`` and ``record_function``.
- ``gradcheck`` and ``gradgradcheck`` live in ``tensor/gradcheck.py``.
"""

from ..function import detect_anomaly
from ..grad_mode import enable_grad, no_grad, set_grad_enabled
from .api import backward_many as backward
from .api import grad
from .engine import _accumulate_leaves, toposort  # noqa: F401  (tensor.compile, the tests)
from .function import Function, FunctionCtx, once_differentiable


def set_detect_anomaly(mode: bool, check_nan: bool = True):
    """Turn anomaly detection on or off (as a context manager, for its block only)."""
    from .. import function as _f

    class _Restore:
        def __init__(self):
            self.prev = _f.anomaly_mode.enabled
            _f.anomaly_mode.enabled = bool(mode)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            _f.anomaly_mode.enabled = self.prev
            return False

    return _Restore()


def Variable(data, requires_grad: bool = False):  # noqa: N802  (PyTorch's old name)
    """PyTorch's pre-0.4 wrapper, today the tensor itself (``requires_grad`` set)."""
    return data.requires_grad_(requires_grad) if requires_grad else data


def __getattr__(name):
    """The parts that need the whole package loaded first, imported on first use."""
    import importlib

    if name in ("functional", "profiler"):
        return importlib.import_module(f"{__name__}.{name}")
    if name in ("gradcheck", "gradgradcheck", "GradcheckError"):
        return getattr(importlib.import_module("tensor.gradcheck"), name)
    raise AttributeError(f"module 'tensor.autograd' has no attribute {name!r}")


__all__ = ["Function", "FunctionCtx", "Variable", "backward", "detect_anomaly",
           "enable_grad", "functional", "grad", "gradcheck", "gradgradcheck", "no_grad",
           "once_differentiable", "profiler", "set_detect_anomaly", "set_grad_enabled"]
