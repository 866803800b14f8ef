"""max_pool2d's gradient where the windows tile the input (stride = kernel, no
padding): written in one pass (pool.py's `_tiled`), against PyTorch, for inputs in C
order and channels last, with ties, zeros and NaN, float32 and float64."""

from __future__ import annotations

import numpy as np
import pytest

import tensor

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("kernel", [(2, 2), (1, 3), (3, 1), (2, 3)])
def test_tiled_max_pool_gradient_matches_torch(kernel, channels_last, dtype, rng):
    oh, ow = 3, 4
    shape = (2, 5, oh * kernel[0], ow * kernel[1])
    x = (rng.integers(-3, 3, shape) / 2).astype(dtype)  # ties and zeros
    x.flat[rng.integers(0, x.size, 4)] = np.nan
    if channels_last:  # as a convolution's output: NCHW shape, NHWC memory
        x = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    g = rng.standard_normal((2, 5, oh, ow)).astype(dtype)
    grads = []
    for lib in (tensor, torch):
        xt = lib.tensor(x, requires_grad=True)
        y = lib.nn.functional.max_pool2d(xt, kernel)
        y.backward(lib.tensor(g))
        grads.append((y.detach().numpy(), xt.grad.numpy()))
    (y, dx), (ty, tdx) = grads
    np.testing.assert_array_equal(y, ty)
    np.testing.assert_array_equal(dx, tdx)
