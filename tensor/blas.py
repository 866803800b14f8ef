"""``sgemm`` and ``sgemv`` of the BLAS library NumPy itself loaded, called by ctypes:
the forms NumPy's ``@`` has no way to ask for, products added into memory that already
holds values. C ← A·B + C for a strided C (the convolution's input gradient,
``ops/conv.py``), C ← α·AᵀB + C and y ← α·Aᵀx + y (the compiled step's fused SGD
update, ``compile/fuse.py``).

Only ever NumPy's own OpenBLAS: SciPy brings a second OpenBLAS with a second thread
pool, and the two fight over the cores (an epoch went from 0.5 s to 15 s with 2
threads). When the symbols can't be found, `available` is False and the plan
computes gradients with ``@`` and lets the optimizer update, and the convolution adds
products with NumPy.
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
    """(sgemm, sgemv, get_num_threads) of NumPy's BLAS, or Nones."""
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
            get = getattr(lib, name.replace("cblas_{}", "openblas_get_num_threads"), None)
            if get is not None:
                get.argtypes, get.restype = [], ctypes.c_int
            return gemm, gemv, get
    return None, None, None


_sgemm, _sgemv, _threads = _find()
available = _sgemm is not None


def threads() -> int:
    """How many threads NumPy's OpenBLAS runs a GEMM on now (threadpoolctl changes
    it); 1 when that can't be asked."""
    return _threads() if _threads is not None else 1


def sgemm(m: int, n: int, k: int, alpha: float, a: int, b: int, c: int) -> None:
    """C ← α·Aᵀ·B + C for the C-contiguous float32 matrices at these addresses: A
    (k×m), B (k×n), C (m×n). The checks (and that `available`) are the caller's."""
    _sgemm(_ROW_MAJOR, _TRANS, _NO_TRANS, m, n, k, alpha, a, m, b, n, 1.0, c, n)


def sgemm_add(m: int, n: int, k: int, a: int, lda: int, b: int, ldb: int, c: int,
              ldc: int) -> None:
    """C ← A·B + C for the row-major float32 matrices at these addresses: A (m×k, rows
    lda apart), B (k×n, rows ldb apart), C (m×n, rows ldc apart). The product of each
    element is rounded, then added to C: what ``C += A @ B`` computes, without the
    temporary. The checks are the caller's."""
    _sgemm(_ROW_MAJOR, _NO_TRANS, _NO_TRANS, m, n, k, 1.0, a, lda, b, ldb, 1.0, c, ldc)


def sgemv(k: int, n: int, alpha: float, a: int, x: int, y: int) -> None:
    """y ← α·Aᵀ·x + y for a C-contiguous float32 A (k×n) and the float32 vectors x
    (k) and y (n) at these addresses: the checks are the caller's."""
    _sgemv(_ROW_MAJOR, _TRANS, k, n, alpha, a, n, x, 1, 1.0, y, 1)


def address(a: np.ndarray) -> int:
    try:  # a ctypes view of the buffer is 5× cheaper to make than a.ctypes
        return ctypes.addressof(ctypes.c_char.from_buffer(a))
    except TypeError:  # read-only memory
        return a.ctypes.data
