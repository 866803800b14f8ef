"""``MNIST`` and ``FashionMNIST`` with torchvision's signature, over this package's
loader (the bundled MNIST works offline; see ``tinygrad_mnist.data.datasets.locate``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

import tensor
from tensor.utils.data import Dataset
from tinygrad_mnist.data import datasets as loader


class MNIST(Dataset):
    """``dataset[i]`` is ``(image, label)``: a PIL image and an int, each passed
    through ``transform`` / ``target_transform`` when given, as torchvision's.

    ``root`` is searched first (a folder with the four IDX files, directly or in
    ``<root>/<name>`` or torchvision's ``<root>/<Class>/raw``); the usual lookup
    follows. ``download=True`` lets that lookup download when nothing is found.
    """

    name = "mnist"
    lib = tensor  # whose tensors a batch is made of (vision.for_torch sets torch)
    classes = [f"{i} - {w}" for i, w in enumerate(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])]

    def __init__(self, root=None, train: bool = True, transform=None, target_transform=None,
                 download: bool = False):
        self.root, self.train = root, train
        self.transform, self.target_transform = transform, target_transform
        data = loader.load_mnist(self.name, self._folder(root), download=download)
        self.data = data.x_train if train else data.x_test
        self.targets = data.y_train if train else data.y_test

    def _folder(self, root):
        if root is None:
            return None
        root = Path(root)
        for folder in (root, root / self.name, root / type(self).__name__ / "raw"):
            if all(loader._file_in(folder, part) for part in loader.PARTS):
                return folder
        return None  # not there: the usual lookup (bundled, system, cache, download)

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index):
        image = Image.fromarray(self.data[int(index)])  # uint8 H×W: a grayscale ("L") image
        target = int(self.targets[int(index)])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    @property
    def get_batch(self):
        """A whole batch at once, when the transforms have a batch form: the same
        values as transforming each image and collating (used by DataLoader)."""
        if self.target_transform is not None or self.transform is None:
            raise AttributeError("get_batch: only with batchable transforms")
        transform = self.transform.batch  # AttributeError when there is no batch form

        def get_batch(indices: np.ndarray):
            images = np.ascontiguousarray(transform(self.data[indices]))
            return [self.lib.from_numpy(images), self.lib.from_numpy(self.targets[indices])]
        return get_batch

    def __repr__(self) -> str:
        split = "Train" if self.train else "Test"
        lines = [f"Dataset {type(self).__name__}", f"    Number of datapoints: {len(self)}",
                 f"    Root location: {self.root}", f"    Split: {split}"]
        if self.transform is not None:
            lines.append(f"    StandardTransform\nTransform: {self.transform!r}")
        return "\n".join(lines)


class FashionMNIST(MNIST):
    name = "fashion-mnist"
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]
