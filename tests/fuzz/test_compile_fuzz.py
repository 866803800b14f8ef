"""A generative differential fuzzer for ``tensor.compile``: random training programs
(``compile_programs.py``) run twice from identical state, eagerly and with the step
compiled, compared after every call (returned values, every parameter and its
``.grad``, the gradient used as a tensor, each group's lr, the program's other state).

Each program is classed as one of CLASSES. CI fails on silent-wrong,
wrong-after-warning and compiled-only-crash; spurious-fallback (a program of only
capturable patterns that still ran eagerly with a warning) is reported, not failed.
CI runs programs 0 … CI_PROGRAMS-1 (about a minute); ``pytest --fuzz N`` runs N more.
A failing program prints as a script with ``python tests/compile_programs.py SEED``.

The bugs it found each have a small test in ``test_compile_causes.py``.
"""

from __future__ import annotations

import math
import os
import warnings
from collections import Counter

import numpy as np
from compile_programs import ALIASES, generate

import nn
import tensor

CLASSES = ("equal", "refused-and-equal", "silent-wrong", "wrong-after-warning",
           "compiled-only-crash", "spurious-fallback", "invalid")
FAILING = ("silent-wrong", "wrong-after-warning", "compiled-only-crash")
CI_PROGRAMS = 1600  # about 60 s: 3000 took 111 s on a quiet 2-core machine
# float32: the compiled plain-SGD update is fused into a GEMM and rounds once where
# eager rounds twice; over a dozen steps the difference stays near 1e-5
TOLERANCE = {"float64": (1e-8, 1e-12), "float32": (1e-4, 1e-5)}
GRAD_USES = {"grad * 2": lambda g: g * 2, "grad == grad": lambda g: g == g,
             "float(grad.sum())": lambda g: float(g.sum())}


class Raised:
    """An exception in place of a value: equal to another of the same type."""

    def __init__(self, exc: BaseException):
        self.kind, self.text = type(exc).__name__, f"{type(exc).__name__}: {exc}"[:160]

    def __eq__(self, other):
        return isinstance(other, Raised) and other.kind == self.kind

    def __repr__(self):
        return f"<raised {self.text}>"


def _norm(value):
    """A value as plain data: tensors as copied arrays, containers recursively."""
    if isinstance(value, tensor.Tensor):
        return np.array(value.data, copy=True)
    if isinstance(value, (tuple, list)):
        return tuple(_norm(v) for v in value)
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    return value


def _attempt(fn, *args):
    try:
        return _norm(fn(*args))
    except Exception as exc:  # the compiled run may crash where eager did not
        return Raised(exc)


def _same(a, b, rtol, atol) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return (a.shape == b.shape and a.dtype == b.dtype
                and np.allclose(a, b, rtol, atol, equal_nan=True))
    if isinstance(a, float):
        return math.isclose(a, b, rel_tol=rtol, abs_tol=atol) or (a != a and b != b)
    if isinstance(a, tuple):
        return len(a) == len(b) and all(_same(x, y, rtol, atol) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k], rtol, atol) for k in a)
    return a == b


def _plain(name: str) -> str:
    """A parameter's or module's name as if no submodule were compiled."""
    return name.replace("._orig_mod", "").replace("_orig_mod", "")


def observe(ns: dict, result, extras) -> dict:
    """What a call left behind: its result, every module's parameters, their .grad
    (its values and the gradient used as a user would), training flags, each
    optimizer group's lr, and the program's extra state."""
    seen = {"return": _norm(result)}
    for name, obj in sorted(ns.items()):
        if name in ALIASES:  # eagerly the model itself, compiled a wrapper: seen as `model`
            continue
        if isinstance(obj, nn.Module):
            # by name, a compiled submodule (torch.compile's wrapper) and its original as one
            seen[f"{name}.training"] = {_plain(k): m.training for k, m in obj.named_modules()}
            for pname, p in obj.named_parameters():
                key = f"{name}.{_plain(pname)}"
                seen[key] = np.array(p.data, copy=True)
                seen[key + ".grad"] = None if p.grad is None else _attempt(
                    lambda g: np.array(np.asarray(g.data)), p.grad)
                for use, fn in GRAD_USES.items() if p.grad is not None else ():
                    seen[f"{key}: {use}"] = _attempt(fn, p.grad)
        elif isinstance(obj, nn.optim.Optimizer):
            seen[f"{name}.lr"] = tuple(float(g["lr"]) for g in obj.param_groups)
    for expr in extras:
        seen[expr] = _attempt(eval, expr, ns)  # noqa: S307 (the program's own expression)
    return seen


