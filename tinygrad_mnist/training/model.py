"""The notebook's 784→128→64→10 MLP, built from `nn` layers."""

from __future__ import annotations

import nn
import tensor

SIZES = (784, 128, 64, 10)


def mlp(sizes=SIZES, dtype=tensor.float32, seed: int | None = None) -> nn.Sequential:
    """``Sequential(Linear, ReLU, Linear, ReLU, Linear)`` returning logits, with the
    notebook's He-normal weights (std √(2/fan_in)) and zero biases."""
    if seed is not None:
        tensor.manual_seed(seed)
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        linear = nn.Linear(n_in, n_out, dtype=dtype)
        nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
        nn.init.zeros_(linear.bias)
        layers.append(linear)
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def linear_layers(model: nn.Sequential) -> list:
    return [m for m in model if isinstance(m, nn.Linear)]


def architecture(model: nn.Sequential) -> tuple:
    """Layer sizes of an MLP, e.g. (784, 128, 64, 10)."""
    lins = linear_layers(model)
    return (lins[0].in_features, *(m.out_features for m in lins))


def mlp_from_state_dict(state: dict, dtype=tensor.float32) -> nn.Sequential:
    """Rebuild the MLP whose weights are in ``state`` (names 0.weight, 2.weight, …)."""
    weights = sorted((int(k.split(".")[0]), v) for k, v in state.items()
                     if k.endswith(".weight"))
    if not weights or [i for i, _ in weights] != list(range(0, 2 * len(weights), 2)):
        raise ValueError("not an MLP checkpoint: expected keys 0.weight, 2.weight, …, got "
                         + ", ".join(sorted(state)))
    if any(w.ndim != 2 for _, w in weights):
        raise ValueError("not an MLP checkpoint: every weight must be a matrix, got shapes "
                         + ", ".join(str(w.shape) for _, w in weights))
    sizes = (weights[0][1].shape[1], *(w.shape[0] for _, w in weights))
    if sizes[0] != 784 or sizes[-1] != 10:
        raise ValueError(f"not an MLP for 28×28 images and 10 classes: layer sizes "
                         f"{' → '.join(map(str, sizes))}")
    model = mlp(sizes, dtype=dtype)
    model.load_state_dict(state)
    return model


# ----- the official PyTorch MNIST example's CNN ---------------------------------------------
MODELS = ("mlp", "cnn")
# The example's transforms.Normalize((0.1307,), (0.3081,)): MNIST's mean and std
MEAN, STD = 0.1307, 0.3081


class CNN(nn.Module):
    """pytorch/examples mnist/main.py's ``Net``, its layers and names (``conv1.weight``,
    …, ``fc2.bias``: its weights load into that ``Net``): 1×28×28 → conv 3×3, 32 → ReLU
    → conv 3×3, 64 → ReLU → max-pool 2 → dropout 0.25 → 9216 → 128 → ReLU → dropout 0.5
    → 10 → log_softmax. It takes the application's input, (N, 784) pixels in [0, 1],
    and normalizes it as the example's transform does."""

    def __init__(self, dtype=tensor.float32):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1, dtype=dtype)
        self.conv2 = nn.Conv2d(32, 64, 3, 1, dtype=dtype)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128, dtype=dtype)
        self.fc2 = nn.Linear(128, 10, dtype=dtype)

    def forward(self, x):
        x = ((x - MEAN) / STD).reshape(-1, 1, 28, 28)
        x = nn.functional.relu(self.conv1(x))
        x = nn.functional.relu(self.conv2(x))
        x = nn.functional.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = tensor.flatten(x, 1)
        x = nn.functional.relu(self.fc1(x))
        x = self.dropout2(x)
        return nn.functional.log_softmax(self.fc2(x), dim=1)


def cnn(dtype=tensor.float32, seed: int | None = None) -> CNN:
    """The example's network with PyTorch's default initialisation (Kaiming-uniform)."""
    if seed is not None:
        tensor.manual_seed(seed)
    return CNN(dtype=dtype)


def build(kind: str, seed: int | None = None):
    """A fresh network of the given kind, ``mlp`` or ``cnn``."""
    if kind not in MODELS:
        raise ValueError(f"--model must be mlp or cnn, got {kind!r}")
    return cnn(seed=seed) if kind == "cnn" else mlp(seed=seed)


def kind_of(model) -> str:
    return "cnn" if isinstance(model, CNN) else "mlp"


def loss_function(model):
    """What the network is trained with: the MLP returns logits (cross-entropy), the
    CNN log-probabilities (the example's ``nll_loss``); the same loss either way."""
    return nn.functional.nll_loss if isinstance(model, CNN) else nn.functional.cross_entropy


def model_from_state_dict(state: dict, dtype=tensor.float32):
    """The MLP or the CNN whose weights are in ``state``, told apart by their names."""
    if not any(k.startswith("conv1.") for k in state):
        return mlp_from_state_dict(state, dtype)
    model = CNN(dtype=dtype)
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    got = {k: tuple(v.shape) for k, v in state.items()}
    if got != expected:
        diff = sorted(set(expected.items()) ^ set(got.items()))
        raise ValueError("not the example's CNN: weights differ in "
                         + ", ".join(f"{k} {s}" for k, s in diff[:4]))
    model.load_state_dict(state)
    return model
