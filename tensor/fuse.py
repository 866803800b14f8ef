"""The plan's one fusion: plain SGD's update of a `Linear` weight, done inside the
weight-gradient GEMM. Eager computes dW = gᵀ·x into a new array and then
W ← W − lr·dW; here one ``sgemm`` with α = −lr and β = 1 writes W − lr·gᵀ·x
straight into W, so dW is never written or read.

It applies when the recorded step is ``zero_grad()`` … ``backward()`` …
``step()`` of an optimizer whose ``plain_sgd()`` says its update is exactly
p ← p − lr·∇p, and the weight and bias feed one op each. Every call checks again
(`Fusion.ready`): a momentum set later, a gradient left from before, another
layout or no BLAS symbol, and that layer takes the ordinary path this time.

PyTorch users read ``.grad`` after ``step()``: the fused weights get a `LazyGrad`,
which computes gᵀ·x (the same expression as eager's) when first read.
"""

from __future__ import annotations

import numpy as np

from . import blas
from .ops_fused import Linear
from .tensor import Tensor

_DATA = Tensor.__dict__["data"]  # the slot that holds a tensor's array


class LazyGrad(Tensor):
    """A gradient whose array is computed on first read (then kept)."""

    __slots__ = ("_compute",)

    def __init__(self, compute):
        self._compute = compute
        self.grad, self.requires_grad, self._ctx = None, False, None

    @property
    def data(self):
        if self._compute is not None:
            _DATA.__set__(self, self._compute())
            self._compute = None
        return _DATA.__get__(self)

    @data.setter
    def data(self, value):
        self._compute = None
        _DATA.__set__(self, value)


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
                uses[id(p)] == 1 and id(p) in trained for p in params):
            found[i] = (params[0], params[1] if len(params) > 1 else None, optimizer)
    return found


def is_sgd_step(method, args) -> bool:
    """Whether a recorded call is the step() of an optimizer that may fuse (one that
    says, with plain_sgd(), when its update is plain SGD)."""
    return method.__name__ == "step" and hasattr(args[0] if args else None, "plain_sgd")


def _group(optimizer, p) -> dict:
    for group in optimizer.param_groups:
        if any(q is p for q in group["params"]):
            return group
    raise KeyError("parameter not in the optimizer")


class FusedLinear:
    """One Linear op of a plan whose SGD update goes into its GEMM."""

    __slots__ = ("w", "b", "optimizer", "w_group", "b_group", "wt", "wt_address", "step")

    def __init__(self, w, b, optimizer):
        self.w, self.b, self.optimizer = w, b, optimizer
        self.w_group = _group(optimizer, w)
        self.b_group = None if b is None else _group(optimizer, b)
        # The plan's guards hold w.data's identity, so its transpose and address stay
        self.wt = w.data.T
        self.wt_address = blas.address(self.wt) if self.wt.flags.c_contiguous else None
        self.step = (None, None)  # (lr, that lr as a 0-d array of the bias dtype)

    def update(self, x, g, applied: list) -> bool:
        """W ← W − lr·gᵀx in one sgemm and b ← b − lr·Σₙ g, with their .grad set and
        both added to ``applied``; False, with nothing changed, when this call can't
        (a gradient already there, momentum now, another layout, no BLAS symbol)."""
        w, b = self.w, self.b
        if (self.wt_address is None or w.grad is not None or (b is not None and b.grad is not None)
                or x.ndim != 2 or g.ndim != 2 or self.wt.dtype != np.float32
                or g.dtype != np.float32 or x.dtype != np.float32
                or not self.optimizer.plain_sgd()):
            return False
        if not x.flags.c_contiguous:
            x = np.ascontiguousarray(x)
        if not g.flags.c_contiguous:
            g = np.ascontiguousarray(g)
        k, m = x.shape
        if not blas.sgemm_raw(m, g.shape[1], k, -self.w_group["lr"], x, g, self.wt_address):
            return False
        w.grad = LazyGrad(lambda: (x.T @ g).T)  # eager's expression for dW
        applied.append(w)
        if b is not None:
            lr = self.b_group["lr"]
            if self.step[0] != lr:  # SGD.step's lr: a 0-d array of the parameter's dtype
                self.step = (lr, np.asarray(lr, b.data.dtype))
            db = g.sum(axis=0)
            b.data -= self.step[1] * db
            b.grad = Tensor._make(db, None)
            applied.append(b)
        return True


def step_skipping(call, applied: list):
    """An optimizer step after fused updates: the parameters they already stepped are
    hidden from it (their .grad set aside), so it steps only the others."""
    if not applied:
        return call()
    grads = [p.grad for p in applied]
    for p in applied:
        p.grad = None
    try:
        return call()
    finally:
        for p, g in zip(applied, grads):
            p.grad = g
        applied.clear()
