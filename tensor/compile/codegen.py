"""A plan as Python source: the straight-line NumPy code of one recorded step, with
the tensors named, compiled once with ``exec`` and run at every replay. It is also
what ``step.source`` shows a learner: the code autograd wrote.

`Linear`, `ReLU` and `CrossEntropy` (mean or sum over a batch, without weight or
label smoothing; a batch with a target to ignore runs the op) are written out as
NumPy expressions (the exact expressions their ops compute, so a replay equals
eager bit for bit); every other op is a call of its own forward and backward. A
Linear whose plain-SGD update goes into its GEMM (``fuse.py``) gets that update
under ``if fused:``, with the ordinary gradient code as its ``else``. A ReLU whose
only reader is a max-pool of windows that do not overlap runs after the pool, on its
output (``relu_pool.py`` says where, and why the numbers are the same).
"""

from __future__ import annotations

from ..ops.linalg import Linear
from ..ops.nn import CrossEntropy
from ..ops.unary import ReLU
from .relu_pool import pool_then_relu, relu_before_pool
from .writer import Writer, doc_math, value_code


def generate(events, arg_slots, arg_names, out, fused, param_names: dict, aot: bool = False):
    """(source, namespace) of ``def replay(args)`` for these events; ``fused``: the
    `fuse.FusedStep` the recording made, or None. With ``aot`` (a forward that
    returns one tensor that requires grad, as a compiled module's), ``replay``
    returns that array and ``backward(GOUT)``: the gradient code from it, which
    returns the gradients of the leaves and arguments by tensor."""
    w = Writer()
    var: dict[int, str] = {}  # slot → variable name
    for slot, name in zip(arg_slots, arg_names):
        var[slot] = name
    w.emit("leaves = {}")
    for i, name in enumerate(arg_names):
        w.emit(f"{name} = args[{i}].data if hasattr(args[{i}], '_ctx') else args[{i}]")
    params: dict[int, str] = {}  # id(tensor) → name of its array in the code
    loads: list[str] = []  # the lines that read each parameter's array, in first-use order

    def array(ref) -> str:
        kind, value = ref
        if kind in ("slot", "cut"):
            return var[value]
        if kind == "param":
            if id(value) not in params:
                params[id(value)] = param_names.get(id(value)) or w.name("p")
                w.env[f"P_{params[id(value)]}"] = value
                loads.append(f"    {params[id(value)]} = P_{params[id(value)]}.data")
            return params[id(value)]
        return f"{w.ref(value, 'K')}.data"

    ops = []  # (event index, ctx name or None, event)
    pools = relu_before_pool(events, out)  # pool event index → its ReLU's event index
    for k, event in enumerate(events):
        kind = event[0]
        if kind == "call":
            _, method, args, kwargs, result = event
            call = w.ref(lambda m=method, a=args, kw=kwargs: m(*a, **kw), "C")
            if result is not None:  # a tensor the call returns (a gradient norm)
                var[result] = w.name("r")
                w.emit(f"{var[result]} = {call}().data", f"{method.__qualname__}()")
                continue
            if fused is not None and k == fused.call and fused.covers_step:
                w.emit(f"if not fused: {call}()",
                       f"{method.__qualname__}(), done inside the GEMMs when fused")
            elif fused is not None and k == fused.call:
                w.emit(f"{w.ref(fused, 'S')}.step({call}) if fused else {call}()",
                       f"{method.__qualname__}(), of the parameters not done in the GEMMs")
            else:
                w.emit(f"{call}()", f"{method.__qualname__}()")
        elif kind == "op" and k in pools:
            ops.append(pool_then_relu(w, k, events[pools[k]], event, var, array, events))
        elif kind == "op" and k + 1 not in pools:  # (a ReLU done after its pool)
            ops.append(_forward(w, k, event, var, array))
        elif kind == "backward":
            _backward(w, event, ops, var, array, fused, arg_slots, arg_names)
    if aot:
        start = len(w.lines)
        _backward(w, ("backward", out[1], ("name", "GOUT")), ops, var, array, None, arg_slots,
                  arg_names, aot=True)
        body = w.lines[start:]
        w.lines[start:] = ["    def backward(GOUT):", "        leaves = {}",
                           *("    " + line for line in body)]
        w.emit(f"return {var[out[1]]}, backward")
    else:
        w.emit(f"return {_output(w, out, var)}")
    lines = w.lines[:1] + loads + w.lines[1:]  # the parameters read after `leaves = {}`
    source = "def replay(args):\n" + "\n".join(lines) + "\n"
    return source, w.env


