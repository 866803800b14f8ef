"""Where the compiled step may run a ReLU after the max-pool that reads it: the
ReLU's output is read by nothing else and the pool's windows do not overlap. Then
max(relu(x)) = relu(max(x)) on a quarter of the data (for 2×2), and the gradient,
g·1[y ≠ 0] routed to the window's first maximum, is the same number (codegen.py
writes the backward; `pool_then_relu` writes the forward)."""

from __future__ import annotations

from ..ops.conv import Conv2d
from ..ops.pool import AvgPool2d, MaxPool2d
from ..ops.unary import ReLU
from .writer import Writer, value_code

_SPATIAL = (Conv2d, MaxPool2d, AvgPool2d)  # they read channels-last memory faster


def relu_before_pool(events, out) -> dict:
    """{pool event index: ReLU event index} where a ReLU's output is read by nothing
    but the max-pool right after it, whose windows do not overlap (stride ≥ span)."""
    uses: dict[int, int] = {}

    def count(ref) -> None:
        if isinstance(ref, tuple) and len(ref) == 2 and ref[0] in ("slot", "cut"):
            uses[ref[1]] = uses.get(ref[1], 0) + 1
        elif isinstance(ref, tuple) and len(ref) == 2 and ref[0] in ("tuple", "list"):
            for item in ref[1]:
                count(item)
        elif isinstance(ref, tuple) and len(ref) == 2 and ref[0] == "dict":
            for item in ref[1].values():
                count(item)

    for event in events:
        if event[0] == "op":
            for ref in (*event[2], *event[3].values()):
                count(ref)
        elif event[0] == "backward":
            count(("slot", event[1]))
            count(event[2])
    count(out)
    pairs = {}
    for k, (relu, pool) in enumerate(zip(events, events[1:])):
        if relu[0] != "op" or relu[1] is not ReLU or pool[0] != "op" or pool[1] is not MaxPool2d:
            continue
        kw = {key: _plain(value) for key, value in pool[3].items()}
        if (relu[2][0][0] != "slot" or pool[2] != [("slot", relu[6])] or uses[relu[6]] != 1
                or set(kw) != {"kernel", "stride", "padding", "dilation"} or None in kw.values()):
            continue
        if all(s >= d * (k_ - 1) + 1 for k_, s, d in zip(kw["kernel"], kw["stride"],
                                                          kw["dilation"])):
            pairs[k + 1] = k
    return pairs


def _plain(value):
    """A keyword argument's value made of numbers and tuples, or None."""
    if value[0] == "value" and isinstance(value[1], int):
        return value[1]
    if value[0] == "tuple":
        items = tuple(_plain(v) for v in value[1])
        return None if None in items else items
    return None


def relu_line(pooled: str, name: str, events, slot: int) -> str:
    """The ReLU of the pooled array as code: in a new C-ordered array unless a spatial
    op reads its output ``slot``."""
    spatial = any(e[0] == "op" and e[1] in _SPATIAL and ("slot", slot) in e[2] for e in events)
    order = "" if spatial else f", out=np.empty({pooled}.shape, {pooled}.dtype)"
    return f"{name} = np.maximum({pooled}, ZERO[{pooled}.dtype]{order})"


def pool_then_relu(w: Writer, k, relu, pool, var, array, events):
    """The max-pool of the ReLU's input, then the ReLU; an op entry whose input is the
    ReLU's (the backward masks g by the pooled ReLU before routing it)."""
    _, _, refs, _, needs, shapes, _, _ = relu
    _, cls, _, kw, _, _, out, out_shape = pool
    x = array(refs[0])
    ctx, pooled, name = w.name("ctx"), w.name("m"), w.name("A")
    var[out] = name
    op = w.op(cls)
    kwargs = "".join(f", {key}={value_code(w, v, var)}" for key, v in kw.items())
    w.emit(f"{ctx} = new({op}); {ctx}.saved = (); {ctx}.needs_input_grad = {needs!r}")
    w.emit(f"{pooled} = {op}.forward({ctx}, {x}{kwargs})",
           f"max-pool of {x} before its ReLU: max(relu(x)) = relu(max(x))")
    w.emit(relu_line(pooled, name, events, out), f"{name} = max({pooled}, 0)")
    return (k, ("relu after pool", ctx), ("op", cls, refs, kw, needs, shapes, out, out_shape),
            [x])
