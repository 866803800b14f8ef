"""Optimizers with PyTorch's update rules, ``param_groups`` and state dicts."""

from __future__ import annotations

import copy
import functools

import numpy as np

from tensor.compile.capture import replayable

from ._rounding import addcmul_, fma, fma_, lerp_


def _marks_stepped(step):
    """Note that step() ran: a scheduler stepped before it warns, as PyTorch's does."""

    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        self._opt_called = True
        return step(self, *args, **kwargs)

    return wrapper


class Optimizer:
    def __init_subclass__(cls, **kwargs):
        # tensor.compile replays a step by calling step()/zero_grad() again: mark the
        # ones every subclass (a user's too) defines
        super().__init_subclass__(**kwargs)
        for name in ("step", "zero_grad"):
            if name in cls.__dict__:
                setattr(cls, name, replayable(cls.__dict__[name]))
        if "step" in cls.__dict__:  # outside: a compiled step that is fused is marked too
            cls.step = _marks_stepped(cls.__dict__["step"])

    def __init__(self, params, defaults: dict):
        self.defaults = defaults
        self.state: dict = {}
        self.param_groups: list[dict] = []
        if hasattr(params, "_ctx"):
            raise TypeError(f"{type(self).__name__}: params should be an iterable of Tensors "
                            "or dicts, but got a Tensor (wrap it in a list)")
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        for g in groups:
            self.add_param_group(g)

    def add_param_group(self, group: dict) -> None:
        group = dict(group)
        params = group["params"]  # one tensor, or any iterable of them (a generator too)
        group["params"] = [params] if hasattr(params, "_ctx") else list(params)
        # a parameter that does not require grad (a frozen layer) is kept and skipped by
        # step() while its .grad is None, as in PyTorch
        for p in group["params"]:
            if not hasattr(p, "_ctx"):
                raise TypeError(f"{type(self).__name__} can only optimize Tensors, but one of "
                                f"the params is {type(p).__name__}")
            if p._ctx is not None:
                raise ValueError(f"{type(self).__name__}: can't optimize a non-leaf Tensor")
        for k, v in self.defaults.items():
            group.setdefault(k, v)
        for flag in ("differentiable", "capturable"):
            # the step updates NumPy arrays outside autograd and has no graph-capture
            # variant: honouring neither, refuse rather than silently ignore
            if group.get(flag):
                raise NotImplementedError(f"{type(self).__name__}: {flag}=True is not "
                                          "supported here (the step updates NumPy arrays)")
        if group.get("fused") and group.get("foreach"):
            raise RuntimeError(f"{type(self).__name__}: `fused` and `foreach` cannot be "
                               "`True` together.")
        self.param_groups.append(group)

    @replayable
    def zero_grad(self, set_to_none: bool = True) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad.data.fill(0)

    def step(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        """PyTorch's: the class, then each parameter group's settings by name."""
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines += ([""] if i else []) + [f"Parameter Group {i}"]
            lines += [f"    {key}: {group[key]}" for key in sorted(group) if key != "params"]
        return "\n".join(lines) + "\n)"

    def state_dict(self) -> dict:
        """PyTorch's layout: state keyed by the parameter's index across groups."""
        index = {}
        groups = []
        for group in self.param_groups:
            g = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            g["params"] = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                g["params"].append(index[id(p)])
            groups.append(g)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if id(p) in self.state:
                    state[index[id(p)]] = {k: (v.copy() if isinstance(v, np.ndarray) else v)
                                           for k, v in self.state[id(p)].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups) or any(
            len(a["params"]) != len(b["params"]) for a, b in zip(groups, self.param_groups)
        ):
            raise ValueError(f"{type(self).__name__}.load_state_dict: the saved parameter "
                             "groups do not match this optimizer's")
        params = [p for g in self.param_groups for p in g["params"]]
        self.state = {}
        for i, s in state_dict["state"].items():
            p = params[int(i)]
            self.state[id(p)] = {k: _as_param_dtype(k, v, p.dtype) for k, v in s.items()}
        for own, saved in zip(self.param_groups, groups):
            own.update({k: v for k, v in saved.items() if k != "params"})


def _as_param_dtype(key: str, value, dtype):
    """PyTorch's load_state_dict policy: every floating state value but ``step`` takes
    the parameter's dtype (NAdam's float32 mu_product of a float64 parameter comes back
    float64, and the run continues in float64, as PyTorch's does)."""
    if key == "step" or not isinstance(value, (np.ndarray, np.floating, float)):
        return value
    return np.array(value, dtype=dtype) if np.ndim(value) else dtype.type(value)


def _check(what: str, value, ok: bool) -> None:
    """PyTorch's wording: 'Invalid learning rate: -1', 'Invalid momentum value: -0.5'."""
    if not ok:
        raise ValueError(f"Invalid {what}: {value}")


def _check_adam(lr, betas, eps, weight_decay) -> None:
    """The hyperparameter checks the Adam family shares, with PyTorch's messages."""
    _check("learning rate", lr, lr >= 0)
    _check("epsilon value", eps, eps >= 0)
    _check("beta parameter at index 0", betas[0], 0 <= betas[0] < 1)
    _check("beta parameter at index 1", betas[1], 0 <= betas[1] < 1)
    _check("weight_decay value", weight_decay, weight_decay >= 0)


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
                g = -p.grad.data if group["maximize"] else p.grad.data
                if wd:
                    g = fma(wd, p.data, g)  # grad.add(param, alpha=wd)
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
                g = -p.grad.data if group["maximize"] else p.grad.data
                state = self.state.setdefault(id(p), {})
                if not state:
                    state.update(step=0, exp_avg=np.zeros_like(p.data),
                                 exp_avg_sq=np.zeros_like(p.data))
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = np.zeros_like(p.data)
                state["step"] += 1
                if wd and group["decoupled_weight_decay"]:
                    p.data *= 1 - lr * wd
                elif wd:
                    g = fma(wd, p.data, g)  # grad.add(param, alpha=wd)
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
            lr, rho, eps, wd = group["lr"], group["rho"], group["eps"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = -p.grad.data if group["maximize"] else p.grad.data
                if wd:
                    g = fma(wd, p.data, g)  # grad.add(param, alpha=wd)
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
