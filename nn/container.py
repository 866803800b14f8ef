"""Containers that register what they hold: ``ModuleList``, ``ModuleDict`` and
``ParameterList``, with PyTorch's indexing, mutation, names ("0", "1", … or the
keys) and ``repr``. A plain Python list of layers would also be found by
``Module``'s attribute walk; these add the list's methods and ``len``."""

from __future__ import annotations

import operator
from collections import OrderedDict

from tensor import Tensor

from .module import Module, Parameter


class _Container(Module):
    """Holds its children in ``_items`` (name → value); every change bumps the
    module's ``version``, which tensor.compile's guards compare."""

    def __init__(self):
        object.__setattr__(self, "_items", OrderedDict())

    def _members(self):
        for name, v in self._items.items():
            if isinstance(v, (Module, Parameter)):
                yield name, v

    def __setattr__(self, name: str, value) -> None:
        if isinstance(value, Module):  # a child set as an attribute joins the others, as
            self._items[name] = value  # in PyTorch's one _modules dict (len, repr count it)
            self._changed()
        else:
            super().__setattr__(name, value)

    def _changed(self) -> None:
        object.__setattr__(self, "version", self.version + 1)

    def __getattr__(self, name: str):  # only reached when normal lookup fails
        items = self.__dict__.get("_items", {})
        if name in items:
            return items[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __len__(self) -> int:
        return len(self._items)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required '
                                  '"forward" function')

    def _index(self, idx) -> str:
        """The key of list position ``idx`` (negative from the end), as PyTorch's lists."""
        idx = operator.index(idx)
        n = len(self._items)
        if not -n <= idx < n:
            raise IndexError(f"index {idx} is out of range")
        return str(idx % n)


def _module(value) -> Module:
    if not isinstance(value, Module):
        raise TypeError(f"{type(value).__name__} is not a Module subclass")
    return value


class ModuleList(_Container):
    """Modules in a list, named "0", "1", …; indexing, slicing (a new ModuleList),
    append, extend, insert, pop, ``del``, ``+``, iteration and ``len``."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _renumber(self, values) -> None:
        self._items.clear()
        for i, m in enumerate(values):
            self._items[str(i)] = m
        self._changed()

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(list(self._items.values())[idx])
        return self._items[self._index(idx)]

    def __setitem__(self, idx, module: Module) -> None:
        self._items[self._index(idx)] = _module(module)
        self._changed()

    def __delitem__(self, idx) -> None:
        values = list(self._items.values())
        if isinstance(idx, slice):
            del values[idx]
        else:
            del values[int(self._index(idx))]
        self._renumber(values)  # PyTorch renumbers: the names stay "0" … "n-1"

    def __iter__(self):
        return iter(self._items.values())

    def __iadd__(self, modules) -> ModuleList:
        return self.extend(modules)

    def __add__(self, other) -> ModuleList:
        return ModuleList([*self, *other])

    def append(self, module: Module) -> ModuleList:
        self._items[str(len(self._items))] = _module(module)
        self._changed()
        return self

    def extend(self, modules) -> ModuleList:
        if not hasattr(modules, "__iter__"):
            raise TypeError("ModuleList.extend should be called with an iterable, but got "
                            + type(modules).__name__)
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Shifts the names from ``index`` up by one, as PyTorch's loop does (so a
        negative index into a non-empty list raises its KeyError too)."""
        _module(module)
        for i in range(len(self._items), index, -1):
            self._items[str(i)] = self._items[str(i - 1)]
        self._items[str(index)] = module
        self._changed()

    def pop(self, key) -> Module:
        module = self[key]
        del self[key]
        return module

    def __repr__(self) -> str:
        """Runs of equal children print once, as PyTorch's ``(0-2): 3 x Linear(…)``."""
        reprs = [repr(m).replace("\n", "\n  ") for m in self._items.values()]
        if not reprs:
            return "ModuleList()"
        lines, start = [], 0
        for i in range(1, len(reprs) + 1):
            if i < len(reprs) and reprs[i] == reprs[start]:
                continue
            count = i - start
            lines.append(f"  ({start}): {reprs[start]}" if count == 1
                         else f"  ({start}-{i - 1}): {count} x {reprs[start]}")
            start = i
        return "ModuleList(\n" + "\n".join(lines) + "\n)"


