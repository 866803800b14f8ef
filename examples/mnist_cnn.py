# ---
# jupyter:
#   jupytext:
#     cell_markers: '"""'
# ---

# %% [markdown]
"""PyTorch's official MNIST example (pytorch/examples, mnist/main.py), on this framework:
two convolutions, max-pooling, dropout, two linear layers, log_softmax + nll_loss,
Adadelta with StepLR, DataLoaders.

mnist_cnn_torch.py is the same program for PyTorch: the two files differ only in
their import block. Run: python examples/mnist_cnn.py [--epochs N] [--dry-run]
"""

# %% Imports: this framework under PyTorch's names; the torchvision stand-in for data
import argparse
import time

import nn
import nn.functional as F
import tensor as torch
from nn.optim.lr_scheduler import StepLR
from tensor.utils.data import DataLoader, Subset
from tinygrad_mnist.example_args import example_args
from tinygrad_mnist.vision import datasets, transforms


# %% The network: 1×28×28 → conv 32 → conv 64 → max-pool → 9216 → 128 → 10
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = self.dropout2(x)
        return F.log_softmax(self.fc2(x), dim=1)


# %% Training and testing, as the official example's
def train(args, model, device, train_loader, optimizer, epoch):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        loss = F.nll_loss(model(data), target)
        loss.backward()
        optimizer.step()
        if batch_idx % args.log_interval == 0:
            print(f"Train Epoch: {epoch} [{batch_idx * len(data)}/{len(train_loader.dataset)} "
                  f"({100.0 * batch_idx / len(train_loader):.0f}%)]\tLoss: {loss.item():.6f}")
            if args.dry_run:
                break


def test(model, device, test_loader):
    model.eval()
    test_loss, correct = 0, 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction="sum").item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
    test_loss /= len(test_loader.dataset)
    print(f"\nTest set: Average loss: {test_loss:.4f}, Accuracy: {correct}/"
          f"{len(test_loader.dataset)} ({100.0 * correct / len(test_loader.dataset):.2f}%)\n")
    return correct / len(test_loader.dataset)


# %% Options (the official defaults; --limit makes a quick run) and the main loop
def main():
    parser = argparse.ArgumentParser(description=__doc__ and __doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--test-batch-size", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=14)
    parser.add_argument("--lr", type=float, default=1.0)
    parser.add_argument("--gamma", type=float, default=0.7, help="learning rate step gamma")
    parser.add_argument("--no-accel", action="store_true", help="disable the accelerator")
    parser.add_argument("--dry-run", action="store_true", help="quickly check a single pass")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--log-interval", type=int, default=10)
    parser.add_argument("--save-model", action="store_true")
    parser.add_argument("--compile-model", action="store_true",
                        help="model = torch.compile(model): the same line in both frameworks")
    parser.add_argument("--limit", type=int, default=None,
                        help="first N training and test images (a quick run)")
    parser.add_argument("--root", default="../data", help="where to look for the IDX files")
    args = example_args(parser)

    use_accel = not args.no_accel and torch.accelerator.is_available()
    torch.manual_seed(args.seed)
    device = torch.accelerator.current_accelerator() if use_accel else torch.device("cpu")

    transform = transforms.Compose([transforms.ToTensor(),
                                    transforms.Normalize((0.1307,), (0.3081,))])
    train_data = datasets.MNIST(args.root, train=True, download=True, transform=transform)
    test_data = datasets.MNIST(args.root, train=False, transform=transform)
    if args.limit:
        train_data = Subset(train_data, range(args.limit))
        test_data = Subset(test_data, range(min(args.limit, len(test_data))))
    train_loader = DataLoader(train_data, batch_size=args.batch_size, shuffle=True)
    test_loader = DataLoader(test_data, batch_size=args.test_batch_size)

    model = Net().to(device)
    if args.compile_model:
        model = torch.compile(model)
    optimizer = torch.optim.Adadelta(model.parameters(), lr=args.lr)
    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        train(args, model, device, train_loader, optimizer, epoch)
        accuracy = test(model, device, test_loader)
        print(f"epoch {epoch}: {time.perf_counter() - start:.1f} s")
        scheduler.step()
    if args.save_model:
        torch.save(model.state_dict(), "mnist_cnn.pt")
    print(f"test accuracy {accuracy:.4f}")


if __name__ == "__main__":
    main()
