"""The implementations `bench` times against each other, one epoch function each, on
the same data in the same batch order: this framework's PyTorch-style loop (eager and
compiled), the step's matrix products alone, the notebook's hand-derived NumPy
network in float32 and float64, and PyTorch on the CPU when it is installed."""

from __future__ import annotations

import functools

import numpy as np

import nn
import tensor
from tinygrad_mnist.training.model import mlp
from tinygrad_mnist.training.reference import ReferenceMLP
from tinygrad_mnist.training.train import training_step

OURS = "tinygrad-mnist (float32)"
COMPILED = "tinygrad-mnist compiled"


def epoch_autograd(state, X, y, order, bs, lib=tensor, F=nn.functional):
    """The PyTorch-style loop; ``lib``/``F`` are this framework's or torch's, whose
    names are the same by design."""
    model, opt = state
    for s in range(0, len(order), bs):
        idx = order[s:s + bs]
        loss = F.cross_entropy(model(lib.from_numpy(X[idx])), lib.from_numpy(y[idx]))
        opt.zero_grad()
        loss.backward()
        opt.step()


def epoch_compiled(step, X, y, order, bs):
    """The same loop with its step captured once by tensor.compile and replayed."""
    for s in range(0, len(order), bs):
        idx = order[s:s + bs]
        step(tensor.from_numpy(X[idx]), tensor.from_numpy(y[idx]))


def epoch_gemm_floor(weights, X, y, order, bs):
    """The step's eight matrix products alone (three forward, three weight
    gradients, two input gradients): the floor for any implementation of it."""
    w1, w2, w3 = weights
    for s in range(0, len(order), bs):
        x = X[order[s:s + bs]]
        a1 = x @ w1
        a2 = a1 @ w2
        z3 = a2 @ w3
        _ = a2.T @ z3
        d2 = z3 @ w3.T
        _ = a1.T @ d2
        d1 = d2 @ w2.T
        _ = x.T @ d1


def epoch_reference(state, X, y, order, bs):
    """The notebook's loop as the notebook runs it: the labels one-hot encoded once
    before training, then per batch forward, backward and update (its losses are
    computed once per epoch, not per batch)."""
    ref, Y = state
    for s in range(0, len(order), bs):
        idx = order[s:s + bs]
        ref.forward(X[idx])
        ref.step(ref.backward_one_hot(Y[idx]), 0.01)


def make_runners(X, y, X64, with_torch: bool = True):
    """name → (state, epoch function, data) for every implementation available."""
    model, twin = mlp(seed=0), mlp(seed=0)
    rng = np.random.default_rng(0)
    runners = {
        OURS: ((model, nn.optim.SGD(model.parameters(), lr=0.01)),
                                     epoch_autograd, X),
        COMPILED: (training_step(twin, nn.optim.SGD(twin.parameters(), lr=0.01)),
                   epoch_compiled, X),
        "matrix products alone (floor)": (
            [rng.standard_normal(s).astype(np.float32) * 0.05 for s in
             ((784, 128), (128, 64), (64, 10))], epoch_gemm_floor, X),
        "hand-derived NumPy float32": ((ReferenceMLP(dtype=np.float32, seed=0),
                                        np.eye(10, dtype=np.float32)[y]), epoch_reference, X),
        "hand-derived NumPy float64": ((ReferenceMLP(dtype=np.float64, seed=0),
                                        np.eye(10)[y]), epoch_reference, X64),
    }
    if not with_torch:
        return runners, None
    try:
        import torch
    except ImportError:
        return runners, None
    torch.manual_seed(0)
    torch.set_num_threads(blas_threads() or torch.get_num_threads())
    twin = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(),
                               torch.nn.Linear(128, 64), torch.nn.ReLU(),
                               torch.nn.Linear(64, 10))
    runners[f"PyTorch {torch.__version__} CPU"] = (
        (twin, torch.optim.SGD(twin.parameters(), lr=0.01)),
        functools.partial(epoch_autograd, lib=torch, F=torch.nn.functional), X)
    return runners, torch.__version__


def blas_threads() -> int | None:
    """Threads of NumPy's BLAS (SciPy, loaded by scikit-learn, has its own)."""
    info = sorted(blas_info(), key=lambda b: b["package"] != "numpy")
    return info[0]["num_threads"] if info else None


def blas_info() -> list:
    """The BLAS libraries loaded, each with the package that brought it."""
    from pathlib import Path

    from threadpoolctl import threadpool_info

    return [{"package": Path(i.get("filepath") or "?").parent.name.split(".")[0],
             **{k: i.get(k) for k in ("internal_api", "version", "num_threads")}}
            for i in threadpool_info() if i.get("user_api") == "blas"]