def _forward(w: Writer, k, event, var, array):
    _, cls, refs, kw, needs, shapes, out, _ = event
    ins = [array(r) for r in refs]
    if cls is Linear and not kw and len(shapes[0]) == 2:  # x·Wᵀ as a (batch, in) matrix
        name = var[out] = w.name("Z")
        bias = f" + {ins[2]}" if len(ins) == 3 else ""
        w.emit(f"{name} = {ins[0]} @ {ins[1]}.T", f"{name} = {ins[0]}·{ins[1]}ᵀ{bias}")
        if len(ins) == 3:
            w.emit(f"{name} += {ins[2]}")
        return (k, None, event, ins)
    if cls is ReLU:
        name = var[out] = w.name("A")
        w.emit(f"{name} = np.maximum({ins[0]}, ZERO[{ins[0]}.dtype])", f"{name} = max({ins[0]}, 0)")
        return (k, None, event, ins)
    if (cls is CrossEntropy and kw["reduction"][1] in ("mean", "sum") and len(shapes[0]) == 2
            and shapes[0][0] > 0 and len(kw) == 2):  # no weight, ignore_index, smoothing
        return (k, _cross_entropy(w, ins[0], value_code(w, kw["target"], var), shapes[0][0],
                                  kw["reduction"][1], var, out, needs), event, ins)
    ctx = w.name("ctx")
    name = var[out] = w.name("loss" if cls is CrossEntropy else "t")
    op = w.op(cls)
    kwargs = "".join(f", {key}={value_code(w, v, var)}" for key, v in kw.items())
    w.emit(f"{ctx} = new({op}); {ctx}.saved = (); {ctx}.needs_input_grad = {needs!r}")
    w.emit(f"{name} = {op}.forward({', '.join([ctx, *ins])}{kwargs})",
           doc_math(cls).split(";")[0].strip())
    return (k, ctx, event, ins)


def _cross_entropy(w: Writer, x: str, target: str, n: int, reduction: str, var, out, needs):
    """CrossEntropy's forward written out (its exact expressions); the names its
    backward needs. A batch with a target to ignore (-100, the default ignore_index)
    runs the op itself instead, as eager does."""
    i = w.name("E")[1:]
    shifted, e, total, at, op_ctx = f"shifted{i}", f"E{i}", f"sumE{i}", f"at{i}", f"ctxE{i}"
    loss = var[out] = w.name("loss")
    w.lines.append(f"    # cross-entropy: the {reduction} over the batch of log Σⱼ exp({x}ₙⱼ) − "
                   f"{x}ₙ[{target}ₙ], each row's max taken out first")
    w.emit(f"{shifted} = {x} - {x}.max(axis=1, keepdims=True)")
    w.emit(f"{e} = np.exp({shifted})")
    w.emit(f"{total} = {e}.sum(axis=1, keepdims=True)")
    w.emit("try:")
    w.emit(f"    {at} = target_positions({target}, {x}.shape)", f"where {x}[n, {target}ₙ] is")
    w.emit("except IndexError:", "a target to ignore (or out of range): the op, as eager")
    w.emit(f"    {at} = None")
    w.emit(f"if {at} is None:")
    op = w.op(CrossEntropy)
    w.emit(f"    {op_ctx} = new({op}); {op_ctx}.saved = (); {op_ctx}.needs_input_grad = "
           f"{needs!r}")
    w.emit(f"    {loss} = {op}.forward({op_ctx}, {x}, target={target}, reduction={reduction!r})")
    w.emit("else:")
    value = f"np.log({total}).sum() - {shifted}.take({at}).sum()"
    w.emit(f"    {loss} = np.asarray({f'({value}) / {n}' if reduction == 'mean' else value}, "
           f"{x}.dtype)")
    return ("cross_entropy", e, total, at, n if reduction == "mean" else None, target, op_ctx)


