"""SGD with momentum, dampening, nesterov and weight decay, as torch.optim.SGD."""

from __future__ import annotations

import numpy as np

from ._rounding import fma, fma_
from .optimizer import Optimizer, _check, _gradient


class SGD(Optimizer):
    """p ← p − lr·v, with v the gradient plus weight decay, momentum and nesterov
    exactly as ``torch.optim.SGD`` (maximize: p ← p + lr·v, gradient ascent)."""

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, differentiable: bool = False,
                 fused: bool | None = None):
        _check("learning rate", lr, lr >= 0)
        _check("momentum value", momentum, momentum >= 0)
        _check("weight_decay value", weight_decay, weight_decay >= 0)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize, foreach=foreach,
                                      differentiable=differentiable, fused=fused))

    def plain_sgd(self) -> bool:
        """Whether step() is exactly p ← p − lr·∇p now (tensor.compile then folds it
        into the weight-gradient GEMM): not with momentum, decay or maximize."""
        return all(not (g["momentum"] or g["weight_decay"] or g["maximize"])
                   for g in self.param_groups)

    def step(self) -> None:
        for group in self.param_groups:
            lr, momentum, wd = group["lr"], group["momentum"], group["weight_decay"]
            if not (momentum or wd):  # plain SGD, the notebook's update: the hot path
                # lr as a 0-d array of the parameter's dtype, made once per dtype: NumPy 2
                # converts a Python float on every operation, at more cost than a small
                # parameter's update (the rounding is the same)
                step = dtype = None
                for p in group["params"]:
                    if p.grad is not None:
                        data = p.data
                        if data.dtype is not dtype:
                            dtype = data.dtype
                            step = np.asarray(lr, dtype)
                        if group["maximize"]:
                            data += step * p.grad.data
                        else:
                            data -= step * p.grad.data
                continue
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = _gradient(p, group)
                if momentum:
                    state = self.state.setdefault(id(p), {})
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = state["momentum_buffer"] = g.copy()
                    else:  # buf.mul_(momentum).add_(grad, alpha=1 − dampening)
                        buf *= momentum
                        if group["dampening"]:
                            fma_(1 - group["dampening"], g, buf)
                        else:  # alpha 1: the same sum, without the wide temporary
                            buf += g
                    g = fma(momentum, buf, g) if group["nesterov"] else buf
                fma_(-lr, g, p.data)  # param.add_(grad, alpha=−lr)
