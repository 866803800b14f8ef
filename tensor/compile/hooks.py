"""The wrappers a recording installs (`Recorder.__enter__`) while the first call
runs, and only then: each notices one thing the function does that a replay could
not repeat, or that the plan needs (a value read, an in-place change, a tensor or
number made inside, a ``.grad`` touched by hand, the gradient a Linear receives).
The engine's own code has no trace of them; ``__exit__`` puts the originals back."""

from __future__ import annotations

import sys

from .bytecode import returned_at_once


class Hooks:
    """`Recorder`'s wrappers: each takes the original and returns its replacement,
    which reports to the recorder (``self``) and then does what the original does."""

    def _wrap(self, owner, name, replacement) -> None:
        self.patched.append((owner, name, owner.__dict__[name]))
        setattr(owner, name, replacement)

    def _value_read(self, name, original):
        def read(t, *args, **kwargs):
            if self.depth or self.reading:
                return original(t, *args, **kwargs)
            slot = self.slot_of.get(id(t.data))
            if (name in ("item", "__float__") and slot is not None
                    and t.data.dtype.kind in "fiub" and returned_at_once(sys._getframe(1))):
                self.reading += 1  # __float__ calls item()
                try:
                    value = float(original(t, *args, **kwargs))
                finally:
                    self.reading -= 1
                self.items[id(value)] = (slot, value)
                return value
            self.problem(f"Tensor.{name}() reads the tensor's values (or hooks into its "
                         "gradient); a replay would freeze them (return loss.item() is "
                         "replayed: its value goes straight into what is returned)")
            return original(t, *args, **kwargs)
        return read

    def _in_place(self, original):
        """Tensor._inplace (add_, mul_, x[i] = v, …): not recorded, so not replayed."""
        def inplace(t, op, *args, **kwargs):
            self.unrepeatable(f"{op}(), which changes a tensor in place,")
            return original(t, op, *args, **kwargs)
        return inplace

    def _made(self, original):
        def make(data, ctx):
            t = original(data, ctx)
            self.made.add(id(t))
            self.keep.append(t)
            return t
        return make

    def _grad_access(self, slot):
        """``.grad`` as a property that notices the function itself reading or
        assigning a trained leaf's gradient (zero_grad(), step() and backward() may):
        a replay repeats neither what it does with the values nor the assignment."""
        def mine(t) -> bool:
            return (not (self.depth or self.in_backward)
                    and getattr(t, "requires_grad", False) and t._ctx is None)

        def get_grad(t):
            if mine(t):
                self.problem("the function reads a parameter's .grad (to clip or log "
                             "it, say); a replay would not repeat what it does with it")
            return slot.__get__(t)

        def set_grad(t, value):
            if mine(t):
                self.problem("the function assigns a parameter's .grad itself (use "
                             "zero_grad()); a replay would not repeat it")
            slot.__set__(t, value)
        return property(get_grad, set_grad)

    def _upstream(self, original):
        """Linear's backward, noting the gradient each recorded Linear receives."""
        def backward(ctx, g):
            entry = self.linear.get(id(ctx))
            if entry is not None:
                self.upstream[entry[0]] = g
            return original(ctx, g)
        return backward

    def _made_init(self, original):
        def init(t, *args, **kwargs):
            original(t, *args, **kwargs)
            self.made.add(id(t))
            self.keep.append(t)
        return init

    def _scalar(self, original):
        def scalar_array(value, dtype, op):
            a = original(value, dtype, op)
            self.scalars.add(id(a))
            self.keep.append(a)
            return a
        return scalar_array
