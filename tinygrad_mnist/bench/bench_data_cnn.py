"""`bench`'s rows for the tutorials' parts: a DataLoader epoch against plain NumPy
index slicing of the same batches, and the official example's CNN, one training
epoch here (eager and compiled) and in PyTorch. Timed as `bench.py` times the MLP:
in interleaved slices, medians of paired ratios."""

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


CNN_SLICES = 4  # interleaved slices per epoch
PAUSE = 0.2  # seconds of rest around PyTorch's slices (its threads spin after returning)


def cnn_times(images: np.ndarray, labels: np.ndarray, repeats: int, with_torch: bool,
              batch_size: int = 64, compiled: bool = True) -> dict:
    """One training epoch of the official example's CNN (Adadelta, lr 1.0, dropout
    on): this framework eager and compiled (``tensor.compile`` of the step), and
    PyTorch, on the same batches. Each repeat's epoch is timed in slices interleaved
    across the three, the first rotating; wall and CPU seconds (the CPU time is the
    process's: on a shared machine it is what another process's load changes least).
    Without ``compiled``, no compiled row: ``tensor.compile`` changes how the process
    keeps freed memory (tensor/compile/memory.py), for every row timed after it."""
    x = ((images[:, None] / np.float32(255) - np.float32(MEAN)) / np.float32(STD)).astype(
        np.float32)
    runs = {}
    for name, capture in (("tinygrad-mnist eager", False), ("tinygrad-mnist compiled", True)):
        if capture and not compiled:
            continue
        tensor.manual_seed(1)
        model = official_cnn(nn)
        runs[name] = (tensor, _step(tensor, nn, model, nn.optim.Adadelta(model.parameters(),
                                                                       lr=1.0), capture))
    try:
        import torch
    except ImportError:  # the table then has this framework's rows alone
        with_torch = False
    if with_torch:  # as many threads as NumPy's BLAS (SciPy's may have its own)
        from threadpoolctl import threadpool_info

        threads = [i["num_threads"] for i in threadpool_info() if i.get("user_api") == "blas"
                   and "numpy" in (i.get("filepath") or "")]
        torch.set_num_threads(threads[0] if threads else torch.get_num_threads())
        torch.manual_seed(1)
        twin = official_cnn(torch.nn)
        runs[f"PyTorch {torch.__version__} CPU"] = (torch, _step(
            torch, torch.nn, twin, torch.optim.Adadelta(twin.parameters(), lr=1.0), False))
    rng = np.random.default_rng(0)

    def epoch(lib, step, order):
        for s in range(0, len(order) - batch_size + 1, batch_size):  # full batches
            idx = order[s:s + batch_size]
            step(lib.from_numpy(x[idx]), lib.from_numpy(labels[idx]))

    for lib, step in runs.values():  # warm-up (and the compiled step's recording)
        epoch(lib, step, rng.permutation(len(x))[:4 * batch_size])
    names = list(runs)
    wall, cpu = ({name: [] for name in names} for _ in range(2))
    bounds = np.linspace(0, len(x) // batch_size, CNN_SLICES + 1).astype(int) * batch_size
    for r in range(repeats):
        order = rng.permutation(len(x))
        spent = {name: [0.0, 0.0] for name in names}
        for k, (a, b) in enumerate(zip(bounds, bounds[1:])):
            turn = (r + k) % len(names)
            for name in names[turn:] + names[:turn]:
                torch_slice = name.startswith("PyTorch")
                time.sleep(PAUSE if torch_slice else PAUSE / 10)
                t, c = time.perf_counter(), time.process_time()
                epoch(*runs[name], order[a:b])
                spent[name][0] += time.perf_counter() - t
                spent[name][1] += time.process_time() - c
                if torch_slice:
                    time.sleep(PAUSE)
        for name in names:
            wall[name].append(spent[name][0])
            cpu[name].append(spent[name][1])
    base = names[-1]  # PyTorch when it runs: the row to compare with
    rows = _paired(wall, base)
    for name, row in _paired(cpu, base).items():
        rows[name].update(cpu_s=row["median_s"], cpu_paired_ratio=row["paired_ratio"])
    return {"images": len(x) // batch_size * batch_size, "batch_size": batch_size,
            "base": base, "repeats": repeats, "rows": rows}


def _step(lib, lib_nn, model, optimizer, compiled: bool):
    """The official example's training step: zero_grad, nll_loss of the log-softmax
    output, backward, step; captured by ``tensor.compile`` when ``compiled``."""
    def step(data, target):
        optimizer.zero_grad()
        loss = lib_nn.functional.nll_loss(model(data), target)
        loss.backward()
        optimizer.step()

    model.train()
    return lib.compile(step) if compiled else step


def format_rows(title: str, r: dict, base_note: str) -> list[str]:
    cpu = all("cpu_s" in row for row in r["rows"].values())
    lines = [f"\n{title}: {r['images']} images, batch {r['batch_size']}",
             f"{'':<48}{'s/epoch':>9}{'paired ×':>10}"
             + (f"{'CPU s':>9}{'CPU ×':>8}" if cpu else "") + f"  ({base_note})"]
    lines += [f"{name:<48}{row['median_s']:>9.3f}{row['paired_ratio']:>10.2f}"
              + (f"{row['cpu_s']:>9.3f}{row['cpu_paired_ratio']:>8.2f}" if cpu else "")
              for name, row in r["rows"].items()]
    return lines
