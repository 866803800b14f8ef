"""The notebook's figures, drawn headless with matplotlib and written atomically."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from nn.serialization import atomic_write_bytes  # noqa: E402


def _save(fig, path: Path) -> Path:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())
    return path


def _grid(n: int, cols: int):
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.3, rows * 1.45))
    axes = np.atleast_1d(axes).ravel()
    for ax in axes:
        ax.axis("off")
    return fig, axes


def samples(images, labels, path: Path, names=None, n: int = 20) -> Path:
    """Sample images with their labels."""
    fig, axes = _grid(n, 10)
    for ax, img, lab in zip(axes, images[:n], labels[:n]):
        ax.imshow(img.reshape(28, 28), cmap="gray")
        ax.set_title(names[lab] if names else str(lab), fontsize=9)
    fig.suptitle("Sample training images")
    return _save(fig, path)


def curves(history: list, path: Path) -> Path:
    """Loss and accuracy per epoch, train and validation, the best validation epoch
    marked; the learning rate too when it changed during the run."""
    epochs = [h["epoch"] for h in history]
    lrs = [h.get("lr") for h in history]
    show_lr = None not in lrs and len(set(lrs)) > 1
    fig, axes = plt.subplots(1, 3 if show_lr else 2, figsize=(15 if show_lr else 11, 4))
    a, b = axes[:2]
    for key, label in (("train_loss", "train"), ("val_loss", "validation")):
        a.plot(epochs, [h[key] for h in history], marker="o", label=label)
    for key, label in (("train_acc", "train"), ("val_acc", "validation")):
        b.plot(epochs, [h[key] * 100 for h in history], marker="o", label=label)
    best = max(history, key=lambda h: h["val_acc"])
    b.scatter([best["epoch"]], [best["val_acc"] * 100], s=160, facecolors="none",
              edgecolors="tab:red", zorder=3,
              label=f"best: epoch {best['epoch']}, {best['val_acc'] * 100:.2f} %")
    a.set(title="Loss", xlabel="epoch", ylabel="cross-entropy")
    b.set(title="Accuracy", xlabel="epoch", ylabel="accuracy (%)")
    if show_lr:
        axes[2].plot(epochs, lrs, marker="o", color="tab:green")
        axes[2].set(title="Learning rate (end of epoch)", xlabel="epoch", ylabel="lr",
                    yscale="log")
    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers
        ax.grid(alpha=0.3)
    a.legend()
    b.legend()
    return _save(fig, path)


def confusion(cm, path: Path, names=None) -> Path:
    """Confusion matrix with counts in every cell. The colours show the mistakes (the
    off-diagonal cells, on their own scale); the diagonal, the correct answers, is
    grey, or it would set the scale and wash every mistake out."""
    cm = np.asarray(cm)
    names = names or [str(i) for i in range(len(cm))]
    errors = np.ma.masked_array(cm, mask=np.eye(len(cm), dtype=bool))
    fig, ax = plt.subplots(figsize=(7, 6))
    ax.imshow(np.where(np.eye(len(cm), dtype=bool), 1.0, np.nan), cmap="Greys", vmin=0,
              vmax=4)
    im = ax.imshow(errors, cmap="Reds", vmin=0, vmax=max(int(errors.max() or 1), 1))
    bar = fig.colorbar(im, ax=ax, label="mistakes (off-diagonal count)")
    bar.locator = MaxNLocator(integer=True)  # counts: no 2.5 or 7.5 ticks
    bar.update_ticks()
    ax.set(xticks=range(len(cm)), yticks=range(len(cm)), xticklabels=names, yticklabels=names,
           xlabel="predicted", ylabel="true", title="Confusion matrix (test set)")
    plt.setp(ax.get_xticklabels(), rotation=45 if max(map(len, names)) > 2 else 0)
    threshold = (errors.max() or 1) / 2
    for i in range(len(cm)):
        for j in range(len(cm)):
            dark = i != j and cm[i, j] > threshold
            ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=8,
                    color="white" if dark else "black")
    return _save(fig, path)


def predictions(images, y_true, probs, path: Path, correct: bool, names=None,
                n: int = 20) -> Path:
    """Correct predictions, or mistakes with the most confident first (the ones a
    learner wants to see), each titled with the prediction and its confidence."""
    pred = probs.argmax(1)
    idx = np.flatnonzero((pred == y_true) == correct)
    if not correct:
        idx = idx[np.argsort(-probs[idx, pred[idx]], kind="stable")]
    idx = idx[:n]
    fig, axes = _grid(max(len(idx), 1), 10)
    label = names or [str(i) for i in range(probs.shape[1])]
    for ax, i in zip(axes, idx):
        ax.imshow(images[i].reshape(28, 28), cmap="gray")
        confidence = f"{probs[i, pred[i]] * 100:.0f} %"
        title = (f"{label[pred[i]]}, {confidence}" if correct else
                 f"pred {label[pred[i]]}\n(true {label[y_true[i]]}), {confidence}")
        ax.set_title(title, fontsize=8, color="green" if correct else "red")
    fig.suptitle("Correct predictions" if correct else "Mistakes, most confident first",
                 y=1.04)
    return _save(fig, path)


def weights(w1: np.ndarray, path: Path, n: int = 64) -> Path:
    """First-layer weights (out, 784) as 28×28 images: what each unit looks for. One
    colour scale for all (shown beside them), so units can be compared."""
    shown = min(n, len(w1))
    cols = 16
    rows = -(-shown // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 0.9, rows * 0.9 + 0.9),
                             layout="constrained")
    axes = np.atleast_1d(axes).ravel()
    lim = float(np.abs(w1[:shown]).max()) or 1.0
    im = None
    for i, ax in enumerate(axes):
        ax.axis("off")
        if i < shown:
            im = ax.imshow(w1[i].reshape(28, 28), cmap="RdBu_r", vmin=-lim, vmax=lim)
    fig.colorbar(im, ax=axes.tolist(), shrink=0.8, label="weight")
    fig.suptitle(f"First-layer weights of units 1–{shown} of {len(w1)} (red +, blue −)")
    return _save(fig, path)


def activations(image: np.ndarray, layers: list, probs: np.ndarray, path: Path,
                names=None, label=None) -> Path:
    """One image's activations through every layer: input (titled with its digit, as
    the notebook's), each hidden layer as a grid of its units (one colour scale per
    layer, shown), and the output (titled with the prediction). Every panel is the
    same size: each image fills its square, each with its colour bar."""
    names = names or [str(i) for i in range(len(probs))]
    fig, axes = plt.subplots(1, len(layers) + 2, figsize=(3.6 * (len(layers) + 2), 3.6),
                             layout="constrained")
    im = axes[0].imshow(image.reshape(28, 28), cmap="gray", aspect="auto")
    fig.colorbar(im, ax=axes[0], shrink=0.8)
    axes[0].set_title("input X" + (f"\nDigit: {names[label]}" if label is not None else ""),
                      fontsize=10)
    axes[0].axis("off")
    for ax, (title, a) in zip(axes[1:], layers):
        cols = _columns(a.size)
        # a full grid (no notch), stretched to the same square as the others
        im = ax.imshow(a.reshape(-1, cols), cmap="viridis", vmin=0, aspect="auto")
        fig.colorbar(im, ax=ax, shrink=0.8)
        ax.set_title(f"{title}: {a.size} units, {np.mean(a > 0) * 100:.0f} % active",
                     fontsize=10)
        ax.axis("off")
    axes[-1].bar(range(len(probs)), probs)
    axes[-1].set_xticks(range(len(probs)), names, rotation=45 if max(map(len, names)) > 2 else 0)
    axes[-1].set(xlabel="class", ylabel="probability", ylim=(0, 1))
    axes[-1].set_title(f"output A3 = softmax(Z3)\nPredicted: {names[int(np.argmax(probs))]}",
                       fontsize=10)
    return _save(fig, path)


def filters(w: np.ndarray, path: Path) -> Path:
    """The CNN's first-layer filters (out, 1, k, k), each a k×k image: the stroke or
    edge it responds to. One colour scale for all (shown beside them)."""
    n, cols = len(w), 8
    fig, axes = plt.subplots(-(-n // cols), cols, figsize=(cols * 1.0, -(-n // cols) * 1.0 + 0.9),
                             layout="constrained")
    axes = np.atleast_1d(axes).ravel()
    lim = float(np.abs(w).max()) or 1.0
    im = None
    for i, ax in enumerate(axes):
        ax.axis("off")
        if i < n:
            im = ax.imshow(w[i].reshape(w.shape[-2:]), cmap="RdBu_r", vmin=-lim, vmax=lim)
            ax.set_title(str(i + 1), fontsize=8)
    fig.colorbar(im, ax=axes.tolist(), shrink=0.8, label="weight")
    fig.suptitle(f"The {n} first-layer filters, {w.shape[-2]}×{w.shape[-1]} (red +, blue −)")
    return _save(fig, path)


def mosaic(maps: np.ndarray, cols: int | None = None) -> np.ndarray:
    """Feature maps (c, h, w) tiled in one image, a row and a column of NaN (drawn
    blank) between neighbours."""
    c, h, w = maps.shape
    cols = cols or _columns(c)
    rows = -(-c // cols)
    out = np.full((rows * (h + 1) - 1, cols * (w + 1) - 1), np.nan)
    for i, m in enumerate(maps):
        r, k = divmod(i, cols)
        out[r * (h + 1):r * (h + 1) + h, k * (w + 1):k * (w + 1) + w] = m
    return out


def feature_maps(image: np.ndarray, layers: list, probs: np.ndarray, path: Path,
                 names=None, label=None) -> Path:
    """The CNN's ``activations``: one image, each layer's feature maps (c, h, w) tiled
    in a grid with one colour scale per layer, and the output probabilities."""
    names = names or [str(i) for i in range(len(probs))]
    fig, axes = plt.subplots(1, len(layers) + 2, figsize=(4.2 * (len(layers) + 2), 4.2),
                             layout="constrained")
    im = axes[0].imshow(image.reshape(28, 28), cmap="gray")
    fig.colorbar(im, ax=axes[0], shrink=0.8)
    axes[0].set_title("input X" + (f"\nDigit: {names[label]}" if label is not None else ""),
                      fontsize=10)
    axes[0].axis("off")
    for ax, (title, maps) in zip(axes[1:], layers):
        cmap = matplotlib.colormaps["viridis"].with_extremes(bad="white")
        im = ax.imshow(mosaic(maps), cmap=cmap, vmin=0)
        fig.colorbar(im, ax=ax, shrink=0.8)
        ax.set_title(f"{title}\n{len(maps)} maps of {maps.shape[1]}×{maps.shape[2]}, "
                     f"{np.mean(maps > 0) * 100:.0f} % active", fontsize=10)
        ax.axis("off")
    axes[-1].bar(range(len(probs)), probs)
    axes[-1].set_xticks(range(len(probs)), names, rotation=45 if max(map(len, names)) > 2 else 0)
    axes[-1].set(xlabel="class", ylabel="probability", ylim=(0, 1))
    axes[-1].set_title(f"output: softmax\nPredicted: {names[int(np.argmax(probs))]}",
                       fontsize=10)
    return _save(fig, path)


def _columns(n: int) -> int:
    """The most square grid that holds n units exactly (128 → 16 × 8)."""
    return next(c for c in range(int(np.ceil(np.sqrt(n))), n + 1) if n % c == 0)


def per_class_floor(acc) -> float:
    """Where the per-class axis starts: a multiple of 10 at least 5 points below the
    worst class (80 when every class is above 85 %), 0 for a poor model."""
    return max(0.0, float(np.floor((min(acc, default=0) - 5) / 10) * 10))


def per_class(per_class_accuracy: dict, path: Path, names=None) -> Path:
    """Test accuracy of each class."""
    keys = sorted(per_class_accuracy, key=int)
    acc = [per_class_accuracy[k] * 100 for k in keys]
    label = names or keys
    fig, ax = plt.subplots(figsize=(8, 3.5))
    bars = ax.bar(range(len(acc)), acc, color="tab:blue")
    ax.bar_label(bars, fmt="%.1f", fontsize=8)
    ax.set_xticks(range(len(acc)), label, rotation=45 if max(map(len, label)) > 2 else 0)
    # zoomed to the data, as the notebook's was (80–100 for MNIST): from 0, 95 % and
    # 99 % look alike; the axis says where it starts
    low = per_class_floor(acc)
    ax.set(ylim=(low, 100.5), xlabel="class",
           ylabel=f"accuracy (%), axis from {low:g}" if low else "accuracy (%)",
           title="Per-class test accuracy")
    return _save(fig, path)
