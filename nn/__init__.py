"""nn: modules, losses, optimizers and weight files on top of `tensor`."""

from . import functional, init, optim, utils
from .activation import (
    CELU,
    ELU,
    GELU,
    GLU,
    SELU,
    Hardshrink,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LeakyReLU,
    LogSigmoid,
    Mish,
    ReLU6,
    SiLU,
    Softmin,
    Softplus,
    Softshrink,
    Softsign,
    Tanhshrink,
    Threshold,
    Unflatten,
)
from .container import ModuleDict, ModuleList, ParameterList
from .conv import AdaptiveAvgPool2d, AvgPool2d, Conv2d, MaxPool2d
from .embedding import Embedding
from .layers import (
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    Dropout,
    Flatten,
    Identity,
    Linear,
    LogSoftmax,
    MSELoss,
    NLLLoss,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
)
from .loss import BCELoss, HuberLoss, KLDivLoss, L1Loss, SmoothL1Loss
from .module import Module, Parameter
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from .serialization import load, save

__all__ = [
    "AdaptiveAvgPool2d", "AvgPool2d", "BCEWithLogitsLoss", "Conv2d", "MaxPool2d",
    "CrossEntropyLoss", "Dropout", "Flatten", "Identity", "Linear", "LogSoftmax", "MSELoss",
    "Module", "NLLLoss", "Parameter", "ReLU", "Sequential", "Sigmoid", "Softmax", "Tanh",
    "functional", "init", "load", "optim", "save", "utils",
    "Embedding",
    "BCELoss", "BatchNorm1d", "BatchNorm2d", "ELU", "GELU", "HuberLoss", "KLDivLoss", "L1Loss",
    "LayerNorm", "LeakyReLU", "ModuleDict", "ModuleList", "ParameterList", "SiLU",
    "SmoothL1Loss", "Softplus", "Unflatten",
    "CELU", "GLU", "SELU", "Hardshrink", "Hardsigmoid", "Hardswish", "Hardtanh", "LogSigmoid",
    "Mish", "ReLU6", "Softmin", "Softshrink", "Softsign", "Tanhshrink", "Threshold",
]