def _cross_entropy_backward(w: Writer, ctx: tuple, x: str, g: str, dx: str) -> None:
    """dx = (softmax(x) − one_hot(target))·g (/ N), CrossEntropy.backward's
    expressions; ``g`` is "1.0" for the loss backward() started from."""
    _, e, total, at, n, target, op_ctx = ctx
    w.emit(f"if {at} is None:", "the op ran: its own backward")
    w.emit(f"    {dx} = {w.op(CrossEntropy)}.backward({op_ctx}, np.asarray({g}, {x}.dtype))")
    w.emit("else:")
    _indented(w, _written_out_backward, w, ctx, x, g, dx)


def _written_out_backward(w: Writer, ctx: tuple, x: str, g: str, dx: str) -> None:
    _, e, total, at, n, target, _ = ctx
    times = f"·{g}" if g != "1.0" else ""
    w.lines.append(f"    # d{x} = (softmax({x}) − one_hot({target})){times}"
                   + (" / m: the notebook's dZ3 = (A3 − Y)/m" if n else ""))
    w.emit(f"{dx} = {e} / {total}", f"softmax({x})")
    w.emit(f"{dx}.put({at}, {dx}.take({at}) - ONE[{dx}.dtype])")
    if g != "1.0" or n:  # eager multiplies by float(g) / N; by 1.0 it is the identity
        w.emit(f"{dx} *= {g if g == '1.0' else f'float({g})'}" + (f" / {n}" if n else ""))


