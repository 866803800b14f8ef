"""The plan's one fusion: plain SGD's update of a `Linear` weight, done inside the
weight-gradient GEMM. Eager computes dW = gᵀ·x into a new array and then
W ← W − lr·dW; here one ``sgemm`` with α = −lr and β = 1 writes W − lr·gᵀ·x
straight into W, so dW is never written or read. The bias likewise: one ``sgemv``
writes b − lr·gᵀ·1 into b.

It applies to ``zero_grad()`` … ``backward()`` … ``step()`` with plain SGD
(``plain_sgd()``), float32, each weight and bias feeding one op. The recording call
fuses exactly what its replays will, so a run rounds alike at every step; each
replay checks again (`FusedStep.ready`). ``.grad`` of a fused parameter is a
`LazyGrad`: eager's gᵀ·x or Σₙ g, computed when read.
"""

from __future__ import annotations

import operator
from itertools import chain, repeat

import numpy as np

from .. import blas
from ..ops.linalg import Linear
from ..tensor import Tensor

_DATA = Tensor.__dict__["data"]  # the slot that holds a tensor's array
_sum = np.add.reduce  # what Linear.backward sums the bias gradient with
_GRAD, _HOOKS = operator.attrgetter("grad"), operator.attrgetter("_hooks")
_PARAMS = operator.itemgetter("params")


class LazyGrad(Tensor):
    """A gradient computed on first read (then kept): ``lazy_fn(*lazy_args)``. A
    Tensor in every other way: every method reads ``.data``; copied or pickled, it
    is a plain Tensor. (Its own names must not shadow a Tensor method's.)"""

    __slots__ = ("_lazy_fn", "_lazy_args")

    def __init__(self, lazy_fn, *lazy_args):
        self._lazy_fn, self._lazy_args = lazy_fn, lazy_args
        self.grad, self.requires_grad, self._ctx = None, False, None

    @property
    def data(self):
        if self._lazy_fn is not None:
            _DATA.__set__(self, self._lazy_fn(*self._lazy_args))
            self._lazy_fn = self._lazy_args = None
        return _DATA.__get__(self)

    @data.setter
    def data(self, value):
        self._lazy_fn = self._lazy_args = None
        _DATA.__set__(self, value)

    def __reduce_ex__(self, protocol):
        return (Tensor._make, (self.data, None))


def weight_grad(x, g):
    """dW = gᵀ·x, as Linear.backward computes it."""
    return (x.T @ g).T


def bias_grad(g):
    """db = Σₙ g, as Linear.backward computes it."""
    return _sum(g, 0)


def find(events) -> dict:
    """op event index → (weight, bias or None, optimizer) for the Linear ops whose
    update can go into their GEMM; {} when the step has no such shape."""
    kinds = [e[0] for e in events]
    if kinds.count("backward") != 1:
        return {}
    back = kinds.index("backward")
    steps = [i for i, e in enumerate(events) if e[0] == "call" and i > back
             and is_sgd_step(e[1], e[2])]
    # between backward() and step() nothing may have read a gradient
    if not steps or any(kinds[i] == "call" for i in range(back + 1, steps[0])):
        return {}
    optimizer = events[steps[0]][2][0]
    trained = {id(p) for g in optimizer.param_groups for p in g["params"]}
    uses: dict[int, int] = {}
    for e in events:
        for ref in e[2] if e[0] == "op" else ():
            if ref[0] == "param":
                uses[id(ref[1])] = uses.get(id(ref[1]), 0) + 1
    found = {}
    for i, e in enumerate(events[:back]):
        if e[0] != "op" or e[1] is not Linear or e[2][1][0] != "param":
            continue
        params = [r[1] for r in e[2][1:]]
        if all(r[0] == "param" for r in e[2][1:]) and all(
                uses[id(p)] == 1 and id(p) in trained and p.requires_grad for p in params):
            found[i] = (params[0], params[1] if len(params) > 1 else None, optimizer)
    return found


def is_sgd_step(method, args) -> bool:
    """Whether a recorded call is the step() of an optimizer that may fuse (one that
    says, with plain_sgd(), when its update is plain SGD)."""
    return method.__name__ == "step" and hasattr(args[0] if args else None, "plain_sgd")


def record(events, inputs: dict, upstream: dict, had_grad: set, optimizer):
    """At the recording call's ``step()``: the `FusedStep` of the layers that fuse, with
    their updates done now as a replay does them, or None. ``inputs``/``upstream``:
    event index → each Linear's x and the gradient g it received; ``had_grad``: ids
    of the parameters that held a gradient before backward()."""
    if not (blas.available and optimizer.plain_sgd()):
        return None
    layers = {}
    for k, (w, b, owner) in find(events).items():
        x, g = inputs.get(k), upstream.get(k)
        params = [p for p in (w, b) if p is not None]
        if (owner is optimizer and x is not None and g is not None
                and not any(id(p) in had_grad for p in params) and _fits(w, b, x, g)):
            layers[k] = FusedLinear(w, b, optimizer)
    if not layers:
        return None
    fused = FusedStep(layers, optimizer, call=len(events) - 1)
    for p in fused.params:
        p.grad = None  # eager's backward just set them; the update below sets them again
    for k, layer in layers.items():
        layer.update(inputs[k], upstream[k])
    return fused


