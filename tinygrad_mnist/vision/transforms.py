"""``ToTensor``, ``Normalize``, ``Compose``, ``Lambda``, as torchvision's.

Each transform works on one image, as torchvision's do. The ones that can also
work on a whole (N, H, W) batch of uint8 images at once say so with
``batch(images)``; a dataset whose transforms all can then hands a `DataLoader`
whole batches (see ``tensor.utils.data``) with the same values.
"""

from __future__ import annotations

import numpy as np

import tensor


class ToTensor:
    """An image (PIL or uint8 array, H×W or H×W×C) → a float32 tensor (C, H, W) in [0, 1]."""

    lib = tensor  # whose tensors come out (vision.for_torch sets torch)

    def __call__(self, pic):
        array = np.asarray(pic)
        if array.ndim == 2:
            array = array[None]
        elif array.ndim == 3:
            array = array.transpose(2, 0, 1)
        else:
            raise TypeError(f"ToTensor: expected an H×W or H×W×C image, got shape {array.shape}")
        return self.lib.from_numpy(self._scale(array))

    @staticmethod
    def _scale(array: np.ndarray) -> np.ndarray:
        if array.dtype == np.uint8:
            return array.astype(np.float32) / np.float32(255)
        return array.astype(np.float32)

    def batch(self, images: np.ndarray) -> np.ndarray:
        """(N, H, W) uint8 → (N, 1, H, W) float32, as ToTensor on each image."""
        return self._scale(images[:, None])

    def __repr__(self) -> str:
        return "ToTensor()"


class Normalize:
    """(x − mean[c]) / std[c] per channel of a (C, H, W) tensor."""

    def __init__(self, mean, std, inplace: bool = False):
        self.mean, self.std = tuple(mean), tuple(std)
        if any(s == 0 for s in self.std):
            raise ValueError(f"Normalize: std evaluated to zero ({self.std}), leading to "
                             "division by zero")

    def _stats(self, dtype, ndim: int):
        shape = (-1,) + (1,) * (ndim - 1)
        return (np.asarray(self.mean, dtype).reshape(shape),
                np.asarray(self.std, dtype).reshape(shape))

    lib = tensor

    def __call__(self, t):
        mean, std = self._stats(np.float32, 3)
        return (t - self.lib.from_numpy(mean)) / self.lib.from_numpy(std)

    def batch(self, images: np.ndarray) -> np.ndarray:
        mean, std = self._stats(images.dtype, 3)
        return (images - mean) / std

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean}, std={self.std})"


class Compose:
    def __init__(self, transforms: list):
        self.transforms = list(transforms)

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x

    @property
    def batch(self):
        """Each transform's batch form in turn; an AttributeError if one has none."""
        steps = [t.batch for t in self.transforms]

        def run(images):
            for step in steps:
                images = step(images)
            return images
        return run

    def __repr__(self) -> str:
        body = "".join(f"\n    {t!r}" for t in self.transforms)
        return f"Compose({body}\n)"


class Lambda:
    """Any function as a transform (e.g. a label → one-hot target)."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Lambda: argument should be callable, got {type(lambd).__name__}")
        self.lambd = lambd

    def __call__(self, x):
        return self.lambd(x)

    def __repr__(self) -> str:
        return "Lambda()"
