"""A convolution's blocks of images on two threads, when NumPy's BLAS has two.

Eager, a convolution hands each of its GEMM calls to the BLAS threads and waits for
them: a block's calls are small (nine of them for the input gradient), each is a
fork and a join, and the copies in between (the patches, the gradient laid on the
input's grid, the bias) run on one core. The compiled step instead splits the batch
into two runs of whole blocks, one per thread, each with a one-thread BLAS (NumPy
and ctypes let go of the GIL while they work): one fork and one join per op.

The numbers are eager's, bit for bit: the blocks are eager's at the BLAS's thread
count (each GEMM call has the shape eager's has: OpenBLAS picks its kernel by shape,
and a small call's kernel rounds differently), split between the threads at a block's
edge; the weight gradient, a sum of one product per block, is summed in eager's
order once both threads are done.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .. import blas
from ..ops import conv
from ..ops.conv import Conv2d

_worker: ThreadPoolExecutor | None = None
_lock = threading.Lock()  # one split at a time: the BLAS thread count is the process's


def both(first, second):
    """(first(), second()), first on a worker thread and second here, each with a
    one-thread BLAS; the BLAS's thread count restored after."""
    global _worker
    with _lock:
        if _worker is None:
            _worker = ThreadPoolExecutor(1, thread_name_prefix="tensor.compile")
        threads = blas.threads()
        blas.set_threads(1)
        try:
            future = _worker.submit(first)
            try:
                second_result = second()
            finally:
                first_result = future.result()
        finally:
            blas.set_threads(threads)
    return first_result, second_result


def _split(n: int, images: int) -> int:
    """Where two runs of whole blocks of ``images`` images meet in a batch of n."""
    blocks = -(-n // images)
    return min(n, (blocks + 1) // 2 * images)


def _two_threads(n: int, images: int) -> bool:
    return blas.available and blas.threads() == 2 and n > images


class Conv2dTwoThreads(Conv2d):
    """Conv2d, its blocks of images split between two threads when NumPy's BLAS runs
    on two (else Conv2d itself): the same numbers."""

    @staticmethod
    def forward(ctx, x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
        xp = conv.pad(x.transpose(0, 2, 3, 1), padding, axes=(1, 2))  # (N, H, W, C)
        kernel = w.shape[2:]
        images = conv.patch_images(xp.shape, kernel, stride, dilation, xp.itemsize)
        if not _two_threads(len(xp), images):
            return Conv2d.forward(ctx, x, w, b, stride, padding, dilation, groups)
        n, h, wd, _ = xp.shape
        oh, ow = (conv.out_size(s, k, st, 0, d) for s, k, st, d in
                  zip((h, wd), kernel, stride, dilation))
        wm, half = conv._weight_matrix(w, groups), _split(n, images)
        y = np.empty((n * oh * ow, w.shape[0]), np.result_type(xp, w))
        both(*(lambda a=a, z=z: conv.convolve(xp[a:z], wm, kernel, stride, dilation, b,
                                               y[a * oh * ow:z * oh * ow], images)
               for a, z in ((0, half), (half, n))))
        ctx.save_for_backward(xp, w)
        ctx.geometry = (x.shape, stride, conv.sides(padding), dilation, groups)
        return y.reshape(n, oh, ow, -1).transpose(0, 3, 1, 2)

    @staticmethod
    def backward(ctx, g):
        if not isinstance(g, np.ndarray):
            return Conv2d.backward(ctx, g)
        (xp, w), needs = ctx.saved, ctx.needs_input_grad
        _, stride, _, dilation, groups = ctx.geometry
        kernel, n = w.shape[2:], len(xp)
        # eager's blocks at this thread count: the weight gradient sums one term each
        images = conv.patch_images(xp.shape, kernel, stride, dilation, xp.itemsize)
        gl = np.ascontiguousarray(g.transpose(0, 2, 3, 1))
        shifted = needs[0] and conv.shifts(gl, w, stride)
        if not (_two_threads(n, images) and (shifted or not needs[0])):
            return Conv2d.backward(ctx, g)
        gm = gl.reshape(-1, w.shape[0])
        _, h, wd, _ = xp.shape
        oh, ow = gl.shape[1:3]
        rows = max(1, conv.GRADIENT_ROWS * conv._threaded() // max(oh * ow, 1))
        dxp = np.empty((n * h * wd, groups * w.shape[1]), np.float32) if shifted else None
        half, dx_half = _split(n, images), _split(n, rows)

        def run(a, z, da, dz):
            if shifted and dz > da:
                conv.input_gradient_shifted(gl[da:dz], w, (dz - da, h, wd, 0), dilation, groups,
                                            dxp[da * h * wd:dz * h * wd], rows)
            if needs[1]:
                return list(conv.weight_products(xp[a:z], gm[a * oh * ow:z * oh * ow], kernel,
                                                 stride, dilation, groups, images))
            return []

        first, second = both(lambda: run(0, half, 0, dx_half),
                             lambda: run(half, n, dx_half, n))
        products = first + second if needs[1] else None
        if shifted:
            dxp = dxp.reshape(n, h, wd, -1)
        return conv.gradients(ctx, gl, dxp, products)


REPLACEMENTS = {Conv2d: Conv2dTwoThreads}