def _fits(w, b, x, g) -> bool:
    """float32 throughout, 2-D x and g, parameters without hooks that BLAS can write
    in place: Wᵀ C-ordered (Linear's layout) and a contiguous 1-D bias."""
    params = [w.data] if b is None else [w.data, b.data]
    return (w.data.T.flags.c_contiguous and x.ndim == g.ndim == 2
            and not (w._hooks or (b is not None and b._hooks))
            and (b is None or (b.ndim == 1 and b.data.flags.c_contiguous))
            and all(p.flags.writeable for p in params)
            and all(a.dtype == np.float32 for a in (*params, x, g)))


def _group(optimizer, p) -> dict:
    for group in optimizer.param_groups:
        if any(q is p for q in group["params"]):
            return group
    raise KeyError("parameter not in the optimizer")


def _trained(optimizer) -> list:
    return [p for group in optimizer.param_groups for p in group["params"]]


def _defined_by(cls, name: str):
    return next(k for k in cls.__mro__ if name in k.__dict__)


class FusedStep:
    """The fused layers of one plan and the optimizer whose step they do."""

    def __init__(self, layers: dict, optimizer, call: int):
        self.layers, self.optimizer = layers, optimizer
        self.call = call  # the event index of the step() call
        self.params = [p for layer in layers.values() for p in (layer.w, layer.b)
                       if p is not None]
        fused = {id(p) for p in self.params}
        cls = type(optimizer)
        self.trained = _trained(optimizer)
        # the optimizer's step() has nothing left to do when the GEMMs updated all its
        # parameters and step() is the plain-SGD update its class vouches for
        self.covers_step = (_defined_by(cls, "step") is _defined_by(cls, "plain_sgd")
                            and all(id(p) in fused for p in self.trained))

    def unchanged(self) -> bool:
        """Whether the optimizer still trains the parameters it did when recorded (a
        plan guard: ``covers_step`` was decided on them)."""
        now = list(chain.from_iterable(map(_PARAMS, self.optimizer.param_groups)))
        return len(now) == len(self.trained) and all(map(operator.is_, now, self.trained))

    def ready(self) -> bool:
        """Whether this call may fuse: plain SGD now, no gradient from before, and no
        hook on a fused parameter (the hook must see the gradient)."""
        return (self.optimizer.plain_sgd()
                and all(map(operator.is_, map(_GRAD, self.params), repeat(None)))
                and not any(map(_HOOKS, self.params)))

    def step(self, call):
        """The optimizer's step() for the parameters the GEMMs did not update: their
        gradients set aside while it runs."""
        if self.covers_step:
            return None
        grads = [p.grad for p in self.params]
        for p in self.params:
            p.grad = None
        try:
            return call()
        finally:
            for p, g in zip(self.params, grads):
                p.grad = g


class FusedLinear:
    """One Linear op of a plan whose SGD update goes into its GEMM (and its bias's
    into a GEMV)."""

    __slots__ = ("w", "b", "w_group", "b_group", "wt_address", "b_address", "ones", "m", "n")

    def __init__(self, w, b, optimizer):
        self.w, self.b = w, b
        self.w_group = _group(optimizer, w)
        self.b_group = None if b is None else _group(optimizer, b)
        # The plan's guards hold the parameters' arrays, so their addresses stay
        self.wt_address = blas.address(w.data.T)
        self.b_address = None if b is None else blas.address(b.data)
        self.n, self.m = w.data.shape  # out, in
        self.ones = (0, None, 0)  # (k, a float32 vector of k ones, its address)

    def update(self, x, g) -> None:
        """W ← W − lr·gᵀx in one sgemm and b ← b − lr·gᵀ·1 in one sgemv, their .grad
        computed when read."""
        if not x.flags.c_contiguous:
            x = np.ascontiguousarray(x)
        if not g.flags.c_contiguous:
            g = np.ascontiguousarray(g)
        k, m, n = len(x), self.m, self.n
        g_address = blas.address(g)
        blas.sgemm(m, n, k, -self.w_group["lr"], blas.address(x), g_address, self.wt_address)
        self.w.grad = LazyGrad(weight_grad, x, g)
        if self.b is not None:
            if self.ones[0] != k:
                ones = np.ones(k, np.float32)
                self.ones = (k, ones, blas.address(ones))
            blas.sgemv(k, n, -self.b_group["lr"], g_address, self.ones[2], self.b_address)
            self.b.grad = LazyGrad(bias_grad, g)
