"""What the generated code is made of: its lines, the names it gives values (Z1, A1,
t3, ctx2, …) and the Python objects it refers to (op classes, constants), kept in the
namespace ``exec`` runs it in; and the code for a recorded value."""

from __future__ import annotations

import math

import numpy as np

from .. import autograd, function
from ..dtypes import ONE, ZERO
from ..function import unbroadcast
from ..ops.nn import target_positions

_new = object.__new__


class Writer:
    """Names, lines and the objects the code refers to."""

    def __init__(self):
        self.lines: list[str] = []
        self.env: dict = {"np": np, "new": _new, "unbroadcast": unbroadcast, "ZERO": ZERO,
                          "ONE": ONE, "target_positions": target_positions,
                          "accumulate_leaves": autograd._accumulate_leaves,
                          "make": function._make}
        self.counts: dict[str, int] = {}

    def name(self, prefix: str) -> str:
        self.counts[prefix] = self.counts.get(prefix, 0) + 1
        return f"{prefix}{self.counts[prefix]}"

    def ref(self, obj, prefix: str) -> str:
        """A name in the code's namespace for a Python object."""
        for key, value in self.env.items():
            if value is obj and key.startswith(prefix):
                return key
        key = self.name(prefix)
        self.env[key] = obj
        return key

    def op(self, cls) -> str:
        """An op class in the namespace, under its own name."""
        if self.env.setdefault(cls.__name__, cls) is not cls:
            return self.ref(cls, cls.__name__)
        return cls.__name__

    def emit(self, line: str, comment: str = "") -> None:
        self.lines.append(f"    {line}" + (f"  # {comment}" if comment else ""))


def doc_math(cls) -> str:
    """The first line of an op's docstring: its math, the comment beside its call."""
    return (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""


def value_code(w: Writer, value, var) -> str:
    kind, v = value
    if kind == "slot":
        return var[v]
    if kind == "name":  # a variable of the code itself
        return v
    if kind == "tuple":
        return "(" + "".join(f"{value_code(w, x, var)}, " for x in v) + ")"
    if isinstance(v, float) and not math.isfinite(v):
        return f"float({str(v)!r})"  # repr gives the bare names inf and nan
    if v is None or isinstance(v, (bool, int, float, str)):
        return repr(v)
    return w.ref(v, "V")
