"""The torchvision stand-in: datasets over the bundled MNIST (and any folder given as
root), torchvision's transforms, and the batch fast path giving the same batches
as transforming image by image."""

from __future__ import annotations

import gzip
import shutil

import numpy as np
import pytest
from PIL import Image

import tensor
from tensor.utils.data import DataLoader, Subset, default_collate
from tinygrad_mnist.data import datasets as loader
from tinygrad_mnist.vision import datasets, transforms


@pytest.fixture(scope="module")
def mnist_test_set():
    return datasets.MNIST(train=False)


def test_samples_are_pil_images_and_int_labels_as_torchvision(mnist_test_set):
    image, label = mnist_test_set[0]
    raw = loader.load_mnist()
    assert isinstance(image, Image.Image) and image.mode == "L" and image.size == (28, 28)
    np.testing.assert_array_equal(np.asarray(image), raw.x_test[0])
    assert label == int(raw.y_test[0]) and isinstance(label, int)
    assert len(mnist_test_set) == 10_000 and len(datasets.MNIST(train=True)) == 60_000
    assert mnist_test_set.classes[label].startswith(str(label))


def test_to_tensor_and_normalize_follow_their_formulas(mnist_test_set):
    image, _ = mnist_test_set[3]
    x = transforms.ToTensor()(image)
    expected = np.asarray(image, np.float32)[None] / np.float32(255)
    assert x.shape == (1, 28, 28) and x.dtype == tensor.float32
    np.testing.assert_array_equal(x.numpy(), expected)
    z = transforms.Normalize((0.1307,), (0.3081,))(x)
    np.testing.assert_allclose(z.numpy(), (expected - 0.1307) / 0.3081, rtol=1e-6)
    rgb = np.zeros((4, 5, 3), np.uint8)
    rgb[..., 2] = 255
    assert transforms.ToTensor()(rgb).shape == (3, 4, 5)
    assert transforms.ToTensor()(rgb).numpy()[2].min() == 1.0
    with pytest.raises(ValueError, match="std evaluated to zero"):
        transforms.Normalize((0.5,), (0.0,))


def test_lambda_target_transform_makes_one_hot_as_the_transforms_tutorial():
    ds = datasets.MNIST(train=False, transform=transforms.ToTensor(),
                        target_transform=transforms.Lambda(
                            lambda y: tensor.zeros(10, dtype=tensor.float).scatter_(
                                0, tensor.tensor(y), value=1)))
    _, target = ds[0]
    assert target.tolist() == np.eye(10)[int(ds.targets[0])].tolist()
    with pytest.raises(TypeError, match="should be callable"):
        transforms.Lambda(3)


@pytest.mark.parametrize("transform", [
    transforms.ToTensor(),
    transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))]),
])
def test_batches_equal_per_image_transforms(transform, mnist_test_set):
    ds = datasets.MNIST(train=False, transform=transform)
    subset = Subset(ds, range(100, 300))
    for data in (ds, subset):
        loader_ = DataLoader(data, batch_size=64, shuffle=True,
                             generator=tensor.Generator().manual_seed(1))
        slow = DataLoader(data, batch_size=64, shuffle=True, collate_fn=default_collate,
                          generator=tensor.Generator().manual_seed(1))
        for (x, y), (xs, ys) in zip(loader_, slow):
            assert x.shape == xs.shape and x.dtype == xs.dtype and y.dtype == tensor.int64
            np.testing.assert_array_equal(x.numpy(), xs.numpy())
            np.testing.assert_array_equal(y.numpy(), ys.numpy())


def test_root_folder_is_used_when_it_holds_the_files(tmp_path):
    """A root with torchvision's layout (<root>/MNIST/raw) is read from, not the
    bundle: a damaged file there is reported by its path."""
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for part in loader.PARTS:
        shutil.copy(loader.BUNDLED / f"{part}.gz", raw / f"{part}.gz")
    ds = datasets.MNIST(root=tmp_path, train=False)
    assert len(ds) == 10_000 and f"Root location: {tmp_path}" in repr(ds)
    labels = raw / "t10k-labels-idx1-ubyte.gz"
    labels.write_bytes(gzip.compress(gzip.decompress(labels.read_bytes())[:-1]))
    with pytest.raises(loader.DatasetError, match=str(labels)):
        datasets.MNIST(root=tmp_path, train=False)
