"""The eleven ways a compiled step once differed from eager, one small test each,
named for the behaviour (found by the program fuzzer, ``test_compile_fuzz.py``):
compiled and eager runs from identical state must agree, or the compiled one must
refuse with a warning."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest

import nn
import nn.functional as F
import tensor


# Each builds its state with build(COMPILE) twice, eagerly and compiled, and compares
# the snapshots (parameters, then returned values) the calls leave.
def _both(build):
    eager = build(lambda f: f)()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        compiled = build(tensor.compile)()
    return eager, compiled, [str(w.message) for w in caught if "compile:" in str(w.message)]


def _assert_same(build, rtol=1e-10, atol=1e-12):
    """The compiled run's snapshots equal the eager run's; returns (compiled, warnings)."""
    eager, compiled, said = _both(build)
    assert len(eager) == len(compiled)
    for i, (want, got) in enumerate(zip(eager, compiled)):
        for j, (a, b) in enumerate(zip(want, got)):
            np.testing.assert_allclose(b, a, rtol, atol, err_msg=f"call {i}, value {j}; "
                                       f"compile warnings: {said}")
    return compiled, said


def _data(*shapes, seed=0):
    rng = np.random.RandomState(seed)
    return [tensor.tensor(rng.randn(*s)) for s in shapes]


def _snap(model, *values) -> list:
    return [np.array(p.data) for p in model.parameters()] + [np.array(v.data) for v in values]


def _mlp(*widths, dtype=tensor.float64):
    tensor.manual_seed(0)
    layers = []
    for a, b in zip(widths, widths[1:]):
        layers += [nn.Linear(a, b, dtype=dtype), nn.Tanh()]
    return nn.Sequential(*layers[:-1])


def _sgd_step(model, forward=None, loss_fn=F.mse_loss):
    """The usual step: zero_grad, loss of forward(x) (model(x) by default), backward, step."""
    opt, forward = nn.optim.SGD(model.parameters(), lr=0.1), forward or model

    def step(x, y):
        opt.zero_grad()
        loss = loss_fn(forward(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


def test_keyword_names_are_part_of_the_guard():
    def build(compile_):
        model = _mlp(3, 2)
        opt = nn.optim.SGD(model.parameters(), lr=0.1)
        x, y, w = _data((4, 3), (4, 2), ())

        @compile_
        def step(x, y, a=None, b=None):  # a scales the loss, b + 1 does
            opt.zero_grad()
            loss = F.mse_loss(model(x), y) * (1 if a is None else a) * (1 if b is None else b + 1)
            loss.backward()
            opt.step()
            return loss
        # b=w after a=w, then a by position, then b=w again: all the same shapes
        return lambda: [_snap(model, step(x, y, a=w)), _snap(model, step(x, y, b=w)),
                        _snap(model, step(x, y, w)), _snap(model, step(x, y, b=w))]
    _assert_same(build)


def test_unfreezing_a_layer_trains_it_again():
    def build(compile_):
        model = _mlp(3, 4, 2)
        step, (x, y) = compile_(_sgd_step(model)), _data((5, 3), (5, 2))

        def calls():
            out = [_snap(model, step(x, y))]
            model[0].requires_grad_(False)
            out += [_snap(model, step(x, y)), _snap(model, step(x, y))]
            model[0].requires_grad_(True)  # as in PyTorch: trained again from here
            return out + [_snap(model, step(x, y)), _snap(model, step(x, y))]
        return calls
    eager, _, _ = _both(build)
    assert not np.array_equal(eager[3][0], eager[4][0])  # eager trains it again
    _assert_same(build)


def test_detach_requires_grad_cuts_the_graph():
    def build(compile_):
        model = _mlp(3, 4, 2)
        # a new leaf after the first layer: nothing flows back into it
        cut = lambda x: model[2](model[1](model[0](x)).detach().requires_grad_())  # noqa: E731
        step, (x, y) = compile_(_sgd_step(model, cut)), _data((5, 3), (5, 2))
        return lambda: [_snap(model, step(x, y)) for _ in range(3)]
    eager, _, _ = _both(build)
    assert np.array_equal(eager[0][0], eager[-1][0])  # eager: the first layer never moves
    _assert_same(build)


HELPERS = {  # each reads the global SCALE from inside something the step calls
    "helper": "def scaled(loss):\n    return loss * SCALE",
    "partial": "def weighted(loss, w):\n    return loss * w * SCALE\n"
               "scaled = functools.partial(weighted, w=0.5)",
    "wraps": "def passthrough(fn):\n    @functools.wraps(fn)\n    def inner(*args):\n"
             "        return fn(*args)\n    return inner\n"
             "@passthrough\ndef scaled(loss):\n    return loss * SCALE",
    "list comprehension": "def scaled(loss):\n    return loss + sum([p.pow(2).sum() * SCALE "
                          "for p in model.parameters()])",
    "generator expression": "def scaled(loss):\n    return loss + sum(p.pow(2).sum() * SCALE "
                            "for p in model.parameters())",
    "no_grad helper": "def scaled(loss):\n    return loss\n"
                      "@tensor.no_grad()\ndef evaluate(x, y):\n"
                      "    return F.mse_loss(model(x), y) * SCALE",
}
PROGRAM = """
import functools
import nn, tensor
import nn.functional as F
SCALE = 1.0
tensor.manual_seed(0)
model = nn.Linear(3, 2, dtype=tensor.float64)
opt = nn.optim.SGD(model.parameters(), lr=0.1)
{helper}
def step(x, y):
    opt.zero_grad()
    loss = scaled(F.mse_loss(model(x), y))
    loss.backward()
    opt.step()
    return loss, {second}
