"""Adadelta, as torch.optim.Adadelta."""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, _check, _gradient


class Adadelta(Optimizer):
    """Adadelta, as ``torch.optim.Adadelta``: v ← ρv + (1−ρ)g²,
    Δ = √(u + ε)/√(v + ε)·g, u ← ρu + (1−ρ)Δ², p ← p − lr·Δ."""

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 capturable: bool = False, maximize: bool = False,
                 differentiable: bool = False):
        _check("learning rate", lr, lr >= 0)
        _check("rho value", rho, 0 <= rho <= 1)
        _check("epsilon value", eps, eps >= 0)
        _check("weight_decay value", weight_decay, weight_decay >= 0)
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                                      foreach=foreach, capturable=capturable,
                                      maximize=maximize, differentiable=differentiable))

    def step(self) -> None:
        for group in self.param_groups:
            lr, rho, eps = group["lr"], group["rho"], group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = _gradient(p, group)
                state = self.state.setdefault(id(p), {})
                if not state:
                    state.update(step=0, square_avg=np.zeros_like(p.data),
                                 acc_delta=np.zeros_like(p.data))
                state["step"] += 1
                v, u = state["square_avg"], state["acc_delta"]
                # the same arithmetic as written in the docstring, in place: two
                # temporaries per parameter rather than eleven (unfused: PyTorch's
                # addcmul_ rounds once, which a wide temporary would cost five times
                # the update to follow; its sqrt differs in the last bit anyway)
                square = np.multiply(g, g)
                square *= 1 - rho
                v *= rho
                v += square  # v ← ρv + (1−ρ)g²
                std = np.add(v, eps)
                np.sqrt(std, out=std)
                delta = np.add(u, eps)
                np.sqrt(delta, out=delta)
                delta /= std
                delta *= g  # Δ = √(u + ε)/√(v + ε)·g
                np.multiply(delta, delta, out=square)
                square *= 1 - rho
                u *= rho
                u += square  # u ← ρu + (1−ρ)Δ²
                delta *= lr
                p.data -= delta
