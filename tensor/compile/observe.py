"""What a recording call depends on beyond its ops, observed rather than guessed.

While the first call runs, a profile hook (``sys.setprofile``) sees every Python
frame that starts outside the engine and the standard library: the function, its
helpers, comprehensions, generator expressions, the wrapper of a decorator. For each
it notes the globals its code names, with their values as the frame starts, and a
``self`` that is a module. From the function itself (and every function, partial,
bound method or wrapper reachable from it) it walks the closure cells.

Everything reached that way is *watched* from the moment it is reached:
- a module (and all of its submodules): its attributes by identity;
- a tensor: its array, and a copy of the values in it;
- a plain container or object (a dict of settings, a config object): its items or
  attributes, two levels deep, by identity (numbers and strings by value).

What was watched gives both sides of the plan's safety:
- ``changed()``: what the call itself wrote that is not an op (a module attribute
  assigned, an array changed through ``.data`` or NumPy, a list appended to). A
  replay would not repeat it, so the recording refuses.
- the guards (``plan.py``): the same snapshots taken again before a replay.
"""

from __future__ import annotations

import functools
import os
import random
import sys
import sysconfig
import types

import numpy as np

from ..tensor import Tensor

# Frames from these folders are the engine's, Python's and installed packages' own:
# what they read does not change between calls of a training step (their globals
# are modules, classes and functions of the library). A package installed beside
# NumPy counts too (in a virtual environment, site-packages is not below stdlib).
_TENSOR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_NN = os.path.join(os.path.dirname(_TENSOR), "nn")
_LIBRARY = tuple(os.path.join(p, "") for p in (
    _TENSOR, _NN, os.path.dirname(os.path.dirname(np.__file__)),
    sysconfig.get_paths()["stdlib"]))
# modules whose functions give another value at every call
_UNREPEATABLE = {"random", "time", "secrets", "uuid"}
_SCALARS = (int, float, complex, str, bytes, bool, type(None))
_OPAQUE = (type, types.ModuleType, types.BuiltinFunctionType, np.ndarray, np.generic,
           *_SCALARS)
# a container longer than this is guarded by identity only (comparing it at every
# call would cost more than the step)
MAX_ITEMS = 64
# a tensor larger than this (a whole dataset) is watched by its array's identity only:
# copying it to see an in-place change would cost more than the recording
MAX_VALUES = 1 << 22


def _library(filename: str) -> bool:
    return filename.startswith(_LIBRARY) or "site-packages" in filename or (
        "dist-packages" in filename)


def is_module(obj) -> bool:
    """An ``nn.Module`` (the engine does not import ``nn``): what its guard reads."""
    t = type(obj)
    return hasattr(t, "named_modules") and hasattr(t, "version") and hasattr(t, "training")


def is_replayable(obj) -> bool:
    """An optimizer or scheduler: its state changes in calls a replay makes again."""
    return any(getattr(getattr(type(obj), n, None), "replayable", False)
               for n in ("step", "zero_grad"))


def same(a, b) -> bool:
    return a is b or (type(a) is type(b) and isinstance(a, _SCALARS) and a == b)


def shallow(obj):
    """The items or attributes of a plain container or object, or None for what is
    not one (or too big to compare at every call)."""
    if isinstance(obj, dict):
        items = list(obj.items())
    elif isinstance(obj, list):
        items = list(enumerate(obj))
    elif isinstance(obj, (set, frozenset)):
        items = [(v, v) for v in obj]
    elif (isinstance(obj, (_OPAQUE, Tensor, types.FunctionType, types.MethodType,
                           functools.partial)) or is_module(obj) or is_replayable(obj)
          or not hasattr(obj, "__dict__")):
        return None
    else:
        items = list(vars(obj).items())
    return items if len(items) <= MAX_ITEMS else None


def unchanged(items, obj) -> bool:
    now = shallow(obj)
    return (now is not None and len(now) == len(items)
            and all(same(k1, k2) and same(v1, v2) for (k1, v1), (k2, v2) in zip(items, now)))


def module_state(m) -> dict:
    """A module's attributes by identity, and its version (which counts changes to
    its submodules too); not ``training``: a plan is recorded per training flag, and
    a replay sets the flags the call left (``Plan.run``)."""
    state = {k: v for k, v in vars(m).items() if k != "training"}
    state["version"] = m.version
    return state


