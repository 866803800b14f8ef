"""Freed memory kept in the process for the next step, not returned to the OS.

A training step allocates arrays of the same sizes at every step, a convolution's
outputs and gradients among them (a few to a few tens of MB each). glibc's malloc
takes blocks above its mmap threshold (which adapts, up to 32 MB) straight from the
OS and gives them back on free, and trims its heap when more than twice that is
free at the top: every step then faults its pages in again. For the official MNIST
example's CNN that is about 2,000 page faults, 7–11 ms of a 100 ms step. Fixed
thresholds above any step's arrays keep freed blocks in the heap, where the next
step's arrays of the same sizes find them, as a caching allocator would.

The cost: memory a program frees stays with the process (up to TRIM_THRESHOLD at
the top of the heap) instead of going back to the OS, so its RSS stays near its
peak. Process-wide (eager code run afterwards gains too), on glibc only; a no-op
elsewhere.
"""

from __future__ import annotations

import ctypes
import platform

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt's parameters (malloc.h)
MMAP_THRESHOLD = 256 << 20  # blocks larger than this still come from, and go back to, the OS
TRIM_THRESHOLD = 512 << 20  # free memory kept at the top of the heap

_done = False


def keep_freed_memory() -> bool:
    """Set glibc's thresholds once; whether they are set."""
    global _done
    if not _done and platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
        try:
            mallopt = ctypes.CDLL(None).mallopt
        except (OSError, AttributeError):
            return False
        mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
        _done = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                     and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return _done
