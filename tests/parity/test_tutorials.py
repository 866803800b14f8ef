"""Code in the style of PyTorch's beginner tutorials (Learn the Basics: tensors,
autograd, build the model, save & load; the 60-minute blitz: autograd, neural
networks; "What is torch.nn really?"), run once with ``torch`` being PyTorch and
once with it being this framework. What each prints must be the same text
(object addresses aside): the printed output is what a learner compares."""

from __future__ import annotations

import contextlib
import io
import re
import textwrap

import numpy as np
import pytest

import nn
import tensor

torch = pytest.importorskip("torch")

SNIPPETS = {
    "tensors": """
        data = [[1, 2], [3, 4]]
        x_data = torch.tensor(data)
        x_np = torch.from_numpy(np.array(data))
        x_ones = torch.ones_like(x_data)
        print(f"Ones Tensor: \\n {x_ones} \\n")
        x_rand = torch.rand_like(x_data, dtype=torch.float)
        print(x_rand.shape, x_rand.dtype, x_np)
        shape = (2, 3,)
        print(torch.ones(shape), torch.zeros(shape), torch.rand(shape).shape)
        t = torch.rand(3, 4)
        print(f"Shape of tensor: {t.shape}")
        print(f"Datatype of tensor: {t.dtype}")
        print(f"Device tensor is stored on: {t.device}")
        if torch.accelerator.is_available():
            t = t.to(torch.accelerator.current_accelerator())
        t = torch.ones(4, 4)
        print(f"First row: {t[0]}")
        print(f"First column: {t[:, 0]}")
        print(f"Last column: {t[..., -1]}")
        t[:, 1] = 0
        print(t)
        print(torch.cat([t, t, t], dim=1))
        y1 = t @ t.T
        y2 = t.matmul(t.T)
        y3 = torch.rand_like(y1)
        torch.matmul(t, t.T, out=y3)
        z1 = t * t
        z2 = t.mul(t)
        z3 = torch.rand_like(t)
        torch.mul(t, t, out=z3)
        print(y1, y2, y3, z1, z2, z3)
        agg = t.sum()
        agg_item = agg.item()
        print(agg_item, type(agg_item))
        print(f"{t} \\n")
        t.add_(5)
        print(t)
        t = torch.ones(5)
        n = t.numpy()
        t.add_(1)
        print(f"t: {t}")
        print(f"n: {n}")
        n = np.ones(5)
        t = torch.from_numpy(n)
        np.add(n, 1, out=n)
        print(f"t: {t}")
    """,
    "autograd": """
        x = torch.ones(5)
        y = torch.zeros(3)
        w = (torch.arange(15.0).reshape(5, 3) / 10).requires_grad_()
        b = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
        z = torch.matmul(x, w) + b
        loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
        print(f"Gradient function for z = {z.grad_fn}")
        print(f"Gradient function for loss = {loss.grad_fn}")
        loss.backward()
        print(w.grad)
        print(b.grad)
        print(z.requires_grad)
        with torch.no_grad():
            z = torch.matmul(x, w) + b
        print(z.requires_grad)
        z = torch.matmul(x, w) + b
        z_det = z.detach()
        print(z_det.requires_grad)
        inp = torch.eye(4, 5, requires_grad=True)
        out = (inp + 1).pow(2).t()
        out.backward(torch.ones_like(out), retain_graph=True)
        print(f"First call\\n{inp.grad}")
        out.backward(torch.ones_like(out), retain_graph=True)
        print(f"\\nSecond call\\n{inp.grad}")
        inp.grad.zero_()
        out.backward(torch.ones_like(out), retain_graph=True)
        print(f"\\nCall after zeroing gradients\\n{inp.grad}")
    """,
    "blitz_autograd": """
        a = torch.tensor([2., 3.], requires_grad=True)
        b = torch.tensor([6., 4.], requires_grad=True)
        Q = 3 * a**3 - b**2
        external_grad = torch.tensor([1., 1.])
        Q.backward(gradient=external_grad)
        print(9 * a**2 == a.grad)
        print(-2 * b == b.grad)
        x = torch.rand(5, 5)
        y = torch.rand(5, 5)
        z = torch.rand((5, 5), requires_grad=True)
        print(f"Does `a` require gradients?: {(x + y).requires_grad}")
        print(f"Does `b` require gradients?: {(x + z).requires_grad}")
        model = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 4))
        for param in model.parameters():
            param.requires_grad = False
        model.fc = nn.Linear(4, 10)
        optimizer = torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
        print([n for n, p in model.named_parameters() if p.requires_grad])
        print(model)
    """,
    "blitz_neural_networks": """
        class Net(nn.Module):
            def __init__(self):
                super(Net, self).__init__()
                self.conv1 = nn.Conv2d(1, 6, 5)
                self.conv2 = nn.Conv2d(6, 16, 5)
                self.fc1 = nn.Linear(16 * 5 * 5, 120)
                self.fc2 = nn.Linear(120, 84)
                self.fc3 = nn.Linear(84, 10)

            def forward(self, input):
                c1 = F.relu(self.conv1(input))
                s2 = F.max_pool2d(c1, (2, 2))
                c3 = F.relu(self.conv2(s2))
                s4 = F.max_pool2d(c3, 2)
                s4 = torch.flatten(s4, 1)
                f5 = F.relu(self.fc1(s4))
                f6 = F.relu(self.fc2(f5))
                return self.fc3(f6)

        net = Net()
        print(net)
        params = list(net.parameters())
        print(len(params))
        print(params[0].size())
        input = torch.ones(1, 1, 32, 32)
        out = net(input)
        print(out.shape)
        net.zero_grad()
        out.backward(torch.ones(1, 10))
        output = net(input)
        target = torch.arange(10.0).view(1, -1)
        criterion = nn.MSELoss()
        loss = criterion(output, target)
        print(loss.grad_fn)
        print(loss.grad_fn.next_functions[0][0])
        print(loss.grad_fn.next_functions[0][0].next_functions[0][0])
        net.zero_grad()
        print('conv1.bias.grad before backward')
        print(net.conv1.bias.grad)
        loss.backward()
        print('conv1.bias.grad after backward', net.conv1.bias.grad.shape)
        learning_rate = 0.01
        for f in net.parameters():
            f.data -= f.grad.data * learning_rate
        optimizer = torch.optim.SGD(net.parameters(), lr=0.01)
        optimizer.zero_grad()
        loss = criterion(net(input), target)
        loss.backward()
        optimizer.step()
        print(loss.shape, loss.dtype)
    """,
    "nn_really": """
        x_train = torch.tensor(np.linspace(0, 1, 64 * 784, dtype=np.float32).reshape(64, 784))
        y_train = torch.tensor(np.arange(64) % 10)
        n, c = x_train.shape
        print(x_train.shape, y_train.min(), y_train.max())
        weights = torch.zeros(784, 10) / 28
        weights.requires_grad_()
        bias = torch.zeros(10, requires_grad=True)

        def log_softmax(x):
            return x - x.exp().sum(-1).log().unsqueeze(-1)

        def model(xb):
            return log_softmax(xb @ weights + bias)

        preds = model(x_train[0:8])
        print(preds[0], preds.shape)

        def nll(input, target):
            return -input[range(target.shape[0]), target].mean()

        loss_func = nll
        print(loss_func(preds, y_train[0:8]))

        def accuracy(out, yb):
            preds = torch.argmax(out, dim=1)
            return (preds == yb).float().mean()

        print(accuracy(preds, y_train[0:8]))
        lr, bs = 0.05, 8
        for epoch in range(2):
            for i in range((n - 1) // bs + 1):
                xb = x_train[i * bs: i * bs + bs]
                yb = y_train[i * bs: i * bs + bs]
                loss = loss_func(model(xb), yb)
                loss.backward()
                with torch.no_grad():
                    weights -= weights.grad * lr
                    bias -= bias.grad * lr
                    weights.grad.zero_()
                    bias.grad.zero_()
        print(f"{loss_func(model(x_train[0:8]), y_train[0:8]):.4f}")
        train_ds = TensorDataset(x_train, y_train)
        train_dl = DataLoader(train_ds, batch_size=bs)
        print(len(train_dl), [tuple(xb.shape) for xb, _ in train_dl][-1])

        class Mnist_Logistic(nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = nn.Linear(784, 10)

            def forward(self, xb):
                return self.lin(xb)

        model = Mnist_Logistic()
        print(model, [tuple(p.shape) for p in model.parameters()])
        print(F.cross_entropy(torch.zeros(8, 10), y_train[0:8]))
    """,
    "save_load": """
        model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
        torch.save(model.state_dict(), PATH)
        model2 = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
        print(model2.load_state_dict(torch.load(PATH, weights_only=True)))
        model2.eval()
        print(model2)
        print(list(torch.load(PATH).keys()))
    """,
}

ADDRESS = re.compile(r" at 0x[0-9a-f]+")


def _run(lib, code: str, tmp_path) -> str:
    if lib is torch:
        env = {"torch": torch, "nn": torch.nn, "F": torch.nn.functional}
        from torch.utils.data import DataLoader, TensorDataset
    else:
        env = {"torch": tensor, "nn": nn, "F": nn.functional}
        from tensor.utils.data import DataLoader, TensorDataset
    env.update(np=np, DataLoader=DataLoader, TensorDataset=TensorDataset,
               PATH=str(tmp_path / f"{lib.__name__}.pth"))
    lib.manual_seed(0)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(textwrap.dedent(code), env)  # noqa: S102  (our own snippets)
    return ADDRESS.sub(" at 0x…", out.getvalue())


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_tutorial_code_prints_what_pytorch_prints(name, tmp_path):
    ours = _run(tensor, SNIPPETS[name], tmp_path)
    theirs = _run(torch, SNIPPETS[name], tmp_path)
    # the snippets print no random draws: the two libraries' generators differ
    assert ours.splitlines() == theirs.splitlines()
