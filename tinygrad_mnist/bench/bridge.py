"""The bridge to PyTorch: the same MLP (or CNN) in `torch.nn`, and a parity run that
trains both from the same weights on the same batches and reports how far apart they
are. The CNN trains with its dropout off in both: their random masks cannot match."""

from __future__ import annotations

import numpy as np

import nn
import tensor
from tinygrad_mnist.training.model import architecture, kind_of, loss_function, mlp


def to_torch(model):
    """The equivalent ``torch.nn.Sequential`` (Linear/ReLU), with the same weights;
    for the CNN, its twin ``TorchCNN``."""
    import torch

    if kind_of(model) == "cnn":
        from tinygrad_mnist.bench.torch_cnn import cnn_to_torch

        return cnn_to_torch(model)
    sizes = architecture(model)
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(torch.nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    twin = torch.nn.Sequential(*layers)
    dtype = torch.float64 if model[0].weight.dtype == np.float64 else torch.float32
    twin.to(dtype)
    twin.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v.data))
                          for k, v in model.state_dict().items()})
    return twin


def _optimizers(name: str, ours, theirs, lr: float):
    import torch

    if name == "sgd":
        return nn.optim.SGD(ours.parameters(), lr=lr), torch.optim.SGD(theirs.parameters(), lr=lr)
    if name == "adam":
        return (nn.optim.Adam(ours.parameters(), lr=lr),
                torch.optim.Adam(theirs.parameters(), lr=lr))
    if name == "adadelta":
        return (nn.optim.Adadelta(ours.parameters(), lr=lr),
                torch.optim.Adadelta(theirs.parameters(), lr=lr))
    raise ValueError(f"bridge: optimizer must be sgd, adam or adadelta, got {name!r}")


def parity(x: np.ndarray, y: np.ndarray, steps: int = 100, batch_size: int = 32,
           optimizer: str = "sgd", lr: float = 0.01, seed: int = 0, model=None) -> dict:
    """Train this framework's MLP and its PyTorch twin side by side (float32, same
    initial weights, same batches). Returns per-step losses of both, the largest
    loss difference, and the largest final weight difference."""
    import torch

    if steps < 1 or batch_size < 1:
        raise ValueError("bridge: steps and batch size must be at least 1")
    ours = model if model is not None else mlp(seed=seed)
    theirs = to_torch(ours)
    cnn = kind_of(ours) == "cnn"
    if cnn:  # dropout off in both: the two frameworks' random masks cannot be the same
        ours.eval()
        theirs.eval()
    loss_a_fn = loss_function(ours)
    loss_b_fn = torch.nn.functional.nll_loss if cnn else torch.nn.functional.cross_entropy
    opt_a, opt_b = _optimizers(optimizer, ours, theirs, lr)
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(steps):
        idx = rng.choice(len(x), batch_size, replace=False)
        xb, yb = x[idx].astype(np.float32), y[idx]
        loss_a = loss_a_fn(ours(tensor.from_numpy(xb)), tensor.from_numpy(yb))
        opt_a.zero_grad()
        loss_a.backward()
        opt_a.step()
        loss_b = loss_b_fn(theirs(torch.from_numpy(xb)), torch.from_numpy(yb))
        opt_b.zero_grad()
        loss_b.backward()
        opt_b.step()
        losses.append((loss_a.item(), loss_b.item()))
    weights = {k: float(np.abs(v.data - theirs.state_dict()[k].numpy()).max())
               for k, v in ours.state_dict().items()}
    diffs = [abs(a - b) for a, b in losses]
    return {"model": kind_of(ours), "optimizer": optimizer, "steps": steps, "losses": losses,
            "max_loss_diff": max(diffs), "max_weight_diff": max(weights.values()),
            "weight_diffs": weights}


def format_parity(r: dict) -> str:
    name = {"sgd": "SGD", "adam": "Adam", "adadelta": "Adadelta"}.get(r["optimizer"],
                                                                      r["optimizer"])
    what = ", the CNN with its dropout off in both" if r.get("model") == "cnn" else ""
    lines = [f"{r['steps']} {name} steps from the same weights on the same "
             f"batches (float32{what})",
             f"{'step':>6}{'tinygrad-mnist':>16}{'PyTorch':>12}{'|diff|':>11}"]
    every = max(1, r["steps"] // 10)  # about ten rows, evenly spaced, and the last step
    shown = sorted({*range(0, r["steps"], every), r["steps"] - 1})
    for i in shown:
        a, b = r["losses"][i]
        lines.append(f"{i + 1:>6}{a:>16.6f}{b:>12.6f}{abs(a - b):>11.2e}")
    lines.append(f"largest loss difference over all steps: {r['max_loss_diff']:.2e}")
    lines.append(f"largest final weight difference: {r['max_weight_diff']:.2e}")
    return "\n".join(lines)
