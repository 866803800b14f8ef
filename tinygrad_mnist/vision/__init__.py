"""A torchvision stand-in for the tutorials: ``datasets.MNIST`` / ``FashionMNIST``
over this package's loader, and the ``transforms`` they use. To move a torchvision
program here, change its imports only:

    from torchvision import datasets, transforms
      →  from tinygrad_mnist.vision import datasets, transforms
    from torchvision.transforms import ToTensor
      →  from tinygrad_mnist.vision.transforms import ToTensor

``tinygrad_mnist.vision.for_torch`` has the same names making PyTorch tensors,
for the PyTorch twin of an example (torchvision itself would download the data).
"""

from tinygrad_mnist.vision import datasets, transforms

__all__ = ["datasets", "transforms"]
