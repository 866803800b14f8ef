"""The seed notebook's network, from scratch: NumPy forward pass and the hand-derived
backprop equations. It is the ground truth the autograd is checked against, and
the baseline the benchmark measures.

Layout as in the notebook: ``Z = A·W + b`` with ``W`` of shape (n_in, n_out).
`nn.Linear` keeps PyTorch's (out, in) layout, so ``Linear.weight == W.T``.
"""

from __future__ import annotations

import numpy as np

from tinygrad_mnist.training.model import SIZES, linear_layers


class ReferenceMLP:
    """784→128→64→10, ReLU, ReLU, softmax; mean cross-entropy."""

    def __init__(self, sizes=SIZES, dtype=np.float64, seed: int = 42):
        rng = np.random.default_rng(seed)
        self.dtype = np.dtype(dtype)
        self.params = {}
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
            w = rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)  # He
            self.params[f"W{i}"] = w.astype(self.dtype)
            self.params[f"b{i}"] = np.zeros((1, n_out), self.dtype)

    # ----- moving weights between this and the autograd model ---------------------------
    @classmethod
    def from_model(cls, model, dtype=None) -> ReferenceMLP:
        lins = linear_layers(model)
        ref = cls.__new__(cls)
        ref.dtype = np.dtype(dtype or lins[0].weight.dtype)
        ref.params = {}
        for i, lin in enumerate(lins, start=1):
            ref.params[f"W{i}"] = lin.weight.data.T.astype(ref.dtype)
            ref.params[f"b{i}"] = lin.bias.data[None, :].astype(ref.dtype)
        return ref

    def state_dict(self) -> dict:
        """The weights under `nn.Sequential`'s names (0.weight, 0.bias, 2.weight, …)."""
        out = {}
        for i in range(1, len(self.params) // 2 + 1):
            out[f"{2 * (i - 1)}.weight"] = np.ascontiguousarray(self.params[f"W{i}"].T)
            out[f"{2 * (i - 1)}.bias"] = self.params[f"b{i}"][0].copy()
        return out

    # ----- the notebook's equations -------------------------------------------------------
    def forward(self, X: np.ndarray) -> np.ndarray:
        """Z1 = X·W1 + b1, A1 = ReLU(Z1), Z2 = A1·W2 + b2, A2 = ReLU(Z2),
        Z3 = A2·W3 + b3, A3 = softmax(Z3). Returns A3; keeps the cache for backward."""
        p = self.params
        Z1 = X @ p["W1"] + p["b1"]
        A1 = np.maximum(Z1, 0)
        Z2 = A1 @ p["W2"] + p["b2"]
        A2 = np.maximum(Z2, 0)
        Z3 = A2 @ p["W3"] + p["b3"]
        E = np.exp(Z3 - Z3.max(axis=1, keepdims=True))
        A3 = E / E.sum(axis=1, keepdims=True)
        self.cache = (X, Z1, A1, Z2, A2, A3)
        return A3

    def loss(self, A3: np.ndarray, y: np.ndarray) -> float:
        """Mean cross-entropy −(1/m)·Σ log A3[i, yᵢ]."""
        m = len(y)
        return float(-np.log(A3[np.arange(m), y] + 1e-300).mean())

    def backward(self, y: np.ndarray) -> dict:
        """The hand-derived gradients of the mean cross-entropy:
        dZ3 = (A3 − Y)/m, dW3 = A2ᵀ·dZ3, db3 = Σ dZ3, dA2 = dZ3·W3ᵀ,
        dZ2 = dA2 ⊙ 1[Z2 > 0], dW2 = A1ᵀ·dZ2, …, dW1 = Xᵀ·dZ1."""
        A3 = self.cache[-1]
        Y = np.zeros_like(A3)
        Y[np.arange(len(y)), y] = 1
        return self.backward_one_hot(Y)

    def backward_one_hot(self, Y: np.ndarray) -> dict:
        """`backward` from labels already one-hot encoded, as the notebook encodes
        them once before training."""
        p = self.params
        X, Z1, A1, Z2, A2, A3 = self.cache
        m = len(Y)
        dZ3 = (A3 - Y) / m
        dW3 = A2.T @ dZ3
        db3 = dZ3.sum(axis=0, keepdims=True)
        dA2 = dZ3 @ p["W3"].T
        dZ2 = dA2 * (Z2 > 0)
        dW2 = A1.T @ dZ2
        db2 = dZ2.sum(axis=0, keepdims=True)
        dA1 = dZ2 @ p["W2"].T
        dZ1 = dA1 * (Z1 > 0)
        dW1 = X.T @ dZ1
        db1 = dZ1.sum(axis=0, keepdims=True)
        return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2, "W3": dW3, "b3": db3}

    def step(self, grads: dict, lr: float) -> None:
        """Plain SGD: θ ← θ − lr·dθ."""
        for k, g in grads.items():
            self.params[k] -= lr * g

    def train_step(self, X: np.ndarray, y: np.ndarray, lr: float) -> float:
        A3 = self.forward(X)
        self.step(self.backward(y), lr)
        return self.loss(A3, y)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.forward(X).argmax(axis=1)