class ModuleDict(_Container):
    """Modules by string key, in insertion order: ``md[key]``, ``in``, keys, values,
    items, update, pop, clear; iteration gives the keys."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._items[key]

    def __setitem__(self, key: str, module: Module) -> None:
        if not isinstance(key, str):
            raise TypeError(f"module name should be a string. Got {type(key).__name__}")
        if "." in key or key == "":
            raise KeyError(f"module name can't contain \".\" or be empty, got {key!r}")
        self._items[key] = _module(module)
        self._changed()

    def __delitem__(self, key: str) -> None:
        del self._items[key]
        self._changed()

    def __iter__(self):
        return iter(self._items)

    def __contains__(self, key) -> bool:
        return key in self._items

    def keys(self):
        return self._items.keys()

    def values(self):
        return self._items.values()

    def items(self):
        return self._items.items()

    def pop(self, key: str) -> Module:
        module = self._items.pop(key)
        self._changed()
        return module

    def clear(self) -> None:
        self._items.clear()
        self._changed()

    def update(self, modules) -> None:
        if hasattr(modules, "items"):
            pairs = modules.items()
        else:
            pairs = []
            for j, pair in enumerate(modules):
                if not hasattr(pair, "__len__"):
                    raise TypeError("ModuleDict update sequence element #" + str(j)
                                    + " should be Iterable; is" + type(pair).__name__)
                if len(pair) != 2:
                    raise ValueError(f"ModuleDict update sequence element #{j} has length "
                                     f"{len(pair)}; 2 is required")
                pairs.append(pair)
        for key, module in pairs:
            self[key] = module


class ParameterList(_Container):
    """Parameters in a list, named "0", "1", …; a Tensor put in becomes a Parameter
    (other values are kept as they are, unregistered), as PyTorch."""

    def __init__(self, values=None):
        super().__init__()
        if values is not None:
            self.extend(values)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(list(self._items.values())[idx])
        return self._items[self._index(idx)]

    def __setitem__(self, idx, value) -> None:
        if isinstance(value, Tensor) and not isinstance(value, Parameter):
            value = Parameter(value)
        self._items[self._index(idx)] = value
        self._changed()

    def __iter__(self):
        return iter(self._items.values())

    def __iadd__(self, values) -> ParameterList:
        return self.extend(values)

    def append(self, value) -> ParameterList:
        self._items[str(len(self._items))] = None
        self[len(self._items) - 1] = value
        return self

    def extend(self, values) -> ParameterList:
        if not hasattr(values, "__iter__") or isinstance(values, Tensor):
            raise TypeError("ParameterList.extend should be called with an iterable, but got "
                            + type(values).__name__)
        for v in values:
            self.append(v)
        return self

    def extra_repr(self) -> str:
        lines = []
        for name, v in self._items.items():
            if isinstance(v, Tensor):
                size = "x".join(str(s) for s in v.shape)
                kind = "Parameter containing" if isinstance(v, Parameter) else "Tensor"
                lines.append(f"  ({name}): {kind}: [{v.dtype} of size {size}]")
            else:
                lines.append(f"  ({name}): Object of type: {type(v).__name__}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        """As PyTorch's Module.__repr__ prints an extra_repr: one line inline, more
        lines indented."""
        lines = self.extra_repr().split("\n") if self._items else []
        if len(lines) <= 1:
            return f"ParameterList({''.join(lines)})"
        return "ParameterList(\n" + "\n".join("  " + line for line in lines) + "\n)"
