"""In-place updates of tensors in a graph, with the tensors and views that were used
before and after the update, against PyTorch. Programs are generated: a base
computed from x, views of it (slices, reshapes, transposes, expands), consumers of
the base and the views recorded before the update, one or two in-place updates,
consumers after, and a loss over all of them. The base either has a graph when its
views are taken, or gets its first one from the update (a view of a plain tensor
must then follow its base too). Each program must give PyTorch's gradient, or
raise; never another gradient."""

from __future__ import annotations

import numpy as np
import pytest

import tensor

torch = pytest.importorskip("torch")

VIEWS = [
    ("row", lambda a: a[1]),
    ("slice", lambda a: a[1:, ::2]),
    ("reshape", lambda a: a.view(-1)),
    ("transpose", lambda a: a.t()),
    ("view of a view", lambda a: a[1:][:, 1:3]),
    ("expand", lambda a: a[:1].expand(3, 4)),
    ("unsqueeze", lambda a: a.unsqueeze(0)),
    ("select", lambda a: a.select(1, 2)),
    ("permute", lambda a: a.permute(1, 0)),
    ("flatten", lambda a: a.flatten()),
]
UPDATES = [
    ("mul_", lambda a, c: a.mul_(c)),
    ("add_", lambda a, c: a.add_(c)),
    ("setitem", lambda a, c: a.__setitem__((slice(0, 2), 1), c[0, 0])),
    ("relu_", lambda a, c: a.relu_()),
    ("div_", lambda a, c: a.div_(c.abs() + 1)),
    ("sub_", lambda a, c: a.sub_(c, alpha=2)),
    ("copy_", lambda a, c: a.copy_(c * 3)),
    ("clamp_", lambda a, c: a.clamp_(-0.5, 0.5)),
    ("masked_fill_", lambda a, c: a.masked_fill_(c > 0, 1.0)),
    ("zero_", lambda a, c: a.zero_()),
]
USES = [
    ("add", lambda v: v + 1),  # saves nothing: the old-node case
    ("square", lambda v: v * v),  # saves its input: refuses once updated, in both
    ("sum", lambda v: v.sum()),
    ("exp", lambda v: v.exp()),
]


def program(lib, seed: int, plain_base: bool = False):
    """The program of ``seed`` run with ``lib`` (this framework or torch): x's
    gradient, or the exception's type name. With ``plain_base``, the base and its
    views have no graph until an update multiplies or adds x's graph in."""
    rng = np.random.default_rng(seed)
    x = lib.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    c = lib.tensor(rng.standard_normal((3, 4)), requires_grad=bool(rng.integers(2)))
    if plain_base:
        a = lib.tensor(rng.standard_normal((3, 4)))
        c = x * 1.5
    else:
        a = x * 2 + 0.5
    views = [VIEWS[i][1](a) for i in rng.choice(len(VIEWS), rng.integers(1, 3), replace=False)]
    terms = []
    for v in [a, *views]:  # used before the update
        if rng.integers(2):
            terms.append(USES[rng.integers(len(USES))][1](v))
    for _ in range(rng.integers(1, 3)):
        UPDATES[rng.integers(len(UPDATES))][1](a, c)
    for v in [a, *views]:  # used after it
        if rng.integers(2):
            terms.append(USES[rng.integers(len(USES))][1](v))
    terms.append(views[0].sum() * 0.5)
    try:
        sum(t.sum() for t in terms).backward()
    except RuntimeError as exc:
        return type(exc).__name__, str(exc)
    c_grad = None if not c.is_leaf or c.grad is None else c.grad.detach().numpy()
    return None if x.grad is None else x.grad.detach().numpy(), c_grad


@pytest.mark.parametrize("plain_base", [False, True], ids=["base-in-graph", "plain-base"])
@pytest.mark.parametrize("seed", range(200))
def test_gradients_after_inplace_updates_are_pytorchs_or_refused(seed, plain_base):
    theirs = program(torch, seed, plain_base)
    ours = program(tensor, seed, plain_base)
    if isinstance(theirs[0], str):  # torch refuses (a saved input changed): so must we
        assert isinstance(ours[0], str), f"torch raised {theirs[1]!r}; here no error"
        return
    if isinstance(ours[0], str):  # refused here, computed there: allowed, never silent
        assert "in-place" in ours[1] or "inplace" in ours[1], ours[1]
        return
    if theirs[0] is None:
        assert ours[0] is None
        return
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12, atol=1e-12)
    if theirs[1] is None:
        assert ours[1] is None
    else:
        np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("plain_base", [False, True])
def test_the_programs_reach_the_cases_that_matter(plain_base):
    """The generator must produce programs that compute (not only refusals) in
    both, so that the comparison above is not empty."""
    computed = sum(program(tensor, s, plain_base)[0] is not None
                   and not isinstance(program(tensor, s, plain_base)[0], str) for s in range(200))
    assert computed >= 70


def test_a_view_of_a_plain_tensor_follows_its_base_once_an_update_gives_it_a_graph():
    base = tensor.zeros(3)
    v = base[:2]  # neither has a graph yet
    w = tensor.ones(3, requires_grad=True)
    base.mul_(w)
    base.add_(w)  # base = base·w + w: its gradient reaches w
    z = tensor.tensor([2.0, 3.0], requires_grad=True)
    ((v * z).sum() + base.sum()).backward()
    assert "AsStridedBackward0" in repr(v.grad_fn)
    np.testing.assert_array_equal(w.grad.numpy(), [3.0, 4.0, 1.0])  # torch's: 1 + z, 1


def test_a_detached_tensor_does_not_follow_its_base():
    base = tensor.zeros(3)
    d = base.detach()  # shares the memory but is not a view, as in PyTorch
    base.add_(tensor.ones(3, requires_grad=True))
    assert not d.requires_grad and d.grad_fn is None


def test_a_view_used_after_the_update_is_rebased_as_pytorchs():
    x = tensor.tensor([1.0, 2.0, 3.0], requires_grad=True)
    a = x * 2
    v = a[1:]
    a.mul_(tensor.tensor([5.0, 6.0, 7.0]))
    assert "AsStridedBackward0" in repr(v.grad_fn)  # torch's name for it
    (v * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 36.0, 42.0])  # 3·2·(6, 7)


def test_a_tensor_used_before_the_update_keeps_its_old_gradient():
    x = tensor.tensor([1.0, 2.0, 3.0], requires_grad=True)
    a = x * 2
    w = a + 1  # recorded before: d w/d x = 2, whatever happens to a afterwards
    a.mul_(tensor.tensor([5.0, 6.0, 7.0]))
    w.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0])