def _backward(w: Writer, event, ops, var, array, fused, arg_slots, arg_names, aot=False):
    _, root, grad = event
    grads: dict[int, str] = {}  # slot → its gradient's variable
    given: set[str] = set()  # parameters with a gradient so far

    def give(ref, g: str, shape_in, shape_out, broadcasts: bool) -> None:
        kind, target = ref
        if kind in ("const", "cut"):  # a cut (x.detach()): no gradient flows back
            return
        if broadcasts and shape_in != shape_out:
            g = f"unbroadcast({g}, {shape_in!r})"
        if kind == "param":
            key = f"P_{array(ref)}"
            if key in given:
                w.emit(f"leaves[{key}] = leaves[{key}] + {g}", f"d{array(ref)}")
            else:
                given.add(key)
                w.emit(f"leaves[{key}] = {g}", f"d{array(ref)}")
        elif target in grads:
            w.emit(f"{grads[target]} = {grads[target]} + {g}")
        else:
            grads[target] = f"d{var[target]}"
            w.emit(f"{grads[target]} = {g}")

    g0 = grads[root] = f"d{var[root]}"
    written_out = any(e[6] == root and isinstance(ctx, tuple) and ctx[0] == "cross_entropy"
                      for _, ctx, e, _ in ops)
    if grad is None and written_out:  # a loss written out takes its gradient as 1
        grads[root] = "1.0"
        w.lines.append(f"    # backward() from {var[root]}: d{var[root]} = 1")
    elif grad is None:
        w.emit(f"{g0} = np.ones({var[root]}.shape, {var[root]}.dtype)", "backward()")
    else:
        w.emit(f"{g0} = np.array({value_code(w, grad, var)}, dtype={var[root]}.dtype)")
    if fused is not None:
        w.emit(f"fused = {w.ref(fused, 'S')}.ready()",
               "plain SGD, no gradient from before: the updates go into the GEMMs")
    for k, ctx, (_, cls, refs, kw, needs, shapes, out, out_shape), ins in reversed(ops):
        if out not in grads:
            continue
        g = grads[out]
        if cls is Linear and ctx is None:
            if needs[0]:
                give(refs[0], f"{g} @ {ins[1]}", None, None, False)
            if fused is not None and k in fused.layers:
                bias = f", {ins[2]} -= lr·Σ {g}" if len(ins) == 3 else ""
                w.emit("if fused:", f"{ins[1]} -= lr·{g}ᵀ·{ins[0]} inside one GEMM{bias}")
                w.emit(f"    {w.ref(fused.layers[k], 'F')}.update({ins[0]}, {g})")
                w.emit("else:")
                _indented(w, _linear_grads, give, refs, needs, ins, g)
            else:
                _linear_grads(give, refs, needs, ins, g)
        elif isinstance(ctx, tuple) and ctx[0] == "relu after pool":
            masked = w.name("g")
            w.emit(f"{masked} = {g} * ({var[out]} != ZERO[{var[out]}.dtype])",
                   f"the ReLU's gradient, on the pooled {var[out]}")
            if needs[0]:
                w.lines.append(f"    # {doc_math(cls).split(';')[-1].strip()}")
                give(refs[0], f"{w.op(cls)}.backward({ctx[1]}, {masked})", None, None, False)
        elif isinstance(ctx, tuple):  # cross-entropy, written out
            if needs[0]:
                fresh = refs[0][0] == "slot" and refs[0][1] not in grads
                dx = f"d{var[refs[0][1]]}" if fresh else w.name("g")
                _cross_entropy_backward(w, ctx, ins[0], g, dx)
                if fresh:
                    grads[refs[0][1]] = dx
                else:
                    give(refs[0], dx, None, None, False)
        elif cls is ReLU and ctx is None:
            give(refs[0], f"{g} * ({var[out]} != ZERO[{var[out]}.dtype])", None, None, False)
        else:
            op = w.op(cls)
            back = f"{op}.backward({ctx}, {g})"
            comment = doc_math(cls).split(";")[-1].strip()
            if (cls.__name__ == "CrossEntropy" and kw.get("target", ("",))[0] == "slot"
                    and len(kw) == 2):  # the plain loss (no weight, smoothing, …)
                target = var[kw["target"][1]]
                comment = (f"(softmax({ins[0]}) − one_hot({target}))·{g} / m: the notebook's "
                           "dZ3 = (A3 − Y)/m")
            if len(refs) == 1:  # one input: its gradient straight into its name
                w.lines.append(f"    # {comment}")
                give(refs[0], back, shapes[0], out_shape, cls.broadcasts)
                continue
            gin = w.name("g")
            w.emit(f"{gin} = {back}", comment)
            for i, (ref, need) in enumerate(zip(refs, needs)):
                if need:
                    give(ref, f"{gin}[{i}]", shapes[i], out_shape, cls.broadcasts)
    for i, slot in enumerate(arg_slots):
        if slot in grads:
            w.emit(f"if getattr(args[{i}], 'requires_grad', False): "
                   f"leaves[args[{i}]] = {grads[slot]}")
    if aot:  # the engine accumulates them, through the node's inputs
        w.emit("return leaves")
        return
    w.emit("if leaves: accumulate_leaves(leaves)")
    w.emit("leaves = {}")


def _linear_grads(give, refs, needs, ins, g):
    if needs[1]:
        give(refs[1], f"({ins[0]}.T @ {g}).T", None, None, False)
    if len(refs) == 3 and needs[2]:
        give(refs[2], f"{g}.sum(axis=0)", None, None, False)


def _indented(w: Writer, write, *args) -> None:
    """What ``write(*args)`` emits, one level deeper: the body of the ``if`` above."""
    start = len(w.lines)
    write(*args)
    w.lines[start:] = ["    " + line for line in w.lines[start:]] or ["        pass"]


def _output(w: Writer, out, var) -> str:
    kind, v = out
    if kind == "slot":
        return f"make({var[v]}, None)"
    if kind == "item":
        return f"float({var[v]}.item())"
    if kind in ("tuple", "list"):
        items = ", ".join(_output(w, x, var) for x in v)
        return f"({items},)" if kind == "tuple" else f"[{items}]"
    if kind == "dict":
        return "{" + ", ".join(f"{k!r}: {_output(w, x, var)}" for k, x in v.items()) + "}"
    return w.ref(v, "V")