def run(program, compiled: bool) -> list:
    """[(observation or Raised, compile warnings of that call)] per call, stopping at
    the first exception (one raised by the setup stands for the first call)."""
    ns = {"COMPILE": tensor.compile if compiled else (lambda f: f)}
    trace = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            exec(compile(program.source, f"<program {program.seed}>", "exec"), ns)  # noqa: S102
        except Exception as exc:
            setup = Raised(exc)
            setup.text = f"in the setup: {setup.text}"
            return [(setup, [])]
        for events, call in program.calls:
            start = len(caught)
            try:
                for line in events:
                    exec(line, ns)  # noqa: S102
                seen = observe(ns, eval(call, ns), program.extras)  # noqa: S307
            except Exception as exc:
                seen = Raised(exc)
            said = [str(w.message) for w in caught[start:]
                    if str(w.message).startswith("compile:")]
            trace.append((seen, said))
            if isinstance(seen, Raised):
                break
    return trace


def _short(value) -> str:
    text = repr(value).replace("\n", " ")
    return text if len(text) < 90 else text[:87] + "..."


def classify(program) -> tuple[str, str]:
    """(class, what differed first: the call, its expression, the quantities)."""
    eager = run(program, compiled=False)
    if isinstance(eager[-1][0], Raised) or len(eager) < len(program.calls):
        return "invalid", f"eager raised {eager[-1][0].text}"
    compiled = run(program, compiled=True)
    rtol, atol = TOLERANCE[program.dtype]
    warned = []
    for i, ((seen, _), (got, said)) in enumerate(zip(eager, compiled)):
        warned += said
        call = program.calls[i][1]
        if isinstance(got, Raised):
            return "compiled-only-crash", f"call {i} `{call}` raised {got.text}"
        differ, crashed = [], []
        for k in sorted(seen.keys() | got.keys()):
            a, b = seen.get(k), got.get(k)
            if isinstance(b, Raised) and not isinstance(a, Raised):
                crashed.append(k)  # using the gradient as a tensor, say
            elif not _same(a, b, rtol, atol):
                differ.append(k)
        if differ:  # a wrong value outweighs a crash at the same call
            what = "; ".join(f"{k}: eager {_short(seen.get(k))} compiled {_short(got.get(k))}"
                             for k in differ[:3])
            kind = "wrong-after-warning" if warned else "silent-wrong"
            return kind, f"call {i} `{call}` ({len(differ)} differ) {what}" + (
                f" [after: {warned[0][:100]}]" if warned else "")
        if crashed:
            return "compiled-only-crash", (f"call {i} `{call}`: {crashed[0]} raised "
                                           f"{got[crashed[0]].text}")
    if warned:
        kind = "spurious-fallback" if program.capturable else "refused-and-equal"
        return kind, warned[0][:160]
    return "equal", ""


def _fuzz_seeds(request) -> range:
    """Programs 0 … CI_PROGRAMS-1, and N more with ``--fuzz N``."""
    n = request.config.getoption("--fuzz") or int(os.environ.get("TINYGRAD_FUZZ", "0"))
    return range(CI_PROGRAMS + max(n, 0))


def test_compile_fuzz_programs(request):
    counts, failures, soft = Counter(), [], []
    for seed in _fuzz_seeds(request):
        program = generate(seed)
        kind, detail = classify(program)
        counts[kind] += 1
        line = f"  program {seed} [{program.title}]\n    {kind}: {detail}"
        if kind in FAILING:
            failures.append(line)
        elif kind == "spurious-fallback":
            soft.append(line)
    summary = "compile fuzzer: " + ", ".join(f"{k} {counts[k]}" for k in CLASSES)
    print(summary, *soft, sep="\n")
    if soft:  # reported through pytest's warnings summary, with or without -s
        warnings.warn(f"{summary}; spurious fallbacks:\n" + "\n".join(soft), UserWarning,
                      stacklevel=1)
    assert not failures, (f"{summary}\n{len(failures)} failing programs (print one with "
                          "`python tests/compile_programs.py SEED`):\n" + "\n".join(failures))
