# ---
# jupyter:
#   jupytext:
#     cell_markers: '"""'
# ---

# %% [markdown]
"""The notebook's hand-derived backprop next to autograd, step by step.

Both networks start from the same weights and see the same batches; after each
SGD step the script prints every layer's gradient norm from both and their
largest difference. Run: python examples/from_scratch_vs_autograd.py [--steps N]
"""

# %% Imports
import argparse

import numpy as np

import nn
import tensor
from tinygrad_mnist.data.datasets import load_mnist, to_float
from tinygrad_mnist.example_args import example_args
from tinygrad_mnist.training.model import mlp
from tinygrad_mnist.training.reference import ReferenceMLP

# %% Options
parser = argparse.ArgumentParser(description=__doc__ and __doc__.splitlines()[0])
parser.add_argument("--steps", type=int, default=3)
parser.add_argument("--limit", type=int, default=None, help="draw batches from the first N images")
parser.add_argument("--lr", type=float, default=0.01)
args = example_args(parser)

# %% The same weights in both networks (float64, so differences are rounding only)
data = load_mnist()
X, y = to_float(data.x_train[: args.limit], np.float64), data.y_train[: args.limit]
model = mlp(dtype=tensor.float64, seed=42)
ref = ReferenceMLP.from_model(model)
optimizer = nn.optim.SGD(model.parameters(), lr=args.lr)
rng = np.random.default_rng(0)

# %% Step by step: hand-derived gradients vs autograd's (Linear.weight is W.T)
for step in range(args.steps):
    idx = rng.choice(len(X), 32, replace=False)
    ref.forward(X[idx])
    hand = ref.backward(y[idx])
    loss = nn.functional.cross_entropy(model(tensor.from_numpy(X[idx])), y[idx])
    optimizer.zero_grad()
    loss.backward()
    print(f"step {step + 1}: loss {loss.item():.6f}")
    for i, layer in enumerate(m for m in model if isinstance(m, nn.Linear)):
        auto = {"W": layer.weight.grad.data.T, "b": layer.bias.grad.data[None, :]}
        for p in ("W", "b"):
            diff = np.abs(auto[p] - hand[f"{p}{i + 1}"]).max()
            print(f"  d{p}{i + 1}: |hand| {np.linalg.norm(hand[f'{p}{i + 1}']):.6f}  "
                  f"|autograd| {np.linalg.norm(auto[p]):.6f}  max diff {diff:.1e}")
    ref.step(hand, args.lr)
    optimizer.step()
