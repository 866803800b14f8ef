"""``torch.autograd.profiler``: ``profile`` times every op while it is on, and
``record_function`` labels a block of code::

    with torch.autograd.profiler.profile() as prof:
        loss = model(x).sum()
        loss.backward()
    print(prof.key_averages().table(sort_by="self_cpu_time_total"))

Forward ops are timed by ``Function.apply`` (one hook, checked once per op when off),
backward nodes by the general backward pass (``backprop.py``), which ``backward()``
uses while a profile is on. Times are wall-clock on the CPU, in microseconds.
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from time import perf_counter

from .. import function


class FunctionEvent:
    """One timed call: its name, start and end (µs) and the time spent in calls
    nested inside it."""

    def __init__(self, name: str, start: float, end: float = 0.0):
        self.name, self.key = name, name
        self.start_us, self.end_us = start, end
        self.children_us = 0.0

    @property
    def cpu_time_total(self) -> float:
        return self.end_us - self.start_us

    @property
    def self_cpu_time_total(self) -> float:
        return self.cpu_time_total - self.children_us

    def __repr__(self) -> str:
        return (f"<FunctionEvent name={self.name} cpu_time_total={self.cpu_time_total:.3f}us "
                f"self_cpu_time_total={self.self_cpu_time_total:.3f}us>")


class FunctionEventAvg:
    """The events of one name together: how many, and their times."""

    def __init__(self, key: str):
        self.key = key
        self.count = 0
        self.cpu_time_total = 0.0
        self.self_cpu_time_total = 0.0

    def add(self, event: FunctionEvent) -> None:
        self.count += 1
        self.cpu_time_total += event.cpu_time_total
        self.self_cpu_time_total += event.self_cpu_time_total

    @property
    def cpu_time(self) -> float:
        return self.cpu_time_total / max(self.count, 1)

    @property
    def self_cpu_time(self) -> float:
        return self.self_cpu_time_total / max(self.count, 1)

    def __repr__(self) -> str:
        return (f"<FunctionEventAvg key={self.key} self_cpu_time={self.self_cpu_time:.3f}us "
                f"cpu_time={self.cpu_time:.3f}us count={self.count}>")


_SORT_KEYS = {"cpu_time_total", "self_cpu_time_total", "cpu_time", "self_cpu_time", "count"}


class EventList(list):
    """Events, with PyTorch's ``key_averages`` and ``table``."""

    def key_averages(self, group_by_input_shape: bool = False) -> EventList:
        groups = defaultdict(lambda: None)
        for e in self:
            if groups[e.key] is None:
                groups[e.key] = FunctionEventAvg(e.key)
            groups[e.key].add(e)
        return EventList(groups.values())

    @property
    def self_cpu_time_total(self) -> float:
        return sum(e.self_cpu_time_total for e in self)

    def table(self, sort_by: str | None = None, row_limit: int = 100,
              max_name_column_width: int = 55, header: str | None = None,
              top_level_events_only: bool = False) -> str:
        """PyTorch's table: name, self and total CPU time (and their shares), the
        average, the number of calls."""
        rows = list(self)
        if sort_by is not None:
            key = sort_by.replace("cuda", "cpu").replace("device", "cpu")
            if key not in _SORT_KEYS:
                raise AttributeError(f"table: sort_by must be one of {sorted(_SORT_KEYS)}, "
                                     f"got {sort_by!r}")
            rows.sort(key=lambda e: getattr(e, key), reverse=True)
        if row_limit is not None and row_limit > 0:
            rows = rows[:row_limit]
        total = self.self_cpu_time_total or 1.0
        width = min(max([len(e.key) for e in rows] + [4]) + 2, max_name_column_width)
        heads = ["Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg",
                 "# of Calls"]
        line = "-" * width + "  " + "  ".join("-" * 12 for _ in heads)
        out = [header] if header else []
        out += [line, f"{'Name':>{width}}  " + "  ".join(f"{h:>12}" for h in heads), line]
        for e in rows:
            count = getattr(e, "count", 1)
            out.append(f"{e.key[:width]:>{width}}  {100 * e.self_cpu_time_total / total:>11.2f}%"
                       f"  {_us(e.self_cpu_time_total):>12}"
                       f"  {100 * e.cpu_time_total / total:>11.2f}%"
                       f"  {_us(e.cpu_time_total):>12}"
                       f"  {_us(e.cpu_time_total / max(count, 1)):>12}  {count:>12}")
        out += [line, f"Self CPU time total: {_us(self.self_cpu_time_total)}", ""]
        return "\n".join(out)

    def __str__(self) -> str:
        return self.table()


