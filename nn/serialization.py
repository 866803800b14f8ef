"""``nn.save`` / ``nn.load``: state dicts as safetensors files that PyTorch reads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from safetensors import safe_open
from safetensors.numpy import save as _st_save

import tensor
from tensor._atomic import atomic_write_bytes

__all__ = ["atomic_write_bytes", "load", "load_arrays", "save"]


def save(state_dict, path, metadata: dict | None = None) -> None:
    """Save name → Tensor (or array) in safetensors format, atomically."""
    arrays = {}
    for name, value in state_dict.items():
        arr = np.asarray(getattr(value, "data", value))
        arrays[name] = np.asarray(arr, order="C")  # ascontiguousarray makes 0-d 1-d
    atomic_write_bytes(path, _st_save(arrays, metadata=metadata))


def load(path) -> dict:
    """Read a safetensors file into name → Tensor."""
    return {k: tensor.from_numpy(v) for k, v in load_arrays(path)[0].items()}


def load_arrays(path) -> tuple[dict, dict]:
    """name → ndarray and the file's string metadata; clear errors for bad files."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"load: no such file: {path}")
    if not path.is_file():
        raise IsADirectoryError(f"load: {path} is a directory, not a safetensors file")
    try:
        with safe_open(path, framework="numpy") as f:
            return {k: f.get_tensor(k) for k in f.keys()}, f.metadata() or {}
    except Exception as exc:  # safetensors raises its own error types
        raise ValueError(f"load: {path} is not a valid safetensors file ({exc})") from None
