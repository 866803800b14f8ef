"""`bench`'s rows for the tutorials' parts: a DataLoader epoch against plain NumPy
index slicing of the same batches, and the official example's CNN, one training
epoch here and in PyTorch. Timed as `bench.py` times the MLP: in interleaved
slices, medians of paired ratios."""

from __future__ import annotations

import statistics
import time

import numpy as np

import nn
import tensor
from tensor.utils.data import DataLoader, TensorDataset
from tinygrad_mnist.vision import datasets, transforms

MEAN, STD = 0.1307, 0.3081  # the official example's Normalize


def official_cnn(lib_nn):
    """The official MNIST example's network, as a Sequential of ``lib_nn``'s layers
    (this framework's ``nn`` or ``torch.nn``: the names are the same)."""
    return lib_nn.Sequential(
        lib_nn.Conv2d(1, 32, 3, 1), lib_nn.ReLU(), lib_nn.Conv2d(32, 64, 3, 1), lib_nn.ReLU(),
        lib_nn.MaxPool2d(2), lib_nn.Dropout(0.25), lib_nn.Flatten(),
        lib_nn.Linear(9216, 128), lib_nn.ReLU(), lib_nn.Dropout(0.5), lib_nn.Linear(128, 10),
        lib_nn.LogSoftmax(dim=1))


def _paired(times: dict, base: str) -> dict:
    """name → {median_s, paired ratio to ``base``} over the repeats."""
    return {name: {"median_s": statistics.median(v),
                   "paired_ratio": statistics.median(a / b for a, b in zip(v, times[base]))}
            for name, v in times.items()}


def _interleaved(runs: dict, repeats: int) -> dict:
    """name → seconds per repeat, the order rotating each repeat."""
    names, times = list(runs), {name: [] for name in runs}
    for r in range(repeats):
        for name in names[r % len(names):] + names[:r % len(names)]:
            t = time.perf_counter()
            runs[name]()
            times[name].append(time.perf_counter() - t)
    return times


def dataloader_times(images: np.ndarray, labels: np.ndarray, repeats: int,
                     batch_size: int = 64) -> dict:
    """One shuffled epoch of batches: NumPy index slicing, a DataLoader over a
    TensorDataset of the same arrays, and one over the MNIST dataset with the official
    example's ToTensor + Normalize (against NumPy doing that arithmetic itself)."""
    x = (images[:, None] / np.float32(255)).astype(np.float32)
    rng = np.random.default_rng(0)
    tensors = TensorDataset(tensor.from_numpy(x), tensor.from_numpy(labels))
    mnist = datasets.MNIST(train=True, transform=transforms.Compose(
        [transforms.ToTensor(), transforms.Normalize((MEAN,), (STD,))]))
    mnist.data, mnist.targets = images, labels

    def numpy_slicing(normalize=False):
        order = rng.permutation(len(x))
        for s in range(0, len(order), batch_size):
            idx = order[s:s + batch_size]
            if normalize:
                xb = (images[idx][:, None].astype(np.float32) / np.float32(255)
                      - np.float32(MEAN)) / np.float32(STD)
            else:
                xb = x[idx]
            tensor.from_numpy(xb), tensor.from_numpy(labels[idx])

    def loader(dataset):
        for _ in DataLoader(dataset, batch_size=batch_size, shuffle=True):
            pass

    times = _interleaved({"NumPy index slicing": numpy_slicing,
                          "DataLoader(TensorDataset)": lambda: loader(tensors),
                          "NumPy slicing + ToTensor/Normalize arithmetic":
                              lambda: numpy_slicing(True),
                          "DataLoader(vision.datasets.MNIST)": lambda: loader(mnist)},
                         repeats)
    plain = _paired({k: times[k] for k in list(times)[:2]}, "NumPy index slicing")
    vision = _paired({k: times[k] for k in list(times)[2:]},
                     "NumPy slicing + ToTensor/Normalize arithmetic")
    return {"images": len(x), "batch_size": batch_size, "rows": {**plain, **vision}}


def cnn_times(images: np.ndarray, labels: np.ndarray, repeats: int, with_torch: bool,
              batch_size: int = 64) -> dict:
    """One training epoch of the official example's CNN (Adadelta, lr 1.0, dropout
    on), here and in PyTorch, on the same batches."""
    x = ((images[:, None] / np.float32(255) - np.float32(MEAN)) / np.float32(STD)).astype(
        np.float32)
    tensor.manual_seed(1)
    model = official_cnn(nn)
    runs = {"tinygrad-mnist": (tensor, nn.functional, model,
                               nn.optim.Adadelta(model.parameters(), lr=1.0))}
    try:
        import torch
    except ImportError:  # the table then has this framework's row alone
        with_torch = False
    if with_torch:
        torch.manual_seed(1)
        twin = official_cnn(torch.nn)
        runs[f"PyTorch {torch.__version__} CPU"] = (
            torch, torch.nn.functional, twin, torch.optim.Adadelta(twin.parameters(), lr=1.0))
    rng = np.random.default_rng(0)

    def epoch(lib, F, net, opt, order):
        net.train()
        for s in range(0, len(order), batch_size):
            idx = order[s:s + batch_size]
            opt.zero_grad()
            F.nll_loss(net(lib.from_numpy(x[idx])), lib.from_numpy(labels[idx])).backward()
            opt.step()

    orders = [rng.permutation(len(x)) for _ in range(repeats + 1)]
    for args in runs.values():  # warm-up: a few batches each
        epoch(*args, orders[0][: 4 * batch_size])
    times = {name: [] for name in runs}
    for r, order in enumerate(orders[1:]):
        names = list(runs)[r % len(runs):] + list(runs)[:r % len(runs)]
        for name in names:
            t = time.perf_counter()
            epoch(*runs[name], order)
            times[name].append(time.perf_counter() - t)
    base = list(runs)[-1]  # PyTorch when it runs: the row to compare with
    return {"images": len(x), "batch_size": batch_size, "base": base,
            "rows": _paired(times, base)}


def format_rows(title: str, r: dict, base_note: str) -> list[str]:
    lines = [f"\n{title}: {r['images']} images, batch {r['batch_size']}",
             f"{'':<48}{'s/epoch':>9}{'paired ×':>10}  ({base_note})"]
    lines += [f"{name:<48}{row['median_s']:>9.3f}{row['paired_ratio']:>10.2f}"
              for name, row in r["rows"].items()]
    return lines
