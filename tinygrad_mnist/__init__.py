"""tinygrad_mnist: the MNIST application built on `tensor` and `nn`."""

__version__ = "0.1.0"
