"""cross_entropy's weight, ignore_index and label_smoothing against PyTorch, on
generated logits, targets (class indices, some ignored, or probabilities), weights
and reductions: the value, the gradient, the second derivative, the grad_fn's name,
which calls raise; nn.CrossEntropyLoss with them; a compiled step with them equal to
eager steps."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nn
import nn.functional as F
import tensor

torch = pytest.importorskip("torch")

REDUCTIONS = st.sampled_from(["mean", "sum", "none"])
SMOOTHING = st.one_of(st.sampled_from([0.0, 1.0, -0.25, 1.5]), st.floats(0, 1))


@st.composite
def cases(draw, probabilities=None):
    """(logits, target, weight or None, ignore_index, reduction, label_smoothing)."""
    dtype = draw(st.sampled_from(["float32", "float64"]))
    n, c = draw(st.integers(0, 5)), draw(st.integers(1, 5))
    values = st.one_of(st.floats(-6, 6, width=32),
                       st.sampled_from([0.0, np.inf, -np.inf, np.nan, 30.0, -30.0]))
    shape = draw(st.sampled_from([(n, c), (c,)]))
    x = draw(hnp.arrays(np.dtype(dtype), shape, elements=values))
    ignore_index = draw(st.sampled_from([-100, -1, 0, c - 1, 7]))
    if probabilities is None:
        probabilities = draw(st.booleans())
    if probabilities:
        raw = draw(hnp.arrays(np.float64, shape, elements=st.floats(0, 1)))
        target = (raw / np.maximum(raw.sum(-1, keepdims=True), 1e-9)).astype(dtype)
    else:
        kept = st.integers(0, c - 1)
        target = draw(hnp.arrays(np.int64, shape[:-1], elements=st.one_of(
            kept, kept, st.just(ignore_index))))
    weight = None
    if draw(st.booleans()):
        weight = draw(hnp.arrays(np.dtype(dtype), (c,), elements=st.one_of(
            st.floats(0, 3, width=32), st.just(0.0))))
    return x, target, weight, ignore_index, draw(REDUCTIONS), draw(SMOOTHING)


def run(lib, x, target, weight, ignore_index, reduction, label_smoothing, create_graph=False):
    """(loss, gradient, second derivative or None, grad_fn name) or the exception."""
    functional = torch.nn.functional if lib is torch else F
    xs = lib.tensor(x, requires_grad=True)
    try:
        out = functional.cross_entropy(
            xs, lib.tensor(target), None if weight is None else lib.tensor(weight),
            ignore_index=ignore_index, reduction=reduction, label_smoothing=label_smoothing)
        w = lib.tensor(np.cos(np.arange(out.numel()) + 0.5).reshape(tuple(out.shape)),
                       dtype=out.dtype)
        name = type(out.grad_fn).__name__ if lib is torch else out.grad_fn.backward_name()
        (g,) = lib.autograd.grad((out * w).sum(), xs, create_graph=create_graph)
        second = None
        if create_graph:
            v = lib.tensor(np.sin(np.arange(g.numel()) + 1.0).reshape(tuple(g.shape)),
                           dtype=g.dtype)
            (second,) = lib.autograd.grad((g * v).sum(), xs)
            second = second.detach().numpy()
        return out.detach().numpy(), g.detach().numpy(), second, name
    except Exception as exc:  # noqa: BLE001 - compared with PyTorch's
        return exc


def assert_like_torch(case, create_graph=False):
    with np.errstate(all="ignore"):
        ours = run(tensor, *case, create_graph=create_graph)
    theirs = run(torch, *case, create_graph=create_graph)
    if isinstance(theirs, Exception) or isinstance(ours, Exception):
        assert type(ours) is type(theirs), f"torch {theirs!r}, this engine {ours!r}"
        return
    float32 = case[0].dtype == np.float32
    rtol = 1e-5 if float32 else 1e-10
    for what, a, b in zip(("loss", "gradient", "second derivative"), ours, theirs):
        if b is None:
            continue
        scale = 1 + np.abs(np.nan_to_num(b, posinf=0, neginf=0)).max(initial=0)
        assert a.shape == b.shape and a.dtype == b.dtype, what
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * scale, equal_nan=True,
                                   err_msg=what)
    if case[1].dtype.kind != "f" and case[0].ndim == 2:  # the fused op's node (one
        # sample's is squeezed out of it; probabilities are composed)
        assert ours[3] == theirs[3]


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(case=cases())
def test_cross_entropy_options_match_torch(case):
    assert_like_torch(case)


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(case=cases())
def test_cross_entropy_options_second_derivatives_match_torch(case):
    x = np.nan_to_num(case[0], nan=0.5, posinf=3.0, neginf=-3.0).astype(np.float64)
    target = case[1].astype(np.float64) if case[1].dtype.kind == "f" else case[1]
    weight = None if case[2] is None else case[2].astype(np.float64)
    assert_like_torch((x, target, weight, *case[3:]), create_graph=True)


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(case=cases(probabilities=False))
def test_cross_entropy_loss_module_matches_torch(case):
    x, target, weight, ignore_index, reduction, label_smoothing = case
    ours = nn.CrossEntropyLoss(None if weight is None else tensor.tensor(weight),
                               ignore_index=ignore_index, reduction=reduction,
                               label_smoothing=label_smoothing)
    theirs = torch.nn.CrossEntropyLoss(None if weight is None else torch.tensor(weight),
                                       ignore_index=ignore_index, reduction=reduction,
                                       label_smoothing=label_smoothing)
    assert repr(ours) == repr(theirs)
    assert (ours.ignore_index, ours.label_smoothing) == (theirs.ignore_index,
                                                        theirs.label_smoothing)
    assert [k for k, _ in ours.named_buffers()] == [k for k, _ in theirs.named_buffers()]
    try:
        want = theirs(torch.tensor(x), torch.tensor(target)).numpy()
    except Exception as exc:  # noqa: BLE001
        with pytest.raises(type(exc)), np.errstate(all="ignore"):
            ours(tensor.tensor(x), tensor.tensor(target))
        return
    with np.errstate(all="ignore"):
        got = ours(tensor.tensor(x), tensor.tensor(target)).numpy()
    rtol = 1e-5 if x.dtype == np.float32 else 1e-10
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol, equal_nan=True)


ERRORS = {
    "smoothing_above_1": dict(label_smoothing=1.01),
    "probabilities_smoothing_above_1": dict(label_smoothing=2.0, probabilities=True),
    "probabilities_ignore_index": dict(ignore_index=0, probabilities=True),
    "weight_size": dict(weight=np.ones(2)),
    "probabilities_weight_size": dict(weight=np.ones(5), probabilities=True),
    "weight_dtype": dict(weight=np.ones(3, np.float32)),
    "weight_requires_grad": dict(weight=np.ones(3), weight_grad=True),
    "target_out_of_range": dict(target=np.array([0, 3]), label_smoothing=0.2),
    "negative_target": dict(target=np.array([-1, 1]), ignore_index=-5),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_as_torch(name):
    kw = dict(ERRORS[name])
    x = np.arange(6.0).reshape(2, 3) / 4
    target = kw.pop("target", np.array([0, 2]))
    if kw.pop("probabilities", False):
        target = np.full((2, 3), 1 / 3)
    weight, weight_grad = kw.pop("weight", None), kw.pop("weight_grad", False)
    raised = []
    for lib, functional in ((torch, torch.nn.functional), (tensor, F)):
        w = None if weight is None else lib.tensor(weight, requires_grad=weight_grad)
        with pytest.raises(Exception) as info:
            functional.cross_entropy(lib.tensor(x), lib.tensor(target), w, **kw)
        raised.append(info.value)
    theirs, ours = raised
    assert type(ours) is type(theirs)
    if "target" not in name:  # the engine's message names the op and the classes
        assert str(ours) == str(theirs)


@pytest.mark.parametrize("kw", [dict(label_smoothing=0.1),
                                dict(label_smoothing=0.3, ignore_index=2),
                                dict(weight=True, label_smoothing=0.05, reduction="sum"),
                                dict(weight=True, ignore_index=0)], ids=str)
def test_compiled_step_with_options_equals_eager(kw):
    """An MLP's SGD step with these options, compiled, against the same step run
    eagerly: the losses and the parameters after each step are the same arrays."""
    kw = dict(kw)
    use_weight = kw.pop("weight", False)

    def setup():
        tensor.manual_seed(0)
        model = nn.Sequential(nn.Linear(6, 8, dtype=np.float64), nn.ReLU(),
                              nn.Linear(8, 4, dtype=np.float64))
        opt = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        loss_fn = nn.CrossEntropyLoss(tensor.tensor([0.5, 1.0, 2.0, 0.25], dtype=tensor.float64)
                                      if use_weight else None, **kw)

        def step(x, y):
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            return loss

        return model, step

    (eager_model, eager_step), (model, step) = setup(), setup()
    compiled = tensor.compile(step)
    rng = np.random.default_rng(3)
    for _ in range(4):
        x = rng.standard_normal((5, 6))
        y = rng.integers(0, 4, 5)
        got = compiled(tensor.tensor(x), tensor.tensor(y))
        want = eager_step(tensor.tensor(x), tensor.tensor(y))
        np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())
        for p, q in zip(model.parameters(), eager_model.parameters()):
            np.testing.assert_array_equal(p.data, q.data)
    assert compiled.eager_reason is None
    assert "CrossEntropy.forward" in compiled.source  # not the plain loss written out


def test_compiled_plain_step_ignores_targets_of_minus_100_as_eager():
    """The plain loss is written out in a compiled step; a later batch with targets of
    -100 (the default ignore_index: padding) runs the op there, as eager does, and a
    batch of only those gives NaN, as PyTorch's mean over no rows."""

    def setup():
        tensor.manual_seed(1)
        model = nn.Linear(4, 3, dtype=np.float64)
        opt = nn.optim.SGD(model.parameters(), lr=0.1)

        def step(x, y):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return loss

        return model, step

    (eager_model, eager_step), (model, step) = setup(), setup()
    compiled = tensor.compile(step)
    rng = np.random.default_rng(5)
    for ignored in ([], [], [1], [0, 3], [0, 1, 2, 3, 4], []):
        x, y = rng.standard_normal((5, 4)), rng.integers(0, 3, 5)
        y[ignored] = -100
        with np.errstate(invalid="ignore"):
            got = compiled(tensor.tensor(x), tensor.tensor(y))
            want = eager_step(tensor.tensor(x), tensor.tensor(y))
        np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())
        for p, q in zip(model.parameters(), eager_model.parameters()):
            np.testing.assert_array_equal(p.data, q.data)
    assert compiled.eager_reason is None
    with pytest.raises(IndexError, match="out of bounds"):
        compiled(tensor.tensor(x), tensor.tensor(np.array([0, 1, 3, 0, 1])))
