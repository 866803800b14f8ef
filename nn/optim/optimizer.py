"""Optimizers with PyTorch's update rules, ``param_groups`` and state dicts."""

from __future__ import annotations

import copy
import functools

import numpy as np

from tensor.compile.capture import replayable

from ._rounding import fma


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


def _gradient(p, group) -> np.ndarray:
    """The gradient the update uses: negated to maximize, plus wd·p (L2) unless the
    decay is decoupled (AdamW's), as PyTorch's optimizers take it."""
    g = -p.grad.data if group["maximize"] else p.grad.data
    if group["weight_decay"] and not group.get("decoupled_weight_decay"):
        g = fma(group["weight_decay"], p.data, g)  # grad.add(param, alpha=wd)
    return g


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
