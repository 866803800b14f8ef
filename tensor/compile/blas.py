"""``sgemm`` and ``sgemv`` of the BLAS library NumPy itself loaded, called by ctypes:
C ← α·AᵀB + C and y ← α·Aᵀx + y, for the plan's fused SGD update (``fuse.py``).

Only ever NumPy's own OpenBLAS: SciPy brings a second OpenBLAS with a second thread
pool, and the two fight over the cores (an epoch went from 0.5 s to 15 s with 2
threads). When the symbols can't be found, `available` is False and the plan
computes gradients with ``@`` and lets the optimizer update.
"""

from __future__ import annotations

import ctypes
from pathlib import Path

import numpy as np

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
# NumPy's wheels ship scipy-openblas with 64-bit integers and prefixed names;
# a distribution's NumPy may link a plain cblas
_NAMES = (("scipy_cblas_{}64_", ctypes.c_int64), ("cblas_{}64_", ctypes.c_int64),
          ("cblas_{}", ctypes.c_int))


def _find():
    """(sgemm, sgemv) of NumPy's BLAS, or (None, None)."""
    folder = Path(np.__file__).resolve().parent.parent / "numpy.libs"
    candidates = sorted(folder.glob("*openblas*")) if folder.is_dir() else []
    for path in candidates:
        try:
            lib = ctypes.CDLL(str(path))  # already loaded by NumPy: the same handle
        except OSError:
            continue
        for name, i in _NAMES:
            gemm, gemv = (getattr(lib, name.format(f), None) for f in ("sgemm", "sgemv"))
            if gemm is None or gemv is None:
                continue
            enum, f, ptr = ctypes.c_int, ctypes.c_float, ctypes.c_void_p
            gemm.argtypes = [enum, enum, enum, i, i, i, f, ptr, i, ptr, i, f, ptr, i]
            gemv.argtypes = [enum, enum, i, i, f, ptr, i, ptr, i, f, ptr, i]
            gemm.restype = gemv.restype = None
            return gemm, gemv
    return None, None


_sgemm, _sgemv = _find()
available = _sgemm is not None


def sgemm_raw(m: int, n: int, k: int, alpha: float, a: np.ndarray, b: np.ndarray,
              c_address: int) -> None:
    """c ← α·aᵀ·b + c for C-contiguous float32 a (k×m), b (k×n) and the m×n matrix
    at ``c_address``: the checks (and that `available`) are the caller's."""
    _sgemm(_ROW_MAJOR, _TRANS, _NO_TRANS, m, n, k, alpha, address(a), m, address(b), n, 1.0,
           c_address, n)


def sgemv_raw(k: int, n: int, alpha: float, a: np.ndarray, x_address: int,
              y_address: int) -> None:
    """y ← α·aᵀ·x + y for a C-contiguous float32 a (k×n) and the float32 vectors at
    ``x_address`` (k) and ``y_address`` (n): the checks are the caller's."""
    _sgemv(_ROW_MAJOR, _TRANS, k, n, alpha, address(a), n, x_address, 1, 1.0, y_address, 1)


def address(a: np.ndarray) -> int:
    try:  # a ctypes view of the buffer is 5× cheaper to make than a.ctypes
        return ctypes.addressof(ctypes.c_char.from_buffer(a))
    except TypeError:  # read-only memory
        return a.ctypes.data
