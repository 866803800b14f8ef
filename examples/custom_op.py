# ---
# jupyter:
#   jupytext:
#     cell_markers: '"""'
# ---

# %% [markdown]
"""How to add an op: a Function with forward and backward side by side, checked
with gradcheck, then used in a model.

The op is softplus, y = log(1 + eˣ), whose derivative is the sigmoid.
Run: python examples/custom_op.py [--epochs N] [--limit N]
"""

# %% Imports
import argparse

import numpy as np

import nn
import tensor
from tinygrad_mnist.data.datasets import load_mnist, to_float
from tinygrad_mnist.example_args import example_args


# %% The op: forward gets arrays, backward gets the output's gradient
class Softplus(tensor.Function):
    """y = log(1 + eˣ);  dx = g·σ(x)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.logaddexp(0, x)  # log(1 + eˣ) without overflow

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved
        return g / (1 + np.exp(-x))


class SoftplusLayer(nn.Module):
    def forward(self, x):
        return Softplus.apply(x)


# %% Check the backward against finite differences (float64), like torch.autograd.gradcheck
x = tensor.randn(4, 5, dtype=tensor.float64, requires_grad=True)
tensor.gradcheck(Softplus.apply, (x,))
print("gradcheck passed: Softplus's backward matches finite differences")

# %% Use it in a model
parser = argparse.ArgumentParser(description=__doc__ and __doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=1)
parser.add_argument("--limit", type=int, default=10000)
args = example_args(parser)
tensor.manual_seed(0)
data = load_mnist()
X, Y = tensor.from_numpy(to_float(data.x_train[: args.limit])), tensor.from_numpy(
    data.y_train[: args.limit])
model = nn.Sequential(nn.Linear(784, 64), SoftplusLayer(), nn.Linear(64, 10))
optimizer = nn.optim.Adam(model.parameters(), lr=1e-3)
for epoch in range(args.epochs):
    order = tensor.randperm(len(X))
    for start in range(0, len(X), 64):
        idx = order[start : start + 64]
        loss = nn.functional.cross_entropy(model(X[idx]), Y[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch + 1}: last batch loss {loss.item():.4f}")
with tensor.no_grad():
    X_test = tensor.from_numpy(to_float(data.x_test))
    acc = (model(X_test).argmax(dim=1).numpy() == data.y_test).mean()
print(f"test accuracy {acc:.4f}")
