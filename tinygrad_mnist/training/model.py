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
