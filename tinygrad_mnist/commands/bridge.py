"""``tinygrad-mnist bridge``: the same training here and in PyTorch, step by step."""

from __future__ import annotations

import json

from tinygrad_mnist.bench.bridge import format_parity, parity
from tinygrad_mnist.data.datasets import load_mnist
from tinygrad_mnist.training.checkpoint import load_model_file
from tinygrad_mnist.training.config import dataset_for


def run(args) -> int:
    try:
        import torch  # noqa: F401
    except ImportError:
        raise RuntimeError("bridge needs PyTorch: pip install torch") from None
    from tinygrad_mnist.training.model import build

    model = load_model_file(args.model) if args.model else build(
        getattr(args, "model_kind", None) or "mlp", seed=0)
    name, data_dir = dataset_for(args.model, args.dataset, args.data_dir) if args.model else (
        args.dataset or "mnist", args.data_dir)
    data = load_mnist(name, data_dir)
    x = data.x_train.reshape(len(data.x_train), -1).astype("float32") / 255
    r = parity(x, data.y_train, args.steps, args.batch_size, args.optimizer, args.lr,
               model=model)
    print(json.dumps(r, indent=2) if args.json else format_parity(r))
    return 0
