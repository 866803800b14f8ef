"""``torch.return_types``: the named tuples that max(dim), sort, topk, median, …
return, printed as PyTorch prints them (``torch.return_types.sort(`` then one
field a line)."""

from __future__ import annotations

from collections import namedtuple


def return_type(name: str, fields=("values", "indices")):
    base = namedtuple(name, fields)

    def __repr__(self):
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"torch.return_types.{name}(\n{body})"

    cls = type(name, (base,), {"__slots__": (), "__repr__": __repr__})
    cls.__module__ = "torch.return_types"
    return cls


max = return_type("max")  # noqa: A001  (PyTorch's names)
min = return_type("min")  # noqa: A001
sort = return_type("sort")
topk = return_type("topk")
kthvalue = return_type("kthvalue")
median = return_type("median")
nanmedian = return_type("nanmedian")
mode = return_type("mode")
histogram = return_type("histogram", ("hist", "bin_edges"))
