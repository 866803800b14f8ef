"""``sgemm``: C ← α·AᵀB + β·C through the BLAS library NumPy itself loaded, by ctypes.

Only ever NumPy's own OpenBLAS: SciPy brings a second OpenBLAS with a second thread
pool, and the two fight over the cores (an epoch went from 0.5 s to 15 s with 2
threads). When the symbol can't be found, `sgemm` is None and callers use ``@``.
"""

from __future__ import annotations

import ctypes
from pathlib import Path

import numpy as np

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
# NumPy's wheels ship scipy-openblas with 64-bit integers and prefixed names;
# a distribution's NumPy may link a plain cblas
_SYMBOLS = (("scipy_cblas_sgemm64_", ctypes.c_int64), ("cblas_sgemm64_", ctypes.c_int64),
            ("cblas_sgemm", ctypes.c_int))


def _find():
    folder = Path(np.__file__).resolve().parent.parent / "numpy.libs"
    candidates = sorted(folder.glob("*openblas*")) if folder.is_dir() else []
    for path in candidates:
        try:
            lib = ctypes.CDLL(str(path))  # already loaded by NumPy: the same handle
        except OSError:
            continue
        for name, integer in _SYMBOLS:
            fn = getattr(lib, name, None)
            if fn is None:
                continue
            ptr, i, f = ctypes.c_void_p, integer, ctypes.c_float
            fn.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, i, i, i, f, ptr, i, ptr,
                           i, f, ptr, i]
            fn.restype = None
            return fn
    return None


_sgemm = _find()


def sgemm_at_b(alpha: float, a: np.ndarray, b: np.ndarray, beta: float, c: np.ndarray) -> bool:
    """c ← α·aᵀ·b + β·c in place, for C-contiguous float32 a (K×M), b (K×N), c (M×N).
    Returns False (and does nothing) when it can't: no BLAS symbol, or other layouts."""
    if _sgemm is None or not (a.dtype == b.dtype == c.dtype == np.float32):
        return False
    if not (a.flags.c_contiguous and b.flags.c_contiguous and c.flags.c_contiguous
            and c.flags.writeable):
        return False
    k, m = a.shape
    n = b.shape[1]
    if b.shape[0] != k or c.shape != (m, n):
        return False
    _sgemm(_ROW_MAJOR, _TRANS, _NO_TRANS, m, n, k, alpha, address(a), m, address(b), n,
           beta, address(c), n)
    return True


def sgemm_raw(m: int, n: int, k: int, alpha: float, a: np.ndarray, b: np.ndarray,
              c_address: int) -> None:
    """c ← α·aᵀ·b + c for C-contiguous float32 a (k×m), b (k×n) and the m×n matrix
    at ``c_address``: the checks (and that the symbol was found) are the caller's."""
    _sgemm(_ROW_MAJOR, _TRANS, _NO_TRANS, m, n, k, alpha, address(a), m, address(b), n, 1.0,
           c_address, n)


def address(a: np.ndarray) -> int:
    try:  # a ctypes view of the buffer is 5× cheaper to make than a.ctypes
        return ctypes.addressof(ctypes.c_char.from_buffer(a))
    except TypeError:  # read-only memory
        return a.ctypes.data


available = _sgemm is not None
