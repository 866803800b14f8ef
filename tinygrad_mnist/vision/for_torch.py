"""The same ``datasets`` and ``transforms`` as ``tinygrad_mnist.vision``, making
PyTorch tensors: for the PyTorch twin of an example, without torchvision (which
would download the data)."""

from __future__ import annotations

from types import SimpleNamespace

import torch

from tinygrad_mnist.vision import datasets as _datasets
from tinygrad_mnist.vision import transforms as _transforms


class ToTensor(_transforms.ToTensor):
    lib = torch


class Normalize(_transforms.Normalize):
    lib = torch


class MNIST(_datasets.MNIST):
    lib = torch


class FashionMNIST(_datasets.FashionMNIST):
    lib = torch


datasets = SimpleNamespace(MNIST=MNIST, FashionMNIST=FashionMNIST)
transforms = SimpleNamespace(ToTensor=ToTensor, Normalize=Normalize,
                             Compose=_transforms.Compose, Lambda=_transforms.Lambda)
