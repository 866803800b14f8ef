"""einsum: a sum of products named by letters (``"bij,bjk->bik"`` is a batched matrix
product). Its gradient for each operand is again an einsum: of the output's gradient
with the other operands, into that operand's letters; so it is twice differentiable
by construction."""

from __future__ import annotations

import string

import numpy as np

from ..function import Function
from .either import constant, expand, is_tensor, value


def parse(equation: str, ndims: list) -> tuple:
    """``equation`` with each ``...`` written out as letters of its own and the output
    made explicit (implicit: the letters seen once, in alphabetical order, as
    PyTorch). Returns (input subscripts per operand, output subscripts)."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(ndims):
        more = "more" if len(ndims) > len(terms) else "fewer"
        raise RuntimeError(f"einsum(): {more} operands were provided than specified in the "
                           f"equation {equation!r}")
    spare = [c for c in string.ascii_letters if c not in eq]
    width = max([n - len(t.replace("...", "")) for t, n in zip(terms, ndims) if "..." in t],
                default=0)
    ellipsis = "".join(spare[:width])
    subs = []
    for i, (t, n) in enumerate(zip(terms, ndims)):
        named = t.replace("...", "")
        if any(c not in string.ascii_letters for c in named):
            raise RuntimeError(f"einsum(): invalid subscript given in the equation {equation!r}")
        if "..." in t:
            t = t.replace("...", ellipsis[width - (n - len(named)):] if n >= len(named) else "?")
        if len(t) != n or "?" in t:
            hint = "" if "..." in terms[i] else " and no ellipsis was given"
            raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                               f"({len(named)}) does not match the number of dimensions ({n}) "
                               f"for operand {i}{hint}")
        subs.append(t)
    if arrow:
        out = rhs.replace("...", ellipsis)
        for c in out:
            if out.count(c) > 1:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in "
                                   f"the output of {equation!r}")
            if not any(c in s for s in subs):
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the "
                                   f"equation for any input operand of {equation!r}")
    else:
        letters = "".join(subs)
        out = ellipsis + "".join(sorted(c for c in set(letters) - set(ellipsis)
                                        if letters.count(c) == 1))
    return subs, out


class Einsum(Function):
    """y = Σ over the letters not in the output of Πᵢ xᵢ;  dxₖ = the einsum of g with the
    other operands into xₖ's letters"""

    twice_differentiable = True
    broadcasts = False

    @staticmethod
    def forward(ctx, *xs, subs, out):
        ctx.subs, ctx.out = subs, out
        ctx.sizes = {c: n for s, x in zip(subs, xs) for c, n in zip(s, x.shape)}
        ctx.save_for_backward(*xs)
        return np.asarray(np.einsum(f"{','.join(subs)}->{out}", *xs, optimize=len(xs) > 2))

    @staticmethod
    def backward(ctx, g):
        grads = []
        for k, s in enumerate(ctx.subs):
            if not ctx.needs_input_grad[k]:
                grads.append(None)
                continue
            others = [x for i, x in enumerate(ctx.saved) if i != k]
            other_subs = [t for i, t in enumerate(ctx.subs) if i != k]
            grads.append(_operand_grad(ctx, g, s, others, other_subs))
        return grads[0] if len(grads) == 1 else tuple(grads)


def _einsum(subs, out, operands):
    """An einsum for backward formulas: recorded on Tensors, NumPy's on arrays."""
    if any(is_tensor(x) for x in operands):
        ops = [x if is_tensor(x) else constant(np.asarray(x)) for x in operands]
        return Einsum.apply(*ops, subs=subs, out=out)
    return np.asarray(np.einsum(f"{','.join(subs)}->{out}", *operands))


def _operand_grad(ctx, g, s, others, other_subs):
    """The einsum of g with the other operands into s's distinct letters; a letter only
    s has (summed away in s alone) comes back by broadcasting; a letter s repeats (a
    diagonal, "ii") by products with identity matrices."""
    letters = "".join(dict.fromkeys(s))
    seen = set(ctx.out).union(*other_subs)
    kept = "".join(c for c in letters if c in seen)
    grad = _einsum([ctx.out, *other_subs], kept, [g, *others])
    if kept != letters:
        grad = expand(grad.reshape([ctx.sizes[c] if c in kept else 1 for c in letters]),
                      tuple(ctx.sizes[c] for c in letters))
    if letters == s:
        return grad
    fresh = iter(c for c in string.ascii_letters if c not in set(s) | seen)
    renamed, eyes, eye_subs = "", [], []
    for c in s:
        if c in renamed:
            r = next(fresh)
            eyes.append(np.eye(ctx.sizes[c], dtype=value(g).dtype))
            eye_subs.append(c + r)
            renamed += r
        else:
            renamed += c
    return _einsum([letters, *eye_subs], renamed, [grad, *eyes])