# In the project's one convention, PyTorch's: W of shape (out, in), Z = X·Wᵀ + b, so
# dW = dZᵀ·A and dA = dZ·W (the graph, the compiled code and the README say the same).
# The notebook's W is this Wᵀ: its dW3 = A2ᵀ·dZ3 is this dW3, transposed.
EQUATIONS = {
    "W3": "dW3 = dZ3ᵀ·A2,  dZ3 = (A3 − Y)/m", "b3": "db3 = Σ dZ3",
    "W2": "dW2 = dZ2ᵀ·A1,  dZ2 = dZ3·W3 ⊙ 1[Z2>0]", "b2": "db2 = Σ dZ2",
    "W1": "dW1 = dZ1ᵀ·X,  dZ1 = dZ2·W2 ⊙ 1[Z1>0]", "b1": "db1 = Σ dZ1",
}


def compare(model, X, y) -> list[dict]:
    """Autograd gradients of ``model``'s mean cross-entropy against the notebook's
    equations on the same weights and batch, one row per parameter, output layer
    first (backprop order): name, equation, shape, max |difference|."""
    import nn
    import tensor

    X = np.asarray(getattr(X, "data", X))
    y = np.asarray(getattr(y, "data", y))
    dtype = linear_layers(model)[0].weight.dtype
    ref = ReferenceMLP.from_model(model, dtype=dtype)
    ref.forward(X.astype(dtype))
    hand = ref.backward(y)
    model.zero_grad()
    nn.functional.cross_entropy(model(tensor.from_numpy(X.astype(dtype))),
                                tensor.from_numpy(y)).backward()
    rows = []
    for i, lin in reversed(list(enumerate(linear_layers(model), start=1))):
        for key, param, ours in ((f"W{i}", lin.weight, lin.weight.grad.data.T),
                                 (f"b{i}", lin.bias, lin.bias.grad.data[None, :])):
            rows.append({"name": key, "equation": EQUATIONS.get(key, ""),
                         "shape": tuple(param.shape),
                         "max_abs_diff": float(np.abs(ours - hand[key]).max())})
    return rows


def first_mismatch(rows: list[dict], atol: float = 1e-8) -> dict | None:
    """The first row, in backprop order, whose gradients disagree by more than atol."""
    return next((r for r in rows if r["max_abs_diff"] > atol), None)


def format_comparison(rows: list[dict]) -> str:
    lines = [f"{'param':<6}{'shape':<14}{'max |autograd − hand|':>24}  equation"]
    for r in rows:
        lines.append(f"{r['name']:<6}{str(r['shape']):<14}{r['max_abs_diff']:>24.3e}  "
                     f"{r['equation']}")
    return "\n".join(lines)
