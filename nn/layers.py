"""Layers with PyTorch's constructors, defaults and ``repr``."""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np

from tensor import Tensor, dtypes
from tensor.ops.linalg import Linear as LinearFn
from tensor.ops.unary import ReLU as ReLUFn

from . import functional as F
from . import init
from .module import Module, Parameter

_relu, _linear = ReLUFn.apply, LinearFn.apply  # bound once (see nn.functional)


class Linear(Module):
    """y = x·Wᵀ + b, with ``weight`` of shape (out_features, in_features).

    The weight is stored column-major, so ``weight.T`` is a row-major (in, out)
    matrix: x·Wᵀ, its gradients and the optimizer's update then run on exactly the
    memory layout of the notebook's ``X·W`` (values and shapes are PyTorch's).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype=None):
        dtype = dtypes.to_dtype(dtype) or dtypes.DEFAULT_FLOAT
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(np.empty((out_features, in_features), dtype, order="F"))
        self.bias = Parameter(np.empty(out_features, dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # PyTorch's default: kaiming_uniform_(a=√5) ⇒ U(±1/√fan_in), the same for the bias
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Tensor) -> Tensor:
        w, b = self.weight, self.bias
        if x.data.dtype is not w.data.dtype:  # identity: the cheap common case
            problem = self._input_problem(x)
            if problem:
                raise RuntimeError(problem)
        try:  # F.linear's op, called directly: one Python frame fewer per layer
            return _linear(x, w) if b is None else _linear(x, w, b)
        except RuntimeError:  # the op names the shapes; the layer names itself too
            problem = self._input_problem(x)
            if problem is None:
                raise
        raise RuntimeError(problem)  # outside the except: one traceback, not two

    def _input_problem(self, x: Tensor) -> str | None:
        """The layer's own message for an input of the wrong width or dtype."""
        name = f"Linear(in_features={self.in_features}, out_features={self.out_features})"
        if x.data.ndim == 0 or x.data.shape[-1] != self.in_features:
            return f"{name} got input of shape {tuple(x.shape)}"
        if x.data.dtype != self.weight.data.dtype:
            return (f"{name} has {self.weight.dtype.name} weights but got {x.dtype.name} "
                    "input; convert one with .float() or .double()")
        return None

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class ReLU(Module):
    def forward(self, x: Tensor) -> Tensor:
        return _relu(x)


class Sigmoid(Module):
    def forward(self, x: Tensor) -> Tensor:
        return x.sigmoid()


class Tanh(Module):
    def forward(self, x: Tensor) -> Tensor:
        return x.tanh()


class Identity(Module):
    def __init__(self, *args, **kwargs):  # PyTorch's takes and ignores any arguments
        pass

    def forward(self, x: Tensor) -> Tensor:
        return x


class Flatten(Module):
    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Tensor) -> Tensor:
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    """Zeroes elements with probability p in training (scaling the rest by 1/(1−p));
    the identity in eval mode."""

    def __init__(self, p: float = 0.5):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace=False"


class Softmax(Module):
    def __init__(self, dim: int | None = None):
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        return x.softmax(self.dim if self.dim is not None else -1)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    def forward(self, x: Tensor) -> Tensor:
        return x.log_softmax(self.dim if self.dim is not None else -1)


class Sequential(Module):
    """Modules applied in order; indexable, iterable, with ``len``. Built from modules
    or from an OrderedDict of named ones; a module assigned as an attribute later
    (``seq.fc = Linear(…)``) is registered and runs last, as in PyTorch."""

    def __init__(self, *modules: Module):
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            named = list(modules[0].items())
        else:
            named = [(str(i), m) for i, m in enumerate(modules)]
        object.__setattr__(self, "_modules", {})
        for name, m in named:
            setattr(self, name, m)

    def __setattr__(self, name: str, value) -> None:
        if isinstance(value, Module):
            self.__dict__.pop(name, None)
            self._modules[name] = value
            object.__setattr__(self, "version", self.version + 1)
            return
        if name in self._modules:
            raise TypeError(f"Sequential: cannot assign {type(value).__name__} as child module "
                            f"'{name}' (a Module or None expected)")
        super().__setattr__(name, value)

    def __getattr__(self, name: str):  # only reached when normal lookup fails
        modules = self.__dict__.get("_modules", {})
        if name in modules:
            return modules[name]
        raise AttributeError(f"'Sequential' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        if name in self._modules:
            del self._modules[name]
            object.__setattr__(self, "version", self.version + 1)
        else:
            super().__delattr__(name)

    def _members(self):
        yield from self._modules.items()

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        return x

    def __getitem__(self, index):
        layers = list(self._modules.values())
        if isinstance(index, slice):
            return Sequential(OrderedDict(list(self._modules.items())[index]))
        return layers[index]

    def __setitem__(self, index: int, module: Module) -> None:
        """``seq[i] = layer``, as PyTorch: replaces the i-th module under its name."""
        names = list(self._modules)
        setattr(self, names[index], module)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module: Module) -> Sequential:
        setattr(self, str(len(self._modules)), module)
        return self


class _Loss(Module):
    def __init__(self, reduction: str = "mean"):
        F._check_reduction(reduction, type(self).__name__)
        self.reduction = reduction

    # no extra_repr: PyTorch's losses print as MSELoss() whatever their reduction


class CrossEntropyLoss(_Loss):
    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean", label_smoothing: float = 0.0):
        super().__init__(reduction)
        self.register_buffer("weight", weight)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input: Tensor, target) -> Tensor:
        return F.cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_Loss):
    def forward(self, input: Tensor, target) -> Tensor:
        return F.nll_loss(input, target, self.reduction)


class MSELoss(_Loss):
    def forward(self, input: Tensor, target) -> Tensor:
        return F.mse_loss(input, target, self.reduction)


class BCEWithLogitsLoss(_Loss):
    def __init__(self, weight=None, reduction: str = "mean", pos_weight=None):
        super().__init__(reduction)
        self.weight, self.pos_weight = weight, pos_weight

    def forward(self, input: Tensor, target) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, self.weight, self.reduction,
                                                  self.pos_weight)
