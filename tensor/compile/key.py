"""The hashable part of a plan's guards: how the arguments were passed (positions,
keywords, containers opened), their shapes, dtypes and requires_grad, which are
the same array, grad and anomaly mode; numbers by type (`Plan.serves` holds their
values)."""

from __future__ import annotations

import numpy as np

from ..function import anomaly_mode
from ..grad_mode import grad_mode
from ..tensor import Tensor


def is_leaf_type(a) -> bool:
    return not isinstance(a, (tuple, list, dict))


def flatten(value, leaves: list, structure: list) -> None:
    """The tensors and values inside tuples, lists and dicts (a batch passed as
    ``(x, y)`` or ``{"image": x}``), with their layout and keys for the key."""
    if isinstance(value, (tuple, list)):
        structure.append((type(value), len(value)))
        for v in value:
            flatten(v, leaves, structure)
    elif isinstance(value, dict):
        structure.append((dict, tuple(value)))
        for v in value.values():
            flatten(v, leaves, structure)
    else:
        leaves.append(value)


def guard_key(leaves, structure):
    """(the hashable part of the guards, the int and float arguments as (leaf
    index, value)); (None, None) when an argument can't be a key. ``structure``:
    how the arguments were passed (positions, keywords, containers). A number is
    in the key by its type only: a plan says which values it holds (`Plan.serves`)."""
    parts = [grad_mode.enabled, anomaly_mode.enabled, structure]
    numbers, arrays = [], []
    for i, a in enumerate(leaves):
        if isinstance(a, Tensor):
            data = a.data
            parts.append((data.shape, data.dtype, a.requires_grad, a._ctx is None))
            arrays.append(id(data))
        elif isinstance(a, np.ndarray):
            parts.append((a.shape, a.dtype))
            arrays.append(id(a))
        elif type(a) in (int, float):
            parts.append(type(a))
            numbers.append((i, a))
        else:
            try:
                hash(a)
            except TypeError:
                return None, None
            parts.append(("value", type(a), a))
    # which arguments are the same array: the plan reads each argument from one place
    if len(arrays) > 1 and len(set(arrays)) < len(arrays):
        parts.append(tuple(arrays.index(i) for i in arrays))
    return tuple(parts), numbers
