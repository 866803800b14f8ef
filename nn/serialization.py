"""``nn.save`` / ``nn.load``: state dicts as safetensors files that PyTorch reads."""

from __future__ import annotations

import numpy as np
from safetensors.numpy import save as _st_save

import tensor
from tensor._atomic import atomic_write_bytes
from tensor.serialization import check_dtypes, load_arrays

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
    arrays = load_arrays(path, "nn.load")[0]
    check_dtypes(arrays, path, "nn.load")
    return {k: tensor.from_numpy(v) for k, v in arrays.items()}
