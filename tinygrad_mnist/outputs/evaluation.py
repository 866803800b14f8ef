"""Test-set metrics: accuracy, per-class accuracy, confusion matrix, confused pairs."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import confusion_matrix


def metrics(y_true: np.ndarray, y_pred: np.ndarray, loss: float | None = None,
            n_classes: int = 10) -> dict:
    cm = confusion_matrix(y_true, y_pred, labels=list(range(n_classes)))
    support = cm.sum(axis=1)
    per_class = np.divide(np.diag(cm), support, out=np.zeros(n_classes), where=support > 0)
    return {
        "test_accuracy": float((y_true == y_pred).mean()),
        "test_loss": loss,
        "per_class_accuracy": {str(c): float(a) for c, a in enumerate(per_class)},
        "confusion_matrix": cm.tolist(),
        "most_confused": most_confused(cm),
    }


def most_confused(cm: np.ndarray, k: int = 5) -> list[dict]:
    """The k largest off-diagonal counts: (true, predicted, count)."""
    off = np.array(cm, copy=True)
    np.fill_diagonal(off, 0)
    flat = np.argsort(off, axis=None)[::-1][:k]
    pairs = []
    for idx in flat:
        t, p = np.unravel_index(idx, off.shape)
        if off[t, p] == 0:
            break
        pairs.append({"true": int(t), "predicted": int(p), "count": int(off[t, p])})
    return pairs


def format_metrics(m: dict, names=None) -> str:
    names = names or [str(i) for i in range(len(m["confusion_matrix"]))]
    lines = [f"test accuracy: {m['test_accuracy'] * 100:.2f} %"]
    if m.get("test_loss") is not None:
        lines[0] += f"   test loss: {m['test_loss']:.4f}"
    lines.append("per-class accuracy: " + "  ".join(
        f"{names[int(c)]}: {a * 100:.1f}%" for c, a in m["per_class_accuracy"].items()))
    lines.append("most confused (true → predicted): " + ", ".join(
        f"{names[p['true']]}→{names[p['predicted']]} ({p['count']})" for p in m["most_confused"]))
    lines.append("confusion matrix (rows: true, columns: predicted):")
    lines.append("      " + "".join(f"{n[:5]:>6}" for n in names))
    for i, row in enumerate(m["confusion_matrix"]):
        lines.append(f"{names[i][:5]:>6}" + "".join(f"{v:>6}" for v in row))
    return "\n".join(lines)
