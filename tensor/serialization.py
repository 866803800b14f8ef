"""``tensor.save(obj, path)`` / ``tensor.load(path)``, as torch's, in safetensors files.

Every array goes into the safetensors file (a flat state dict under its own
names, so ``safetensors.torch.load_file`` reads it into PyTorch). What holds
the arrays is written beside them in the file's metadata:

- data (dicts, lists, tuples, numbers, strings, tensors, arrays: state dicts,
  optimizer states, checkpoints) as JSON, which loading can never run;
- anything else (a whole model) as a pickle, which runs code from the file when
  loaded. As torch ≥ 2.6, ``load`` refuses it unless ``weights_only=False``.
"""

from __future__ import annotations

import base64
import io
import json
import pickle
from collections import OrderedDict
from pathlib import Path

import numpy as np

from . import dtypes
from ._atomic import atomic_write_bytes
from .device import check_device
from .tensor import Tensor

STRUCTURE, PICKLE = "tensor.structure", "tensor.pickle"


class _NotData(Exception):
    """An object JSON can't describe: the file needs a pickle."""


def save(obj, f) -> None:
    """Write ``obj`` (a state dict, a checkpoint dict, a model, …) to ``f``, atomically."""
    from safetensors.numpy import save as st_save

    arrays: dict[str, np.ndarray] = {}
    keys: dict[int, str] = {}  # id(array) → key: an array saved twice is stored once

    def store(array: np.ndarray, name=None) -> str:
        if id(array) not in keys:
            key = name if isinstance(name, str) and name not in arrays else f"_{len(arrays)}"
            keys[id(array)] = key
            arrays[key] = np.asarray(array, order="C")  # ascontiguousarray makes 0-d 1-d
        return keys[id(array)]

    try:
        metadata = {STRUCTURE: json.dumps(_encode(obj, store))}
    except _NotData:
        arrays.clear()
        keys.clear()
        metadata = {PICKLE: _pickle(obj, store)}
    atomic_write_bytes(f, st_save(arrays, metadata=metadata))


def _encode(obj, store, name=None):
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, Tensor):
        if obj.data.dtype not in dtypes.SUPPORTED_SET:
            raise _NotData
        return {"tensor": store(obj.data, name), "requires_grad": obj.requires_grad}
    if isinstance(obj, np.ndarray) and obj.dtype in dtypes.SUPPORTED_SET:
        return {"ndarray": store(obj, name)}
    if isinstance(obj, dict):
        return {"dict": [[_encode(k, store), _encode(v, store, k)] for k, v in obj.items()],
                "ordered": isinstance(obj, OrderedDict)}
    if isinstance(obj, (list, tuple)):
        return {type(obj).__name__: [_encode(v, store) for v in obj]}
    raise _NotData


def _decode(obj, arrays):
    if isinstance(obj, list):  # lists are only ever inside a node: this file wasn't ours
        raise TypeError("a list where a value belongs")
    if not isinstance(obj, dict):
        return obj
    if "tensor" in obj:
        t = Tensor._make(arrays[obj["tensor"]], None)
        return t.requires_grad_(True) if obj["requires_grad"] else t
    if "ndarray" in obj:
        return arrays[obj["ndarray"]]
    if "dict" in obj:
        items = ((_key(_decode(k, arrays)), _decode(v, arrays)) for k, v in obj["dict"])
        return OrderedDict(items) if obj["ordered"] else dict(items)
    if "tuple" in obj:
        return tuple(_decode(v, arrays) for v in obj["tuple"])
    return [_decode(v, arrays) for v in obj["list"]]


def _key(k):
    return tuple(k) if isinstance(k, list) else k  # JSON has no tuples


def _pickle(obj, store) -> str:
    class Pickler(pickle.Pickler):
        def persistent_id(self, value):
            if isinstance(value, np.ndarray) and value.dtype in dtypes.SUPPORTED_SET:
                return store(value)
            return None

    buffer = io.BytesIO()
    Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def load(f, map_location=None, weights_only: bool = True):
    """Read what `save` wrote (or any safetensors file: a dict of tensors). A whole
    model needs ``weights_only=False``: unpickling it runs code from the file."""
    if isinstance(map_location, str) or map_location is not None and not callable(
            map_location) and not isinstance(map_location, dict):
        check_device(map_location)
    arrays, metadata = load_arrays(f, "load")
    check_dtypes(arrays, f, "load")
    if PICKLE in metadata:
        if weights_only:
            raise pickle.UnpicklingError(
                f"load: {f} holds an object saved with pickle (a whole model, say). "
                "Loading it runs code from the file, so it is refused by default, as in "
                "torch ≥ 2.6. If you trust the file, pass weights_only=False; or save "
                "model.state_dict() and load that into a model you build.")
        data = base64.b64decode(metadata[PICKLE])

        class Unpickler(pickle.Unpickler):
            def persistent_load(self, key):
                return arrays[key]

        return Unpickler(io.BytesIO(data)).load()
    if STRUCTURE in metadata:
        try:
            return _decode(json.loads(metadata[STRUCTURE]), arrays)
        except (ValueError, KeyError, TypeError, IndexError, AttributeError,
                RecursionError) as exc:
            raise ValueError(f"load: {f}: its {STRUCTURE} metadata is malformed "
                             f"({type(exc).__name__}: {exc})") from None
    return {k: Tensor._make(v, None) for k, v in arrays.items()}


def check_dtypes(arrays: dict, path, op: str) -> None:
    """Refuse, in one line, a file holding a dtype this framework has no Tensor for
    (float16, int8, …), instead of Tensors that fail when printed."""
    for name, array in arrays.items():
        if array.dtype not in dtypes.SUPPORTED_SET:
            names = ", ".join(sorted(str(d) for d in dtypes.SUPPORTED_SET))
            raise ValueError(f"{op}: {path}: tensor {name!r} has dtype {array.dtype}, which "
                             f"this framework does not support ({names}); convert it "
                             "before saving")


def load_arrays(path, op: str = "load") -> tuple[dict, dict]:
    """name → ndarray and the file's string metadata; clear errors for bad files."""
    from safetensors import safe_open

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{op}: no such file: {path}")
    if not path.is_file():
        raise IsADirectoryError(f"{op}: {path} is a directory, not a safetensors file")
    try:
        with safe_open(path, framework="numpy") as f:
            return {k: f.get_tensor(k) for k in f.keys()}, f.metadata() or {}
    except Exception as exc:  # safetensors raises its own error types
        raise ValueError(f"{op}: {path} is not a valid safetensors file ({exc})") from None
