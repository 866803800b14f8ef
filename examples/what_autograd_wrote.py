# ---
# jupyter:
#   jupytext:
#     cell_markers: '"""'
# ---

# %% [markdown]
"""The code autograd wrote: one training step of the notebook's MLP, captured by
tensor.compile, printed as the straight-line NumPy it replays, next to the
notebook's hand-derived backward. Then both are run on the same batch from the
same weights and their updated weights compared.

Run: python examples/what_autograd_wrote.py [--batch-size N] [--lr LR]
"""

# %% Imports
import argparse
import inspect

import numpy as np

import nn
import tensor
from tinygrad_mnist.data.datasets import load_mnist, to_float
from tinygrad_mnist.example_args import example_args
from tinygrad_mnist.training.model import mlp
from tinygrad_mnist.training.reference import ReferenceMLP

# %% Options
parser = argparse.ArgumentParser(description=__doc__ and __doc__.splitlines()[0])
parser.add_argument("--batch-size", type=int, default=32)
parser.add_argument("--lr", type=float, default=0.01)
args = example_args(parser)

# %% The step, in PyTorch's style, and its capture
model = mlp(seed=42)
optimizer = nn.optim.SGD(model.parameters(), lr=args.lr)
notebook = ReferenceMLP.from_model(model, dtype=np.float32)  # the same weights


@tensor.compile
def step(X, y):
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(X), y)
    loss.backward()
    optimizer.step()
    return loss


data = load_mnist()
batch = to_float(data.x_train[: args.batch_size]), data.y_train[: args.batch_size]
loss = step(tensor.from_numpy(batch[0]), tensor.from_numpy(batch[1]))  # runs and records

# %% What autograd wrote, beside what the notebook's author wrote by hand
print("# ---- the step tensor.compile captured (step.source) ----")
print(step.source)
print("# ---- the notebook's hand-derived backward (tinygrad_mnist/reference.py) ----")
print(inspect.getsource(ReferenceMLP.backward_one_hot))
print("Names: W1 here is the notebook's W1ᵀ (PyTorch's (out, in) layout), so the\n"
      "notebook's dW3 = A2ᵀ·dZ3 is (A2.T @ dZ3).T here and its dA2 = dZ3·W3ᵀ is dZ3 @ W3.\n"
      "dZ2 = dA2 * (A2 != 0) is the notebook's dA2 * (Z2 > 0): A2 = max(Z2, 0).")

# %% Both, one step on the same batch: the updated weights agree to float32 rounding
notebook.train_step(batch[0], batch[1], args.lr)
for i, linear in enumerate(m for m in model if isinstance(m, nn.Linear)):
    diff = np.abs(linear.weight.detach().numpy().T - notebook.params[f"W{i + 1}"]).max()
    print(f"W{i + 1} after one step: largest difference {diff:.2e}")
print(f"loss {loss.item():.4f}")
