"""``tinygrad-mnist evaluate``: a run's test-set metrics, printed."""

from __future__ import annotations

import json

from tinygrad_mnist.data.datasets import CLASS_NAMES, load_mnist, to_float
from tinygrad_mnist.outputs.evaluation import format_metrics, metrics
from tinygrad_mnist.training.checkpoint import load_model_file
from tinygrad_mnist.training.config import dataset_for
from tinygrad_mnist.training.train import evaluate


def run(args) -> int:
    model = load_model_file(args.model)
    name, data_dir = dataset_for(args.model, args.dataset, args.data_dir)
    data = load_mnist(name, data_dir)
    loss, _, pred, _ = evaluate(model, to_float(data.x_test), data.y_test)
    m = metrics(data.y_test, pred, loss)
    print(json.dumps(m, indent=2) if args.json else format_metrics(m, CLASS_NAMES.get(name)))
    return 0
