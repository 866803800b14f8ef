"""``tinygrad-mnist bench``: seconds per epoch, side by side in one process."""

from __future__ import annotations

from tinygrad_mnist.bench.bench import bench_command


def run(args) -> int:
    return bench_command(args)
