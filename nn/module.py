"""`Module` and `Parameter`: parameters and submodules are found by walking
attributes (and lists, tuples and dicts of them), giving PyTorch's dotted names."""

from __future__ import annotations

from collections import OrderedDict, namedtuple

import numpy as np

from tensor import Size, Tensor, dtypes, function
from tensor.compile.capture import replayable
from tensor.device import parse_to


class _IncompatibleKeys(namedtuple("_IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What load_state_dict returns; prints as PyTorch's when every key matched."""

    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


IncompatibleKeys = _IncompatibleKeys  # torch's class name has the underscore; so does repr


class Parameter(Tensor):
    """A leaf Tensor that a Module owns and an optimizer updates."""

    __slots__ = ()

    def __init__(self, data, requires_grad: bool = True):
        super().__init__()  # torch.Tensor()'s empty float tensor, then the data itself
        self.data = dtypes.as_array(data.data if isinstance(data, Tensor) else data)
        self.requires_grad_(requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class Module:
    """Base class of layers and models: subclasses set attributes in ``__init__``
    and define ``forward``."""

    training = True
    # tensor.compile's guard: bumped whenever an attribute is assigned to or deleted
    # from this module (a tensor, a submodule, a dropout's p: a plan that read the
    # old ones must record again), except ``training``, which the plan guards by
    # value so that train()/eval() switch between plans. Lists mutated in place are
    # not seen.
    version = 0

    def __setattr__(self, name: str, value) -> None:
        if name != "training":
            object.__setattr__(self, "version", self.version + 1)
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        object.__setattr__(self, "version", self.version + 1)
        object.__delattr__(self, name)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def __call__(self, *args, **kwargs):
        if function.recorder is not None:  # tensor.compile guards on its training flags
            function.recorder.module(self)
        # a ** call costs a dict merge; the usual model(x) has no keywords
        return self.forward(*args, **kwargs) if kwargs else self.forward(*args)

    # ----- walking the tree -------------------------------------------------------------
    def _members(self):
        """(name, Parameter or Module) pairs directly owned by this module."""
        for key, value in vars(self).items():
            if isinstance(value, (Parameter, Module)):
                yield key, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, (Parameter, Module)):
                        yield f"{key}.{i}", item
            elif isinstance(value, dict):
                for k, item in value.items():
                    if isinstance(item, (Parameter, Module)):
                        yield f"{key}.{k}", item

    def named_children(self):
        for name, m in self._members():
            if isinstance(m, Module):
                yield name, m

    def children(self):
        for _, m in self.named_children():
            yield m

    def named_modules(self, memo=None, prefix: str = "", remove_duplicate: bool = True):
        memo = set() if memo is None else memo
        if id(self) in memo and remove_duplicate:
            return
        memo.add(id(self))
        yield prefix, self
        for name, child in self.named_children():
            yield from child.named_modules(memo, f"{prefix}.{name}" if prefix else name,
                                           remove_duplicate)

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True):
        """Every parameter once (shared ones under their first name), as PyTorch;
        with ``remove_duplicate=False`` a shared one under each of its names."""
        seen = set()
        mods = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                if recurse else [(prefix, self)])
        for mod_prefix, mod in mods:
            for name, p in mod._members():
                if isinstance(p, Parameter) and (id(p) not in seen or not remove_duplicate):
                    seen.add(id(p))
                    yield (f"{mod_prefix}.{name}" if mod_prefix else name), p

    def parameters(self, recurse: bool = True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    # ----- buffers: tensors a module keeps that are state, not parameters ---------------
    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Keep ``tensor`` as attribute ``name``, listed by ``buffers()`` and (when
        persistent) saved in the state_dict after the parameters, as PyTorch."""
        if not isinstance(name, str):
            raise TypeError(f"buffer name should be a string. Got {type(name).__name__}")
        if "." in name or name == "":
            raise KeyError(f"buffer name can't contain \".\" or be empty, got {name!r}")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer "
                            f"'{name}' (torch Tensor or None required)")
        if "_buffer_names" not in self.__dict__:  # subclasses need not call __init__
            object.__setattr__(self, "_buffer_names", {})
        self._buffer_names[name] = persistent
        setattr(self, name, tensor)

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True):
        seen = set()
        mods = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                if recurse else [(prefix, self)])
        for mod_prefix, mod in mods:
            for name in mod.__dict__.get("_buffer_names", ()):
                b = mod.__dict__.get(name)
                if b is not None and (id(b) not in seen or not remove_duplicate):
                    seen.add(id(b))
                    yield (f"{mod_prefix}.{name}" if mod_prefix else name), b

    def buffers(self, recurse: bool = True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def _state(self):
        """(name, tensor) of every parameter and persistent buffer, module by module
        (each module's parameters, then its buffers), shared ones under each name."""
        for prefix, mod in self.named_modules(remove_duplicate=False):
            dot = prefix + "." if prefix else ""
            for name, p in mod._members():
                if isinstance(p, Parameter):
                    yield dot + name, p
            for name, persistent in mod.__dict__.get("_buffer_names", {}).items():
                b = mod.__dict__.get(name)
                if persistent and b is not None:
                    yield dot + name, b

    # ----- state ------------------------------------------------------------------------
    def state_dict(self) -> OrderedDict:
        """Name → Tensor sharing the parameter's data (detached), as PyTorch."""
        # every name of a shared (tied) parameter, as PyTorch: state dicts load across
        return OrderedDict((name, p.detach()) for name, p in self._state())

    def load_state_dict(self, state_dict, strict: bool = True) -> IncompatibleKeys:
        own = dict(self._state())
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        for name, p in own.items():
            if name not in state_dict:
                continue
            value = np.asarray(getattr(state_dict[name], "data", state_dict[name]))
            if value.shape != p.shape:
                errors.append(f"size mismatch for {name}: copying a param with shape "
                              f"{Size(value.shape)} from checkpoint, the shape in current model "
                              f"is {p.shape}.")
        if strict:
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in missing) + ".")
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in unexpected) + ".")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(errors))
        for name, p in own.items():
            if name in state_dict:
                p.data[...] = np.asarray(getattr(state_dict[name], "data", state_dict[name]))
        return IncompatibleKeys(missing, unexpected)

    # ----- modes and helpers ---------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        for m in self.modules():
            m.training = mode
        return self

    def eval(self) -> Module:
        return self.train(False)

    @replayable
    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.data.fill(0)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def apply(self, fn) -> Module:
        for m in list(self.children()):
            m.apply(fn)
        fn(self)
        return self

    def to(self, *args, dtype=None, device=None, non_blocking=False) -> Module:
        """``to(device)``, ``to(dtype)`` or both: the device must be the CPU; a dtype
        converts every floating parameter in place, keeping its identity."""
        _, dtype = parse_to(args, dtype, device)
        if dtype is None:
            return self
        dtype = dtypes.to_dtype(dtype, "Module.to")
        for p in (*self.parameters(), *self.buffers()):
            if p.data.dtype.kind != "f":
                continue
            p.data = p.data.astype(dtype)
            if p.grad is not None:
                p.grad.data = p.grad.data.astype(dtype)
        return self

    def double(self) -> Module:
        return self.to(np.float64)

    def float(self) -> Module:
        return self.to(np.float32)

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = []
        for name, child in self.named_children():
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n" + "\n".join(lines) + "\n)"
