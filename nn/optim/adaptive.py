"""More adaptive optimizers, each step the plain loop of PyTorch's single-tensor
implementation, the same operations in the same order and rounding (fused where
PyTorch fuses): ``RMSprop``, ``Adagrad``, ``Adamax``, ``NAdam``, ``RAdam``. PyTorch's
CPU sqrt (MKL) can differ from NumPy's correctly rounded one in the last bit, so
trajectories agree to rounding, not bit for bit."""

from __future__ import annotations

import numpy as np

from ._rounding import addcmul_ as _addcmul
from ._rounding import fma
from ._rounding import lerp_ as _lerp
from .optimizer import Optimizer, _check, _check_adam, _gradient


def _flags(maximize, foreach, capturable, differentiable, **more) -> dict:
    """The options PyTorch's constructors also take, kept in param_groups; foreach and
    fused change no result here, differentiable and capturable are refused (by
    Optimizer.add_param_group, for every optimizer alike)."""
    return dict(maximize=maximize, foreach=foreach, capturable=capturable,
                differentiable=differentiable, **more)


class RMSprop(Optimizer):
    """v ← αv + (1−α)g²;  p ← p − lr·g / (√v + ε), with centering (v − ḡ²) and
    momentum as ``torch.optim.RMSprop``."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        _check("learning rate", lr, lr >= 0)
        _check("epsilon value", eps, eps >= 0)
        _check("momentum value", momentum, momentum >= 0)
        _check("weight_decay value", weight_decay, weight_decay >= 0)
        _check("alpha value", alpha, alpha >= 0)
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps,
                                      centered=centered, weight_decay=weight_decay,
                                      **_flags(maximize, foreach, capturable, differentiable)))

    def step(self) -> None:
        for group in self.param_groups:
            lr, alpha, eps, momentum = group["lr"], group["alpha"], group["eps"], \
                group["momentum"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = _gradient(p, group)
                state = self.state.setdefault(id(p), {})
                if not state:
                    state.update(step=0, square_avg=np.zeros_like(p.data))
                    if momentum > 0:
                        state["momentum_buffer"] = np.zeros_like(p.data)
                    if group["centered"]:
                        state["grad_avg"] = np.zeros_like(p.data)
                state["step"] += 1
                v = state["square_avg"]
                v *= alpha
                _addcmul(v, 1 - alpha, g, g)
                if group["centered"]:
                    _lerp(state["grad_avg"], g, 1 - alpha)
                    avg = np.sqrt(fma(-state["grad_avg"], state["grad_avg"], v))
                else:
                    avg = np.sqrt(v)
                avg += eps
                if momentum > 0:
                    buf = state["momentum_buffer"]
                    buf *= momentum
                    buf += g / avg
                    p.data[...] = fma(-lr, buf, p.data)
                else:
                    p.data += -lr * g / avg  # addcdiv: (value·g) / avg


class Adagrad(Optimizer):
    """s ← s + g²;  p ← p − lr/(1 + (t−1)·lr_decay) · g / (√s + ε), as
    ``torch.optim.Adagrad``."""

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0,
                 initial_accumulator_value=0, eps=1e-10, foreach=None, *, maximize=False,
                 differentiable=False, fused=None):
        _check("learning rate", lr, lr >= 0)
        _check("lr_decay value", lr_decay, lr_decay >= 0)
        _check("weight_decay value", weight_decay, weight_decay >= 0)
        _check("initial_accumulator_value value", initial_accumulator_value,
               initial_accumulator_value >= 0)
        _check("epsilon value", eps, eps >= 0)
        flags = _flags(maximize, foreach, False, differentiable, fused=fused)
        del flags["capturable"]
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps,
                                      weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      **flags))
        for group in self.param_groups:  # PyTorch fills the state at construction
            for p in group["params"]:
                self.state[id(p)] = dict(step=0, sum=np.full_like(
                    p.data, group["initial_accumulator_value"]))

    def step(self) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state.setdefault(id(p), dict(step=0, sum=np.full_like(
                    p.data, group["initial_accumulator_value"])))
                state["step"] += 1
                g = _gradient(p, group)
                clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
                _addcmul(state["sum"], 1, g, g)
                std = np.sqrt(state["sum"]) + group["eps"]
                p.data += -clr * g / std


class Adamax(Optimizer):
    """m ← β₁m + (1−β₁)g;  u ← max(β₂u, |g| + ε);  p ← p − lr/(1−β₁ᵗ)·m/u, as
    ``torch.optim.Adamax``."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        _check_adam(lr, betas, eps, weight_decay)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay,
                                      **_flags(maximize, foreach, capturable, differentiable)))

    def step(self) -> None:
        for group in self.param_groups:
            (b1, b2), eps = group["betas"], group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = _gradient(p, group)
                state = self.state.setdefault(id(p), {})
                if not state:
                    state.update(step=0, exp_avg=np.zeros_like(p.data),
                                 exp_inf=np.zeros_like(p.data))
                state["step"] += 1
                _lerp(state["exp_avg"], g, 1 - b1)
                u = state["exp_inf"]
                u *= b2
                np.maximum(u, np.abs(g) + eps, out=u)
                clr = group["lr"] / (1 - b1 ** state["step"])
                p.data += -clr * state["exp_avg"] / u


