# ---
# jupyter:
#   jupytext:
#     cell_markers: '"""'
# ---

# %% [markdown]
"""PyTorch's "Learn the Basics" quickstart, on this framework: Fashion-MNIST through a
Dataset and a DataLoader, an nn.Module with Flatten and a Sequential, train() and
test() functions, then save, load and predict.

quickstart_torch.py is the same program for PyTorch: the two files differ only in
their import block. Run: python examples/quickstart.py [--epochs N] [--limit N]
"""

# %% Imports: this framework under PyTorch's names; the torchvision stand-in for data
import argparse

import nn
import tensor as torch
from tensor.utils.data import DataLoader, Subset
from tinygrad_mnist.example_args import example_args
from tinygrad_mnist.vision import datasets, transforms

# %% Options: the tutorial's settings; --limit, --lr and --dataset make a quick run
parser = argparse.ArgumentParser(description=__doc__ and __doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--limit", type=int, default=None, help="first N training images")
parser.add_argument("--lr", type=float, default=1e-3)
parser.add_argument("--dataset", choices=["fashion-mnist", "mnist"], default="fashion-mnist")
parser.add_argument("--root", default="data", help="where to look for the IDX files first")
parser.add_argument("--out", default="model.pth", help="where the weights are saved")
args = example_args(parser)
torch.manual_seed(0)

# %% Data: a Dataset per split, a DataLoader over each
Data = datasets.FashionMNIST if args.dataset == "fashion-mnist" else datasets.MNIST
training_data = Data(root=args.root, train=True, download=True, transform=transforms.ToTensor())
test_data = Data(root=args.root, train=False, download=True, transform=transforms.ToTensor())
if args.limit:
    training_data = Subset(training_data, range(args.limit))

batch_size = 64
train_dataloader = DataLoader(training_data, batch_size=batch_size, shuffle=True)
test_dataloader = DataLoader(test_data, batch_size=batch_size)

for X, y in test_dataloader:
    print(f"Shape of X [N, C, H, W]: {X.shape}")
    print(f"Shape of y: {y.shape} {y.dtype}")
    break

# %% Model: the device the tutorials pick, a Module with Flatten and a Sequential
device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() \
    else "cpu"
print(f"Using {device} device")


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, 512), nn.ReLU(),
            nn.Linear(512, 512), nn.ReLU(),
            nn.Linear(512, 10),
        )

    def forward(self, x):
        x = self.flatten(x)
        return self.linear_relu_stack(x)


model = NeuralNetwork().to(device)
print(model)

# %% Training and testing: the tutorial's two functions
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)


def train(dataloader, model, loss_fn, optimizer):
    size = len(dataloader.dataset)
    model.train()
    for batch, (X, y) in enumerate(dataloader):
        X, y = X.to(device), y.to(device)
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if batch % 100 == 0:
            loss, current = loss.item(), (batch + 1) * len(X)
            print(f"loss: {loss:>7f}  [{current:>5d}/{size:>5d}]")


def test(dataloader, model, loss_fn):
    size, num_batches = len(dataloader.dataset), len(dataloader)
    model.eval()
    test_loss, correct = 0, 0
    with torch.no_grad():
        for X, y in dataloader:
            X, y = X.to(device), y.to(device)
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
    test_loss /= num_batches
    correct /= size
    print(f"Test Error: \n Accuracy: {(100 * correct):>0.1f}%, Avg loss: {test_loss:>8f} \n")
    return correct


for t in range(args.epochs):
    print(f"Epoch {t + 1}\n-------------------------------")
    train(train_dataloader, model, loss_fn, optimizer)
    accuracy = test(test_dataloader, model, loss_fn)
print("Done!")

# %% Save, load into a new model, predict one test image
torch.save(model.state_dict(), args.out)
print(f"Saved PyTorch Model State to {args.out}")
model = NeuralNetwork().to(device)
print(model.load_state_dict(torch.load(args.out, weights_only=True)))

model.eval()
x, y = test_data[0][0], test_data[0][1]
with torch.no_grad():
    pred = model(x.to(device))
    predicted, actual = Data.classes[pred[0].argmax(0)], Data.classes[y]
    print(f'Predicted: "{predicted}", Actual: "{actual}"')
print(f"test accuracy {accuracy:.4f}")
