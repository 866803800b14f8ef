"""What tensor.compile writes out instead of calling ops: cross-entropy's forward and
backward as NumPy lines (the same expressions as the op: eager bit for bit), and
plain SGD's update folded into each Linear's weight-gradient GEMM, with the
ordinary path whenever a call may not fuse."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_compile import _batches, _setup

import nn
import nn.functional as F
import tensor


@settings(max_examples=80, deadline=None, derandomize=True)
@given(n=st.integers(1, 9), c=st.integers(1, 6), dtype=st.sampled_from([np.float32, np.float64]),
       reduction=st.sampled_from(["mean", "sum", "none"]), scale=st.sampled_from([1.0, -2.5]),
       twice=st.booleans(), magnitude=st.integers(-3, 3), seed=st.integers(0, 2**16))
def test_written_out_cross_entropy_is_eager_bit_for_bit(n, c, dtype, reduction, scale, twice,
                                                        magnitude, seed):
    rng = np.random.default_rng(seed)

    def f(x, y):
        loss = F.cross_entropy(x, y, reduction=reduction)
        if twice:  # a second use of x: its gradients add up
            loss = loss + F.cross_entropy(x, y, reduction=reduction)
        total = loss if reduction != "none" else loss.sum()
        (total * scale).backward()
        return loss

    compiled = tensor.compile(f, fullgraph=True)
    for _ in range(3):  # records, then replays twice
        x = (rng.standard_normal((n, c)) * 10.0 ** magnitude).astype(dtype)
        y = rng.integers(0, c, n)
        runs = []
        for fn in (f, compiled):
            xt = tensor.tensor(x, requires_grad=True)
            runs.append((fn(xt, tensor.tensor(y)).detach().numpy(), xt.grad.numpy()))
        for got, want in zip(runs[1], runs[0]):
            np.testing.assert_array_equal(got, want)
    assert ("target_positions(" in compiled.source) == (reduction != "none")


def test_written_out_cross_entropy_names_a_bad_target():
    compiled = tensor.compile(lambda x, y: F.cross_entropy(x, y))
    x = tensor.randn(3, 3)
    compiled(x, tensor.tensor([0, 1, 2]))
    assert "target_positions(" in compiled.source
    with pytest.raises(IndexError, match="target 5 is out of bounds for 3 classes"):
        compiled(x, tensor.tensor([0, 5, 2]))


@pytest.mark.parametrize("with_blas", [True, False])
def test_fused_sgd_update_and_its_fallback_equal_eager(with_blas, monkeypatch):
    """Plain SGD folds into the weight-gradient GEMM when NumPy's BLAS symbol is found,
    and takes the ordinary path when it is not; .grad reads as eager's either way."""
    from tensor import blas
    from tensor.compile import fuse

    if with_blas and not blas.available:
        pytest.skip("NumPy's cblas_sgemm was not found here")
    if not with_blas:
        monkeypatch.setattr(blas, "available", False)
        monkeypatch.setattr(blas, "_sgemm", None)
    eager_model, _, eager_step = _setup(np.float32, "sgd", "none", dropout=False)
    model, _, step = _setup(np.float32, "sgd", "none", dropout=False)
    compiled = tensor.compile(step)
    for x, y in _batches(np.float32, n=12):
        eager_step(x, y)
        compiled(x, y)
        kinds = {type(p.grad) for p in model.parameters()}
        for a, b in zip(eager_model.parameters(), model.parameters()):
            np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), rtol=1e-6, atol=1e-8)
            np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-6,
                                       atol=1e-7)
    assert (fuse.LazyGrad in kinds) == with_blas


def test_compiled_sgd_with_maximize_ascends_as_eager():
    """maximize=True is not plain SGD: plain_sgd() says so, and a compiled step climbs
    the loss as eager's does instead of folding a descent into the GEMM."""
    from test_compile import _model

    runs = []
    for compile_it in (False, True):
        model = _model(np.float32, dropout=False)
        opt = nn.optim.SGD(model.parameters(), lr=0.05, maximize=True)
        assert not opt.plain_sgd()

        def step(x, y, model=model, opt=opt):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return loss

        fn = tensor.compile(step) if compile_it else step
        losses = [fn(x, y).item() for x, y in _batches(np.float32, n=12)]
        runs.append((losses, [p.detach().numpy().copy() for p in model.parameters()]))
    (eager_losses, eager_params), (losses, params) = runs
    np.testing.assert_allclose(losses, eager_losses, rtol=1e-5)
    for a, b in zip(eager_params, params):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
    assert eager_losses[-1] > eager_losses[0]  # it climbed


