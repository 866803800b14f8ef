"""How tensors and shapes print: PyTorch's text, so a learner can check a tutorial's
printed output line by line against their own.

PyTorch's rules, reimplemented: floats get 4 decimals, or scientific notation
when the nonzero finite magnitudes span more than 10³ (or reach 10⁸, or go
below 10⁻⁴); floats that are all whole print as ``1.``; every element is
padded to one width; lines wrap at 80 characters; tensors of more than 1,000
elements show 3 items at each edge of each dimension around ``...``.
"""

from __future__ import annotations

import math

import numpy as np

from . import dtypes

LINEWIDTH, THRESHOLD, EDGEITEMS, PRECISION = 80, 1000, 3, 4


class Size(tuple):
    """A shape: a tuple that prints as ``torch.Size([3, 4])``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"torch.Size({list(self)})"

    __str__ = __repr__

    def numel(self) -> int:
        return math.prod(self)


class _Formatter:
    """Formats the elements of one tensor to a common width (torch's _Formatter rules)."""

    def __init__(self, values: np.ndarray):
        self.floating = values.dtype.kind == "f"
        self.sci = False
        self.whole = True
        if not self.floating:
            self.width = max((len(self._plain(v)) for v in values.ravel().tolist()), default=1)
            return
        finite = values[np.isfinite(values) & (values != 0)].astype(np.float64)
        if finite.size == 0:
            self.width = 1
            return
        mags = np.abs(finite)
        lo, hi = mags.min(), mags.max()
        self.whole = bool(np.all(finite == np.ceil(finite)))
        self.sci = hi > 1.0e8 or lo < 1.0e-4 or hi / lo > 1000.0  # lo ≥ 1e-4 here
        if self.sci:
            self.width = max(len(f"{v:.{PRECISION}e}") for v in finite.tolist())
        elif self.whole:
            self.width = max(len(f"{v:.0f}") + 1 for v in finite.tolist())
        else:
            self.width = max(len(f"{v:.{PRECISION}f}") for v in finite.tolist())

    @staticmethod
    def _plain(value) -> str:
        return str(value)

    def __call__(self, value) -> str:
        if not self.floating:
            text = self._plain(value)
        elif self.sci:
            text = f"{value:{self.width}.{PRECISION}e}"
        elif self.whole:
            text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            text = f"{value:.{PRECISION}f}"
        return text.rjust(self.width)


def _summarized(a: np.ndarray) -> np.ndarray:
    """The elements that will be shown, for choosing the format (edges of each dim)."""
    if a.ndim == 0:
        return a
    if a.shape[0] > 2 * EDGEITEMS:
        a = np.concatenate([a[:EDGEITEMS], a[-EDGEITEMS:]])
    return np.stack([_summarized(row) for row in a]) if a.ndim > 1 else a


def _body(a: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if a.ndim == 0:
        return fmt(a.item())
    edges = summarize and a.shape[0] > 2 * EDGEITEMS
    if a.ndim == 1:
        per_line = max(1, (LINEWIDTH - indent) // (fmt.width + 2))
        items = [fmt(v) for v in a.tolist()]
        if edges:
            items = items[:EDGEITEMS] + [" ..."] + items[-EDGEITEMS:]
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    rows = range(a.shape[0])
    parts = [_body(a[i], indent + 1, summarize, fmt) for i in rows]
    if edges:
        parts = parts[:EDGEITEMS] + ["..."] + parts[-EDGEITEMS:]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def tensor_repr(t, prefix: str = "tensor(") -> str:
    a = t.data
    indent = len(prefix)
    suffixes = []
    if a.size == 0:
        body = "[]"
        if a.ndim != 1:
            suffixes.append(f"size={tuple(a.shape)}")
        if a.dtype != dtypes.DEFAULT_FLOAT:
            suffixes.append(f"dtype={dtypes.PUBLIC[a.dtype]!r}")
    else:
        summarize = a.size > THRESHOLD
        fmt = _Formatter(_summarized(a) if summarize else a)
        body = _body(a, indent, summarize, fmt)
        if a.dtype not in (dtypes.DEFAULT_FLOAT, dtypes.int64, dtypes.bool_):
            suffixes.append(f"dtype={dtypes.PUBLIC[a.dtype]!r}")
    if t._ctx is not None:
        suffixes.append(f"grad_fn=<{t._ctx.backward_name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    text = prefix + body
    last = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:  # on the same line while it fits, as torch's _add_suffixes
        if last + len(suffix) + 2 > LINEWIDTH:
            text += ",\n" + " " * indent + suffix
            last = indent + len(suffix)
        else:
            text += ", " + suffix
            last += len(suffix) + 2
    return text + ")"