def _us(t: float) -> str:
    return f"{t / 1000:.3f}ms" if t >= 1000 else f"{t:.3f}us"


class profile:  # noqa: N801  (PyTorch's name)
    """Record every op run inside ``with profile() as prof:``."""

    def __init__(self, enabled: bool = True, *, use_cuda: bool = False, use_device=None,
                 record_shapes: bool = False, with_flops: bool = False,
                 profile_memory: bool = False, with_stack: bool = False,
                 with_modules: bool = False, use_kineto: bool = False, use_cpu: bool = True,
                 experimental_config=None, acc_events: bool = False,
                 custom_trace_id_callback=None):
        if use_cuda or use_device not in (None, "cpu"):
            raise RuntimeError("profile: only the CPU is supported (use_cuda=False)")
        self.enabled = enabled
        self.function_events = EventList()
        self._stack = []
        self._prev = None

    def __enter__(self):
        if self.enabled:
            self._prev = function.profiler
            function.profiler = self
        return self

    def __exit__(self, *exc):
        if self.enabled:
            function.profiler = self._prev
        return False

    # ----- the hooks --------------------------------------------------------------------
    def begin(self, name: str) -> None:
        self._stack.append(FunctionEvent(name, perf_counter() * 1e6))

    def end(self) -> None:
        event = self._stack.pop()
        event.end_us = perf_counter() * 1e6
        if self._stack:
            self._stack[-1].children_us += event.cpu_time_total
        self.function_events.append(event)

    def apply(self, cls, inputs, kwargs):
        """Run one op (``Function.apply``, called from its hook) and time it."""
        self.begin(f"aten::{cls.name()}")
        function.profiler = None  # the op's own apply, not this one again
        try:
            return cls.apply(*inputs, **kwargs)
        finally:
            function.profiler = self
            self.end()

    # ----- the results ------------------------------------------------------------------
    def events(self) -> EventList:
        return self.function_events

    def key_averages(self, group_by_input_shape: bool = False, group_by_stack_n: int = 0):
        return self.function_events.key_averages()

    def table(self, *args, **kwargs) -> str:
        return self.function_events.table(*args, **kwargs)

    @property
    def self_cpu_time_total(self) -> float:
        return self.function_events.self_cpu_time_total

    def export_chrome_trace(self, path: str) -> None:
        """The events as a Chrome trace (chrome://tracing, Perfetto)."""
        trace = [{"name": e.name, "ph": "X", "ts": e.start_us, "dur": e.cpu_time_total,
                  "pid": 0, "tid": 0, "cat": "cpu_op"} for e in self.function_events]
        with open(path, "w") as f:
            json.dump({"traceEvents": trace}, f)

    def __str__(self) -> str:
        return self.table()


class record_function:  # noqa: N801  (PyTorch's name)
    """Label a block (``with record_function("name"):``) or a function (as a
    decorator) in the profile that is on, if any."""

    def __init__(self, name: str, args: str | None = None):
        self.name = name
        self._profile = None

    def __enter__(self):
        self._profile = function.profiler
        if self._profile is not None:
            self._profile.begin(self.name)
        return self

    def __exit__(self, *exc):
        if self._profile is not None:
            self._profile.end()
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            with record_function(self.name):
                return fn(*args, **kwargs)

        return wrapped
