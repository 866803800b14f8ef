"""The bugs tests/fuzz/test_optim_fuzz.py found, each as a small test against PyTorch
(named after what went wrong)."""

import numpy as np
import pytest

import nn
import tensor

torch = pytest.importorskip("torch")


def _run(lib, optim, name, kwargs, grads, reload_at, dtype="float64"):
    p = lib.tensor(np.linspace(-1, 1, 4), dtype=getattr(lib, dtype), requires_grad=True)
    opt = getattr(optim, name)([p], **kwargs)
    for i, g in enumerate(grads):
        p.grad = lib.tensor(g, dtype=getattr(lib, dtype))
        opt.step()
        if i == reload_at:  # into a fresh optimizer, as a resumed run does
            saved = opt.state_dict()
            opt = getattr(optim, name)([p], **kwargs)
            opt.load_state_dict(saved)
    return p.detach().numpy()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_nadam_mu_product_takes_the_parameter_dtype_after_load_state_dict(dtype):
    """torch's load_state_dict casts every state value but `step` to the parameter's
    dtype: NAdam's float32 mu_product of a float64 parameter continues in float64. Ours
    kept float32, and float64 runs differed by ~1e-9 after a resume."""
    grads = np.random.default_rng(0).standard_normal((6, 4))
    kwargs = dict(lr=0.2, momentum_decay=0.004)
    ours = _run(tensor, nn.optim, "NAdam", kwargs, grads, reload_at=1, dtype=dtype)
    theirs = _run(torch, torch.optim, "NAdam", kwargs, grads, reload_at=1, dtype=dtype)
    rtol = 1e-12 if dtype == "float64" else 1e-6
    np.testing.assert_allclose(ours, theirs, rtol=rtol)
