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


def cnn_graph_root(model, x: np.ndarray, y: np.ndarray, equations: bool = True):
    """The CNN's ``mlp_graph_root``: its forward step by step as ``CNN.forward`` does
    it (dropout too: a training step), each result labelled, then NLL and backward."""
    from tinygrad_mnist.training.model import MEAN, STD

    F = nn.functional
    X = tensor.from_numpy(np.asarray(x, dtype=model.conv1.weight.dtype))
    labels, grad_labels, h = {X: "X (one batch)" if equations else "input"}, {}, X
    model.train()
    stages = [("X̂ = (X − μ)/σ as m×1×28×28", lambda t: ((t - MEAN) / STD).reshape(-1, 1, 28, 28)),
              ("Z1 = X̂ ⋆ K1 + b1", model.conv1), ("A1 = ReLU(Z1)", F.relu),
              ("Z2 = A1 ⋆ K2 + b2", model.conv2), ("A2 = ReLU(Z2)", F.relu),
              ("P = maxpool2×2(A2)", lambda t: F.max_pool2d(t, 2)),
              ("D1 = dropout(P, 0.25)", model.dropout1),
              ("F = flatten(D1), m×9216", lambda t: tensor.flatten(t, 1)),
              ("Z3 = F·W3ᵀ + b3", model.fc1), ("A3 = ReLU(Z3)", F.relu),
              ("D2 = dropout(A3, 0.5)", model.dropout2),
              ("Z4 = D2·W4ᵀ + b4", model.fc2),
              ("L̂ = log_softmax(Z4)", lambda t: F.log_softmax(t, dim=1))]
    for label, fn in stages:
        h = fn(h)
        if h.requires_grad:  # X̂ is computed from the images alone: no gradient to keep
            h.retain_grad()
        labels[h] = label if equations else label.split(" =")[0]
        grad_labels[h] = f"d{label.split(' =')[0]}" if equations else "grad"
    loss = F.nll_loss(h, tensor.from_numpy(np.asarray(y)))
    labels[loss] = "L = −(1/m) Σ L̂[y]" if equations else "loss"
    model.zero_grad()
    loss.backward(retain_graph=True)
    params = list(model.named_parameters())
    if equations:
        names = {"conv1": ("K1", "b1"), "conv2": ("K2", "b2"), "fc1": ("W3", "b3"),
                 "fc2": ("W4", "b4")}
        for layer, (w, b) in names.items():
            module = getattr(model, layer)
            labels[module.weight], labels[module.bias] = f"{w}  ({layer}.weight)", b
            grad_labels[module.weight], grad_labels[module.bias] = f"d{w}", f"d{b}"
    op_labels = {"Conv2d": "cross-correlation + b", "ReLU": "max(x, 0)",
                 "Dropout": "zero with prob. p, else ×1/(1−p)",
                 "MaxPool2d": "max of each 2×2", "Linear": "x·Wᵀ + b",
                 "LogSoftmax": "x − logsumexp(x)", "NllLoss": "−mean of the picked"
                 } if equations else {}
    return loss, dict(params=params, labels=labels, grad_labels=grad_labels,
                      op_labels=op_labels, show_grad=True)


def _name(params, p):
    return [n for n, q in params if q is p][:1]


def render_mlp_graph(model, x, y, path: Path, equations: bool = True) -> Path | None:
    """graph.svg (or whatever suffix); the .dot source when Graphviz is missing."""
    from tinygrad_mnist.training.model import kind_of

    root = cnn_graph_root if kind_of(model) == "cnn" else mlp_graph_root
    loss, kw = root(model, x, y, equations)
    try:
        return render(loss, path, direction="BT", **kw)
    except GraphvizMissing as exc:
        print(str(exc), file=sys.stderr)
        return Path(path).with_suffix(".dot")


def _model_and_batch(args):
    from tinygrad_mnist.data.datasets import load_mnist, to_float
    from tinygrad_mnist.training.checkpoint import load_model_file
    from tinygrad_mnist.training.model import build

    if args.batch < 1:
        raise ValueError(f"--batch must be at least 1, got {args.batch}")
    model = load_model_file(args.model) if args.model else build(
        getattr(args, "model_kind", None) or "mlp", seed=42)
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
    """The code tensor.compile writes for one training step of ``model`` on the batch
    (x, y), with the optimizer of the model's default recipe (the MLP's SGD, the CNN's
    Adadelta): what `train` replays. Recording the step trains ``model`` by it."""
    import tensor
    from tinygrad_mnist.training.config import DEFAULT_RECIPE, RECIPES, Config
    from tinygrad_mnist.training.model import kind_of
    from tinygrad_mnist.training.train import make_optimizer, training_step

    recipe = RECIPES[DEFAULT_RECIPE[kind_of(model)]]
    step = training_step(model, make_optimizer(Config(**recipe), model))
    model.train()
    step(tensor.from_numpy(x), tensor.from_numpy(y))
    return step.source