@settings(max_examples=40, deadline=None, derandomize=True)
@given(k=st.integers(1, 40), m=st.integers(1, 30), n=st.integers(1, 30),
       alpha=st.floats(-2, 2, allow_nan=False, width=32), seed=st.integers(0, 2**16))
def test_sgemm_and_sgemv_match_numpy(k, m, n, alpha, seed):
    from tensor import blas

    if not blas.available:
        pytest.skip("NumPy's cblas_sgemm/sgemv were not found here")
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((k, m)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    c = np.asfortranarray(rng.standard_normal((n, m)).astype(np.float32)).T  # C-order Wᵀ
    y, x = rng.standard_normal(m).astype(np.float32), rng.standard_normal(k).astype(np.float32)
    want_c = c + np.float64(alpha) * (a.T.astype(np.float64) @ b)
    want_y = y + np.float64(alpha) * (a.T.astype(np.float64) @ x)
    blas.sgemm(m, n, k, alpha, blas.address(a), blas.address(b), blas.address(c))
    blas.sgemv(k, m, alpha, blas.address(a), blas.address(x), blas.address(y))
    np.testing.assert_allclose(c, want_c, rtol=1e-4, atol=1e-4 * k)
    np.testing.assert_allclose(y, want_y, rtol=1e-4, atol=1e-4 * k)


def test_the_recording_call_rounds_as_its_replays():
    """A compiled run is the same bit for bit whichever call records the plan, so a run
    resumed in a new process (which records again) continues exactly. (At these sizes
    the fused update and eager's dW-then-update round differently.)"""
    rng = np.random.default_rng(0)
    batches = [(tensor.tensor(rng.random((32, 784), dtype=np.float32)),
                tensor.tensor(rng.integers(0, 10, 32))) for _ in range(6)]

    def setup():
        tensor.manual_seed(0)
        model = nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))
        opt = nn.optim.SGD(model.parameters(), lr=0.1)

        def step(x, y):
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()

        return model, step

    (model_a, step_a), (model_b, step_b), (model_e, step_e) = setup(), setup(), setup()
    compiled_a = tensor.compile(step_a)
    for x, y in batches:
        compiled_a(x, y)  # records at step 0, replays after
        tensor.compile(step_b)(x, y)  # records at every step
        step_e(x, y)
    for a, b in zip(model_a.parameters(), model_b.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    differs = any((a.detach().numpy() != e.detach().numpy()).any()
                  for a, e in zip(model_a.parameters(), model_e.parameters()))
    assert differs  # else this test could not tell the two roundings apart



def test_without_fusion_a_replay_is_eager_bit_for_bit():
    """Adam-family steps have no fusion: the generated code runs the ops' own
    expressions, so a compiled AdamW run equals the eager one exactly."""
    from tinygrad_mnist.training.model import mlp
    from tinygrad_mnist.training.train import training_step

    rng = np.random.default_rng(0)
    models = mlp(seed=0), mlp(seed=0)
    steps = [training_step(m, nn.optim.AdamW(m.parameters(), lr=3e-3, weight_decay=1e-4),
                           None, compiled) for m, compiled in zip(models, (True, False))]
    for _ in range(4):
        x = tensor.tensor(rng.random((64, 784), dtype=np.float32))
        y = tensor.tensor(rng.integers(0, 10, 64))
        for step in steps:
            step(x, y)
    for a, b in zip(*(m.parameters() for m in models)):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def _params(model):
    return [p.detach().numpy().copy() for p in model.parameters()]


def test_a_fused_step_takes_the_ordinary_path_when_it_may_not():
    """A momentum set after the recording turns the fusion off for that call (the plan
    stays); setting it back turns it on again. Each step equals eager's."""
    from tensor.compile import fuse

    eager_model, eager_opt, eager_step = _setup(np.float32, "sgd", "none", dropout=False)
    model, opt, step = _setup(np.float32, "sgd", "none", dropout=False)
    compiled = tensor.compile(step)
    fused = []
    for i, (x, y) in enumerate(_batches(np.float32, n=15)):
        momentum = 0.9 if 5 <= i < 10 else 0.0
        for o in (eager_opt, opt):
            o.param_groups[0]["momentum"] = momentum
        eager_step(x, y)
        compiled(x, y)
        fused.append(all(isinstance(p.grad, fuse.LazyGrad) for p in model.parameters()
                         if p.ndim == 2))
        for a, b in zip(_params(eager_model), _params(model)):
            np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
    assert fused == [i < 5 or i >= 10 for i in range(15)] or not _has_blas()
    assert compiled.recorded == 2 and compiled.eager_reason is None


def _has_blas():
    from tensor import blas
    return blas.available


@pytest.mark.parametrize("eager_first", [False, True])
def test_gradients_that_accumulate_across_calls_are_kept(eager_first):
    """Without zero_grad() the gradients add up from call to call: a call that finds a
    gradient there may not fuse (the fusion would drop it), the recording call
    included (here after an eager call left gradients)."""
    models = [_setup(np.float32, "sgd", "none", dropout=False) for _ in range(2)]

    def accumulating(model, opt):
        def step(x, y):
            F.cross_entropy(model(x), y).backward()
            opt.step()
        return step

    eager = accumulating(*models[0][:2])
    compiled = tensor.compile(accumulating(*models[1][:2]))
    for i, (x, y) in enumerate(_batches(np.float32, n=8)):
        eager(x, y)
        (accumulating(*models[1][:2]) if eager_first and i == 0 else compiled)(x, y)
        for a, b in zip(models[0][0].parameters(), models[1][0].parameters()):
            np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-5,
                                       atol=1e-6)


