"""`bench`'s rows for the random numbers: PyTorch's generator, reproduced bit for bit
in NumPy (MT19937 and torch's transforms), against NumPy's own generator drawing the
same kind of numbers (``default_rng()``: PCG64 and its ziggurat normals), for a
batch-sized tensor and for dropout's mask on the official CNN's activations."""

from __future__ import annotations

import numpy as np

import nn
import tensor
from tinygrad_mnist.bench.bench_data_cnn import _interleaved, _paired

BATCH = (64, 784)  # a batch of MNIST images
DROPOUT = (64, 64, 12, 12)  # the official CNN's first dropout, batch 64


def random_times(repeats: int, inner: int = 20) -> dict:
    """Seconds for ``inner`` calls of each; paired ratios of ours to NumPy's own."""
    rng = np.random.default_rng(0)
    x = tensor.from_numpy(rng.standard_normal(DROPOUT, dtype=np.float32))
    gen = tensor.Generator().manual_seed(0)

    def numpy_dropout():
        keep = rng.random(DROPOUT, dtype=np.float32) >= 0.25
        return x.data * (keep * np.float32(1 / 0.75))

    cases = {
        "randn(64, 784)": (lambda: tensor.randn(*BATCH, generator=gen),
                           lambda: rng.standard_normal(BATCH, dtype=np.float32)),
        "randn(64, 784, float64)": (lambda: tensor.randn(*BATCH, dtype=tensor.float64,
                                                         generator=gen),
                                    lambda: rng.standard_normal(BATCH)),
        "rand(64, 784)": (lambda: tensor.rand(*BATCH, generator=gen),
                          lambda: rng.random(BATCH, dtype=np.float32)),
        "dropout(0.25) of 64×64×12×12": (lambda: nn.functional.dropout(x, 0.25),
                                         numpy_dropout),
    }
    rows = {}
    for name, (ours, numpy) in cases.items():
        runs = {f"{name}, PyTorch's stream": lambda f=ours: [f() for _ in range(inner)],
                f"{name}, NumPy's own generator": lambda f=numpy: [f() for _ in range(inner)]}
        times = _paired(_interleaved(runs, repeats), f"{name}, NumPy's own generator")
        for key, row in times.items():
            rows[key] = {"median_s": row["median_s"] / inner, "paired_ratio": row["paired_ratio"]}
    return {"rows": rows}


def format_random(r: dict) -> list[str]:
    lines = ["\nRandom numbers, one call (same seed, same numbers as PyTorch):",
             f"{'':<60}{'ms':>8}{'paired ×':>10}  (to NumPy's own generator)"]
    lines += [f"{name:<60}{row['median_s'] * 1000:>8.3f}{row['paired_ratio']:>10.2f}"
              for name, row in r["rows"].items()]
    return lines
