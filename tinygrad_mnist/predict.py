"""Your own digit images, converted the way MNIST was made, and predicted."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import tensor


class ImageError(ValueError):
    pass


def load_digit(path) -> np.ndarray:
    """A PNG/JPEG of one digit (any size, dark-on-light or light-on-dark) as a
    784-vector in [0, 1], light digit on black like MNIST: the ink is cropped,
    scaled into a 20×20 box and centred by its centre of mass in 28×28."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    try:
        with Image.open(path) as im:
            im.load()
            gray = np.asarray(im.convert("L"), dtype=np.float32) / 255.0
    except FileNotFoundError:
        raise ImageError(f"{path}: no such image file") from None
    except (UnidentifiedImageError, OSError) as exc:
        raise ImageError(f"{path}: cannot read image ({exc})") from None
    if np.median(_border(gray)) > 0.5:  # dark ink on light paper: make it light on dark
        gray = 1.0 - gray
    gray = np.clip(gray - np.median(_border(gray)), 0, 1)  # the paper's level to 0
    ink = gray > 0.2 * gray.max() if gray.max() > 0 else np.zeros_like(gray, bool)
    if gray.max() < 0.1 or not ink.any():
        raise ImageError(f"{path}: no digit found (the image is blank)")
    rows, cols = np.flatnonzero(ink.any(1)), np.flatnonzero(ink.any(0))
    crop = gray[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    h, w = crop.shape
    scale = 20.0 / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = np.asarray(Image.fromarray((crop * 255).astype(np.uint8)).resize(
        size, Image.LANCZOS), dtype=np.float32) / 255.0
    canvas = np.zeros((28, 28), np.float32)
    top, left = (28 - small.shape[0]) // 2, (28 - small.shape[1]) // 2
    canvas[top:top + small.shape[0], left:left + small.shape[1]] = small
    total = canvas.sum()
    yy, xx = np.indices(canvas.shape)
    cy, cx = (yy * canvas).sum() / total, (xx * canvas).sum() / total
    shift_y, shift_x = int(round(13.5 - cy)), int(round(13.5 - cx))
    return _shift(canvas, shift_y, shift_x).reshape(784)


def _border(image: np.ndarray) -> np.ndarray:
    return np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])


def _shift(image: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """Move the image by (dy, dx) pixels, filling with zeros (no wrap-around)."""
    pad = max(abs(dy), abs(dx))
    padded = np.pad(image, pad)
    h, w = image.shape
    return padded[pad - dy:pad - dy + h, pad - dx:pad - dx + w]


def predict(model, paths, names=None, top: int = 3) -> list[dict]:
    """Prediction and top probabilities for each image file."""
    images = np.stack([load_digit(p) for p in paths])
    with tensor.no_grad():
        probs = model(tensor.from_numpy(images)).softmax(1).data
    names = names or [str(i) for i in range(probs.shape[1])]
    results = []
    for path, p in zip(paths, probs):
        order = np.argsort(p)[::-1][:top]
        results.append({"file": str(path), "prediction": names[order[0]],
                        "probabilities": {names[i]: round(float(p[i]), 6) for i in order}})
    return results
