"""tensor.compile with the layers of nn/normalization.py, nn/activation.py and the
containers: a step through LayerNorm + GELU + BatchNorm1d trained compiled and eager
from identical state gives equal parameters, running statistics and losses.
BatchNorm's running statistics move in place inside the step, which a replay would
not repeat: such a step runs eagerly with one warning, never silently different.
The eval function (no update) is replayed, and reads the running statistics as they
are at each call."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest

import nn
import nn.functional as F
import tensor


def _model(batchnorm=True, seed=0):
    tensor.manual_seed(seed)
    blocks = nn.ModuleList([nn.Linear(6, 8, dtype=np.float64), nn.LayerNorm(8, dtype=np.float64),
                            nn.GELU()])
    if batchnorm:
        blocks.append(nn.BatchNorm1d(8, dtype=np.float64))
    blocks.extend([nn.SiLU(), nn.Linear(8, 3, dtype=np.float64)])
    return nn.Sequential(*blocks)


def _batches(n=6, seed=1):
    rng = np.random.default_rng(seed)
    return [(tensor.tensor(rng.standard_normal((5, 6)) * 2 + i),
             tensor.tensor(rng.integers(0, 3, 5))) for i in range(n)]


def _train(model, compile_it):
    opt = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    def step(x, y):
        model.train()
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    run = tensor.compile(step) if compile_it else step
    losses = [run(x, y).item() for x, y in _batches()]
    return losses, run


def _evaluate(model, compile_it):
    def evaluate(x):
        model.eval()
        with tensor.no_grad():
            return model(x)

    return tensor.compile(evaluate) if compile_it else evaluate


@pytest.mark.parametrize("batchnorm", [True, False])
def test_compiled_training_equals_eager(batchnorm):
    eager, compiled = _model(batchnorm), _model(batchnorm)
    assert all(np.array_equal(a.numpy(), b.numpy()) for a, b in
               zip(eager.state_dict().values(), compiled.state_dict().values()))
    want, _ = _train(eager, compile_it=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got, run = _train(compiled, compile_it=True)
    assert got == want
    for (name, a), b in zip(eager.state_dict().items(), compiled.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)
    if batchnorm:  # refused, loudly and once: the running statistics change in place
        assert run.eager_reason is not None and "in place" in run.eager_reason
        assert sum("runs eagerly" in str(w.message) for w in caught) == 1
        assert compiled[3].num_batches_tracked.item() == 6
    else:  # LayerNorm, GELU, SiLU in a ModuleList's Sequential: replayed
        assert run.eager_reason is None and not caught
    # eval: replayed, reading the running statistics current at each call
    evaluate, evaluate_eager = _evaluate(compiled, True), _evaluate(eager, False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for x, _ in _batches(n=3, seed=5):
            np.testing.assert_array_equal(evaluate(x).numpy(), evaluate_eager(x).numpy())
        if batchnorm:
            for m in (compiled, eager):
                with tensor.no_grad():
                    m[3].running_mean.add_(0.5)
            x = _batches(n=1, seed=9)[0][0]
            np.testing.assert_array_equal(evaluate(x).numpy(), evaluate_eager(x).numpy())
    assert evaluate.eager_reason is None


def test_a_compiled_step_keeps_the_model_copyable_and_loadable():
    model = _model()
    _train(model, compile_it=False)
    twin = copy.deepcopy(model)
    fresh = _model(seed=3)
    fresh.load_state_dict(twin.state_dict())
    x = _batches(n=1, seed=4)[0][0]
    np.testing.assert_array_equal(_evaluate(fresh, False)(x).numpy(),
                                  _evaluate(model, False)(x).numpy())


def test_infinite_constants_replay():
    """A comparison with ±inf (attention's "every key masked" test) replays: the
    constant is no Python literal in the written code."""
    def f(x):
        return ((x == float("-inf")).float() + (x < float("inf")).float() * 2).sum()

    compiled = tensor.compile(f, fullgraph=True)
    for values in ([1.0, float("-inf"), float("inf")], [float("-inf")] * 3):
        x = tensor.tensor(values)
        assert compiled(x).item() == f(x).item()


def test_a_module_list_changed_in_place_records_again():
    """append/insert/del on a ModuleList bump its version: a compiled forward
    through it records a new plan instead of replaying the old layers."""
    tensor.manual_seed(0)
    blocks = nn.ModuleList([nn.Linear(4, 4, dtype=np.float64), nn.GELU()])

    def forward(x):
        for block in blocks:
            x = block(x)
        return x

    compiled = tensor.compile(forward)
    x = tensor.tensor(np.random.default_rng(0).standard_normal((3, 4)))
    changes = [lambda: None, lambda: blocks.append(nn.LayerNorm(4, dtype=np.float64)),
               lambda: blocks.insert(0, nn.SiLU()), lambda: blocks.__delitem__(1),
               lambda: blocks.__setitem__(0, nn.ELU())]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for change in changes:
            change()
            for _ in range(2):
                np.testing.assert_array_equal(compiled(x).detach().numpy(),
                                              forward(x).detach().numpy())


def test_a_compiled_module_with_batchnorm_runs_eagerly_in_training():
    tensor.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 8, dtype=np.float64), nn.BatchNorm1d(8, dtype=np.float64),
                          nn.GELU())
    twin = copy.deepcopy(model)
    compiled = tensor.compile(model)
    rng = np.random.default_rng(0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            x = tensor.tensor(rng.standard_normal((5, 6)))
            got, want = compiled(x), twin(x)
            got.sum().backward()
            want.sum().backward()
            np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())
    assert sum("runs eagerly" in str(w.message) for w in caught) == 1
    for (name, a), b in zip(model.state_dict().items(), twin.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)
    for (name, p), q in zip(model.named_parameters(), twin.parameters()):
        np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy(), err_msg=name)
