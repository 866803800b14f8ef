"""The MLP's forward and backward for one batch, drawn with the notebook's equations
(in this project's layout: ``Linear.weight`` is (out, in), so Z = X·Wᵀ + b)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import nn
import tensor
from tensor.viz import GraphvizMissing, render
from tinygrad_mnist.training.config import dataset_for
from tinygrad_mnist.training.model import linear_layers


def forward_equations(n_layers: int) -> tuple[list, list]:
    """(Zk label, Ak label) pairs and the matching gradient labels, k = 1…n."""
    fwd, grad = [], []
    for k in range(1, n_layers + 1):
        prev = "X" if k == 1 else f"A{k - 1}"
        z = f"Z{k} = {prev}·W{k}ᵀ + b{k}"
        if k == n_layers:
            fwd.append((z, None))
            grad.append((f"dZ{k} = (A{k} − Y)/m,  A{k} = softmax(Z{k})", None))
        else:
            fwd.append((z, f"A{k} = ReLU(Z{k})"))
            grad.append((f"dZ{k} = dA{k} ⊙ 1[Z{k}>0]", f"dA{k} = dZ{k + 1}·W{k + 1}"))
    return fwd, grad


def mlp_graph_root(model, x: np.ndarray, y: np.ndarray, equations: bool = True):
    """Run one batch forward and backward (graph retained, intermediate grads kept)
    and return (loss, make_dot keyword arguments)."""
    lins = linear_layers(model)
    fwd, grad = forward_equations(len(lins))
    labels, grad_labels = {}, {}
    X = tensor.from_numpy(np.asarray(x, dtype=lins[0].weight.dtype))
    labels[X] = "X (one batch)" if equations else "input"
    h, k = X, 0
    for layer in model:
        h = layer(h)
        if isinstance(layer, nn.Linear):
            (zl, _), (gzl, _) = fwd[k], grad[k]
            k += 1
            labels[h], grad_labels[h] = (zl, gzl) if equations else (f"Z{k}", "grad")
        elif isinstance(layer, nn.ReLU):
            _, al = fwd[k - 1]
            _, gal = grad[k - 1]
            labels[h], grad_labels[h] = (al, gal) if equations else (f"A{k}", "grad")
        h.retain_grad()
    loss = nn.functional.cross_entropy(h, y)
    labels[loss] = "L = −(1/m) Σ log softmax(Z)[y]" if equations else "loss"
    model.zero_grad()
    loss.backward(retain_graph=True)
    params = list(model.named_parameters())
    if equations:
        for i, lin in enumerate(lins, start=1):
            prev = "X" if i == 1 else f"A{i - 1}"
            labels[lin.weight] = f"W{i}  ({'.'.join(_name(params, lin.weight))})"
            labels[lin.bias] = f"b{i}"
            grad_labels[lin.weight] = f"dW{i} = dZ{i}ᵀ·{prev}"
            grad_labels[lin.bias] = f"db{i} = Σ dZ{i}"
    op_labels = {"Linear": "x·Wᵀ + b", "ReLU": "max(x, 0)",
                 "CrossEntropy": "log_softmax + NLL, mean over m"} if equations else {}
    return loss, dict(params=params, labels=labels, grad_labels=grad_labels,
                      op_labels=op_labels, show_grad=True)


def _name(params, p):
    return [n for n, q in params if q is p][:1]


def render_mlp_graph(model, x, y, path: Path, equations: bool = True) -> Path | None:
    """graph.svg (or whatever suffix); the .dot source when Graphviz is missing."""
    loss, kw = mlp_graph_root(model, x, y, equations)
    try:
        return render(loss, path, direction="BT", **kw)
    except GraphvizMissing as exc:
        print(str(exc), file=sys.stderr)
        return Path(path).with_suffix(".dot")


def _model_and_batch(args):
    from tinygrad_mnist.data.datasets import load_mnist, to_float
    from tinygrad_mnist.training.checkpoint import load_model_file
    from tinygrad_mnist.training.model import mlp

    if args.batch < 1:
        raise ValueError(f"--batch must be at least 1, got {args.batch}")
    model = load_model_file(args.model) if args.model else mlp(seed=42)
    name, data_dir = dataset_for(args.model, args.dataset, args.data_dir) if args.model else (
        args.dataset or "mnist", args.data_dir)
    data = load_mnist(name, data_dir)
    return model, to_float(data.x_test[:args.batch]), data.y_test[:args.batch]


def graph_command(args) -> Path:
    model, x, y = _model_and_batch(args)
    return render_mlp_graph(model, x, y, args.out, args.equations)


def step_source(args) -> str:
    """`compiled_step_source` of the --model (or a fresh one) on a batch of test
    images; the model is not changed on disk."""
    return compiled_step_source(*_model_and_batch(args))


def compiled_step_source(model, x, y) -> str:
    """The code tensor.compile writes for one SGD training step of ``model`` on the
    batch (x, y): what `train` replays. Recording the step trains ``model`` by it."""
    import nn
    import tensor
    from tinygrad_mnist.training.train import training_step

    step = training_step(model, nn.optim.SGD(model.parameters(), lr=0.01))
    step(tensor.from_numpy(x), tensor.from_numpy(y))
    return step.source