"""


@pytest.mark.parametrize("how", list(HELPERS))
def test_globals_read_through_helpers_are_guarded(how):
    def build(compile_):
        ns = {}
        second = "evaluate(x, y)" if "no_grad" in how else "loss"
        exec(PROGRAM.format(helper=HELPERS[how], second=second), ns)  # noqa: S102
        step, (x, y) = compile_(ns["step"]), _data((4, 3), (4, 2))

        def calls():
            out = []
            for scale in (1.0, 1.0, 3.0, 3.0):  # the global rebound between calls
                ns["SCALE"] = scale
                out.append(_snap(ns["model"], *step(x, y)))
            return out
        return calls
    _assert_same(build)


def _train_part(compile_part):
    """Three eager steps of a model whose forward, or a part of it, compile_part compiled:
    the loss's backward() runs outside, so the compiled part's output must carry the graph."""
    def build(compile_):
        model = _mlp(3, 4, 2)
        step = _sgd_step(model, compile_part(compile_, model), F.cross_entropy)
        x, y = _data((5, 3))[0], tensor.tensor(np.array([0, 1, 1, 0, 1]))
        return lambda: [_snap(model, step(x, y)) for _ in range(3)]
    return _assert_same(build)


def test_compiled_module_outputs_backpropagate():
    compiled, said = _train_part(lambda compile_, model: compile_(model))
    assert said == []  # replayed, not run eagerly
    first_weight = [snap[0] for snap in compiled]
    assert not np.allclose(first_weight[0], first_weight[-1])  # and it trains


def test_compiled_submodule_inside_a_model_still_trains():
    def compile_first(compile_, model):
        first = compile_(model[0])
        return lambda x: model[2](model[1](first(x)))
    compiled, said = _train_part(compile_first)
    assert said == []
    first_weight = [snap[0] for snap in compiled]  # the compiled layer's weight moves
    assert not np.allclose(first_weight[0], first_weight[-1])


class _BodyHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Linear(3, 4, dtype=tensor.float64)
        self.head = nn.Linear(4, 2, dtype=tensor.float64)


def test_replaced_submodule_is_seen_through_method_calls():
    def build(compile_):
        tensor.manual_seed(0)
        model = _BodyHead()
        opt, (x, y) = nn.optim.SGD(model.parameters(), lr=0.1), _data((5, 3), (5, 2))

        @compile_
        def step(x, y):
            opt.zero_grad()
            loss = F.mse_loss(model.head(model.body(x)), y)  # never model(x) itself
            loss.backward()
            opt.step()
            return loss

        def calls():
            out = [_snap(model, step(x, y)), _snap(model, step(x, y))]
            tensor.manual_seed(1)
            model.head = nn.Linear(4, 2, dtype=tensor.float64)  # the step must use this one
            return out + [_snap(model, step(x, y)), _snap(model, step(x, y))]
        return calls
    _assert_same(build)


def test_in_place_data_updates_are_replayed_or_refused():
    def build(compile_):
        model = _mlp(3, 4, 2)
        teacher, step, (x, y) = copy.deepcopy(model), _sgd_step(model), _data((5, 3), (5, 2))

        @compile_
        def ema_step(x, y):
            loss = step(x, y)
            for tp, p in zip(teacher.parameters(), model.parameters()):  # an EMA teacher
                tp.data *= 0.9
                tp.data += 0.1 * p.data
            return loss
        return lambda: [_snap(teacher, ema_step(x, y)) for _ in range(4)]
    _assert_same(build)


def test_module_attribute_assigned_in_the_step_is_replayed_or_refused():
    def build(compile_):
        model = _mlp(3, 4, 2)
        model.mean = tensor.zeros(3, dtype=tensor.float64)
        step = _sgd_step(model, lambda x: model(x - model.mean))

        @compile_
        def normalized_step(x, y):
            model.mean = model.mean * 0.9 + x.mean(0).detach() * 0.1  # a running mean
            return step(x, y)
        batches = [_data((5, 3), (5, 2), seed=i) for i in range(4)]
        return lambda: [_snap(model, normalized_step(x, y), model.mean) for x, y in batches]
    _assert_same(build)


def test_linear_on_a_3d_input_compiles():
    def build(compile_):
        model = _mlp(3, 4, 2)
        step = compile_(_sgd_step(model))
        x, y = _data((2, 5, 3), (2, 5, 2))  # (batch, time, features) into Linear
        return lambda: [_snap(model, step(x, y)) for _ in range(3)]
    _assert_same(build)


def test_single_sample_gradient_with_in_equal_to_out_features():
    def build(compile_):
        model = _mlp(3, 3)  # x (3,) and its gradient (3,): an outer product, not a dot
        step, (x, y) = compile_(_sgd_step(model)), _data((3,), (3,))
        return lambda: [_snap(model, step(x, y), model[0].weight.grad) for _ in range(3)]
    eager, _, _ = _both(build)
    assert eager[0][-1].shape == (3, 3)
    _assert_same(build)


def _fused_model():
    """Two float32 Linear layers trained by plain SGD: the compiled update is fused."""
    model = _mlp(4, 8, 3, dtype=tensor.float32)
    x = tensor.tensor(np.random.RandomState(0).randn(6, 4).astype(np.float32))
    return model, x, tensor.tensor(np.array([0, 1, 2, 0, 1, 2]))


def test_fused_gradients_behave_as_tensors(tmp_path):
    (model, x, y), (eager_model, _, _) = _fused_model(), _fused_model()
    step = tensor.compile(_sgd_step(model, loss_fn=F.cross_entropy))
    eager_step = _sgd_step(eager_model, loss_fn=F.cross_entropy)
    for _ in range(3):
        step(x, y), eager_step(x, y)
    g = model[0].weight.grad
    values = np.array(g.data)
    np.testing.assert_allclose(values, eager_model[0].weight.grad.data, 1e-4, 1e-5)
    np.testing.assert_array_equal((g * g).data, values * values)
    np.testing.assert_array_equal((g / 2).data, values / 2)
    np.testing.assert_array_equal((g + 1).data, values + 1)
    same = g == g
    assert isinstance(same, tensor.Tensor) and bool(same.all())  # elementwise, as PyTorch
    np.testing.assert_array_equal(copy.deepcopy(model)[0].weight.grad.data, values)
    assert repr(g) == repr(tensor.tensor(values))
    tensor.save({"grad": g}, tmp_path / "grad.safetensors")
    np.testing.assert_array_equal(tensor.load(tmp_path / "grad.safetensors")["grad"].data, values)


def test_manual_clip_is_applied_on_the_recording_call():
    def build(compile_):
        model, x, y = _fused_model()
        opt = nn.optim.SGD(model.parameters(), lr=0.1)

        @compile_
        def clipped_step(x, y):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            for p in model.parameters():
                p.grad.mul_(0.5)  # between backward() and step(): step() must see it
            opt.step()
            return loss
        return lambda: [_snap(model, clipped_step(x, y))]  # the first, recording call only
    _assert_same(build, rtol=1e-5, atol=1e-6)
