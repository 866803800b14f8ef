# ---
# jupyter:
#   jupytext:
#     cell_markers: '"""'
# ---

# %% [markdown]
"""Train the notebook's MLP with this framework, in the PyTorch style.

train_mnist_torch.py is the same program for PyTorch: the two files differ only in
their import block. Run: python examples/train_mnist.py [--epochs N] [--limit N] [--compile]
[--compile-model]
"""

# %% Imports: this framework's engine under PyTorch's name, and its nn, optim, functional
import argparse

import tensor as torch
from nn import Linear, ReLU, Sequential
from nn.functional import cross_entropy
from nn.optim import SGD
from tinygrad_mnist.data.datasets import load_mnist, to_float, train_val_split
from tinygrad_mnist.example_args import example_args

# %% Options: the notebook's recipe (batch 32, SGD lr 0.01), fewer epochs by default
parser = argparse.ArgumentParser(description=__doc__ and __doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--limit", type=int, default=None, help="first N training images")
parser.add_argument("--batch-size", type=int, default=32)
parser.add_argument("--lr", type=float, default=0.01)
parser.add_argument("--compile", action="store_true",
                    help="capture the training step once with compile and replay it")
parser.add_argument("--compile-model", action="store_true",
                    help="model = torch.compile(model): its forward captured, backward eager")
parser.add_argument("--print-losses", type=int, default=0, help="print the first N losses")
args = example_args(parser)
torch.manual_seed(42)

# %% Data: 50k/10k stratified train/validation split, the official 10k test set
data = load_mnist()
x_train, y_train, x_val, y_val = train_val_split(data.x_train, data.y_train)
x_train, y_train = x_train[: args.limit], y_train[: args.limit]
X_train, X_val, X_test = (torch.from_numpy(to_float(x)) for x in (x_train, x_val, data.x_test))
Y_train, Y_val, Y_test = (torch.from_numpy(y) for y in (y_train, y_val, data.y_test))

# %% Model and optimizer: 784 → 128 → 64 → 10, logits out, He-initialised
model = Sequential(Linear(784, 128), ReLU(), Linear(128, 64), ReLU(), Linear(64, 10))
for layer in model:  # the notebook's He initialisation, not PyTorch's default
    if isinstance(layer, Linear):
        torch.nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
        torch.nn.init.zeros_(layer.bias)
optimizer = SGD(model.parameters(), lr=args.lr)
if args.compile_model:  # the same line in both frameworks
    model = torch.compile(model)


def accuracy(X, Y):
    with torch.no_grad():
        return (model(X).argmax(dim=1) == Y).float().mean().item()


# %% Training: forward, loss, zero_grad, backward, step
def train_step(X, Y):
    loss = cross_entropy(model(X), Y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss


if args.compile:  # the same line in both frameworks
    train_step = torch.compile(train_step)

for epoch in range(args.epochs):
    model.train()
    order, total = torch.randperm(len(X_train)), 0.0
    for start in range(0, len(X_train), args.batch_size):
        idx = order[start : start + args.batch_size]
        loss = train_step(X_train[idx], Y_train[idx])
        if start // args.batch_size < args.print_losses and epoch == 0:
            print(f"step {start // args.batch_size + 1}: loss {loss.item()!r}")
        total += loss.item() * len(idx)
    model.eval()
    print(f"epoch {epoch + 1}: train loss {total / len(X_train):.4f}, "
          f"val accuracy {accuracy(X_val, Y_val):.4f}")

# %% Evaluation on the test set
print(f"test accuracy {accuracy(X_test, Y_test):.4f}")