def test_parameters_outside_the_fused_layers_are_stepped_by_the_optimizer():
    tensor.manual_seed(0)
    runs = []
    for compiled in (False, True):
        tensor.manual_seed(0)
        model = nn.Sequential(nn.Linear(12, 16), nn.ReLU(), nn.Linear(16, 5))
        scale = tensor.tensor(1.5, requires_grad=True)
        opt = nn.optim.SGD([*model.parameters(), scale], lr=0.1)

        def step(x, y, model=model, scale=scale, opt=opt):
            opt.zero_grad()
            F.cross_entropy(model(x) * scale, y).backward()
            opt.step()

        fn = tensor.compile(step) if compiled else step
        for x, y in _batches(np.float32, n=6):
            fn(x, y)
        runs.append([*_params(model), scale.item()])
    assert runs[1][-1] != 1.5  # the scale was trained
    for a, b in zip(*runs):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


def test_a_parameter_group_added_later_is_stepped():
    """The plan skips SGD.step() when the GEMMs did all its parameters; a group added
    afterwards must be stepped (the plan records again)."""
    runs = []
    for compiled in (False, True):
        tensor.manual_seed(0)
        model = nn.Sequential(nn.Linear(12, 16), nn.ReLU(), nn.Linear(16, 5))
        scale = tensor.tensor(1.5, requires_grad=True)
        opt = nn.optim.SGD(model.parameters(), lr=0.1)

        def step(x, y, model=model, scale=scale, opt=opt):
            opt.zero_grad()  # scale's gradient adds up until it joins the optimizer
            F.cross_entropy(model(x) * scale, y).backward()
            opt.step()

        fn = tensor.compile(step, fullgraph=True) if compiled else step
        for i, (x, y) in enumerate(_batches(np.float32, n=6)):
            if i == 3:
                opt.add_param_group({"params": [scale]})
            fn(x, y)
        runs.append([*_params(model), scale.item()])
    assert runs[1][-1] != 1.5  # stepped after its group was added
    for a, b in zip(*runs):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("hooked_at", [0, 3])
def test_a_hook_on_a_fused_parameter_sees_its_gradient(hooked_at):
    """A leaf hook (gradient clipping, say) must act on the update: a parameter with a
    hook takes the ordinary path, whether hooked before the recording or after."""
    runs = []
    for compiled in (False, True):
        model, opt, step = _setup(np.float32, "sgd", "none", dropout=False)
        fn = tensor.compile(step) if compiled else step
        for i, (x, y) in enumerate(_batches(np.float32, n=6)):
            if i == hooked_at:
                model[0].weight.register_hook(lambda g: g.clamp(-1e-3, 1e-3))
            fn(x, y)
        runs.append(_params(model))
    for a, b in zip(*runs):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
