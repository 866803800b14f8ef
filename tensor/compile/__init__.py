"""``tensor.compile``: capture one call of a step, replay it as straight-line NumPy.

Read in this order: ``plan.py`` (`compile`, the guards, when a plan runs) with
``key.py`` (the hashable part of the guards), ``capture.py`` (recording a call
through the engine's one hook, ``function.recorder``), ``observe.py`` (what else
the call read and wrote), ``bytecode.py`` (what the function's code says),
``codegen.py`` (a recording as Python source), ``module.py`` (``compile(model)``),
``fuse.py`` (plain SGD's update inside the weight-gradient GEMM, through ``tensor/blas.py``),
``memory.py`` (freed memory kept for the next step).
"""

from .capture import CaptureError
from .plan import compile  # noqa: A004  (torch.compile)

__all__ = ["CaptureError", "compile"]