class Observer:
    """The frames, names, modules, tensors and objects one recording call reached."""

    def __init__(self):
        self.codes: dict = {}
        self.globals: dict = {}    # (id(namespace), name) → (namespace, name, value)
        self.cells: dict = {}      # id(cell) → (cell, value)
        self.modules: dict = {}    # id → module, with its attributes and mode at first sight
        self.module_states: dict = {}
        self.training: dict = {}
        self.objects: dict = {}    # id → (container or object, its items)
        self.tensors: dict = {}    # id → tensor, with its array and values
        self.arrays: dict = {}
        self.walked: dict = {}
        self.args: list = []  # the function's arguments, opened
        self.unrepeatable: list[str] = []  # calls of random generators and clocks

    # ----- the profile hook ------------------------------------------------------------
    def __enter__(self):
        self.previous = sys.getprofile()
        sys.setprofile(self._profile)
        return self

    def __exit__(self, *exc):
        sys.setprofile(self.previous)
        return False

    def _profile(self, frame, event, arg):
        if event == "c_call":
            name = frame.f_code.co_filename
            # the user's own code, and random.uniform() & co. (the engine's draws are
            # ops; other packages' clocks, a test runner's, are not the step's)
            if name == random.__file__ or not _library(name):
                self._c_call(arg)
            return
        if event != "call":
            return
        code = frame.f_code
        if _library(code.co_filename):
            return
        if code.co_argcount and code.co_varnames[0] == "self":
            self.reach(frame.f_locals.get("self"))  # each instance a method runs on
        if id(code) in self.codes:  # by identity: equal code may have other globals
            return
        self.codes[id(code)] = code
        namespace = frame.f_globals
        for name in code.co_names:
            if name in namespace:
                key = (id(namespace), name)
                if key not in self.globals:
                    value = namespace[name]
                    self.globals[key] = (namespace, name, value)
                    self.reach(value)

    def _c_call(self, fn) -> None:
        """A call of a random number generator or a clock outside the engine: its
        result would be baked into the plan (the engine's own draws, dropout's, are
        ops that a replay draws again)."""
        owner = getattr(fn, "__self__", None)
        name = owner.__name__ if isinstance(owner, types.ModuleType) else type(owner).__module__
        if name.split(".")[0] in _UNREPEATABLE or name.startswith("numpy.random"):
            self.unrepeatable.append(f"{name}.{getattr(fn, '__name__', '?')}()")

    # ----- what is reached -----------------------------------------------------------------
    def reach(self, obj, depth: int = 0) -> None:
        """Watch ``obj`` and what it holds: modules, tensors, closure cells, plain
        containers and objects (two levels)."""
        if isinstance(obj, _SCALARS) or id(obj) in self.walked:
            return
        self.walked[id(obj)] = obj  # kept: an id freed and reused would be skipped
        if isinstance(obj, Tensor):
            self.tensors[id(obj)] = obj
            values = obj.data.copy() if obj.data.size <= MAX_VALUES else None
            self.arrays[id(obj)] = (obj.data, values)
        elif is_module(obj):
            for m in obj.modules():
                if id(m) not in self.modules:
                    self.modules[id(m)] = m
                    self.module_states[id(m)] = module_state(m)
                    self.training[id(m)] = m.training
                    for v in vars(m).values():
                        if isinstance(v, Tensor):
                            self.reach(v)
            for p in obj.parameters():
                self.reach(p)
        elif isinstance(obj, functools.partial):
            for v in (obj.func, *obj.args, *obj.keywords.values()):
                self.reach(v, depth)
        elif isinstance(obj, types.MethodType):
            self.reach(obj.__func__, depth)
            self.reach(obj.__self__, depth)
        elif isinstance(obj, types.FunctionType):
            for cell in obj.__closure__ or ():
                try:
                    value = cell.cell_contents
                except ValueError:  # not bound yet
                    continue
                self.cells[id(cell)] = (cell, value)
                self.reach(value, depth)
            self.reach(getattr(obj, "__wrapped__", None), depth)
        elif hasattr(obj, "fn") and hasattr(obj, "plans"):  # a Compiled inside
            self.reach(obj.fn, depth)
        elif not is_replayable(obj) and depth < 2:
            items = shallow(obj)
            if items is not None:
                self.objects[id(obj)] = (obj, items)
                for _, v in items:
                    self.reach(v, depth + 1)

    def explains(self, value) -> bool:
        """Whether a returned number or string is one a replay may return as it is:
        an argument, a global or cell the guards watch, an item of a watched object,
        or a constant of the code that ran."""
        if any(v is value for v in self.args) or any(
                v is value for _, _, v in self.globals.values()) or any(
                v is value for _, v in self.cells.values()) or any(
                v is value for _, items in self.objects.values() for _, v in items):
            return True
        return any(type(c) is type(value) and c == value
                   for code in self.codes.values() for c in code.co_consts)

    # ----- what the call wrote -------------------------------------------------------------
    def refresh_tensors(self) -> None:
        """After a call a replay makes again (an optimizer's step): its writes are
        part of the plan."""
        self.arrays = {k: (t.data, t.data.copy() if t.data.size <= MAX_VALUES else None)
                       for k, t in self.tensors.items()}

    def changed(self) -> list[str]:
        """What the call wrote that a replay would not repeat, in words."""
        said = []
        for k, m in self.modules.items():
            before, now = self.module_states[k], module_state(m)
            names = sorted(n for n in before.keys() | now.keys()
                           if not (n in before and n in now and same(before[n], now[n])))
            said += [f"assigns {type(m).__name__}.{n}" if n != "version" else
                     f"changes the submodules of a {type(m).__name__}" for n in names]
        for k, t in self.tensors.items():
            array, values = self.arrays[k]
            if t.data is not array:
                said.append(f"replaces the .data of a tensor of shape {tuple(array.shape)}")
            elif values is not None and not np.array_equal(array, values, equal_nan=True):
                said.append(f"changes a tensor of shape {tuple(array.shape)} in place "
                            "(through .data or NumPy)")
        for obj, items in self.objects.values():
            if not unchanged(items, obj):
                said.append(f"changes a {type(obj).__name__} it reached "
                            f"({', '.join(repr(k) for k, _ in items[:3]) or 'empty'}…)")
        return said
