"""Adam and AdamW (Adam with decoupled weight decay), as torch.optim's."""

from __future__ import annotations

import numpy as np

from ._rounding import addcmul_, lerp_
from .optimizer import Optimizer, _check_adam, _gradient


class Adam(Optimizer):
    """Adam with bias correction, as ``torch.optim.Adam`` (weight decay as L2 on the
    gradient, or, with decoupled_weight_decay, on the weights directly: AdamW)."""

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None, decoupled_weight_decay: bool = False):
        _check_adam(lr, betas, eps, weight_decay)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize, foreach=foreach,
                                      capturable=capturable, differentiable=differentiable,
                                      fused=fused,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def step(self) -> None:
        # PyTorch's single-tensor loop, op for op (lerp_, mul_/addcmul_, addcdiv_)
        for group in self.param_groups:
            lr, (b1, b2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = _gradient(p, group)  # with wd·p unless decoupled
                state = self.state.setdefault(id(p), {})
                if not state:
                    state.update(step=0, exp_avg=np.zeros_like(p.data),
                                 exp_avg_sq=np.zeros_like(p.data))
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = np.zeros_like(p.data)
                state["step"] += 1
                if wd and group["decoupled_weight_decay"]:
                    p.data *= 1 - lr * wd
                m, v = state["exp_avg"], state["exp_avg_sq"]
                lerp_(m, g, 1 - b1)
                v *= b2
                addcmul_(v, 1 - b2, g, g)
                if group["amsgrad"]:
                    if "max_exp_avg_sq" not in state:  # amsgrad switched on mid-run
                        state["max_exp_avg_sq"] = np.zeros_like(p.data)
                    np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
                    v = state["max_exp_avg_sq"]
                t = state["step"]
                step_size = lr / (1 - b1 ** t)
                denom = np.sqrt(v) / (1 - b2 ** t) ** 0.5
                denom += eps
                p.data += -step_size * m / denom  # addcdiv_(m, denom, value=−step_size)


class AdamW(Adam):
    """Adam with decoupled weight decay: p ← p·(1 − lr·λ) before the Adam step
    (PyTorch's: ``Adam(decoupled_weight_decay=True)``)."""

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None,
                 capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
