"""Grad mode: whether ops record a graph. ``no_grad``, ``enable_grad`` and
``set_grad_enabled`` behave as PyTorch's, as context managers and as decorators
(of plain functions, recursive ones and generators alike)."""

from __future__ import annotations

import functools
import inspect
import threading


class _GradMode(threading.local):
    enabled = True


grad_mode = _GradMode()


def is_grad_enabled() -> bool:
    return grad_mode.enabled


class _GradModeContext:
    """A context manager that remembers the mode to restore on a stack (so one
    instance can be entered again while it is active, as a recursive decorated
    function does) and, used as a decorator, enters a fresh copy on every call."""

    mode: bool

    def __enter__(self):
        self._saved = getattr(self, "_saved", [])
        self._saved.append(grad_mode.enabled)
        grad_mode.enabled = self.mode

    def __exit__(self, *exc):
        grad_mode.enabled = self._saved.pop()
        return False

    def clone(self):
        return type(self)()

    def __call__(self, fn):
        make = self.clone
        if inspect.isgeneratorfunction(fn):
            # the mode holds while the generator's own code runs, not while its
            # caller runs between two items (as torch's decorator does)
            @functools.wraps(fn)
            def generator(*args, **kwargs):
                gen = fn(*args, **kwargs)
                resume, value = gen.send, None
                while True:
                    try:
                        with make():
                            item = resume(value)
                    except StopIteration as stop:
                        return stop.value
                    try:
                        value, resume = (yield item), gen.send
                    except GeneratorExit:
                        gen.close()
                        raise
                    except BaseException as exc:  # thrown into us: throw it into fn
                        value, resume = exc, gen.throw

            return generator

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with make():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradModeContext):
    """Record nothing: results have ``requires_grad=False`` and ops save nothing."""

    mode = False


class enable_grad(_GradModeContext):
    """Record again inside a ``no_grad`` block."""

    mode = True


class set_grad_enabled(_GradModeContext):
    """``set_grad_enabled(False)`` switches recording off at once, as a plain call;
    as a context manager or decorator it restores the previous mode afterwards."""

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self._prev = grad_mode.enabled
        grad_mode.enabled = self.mode

    def __enter__(self):  # the mode was set when the object was made
        self._saved = getattr(self, "_saved", [])
        self._saved.append(self._prev)

    def clone(self):
        return type(self)(self.mode)

    def __call__(self, fn):
        grad_mode.enabled = self._prev  # decorating switches nothing on its own
        return super().__call__(fn)
