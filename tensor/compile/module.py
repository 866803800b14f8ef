"""``tensor.compile(model)``: a module whose forward replays a captured forward, and
whose output backpropagates through one graph node running the backward code
written for it (as PyTorch's AOTAutograd: ``CompiledFunctionBackward``). The
optimizer and the rest of the loop stay eager; a compiled submodule works inside a
bigger model."""

from __future__ import annotations

from ..function import Function


class CompiledFunction(Function):
    """y = the captured forward of the arguments and leaves;  dx = its written-out
    backward, by tensor."""

    torch_name = "CompiledFunctionBackward"
    broadcasts = False

    @staticmethod
    def forward(ctx, *arrays, replay, leaves, inputs):
        out, ctx.run_backward = replay(leaves)
        ctx.tensors = inputs
        return out

    @staticmethod
    def backward(ctx, g):
        grads = ctx.run_backward(g)
        grads = tuple(grads.get(t) for t in ctx.tensors)
        return grads[0] if len(grads) == 1 else grads  # one input: a bare gradient


_CLASSES: dict = {}


def optimized_module(module, compiled):
    """An ``OptimizedModule`` around ``module``, as PyTorch's: the original is its
    child ``_orig_mod`` (hence the ``_orig_mod.`` prefix of its state_dict's keys);
    other attributes are read from it. Its class derives from the module's own base
    class, found on the module's type, because the engine does not import ``nn``."""
    base = next(c for c in type(module).__mro__ if "named_modules" in c.__dict__)
    cls = _CLASSES.get(base)
    if cls is None:
        cls = _CLASSES[base] = type("OptimizedModule", (base,), {
            "forward": lambda self, *a, **kw: self._compiled(*a, **kw),
            "__getattr__": _getattr,
            "__repr__": lambda self: "OptimizedModule(\n  (_orig_mod): "
                                     + repr(self._orig_mod).replace("\n", "\n  ") + "\n)",
        })
    wrapper = cls()
    wrapper._orig_mod = module
    object.__setattr__(wrapper, "_compiled", compiled)  # not a child: no parameters
    return wrapper


def _getattr(self, name: str):
    """Only reached when normal lookup fails: the original module's attribute."""
    if name in ("_orig_mod", "_compiled"):
        raise AttributeError(name)
    return getattr(self._orig_mod, name)
