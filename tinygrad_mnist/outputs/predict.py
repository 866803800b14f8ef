"""Your own digit images, converted the way MNIST was made, and predicted."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

import tensor

# Far above any digit photo (a 24-megapixel camera), far below what would exhaust
# memory: a 10000×10000 PNG would need 1.3 GB to decode.
MAX_PIXELS = 40_000_000


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
            if im.width * im.height > MAX_PIXELS:  # checked before decoding a pixel
                raise ImageError(f"{path}: image of {im.width}×{im.height} pixels is larger "
                                 f"than the {MAX_PIXELS:,}-pixel limit; scale it down")
            gray = _grayscale(im)
    except FileNotFoundError:
        raise ImageError(f"{path}: no such image file") from None
    except IsADirectoryError:
        raise ImageError(f"{path}: is a folder, not an image") from None
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
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


def _grayscale(im) -> np.ndarray:
    """Pixels in [0, 1]. Transparency is laid on white paper (a drawing app's black
    ink on a transparent background is dark-on-light), and 16- or 32-bit gray
    keeps its levels (Pillow's "L" conversion would clip them to two)."""
    from PIL import Image

    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        values = np.asarray(im, dtype=np.float64)
        top = 65535.0 if im.mode.startswith("I;16") or values.max() > 255 else 255.0
        return (np.clip(values, 0, top) / top).astype(np.float32)
    if "A" in im.getbands() or im.info.get("transparency") is not None:
        rgba = im.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(paper, rgba)
    return np.asarray(im.convert("L"), dtype=np.float32) / 255.0


def _border(image: np.ndarray) -> np.ndarray:
    return np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])


def _shift(image: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """Move the image by (dy, dx) pixels, filling with zeros (no wrap-around)."""
    pad = max(abs(dy), abs(dx))
    padded = np.pad(image, pad)
    h, w = image.shape
    return padded[pad - dy:pad - dy + h, pad - dx:pad - dx + w]


def predict(model, paths, names=None, top: int = 3, show=None) -> list[dict]:
    """Prediction and top probabilities for each image file; a file that cannot be
    used gets ``{"file", "error"}`` instead, and the others are still predicted.
    ``show``: a folder to write, for each image, the 28×28 picture the model sees
    (``<name>-28x28-x8.png``: the 28×28 input, enlarged 8×), its path under ``"seen"``."""
    images, errors = {}, {}
    for p in paths:
        try:
            images[str(p)] = load_digit(p)
        except ImageError as exc:
            errors[str(p)] = str(exc)
    seen = {path: write_seen(image, Path(show), Path(path)) for path, image in images.items()
            } if show is not None else {}
    probs = {}
    if images:
        with tensor.no_grad():
            out = model(tensor.from_numpy(np.stack(list(images.values())))).softmax(1).data
        probs = dict(zip(images, out))
    results = []
    for path in map(str, paths):
        if path in errors:
            results.append({"file": path, "error": errors[path]})
            continue
        p = probs[path]
        labels = names or [str(i) for i in range(len(p))]
        order = np.argsort(p)[::-1][:top]
        # a digit is a number (JSON 7, not "7"); other datasets' classes are names
        prediction = int(order[0]) if names is None else labels[order[0]]
        results.append({"file": path, "prediction": prediction, **(
                            {"seen": str(seen[path])} if path in seen else {}),
                        "probabilities": {labels[i]: round(float(p[i]), 6) for i in order}})
    return results


def write_seen(image: np.ndarray, folder: Path, source: Path) -> Path:
    """The 784-vector as the 28×28 grayscale PNG it is (8× larger, no smoothing)."""
    from PIL import Image

    from nn.serialization import atomic_write_bytes

    folder.mkdir(parents=True, exist_ok=True)
    pixels = (image.reshape(28, 28) * 255).round().astype(np.uint8)
    picture = Image.fromarray(pixels).resize((224, 224), Image.NEAREST)
    out = io.BytesIO()
    picture.save(out, format="PNG")
    path = folder / f"{source.stem}-28x28-x8.png"  # the 28×28 input, enlarged 8×
    atomic_write_bytes(path, out.getvalue())
    return path