class NAdam(Optimizer):
    """Adam with Nesterov momentum and the momentum schedule μₜ = β₁(1 − ½·0.96^(tψ)),
    as ``torch.optim.NAdam`` (decoupled_weight_decay: NAdamW)."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        _check_adam(lr, betas, eps, weight_decay)
        _check("momentum_decay value", momentum_decay, momentum_decay >= 0)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, momentum_decay=momentum_decay,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      **_flags(maximize, foreach, capturable, differentiable)))

    def step(self) -> None:
        for group in self.param_groups:
            lr, (b1, b2), eps, psi = group["lr"], group["betas"], group["eps"], \
                group["momentum_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                if group["weight_decay"] and group["decoupled_weight_decay"]:
                    p.data *= 1 - lr * group["weight_decay"]
                g = _gradient(p, group)
                state = self.state.setdefault(id(p), {})
                if not state:
                    # μ's running product is a float32 scalar tensor in PyTorch
                    state.update(step=0, mu_product=np.float32(1.0),
                                 exp_avg=np.zeros_like(p.data),
                                 exp_avg_sq=np.zeros_like(p.data))
                state["step"] += 1
                t = state["step"]
                bias2 = 1 - b2 ** t
                mu = b1 * (1.0 - 0.5 * 0.96 ** (t * psi))
                mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
                product = state["mu_product"]  # float32, or the parameter's once reloaded
                state["mu_product"] = product.dtype.type(product * product.dtype.type(mu))
                mu_product = float(state["mu_product"])
                _lerp(state["exp_avg"], g, 1 - b1)
                v = state["exp_avg_sq"]
                v *= b2
                _addcmul(v, 1 - b2, g, g)
                denom = np.sqrt(v / bias2) + eps
                p.data += (-lr * (1.0 - mu) / (1.0 - mu_product)) * g / denom
                p.data += (-lr * mu_next / (1.0 - mu_product * mu_next)) * state[
                    "exp_avg"] / denom


class RAdam(Optimizer):
    """Adam with the variance of its adaptive rate rectified (plain momentum SGD while
    ρₜ ≤ 5), as ``torch.optim.RAdam`` (decoupled_weight_decay: RAdamW)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
        _check_adam(lr, betas, eps, weight_decay)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      **_flags(maximize, foreach, capturable, differentiable)))

    def step(self) -> None:
        for group in self.param_groups:
            lr, (b1, b2), eps = group["lr"], group["betas"], group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                if group["weight_decay"] and group["decoupled_weight_decay"]:
                    p.data *= 1 - lr * group["weight_decay"]
                g = _gradient(p, group)
                state = self.state.setdefault(id(p), {})
                if not state:
                    state.update(step=0, exp_avg=np.zeros_like(p.data),
                                 exp_avg_sq=np.zeros_like(p.data))
                state["step"] += 1
                t = state["step"]
                _lerp(state["exp_avg"], g, 1 - b1)
                v = state["exp_avg_sq"]
                v *= b2
                _addcmul(v, 1 - b2, g, g)
                bias1, bias2 = 1 - b1 ** t, 1 - b2 ** t
                corrected = state["exp_avg"] / bias1
                rho_inf = 2 / (1 - b2) - 1
                rho_t = rho_inf - 2 * t * (b2 ** t) / bias2
                if rho_t > 5.0:
                    rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                            / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                    adaptive = (bias2 ** 0.5) / (np.sqrt(v) + eps)
                    p.data -= corrected * lr * adaptive * rect
                else:
                    p.data -= corrected * lr
