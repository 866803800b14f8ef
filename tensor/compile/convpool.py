"""A plan's convolution → ReLU → max-pool, written as convolution → max-pool → bias →
ReLU: the bias and the ReLU (forward and backward) then run on the pooled quarter
of the data, and the convolution's output is never biased or rectified in full.

Both orders give the same values: adding a per-channel bias and the ReLU are
monotone, so max(ReLU(z + b)) = ReLU(max(z) + b), rounding included. The gradient
goes to the same element of each window too, except where two elements differ
before the bias is added and are equal after it (then eager picks the first).
It applies when the convolution's output feeds only the ReLU, and the ReLU's only
the pool, without padding.
"""

from __future__ import annotations

from ..ops.conv import Conv2d
from ..ops.pool import MaxPool2d
from ..ops.unary import ReLU


class Fused:
    """The names one fused chain's backward needs."""

    __slots__ = ("conv_ctx", "pool_ctx", "out", "conv_refs", "needs")

    def __init__(self, conv_ctx, pool_ctx, out, conv_refs, needs):
        self.conv_ctx, self.pool_ctx, self.out = conv_ctx, pool_ctx, out
        self.conv_refs, self.needs = conv_refs, needs


def _slots(value, found: list) -> list:
    """Every ("slot", n) inside a recorded value (tuples and lists of them)."""
    if isinstance(value, (tuple, list)):
        if (len(value) == 2 and isinstance(value[0], str) and value[0] in ("slot", "cut")
                and isinstance(value[1], int)):
            found.append(value[1])
        else:
            for v in value:
                _slots(v, found)
    elif isinstance(value, dict):
        for v in value.values():
            _slots(v, found)
    return found


def find(events, out) -> dict:
    """conv event index → (ReLU event index, pool event index) of each chain to fuse."""
    uses: dict[int, int] = {}
    for e in events:
        refs = (e[2], e[3]) if e[0] == "op" else e[1:3] if e[0] == "backward" else ()
        for slot in _slots(refs, []):
            uses[slot] = uses.get(slot, 0) + 1
    for slot in _slots(out, []):
        uses[slot] = uses.get(slot, 0) + 2  # returned: must exist
    ops = [(k, e) for k, e in enumerate(events) if e[0] == "op"]
    chains = {}
    for (k1, conv), (k2, relu), (k3, pool) in zip(ops, ops[1:], ops[2:]):
        if (conv[1] is Conv2d and relu[1] is ReLU and pool[1] is MaxPool2d
                and list(relu[2]) == [("slot", conv[6])] and list(pool[2]) == [("slot", relu[6])]
                and uses.get(conv[6]) == 1 and uses.get(relu[6]) == 1
                and _value(pool[3]["padding"]) == (0, 0)):
            chains[k1] = (k2, k3)
    return chains


def _value(recorded):
    kind, v = recorded
    return tuple(_value(x) for x in v) if kind == "tuple" else v


def forward(w, conv, pool, relu_out, var, array, value):
    """The fused forward: conv without its bias, pool, then + bias and the ReLU."""
    _, _, refs, kw, needs, _, _, _ = conv
    ins = [array(r) for r in refs]
    c_ctx, p_ctx, z, m = w.name("ctx"), w.name("ctx"), w.name("Z"), w.name("M")
    conv_op, pool_op = w.op(Conv2d), w.op(MaxPool2d)
    kwargs = "".join(f", {key}={value(w, v, var)}" for key, v in kw.items())
    w.emit(f"{c_ctx} = new({conv_op}); {c_ctx}.saved = (); "
           f"{c_ctx}.needs_input_grad = {needs[:2]!r}")
    w.emit(f"{z} = {conv_op}.forward({c_ctx}, {ins[0]}, {ins[1]}{kwargs})",
           f"{ins[0]} ⋆ {ins[1]}, its bias added after the pool")
    w.emit(f"{p_ctx} = new({pool_op}); {p_ctx}.saved = (); {p_ctx}.needs_input_grad = (True,)")
    pool_kw = "".join(f", {key}={value(w, v, var)}" for key, v in pool[3].items())
    w.emit(f"{m} = {pool_op}.forward({p_ctx}, {z}{pool_kw})",
           "max-pool first: max(ReLU(z + b)) = ReLU(max(z) + b)")
    if len(ins) == 3:
        w.emit(f"{m} += {ins[2]}[:, None, None]")
    a = var[pool[6]] = w.name("A")
    w.emit(f"{a} = np.maximum({m}, ZERO[{m}.dtype])", f"{a} = max({m}, 0)")
    return Fused(c_ctx, p_ctx, a, refs, needs)


def backward(w, fused: Fused, g: str, give) -> None:
    """ReLU's, the bias's, the pool's and the convolution's gradients, in that order."""
    gm, gz, gc = w.name("g"), w.name("g"), w.name("g")
    w.emit(f"{gm} = {g} * ({fused.out} != ZERO[{fused.out}.dtype])", "ReLU's gradient, pooled")
    if len(fused.conv_refs) == 3 and fused.needs[2]:
        give(fused.conv_refs[2], f"{gm}.sum(axis=(0, 2, 3))", None, None, False)
    w.emit(f"{gz} = {w.op(MaxPool2d)}.backward({fused.pool_ctx}, {gm})",
           "to each window's maximum")
    if fused.needs[0] or fused.needs[1]:
        w.emit(f"{gc} = {w.op(Conv2d)}.backward({fused.conv_ctx}, {gz})",
               "dW = gᵀ·cols, dx = the full convolution of g with W flipped")
        for i in (0, 1):
            if fused.needs[i]:
                give(fused.conv_refs[i], f"{gc}[{i}]", None, None, False)
