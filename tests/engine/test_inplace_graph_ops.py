"""In-place ops whose tensor, or an operand, is in a graph: the update is recorded
as its out-of-place op (a ← op(a, …)), so gradients reach the tensor's history and
every operand, as in PyTorch. Generated programs, compared with PyTorch: the base
with or without a graph, operands with or without requires_grad, each op's
argument forms."""

from __future__ import annotations

import numpy as np
import pytest

import tensor

torch = pytest.importorskip("torch")


def _index(lib, values):
    return lib.tensor(np.asarray(values, np.int64))


OPS = {
    "masked_fill_ number": lambda lib, a, s, m: a.masked_fill_(m > 0, 0.25),
    "masked_fill_ tensor": lambda lib, a, s, m: a.masked_fill_(m > 0, s.sum()),
    "index_put_": lambda lib, a, s, m: a.index_put_((_index(lib, [2, 0]),), s[:2]),
    "index_put_ accumulate": lambda lib, a, s, m: a.index_put_(
        (_index(lib, [1, 1, 0]),), s, accumulate=True),
    "index_add_": lambda lib, a, s, m: a.index_add_(0, _index(lib, [2, 0, 2]), s),
    "index_add_ alpha": lambda lib, a, s, m: a.index_add_(1, _index(lib, [3, 1, 0, 1]),
                                                          s.t()[:4].t(), alpha=-1.5),
    "scatter_add_": lambda lib, a, s, m: a.scatter_add_(1, _index(lib, [[0, 1, 1, 3]] * 3), s),
    "scatter_ src": lambda lib, a, s, m: a.scatter_(0, _index(lib, [[2, 0, 1, 2]]), s[:1]),
    "scatter_ value": lambda lib, a, s, m: a.scatter_(1, _index(lib, [[1], [3], [0]]),
                                                      value=2.0),
    "cumsum_": lambda lib, a, s, m: a.cumsum_(1),
    "cumprod_": lambda lib, a, s, m: a.cumprod_(0),
    "lerp_ number": lambda lib, a, s, m: a.lerp_(s, 0.3),
    "lerp_ tensor": lambda lib, a, s, m: a.lerp_(s, m.sigmoid()),
    "sigmoid_": lambda lib, a, s, m: a.sigmoid_(),
    "erf_": lambda lib, a, s, m: a.erf_(),
    "logit_": lambda lib, a, s, m: a.sigmoid_().logit_(1e-3),
}


def program(lib, name: str, seed: int):
    """x's, s's and m's gradients after ``a = f(x)`` (or a plain a), the in-place op,
    and a weighted sum of a, or the exception."""
    rng = np.random.default_rng(seed)
    x = lib.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    s = lib.tensor(rng.standard_normal((3, 4)), requires_grad=bool(rng.integers(2)))
    m = lib.tensor(rng.standard_normal((3, 4)), requires_grad=bool(rng.integers(2)))
    graph_base = bool(rng.integers(2))
    a = x * 0.5 + 0.25 if graph_base else lib.tensor(rng.uniform(0.1, 0.9, (3, 4)))
    before = a * 1.0  # recorded before the update: keeps the old gradient
    weights = lib.tensor(rng.standard_normal((3, 4)))
    try:
        OPS[name](lib, a, s, m)
        loss = (a * weights).sum() + before.sum()
        if not loss.requires_grad:
            return "no graph", a.detach().numpy()
        loss.backward()
    except RuntimeError as exc:
        return "raised", str(exc)
    grads = [None if t.grad is None else t.grad.numpy() for t in (x, s, m)]
    return "grads", (a.detach().numpy(), grads)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("name", list(OPS))
def test_inplace_op_in_a_graph_gives_pytorchs_gradients(name, seed):
    theirs, ours = program(torch, name, seed), program(tensor, name, seed)
    assert ours[0] == theirs[0], (ours, theirs)
    if ours[0] == "raised":
        return
    if ours[0] == "no graph":
        np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-12)
        return
    np.testing.assert_allclose(ours[1][0], theirs[1][0], rtol=1e-10, atol=1e-12)
    for mine, torchs in zip(ours[1][1], theirs[1][1]):
        assert (mine is None) == (torchs is None)
        if mine is not None:
            np.testing.assert_allclose(mine, torchs, rtol=1e-10, atol=1e-12)


def test_the_programs_compute_gradients():
    """Most programs must reach backward in both, so the comparison is not empty."""
    kinds = [program(tensor, name, seed)[0] for name in OPS for seed in range(8)]
    assert kinds.count("grads") >= 0.5 * len(kinds)
