"""What a function's bytecode says, for the two things a recording cannot see by
running it: whether a value read from a tensor (``loss.item()``) only goes into
what the function returns, and which number arguments the function never reads."""

from __future__ import annotations

import dis
import functools
import types

from .. import function
from .key import flatten

# How many stack items an instruction takes: enough to follow one value from where it
# is made to the function's return. The value may be loaded past, or put into the
# tuple, list or dict returned; an instruction that takes it otherwise (arithmetic, a
# comparison, a call, formatting, a store) uses it in a way a replay would not repeat.
_TAKES = {"CALL": None, "PRECALL": lambda n: n, "LOAD_METHOD": 1, "LOAD_ATTR": 1, "BINARY_OP": 2,
          "COMPARE_OP": 2, "IS_OP": 2, "CONTAINS_OP": 2, "BINARY_SUBSCR": 2,
          "UNARY_NEGATIVE": 1, "UNARY_NOT": 1, "UNARY_INVERT": 1, "UNARY_POSITIVE": 1,
          "FORMAT_VALUE": lambda n: 1 + bool(n & 4), "BUILD_STRING": lambda n: n,
          "BUILD_TUPLE": lambda n: n, "BUILD_LIST": lambda n: n, "BUILD_MAP": lambda n: 2 * n,
          "BUILD_CONST_KEY_MAP": lambda n: n + 1, **dict.fromkeys(
              ("LOAD_FAST", "LOAD_FAST_CHECK", "LOAD_FAST_LOAD_FAST", "LOAD_CONST",
               "LOAD_DEREF", "LOAD_GLOBAL", "LOAD_NAME", "PUSH_NULL", "KW_NAMES",
               "CACHE", "NOP"), 0)}
_CONTAINERS = {"BUILD_TUPLE", "BUILD_LIST", "BUILD_MAP", "BUILD_CONST_KEY_MAP"}


def returned_at_once(frame) -> bool:
    """Whether the value being computed in ``frame`` (the compiled function's own)
    goes straight into its return value, alone or inside the container returned."""
    if frame.f_back is None or frame.f_back.f_code is not function.recorder.entry:
        return False
    above = 0  # stack items above the value
    for ins in _instructions(frame.f_code):
        if ins.offset <= frame.f_lasti:
            continue
        if ins.opname == "RETURN_VALUE":
            return above == 0
        if ins.opname not in _TAKES:  # a jump, a store, …: not a straight line to return
            return False
        effect = dis.stack_effect(ins.opcode, ins.arg, jump=False)
        takes = _TAKES[ins.opname]
        # a call pushes its result: it takes what it does not give back (the callable,
        # and on 3.12+ the arguments; 3.11's PRECALL takes them)
        takes = 1 - effect if takes is None else takes(ins.arg) if callable(takes) else takes
        pushes = takes + effect
        if takes > above:  # the value is taken
            if ins.opname not in _CONTAINERS:
                return False
            above = pushes - 1  # the container holds it now
        else:
            above += pushes - takes
    return False


@functools.lru_cache(maxsize=256)
def _instructions(code) -> tuple:
    return tuple(dis.get_instructions(code))


# Loading a variable by name, or reaching the frame's variables some other way
_LOADS = {"LOAD_FAST", "LOAD_FAST_CHECK", "LOAD_FAST_AND_CLEAR", "LOAD_FAST_LOAD_FAST",
          "LOAD_DEREF", "LOAD_CLOSURE", "DELETE_FAST", "LOAD_NAME"}
_INTROSPECTION = {"locals", "vars", "_getframe", "currentframe", "eval", "exec"}


def unread_numbers(fn, args, kwargs) -> set:
    """The leaf indices of the int and float arguments the function's code never
    reads (an epoch passed for logging elsewhere): by the bytecode, so for certain.
    A number inside a container, or passed through ``*args``, counts as read."""
    func = getattr(fn, "__func__", fn)
    if not isinstance(func, types.FunctionType):
        return set()
    code = func.__code__
    if _INTROSPECTION & set(code.co_names):
        return set()
    named = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]
    positional = code.co_varnames[:code.co_argcount][1 if func is not fn else 0:]
    read = {ins.argval for ins in dis.get_instructions(code) if ins.opname in _LOADS}
    read = {n for names in read for n in (names if isinstance(names, tuple) else (names,))}
    read |= set(code.co_cellvars)
    unread, index = set(), 0
    passed = [(positional[i] if i < len(positional) else None, a) for i, a in enumerate(args)]
    for name, value in [*passed, *kwargs.items()]:  # the order flatten gives the leaves
        leaves: list = []
        flatten(value, leaves, [])
        if type(value) in (int, float) and name in named and name not in read:
            unread.add(index)
        index += len(leaves)
    return unread
