"""tensor.compile: a replayed step equals the eager step (weights, returned loss,
.grad, optimizer and scheduler state, dropout's draws), guards record new plans,
and what can't be replayed falls back to eager loudly (or raises with fullgraph)."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest

import nn
import nn.functional as F
import tensor
from tensor import CaptureError


def _model(dtype, dropout=False, seed=0):
    tensor.manual_seed(seed)
    layers = [nn.Linear(12, 16, dtype=dtype), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(0.3))
    layers += [nn.Linear(16, 5, dtype=dtype)]
    return nn.Sequential(*layers)


OPTIMIZERS = {
    "sgd": lambda p: nn.optim.SGD(p, lr=0.1),
    "momentum": lambda p: nn.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=1e-3),
    "nesterov": lambda p: nn.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    "adam": lambda p: nn.optim.Adam(p, lr=1e-2),
    "adamw": lambda p: nn.optim.AdamW(p, lr=1e-2, weight_decay=0.1),
    "adadelta": lambda p: nn.optim.Adadelta(p),
}
SCHEDULERS = {
    "none": None,
    "step": lambda o: nn.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5),
    "onecycle": lambda o: nn.optim.lr_scheduler.OneCycleLR(
        o, max_lr=0.05, total_steps=60, cycle_momentum=o.param_groups[0].get("momentum", 0) > 0
        or "betas" in o.param_groups[0]),
}


def _setup(dtype, optimizer, scheduler, dropout):
    model = _model(dtype, dropout)
    opt = OPTIMIZERS[optimizer](model.parameters())
    sched = SCHEDULERS[scheduler](opt) if SCHEDULERS[scheduler] else None

    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()
        return loss

    return model, opt, step


def _batches(dtype, n=50, seed=1):
    rng = np.random.default_rng(seed)
    for i in range(n):
        size = 8 if i % 7 else 5  # every 7th batch is smaller: a second plan
        yield (tensor.tensor(rng.standard_normal((size, 12)).astype(dtype)),
               tensor.tensor(rng.integers(0, 5, size)))


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("scheduler", sorted(SCHEDULERS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_compiled_steps_equal_eager_steps(optimizer, scheduler, dtype):
    eager_model, eager_opt, eager_step = _setup(dtype, optimizer, scheduler, dropout=True)
    model, opt, step = _setup(dtype, optimizer, scheduler, dropout=True)
    compiled = tensor.compile(step)
    tensor.manual_seed(7)
    eager = [(eager_step(x, y).item(), [p.grad.numpy().copy() for p in eager_model.parameters()])
             for x, y in _batches(dtype)]
    tensor.manual_seed(7)  # the same dropout masks, drawn in the same order
    replayed = [(compiled(x, y).item(), [p.grad.numpy().copy() for p in model.parameters()])
                for x, y in _batches(dtype)]
    assert compiled.eager_reason is None and len(compiled.plans) == 2
    # float64 to 1e-12. float32: plain SGD's update is folded into the weight-gradient
    # GEMM (W + (−lr)·gᵀx in one sgemm, rounded once instead of twice), so to float32's
    # rounding of a reordered sum: 1e-6 relative over 50 steps
    tol = dict(rtol=1e-12, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-6, atol=1e-7)
    for (loss_a, grads_a), (loss_b, grads_b) in zip(eager, replayed):
        np.testing.assert_allclose(loss_b, loss_a, **tol)
        for a, b in zip(grads_a, grads_b):
            np.testing.assert_allclose(b, a, **tol)
    for a, b in zip(eager_model.parameters(), model.parameters()):
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), **tol)
    assert opt.param_groups[0]["lr"] == eager_opt.param_groups[0]["lr"]


def test_outputs_are_not_overwritten_by_the_next_call():
    _, _, step = _setup(np.float32, "sgd", "none", dropout=False)
    compiled = tensor.compile(step)
    losses = [compiled(x, y) for x, y in _batches(np.float32, n=6)]
    values = [loss.item() for loss in losses]
    assert len(set(values)) == len(values)  # six batches, six different losses
    assert [loss.item() for loss in losses] == values


def test_guards_record_new_plans_for_modes_and_shapes():
    model, _, step = _setup(np.float32, "sgd", "none", dropout=True)
    compiled = tensor.compile(step)
    batches = list(_batches(np.float32, n=8))
    compiled(*batches[1])
    compiled(*batches[2])
    assert compiled.recorded == 1
    model.eval()  # dropout off: the plan recorded in training mode must not run
    compiled(*batches[3])
    assert compiled.recorded == 2
    compiled(*batches[0])  # a batch of 5
    assert compiled.recorded == 3
    with tensor.no_grad():
        forward = tensor.compile(lambda x: model(x))
        forward(batches[1][0])
        out = forward(batches[2][0])
    np.testing.assert_allclose(out.numpy(), model(batches[2][0]).detach().numpy(), rtol=1e-6)


@pytest.mark.parametrize("body,reason", [
    # .item() whose value is used (here in arithmetic) before being returned
    (lambda model, x, y: F.cross_entropy(model(x), y).item() * 2, "item()"),
    (lambda model, x, y: print(model(x)), "__repr__"),
    (lambda model, x, y: model(x)[[0, 1]].sum(), "made inside the function"),
    (lambda model, x, y: model(x) if bool(x.sum() > 0) else model(-x), "__bool__"),
    # what is returned must be recomputed by a replay, not frozen at the first call's
    (lambda model, x, y: model(x).data, "returns a NumPy ndarray"),
    (lambda model, x, y: {"top": model(x).data.max()}, "returns a NumPy float32"),
    # in-place changes are not recorded: a replay would skip them
    (lambda model, x, y: model(x).detach().mul_(2).sum(), "mul_(), which changes a tensor in"),
    (lambda model, x, y: (x.add_(1), model(x).sum())[1], "add_()"),
    (lambda model, x, y: (x.__setitem__(0, 7.0), model(x).sum())[1], "__setitem__()"),
    # reseeding inside: a replay would draw dropout's masks from the unseeded stream
    (lambda model, x, y: (tensor.manual_seed(0), F.dropout(model(x), 0.5).sum())[1],
     "manual_seed() inside"),
    # gradients clipped by hand between backward() and step(): not repeated by a replay
    (lambda model, x, y: (F.cross_entropy(model(x), y).backward(),
                          np.clip(model[0].weight.grad.data, -1e-3, 1e-3)),
     "reads a parameter's .grad"),
])
def test_what_cannot_be_replayed_runs_eagerly_with_one_warning(body, reason, capsys):
    model = _model(np.float32)
    batches = list(_batches(np.float32, n=3))
    compiled = tensor.compile(lambda x, y: body(model, x, y))
    with pytest.warns(RuntimeWarning, match="runs eagerly"):
        compiled(*batches[1])
    assert reason in compiled.eager_reason
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one warning only
        compiled(*batches[2])
    strict = tensor.compile(lambda x, y: body(model, x, y), fullgraph=True)
    with pytest.raises(CaptureError, match="compile: "):
        strict(*batches[1])
    capsys.readouterr()


@pytest.mark.parametrize("body", [
    lambda model, x, y: tensor.where(x > 0, x, -x).sum(),
    lambda model, x, y: model(x).argmax(1),
    lambda model, x, y: (model(x).sum().detach(), model(x) > 0),
    lambda model, x, y: (model(x).argmax(1) == y).sum(),
    lambda model, x, y: F.cross_entropy(model(x), y.int().long()) + tensor.zeros(5).sum(),
    lambda model, x, y: F.mse_loss(model(x).softmax(1), F.one_hot(y, 5).float()),
    lambda model, x, y: model(x)[tensor.arange(y.shape[0]), y].sum(),
])
def test_values_without_gradient_are_recorded_and_replayed(body):
    """Comparisons, argmax, integer casts and tensors made from a shape are ops: a
    replay computes them again from the new batch, as eager does."""
    model = _model(np.float64)
    compiled = tensor.compile(lambda x, y: body(model, x, y))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # recorded, not refused
        for x, y in _batches(np.float64, n=4):
            got, want = compiled(x, y), body(model, x, y)
            for g, w in zip(got if isinstance(got, tuple) else (got,),
                            want if isinstance(want, tuple) else (want,)):
                np.testing.assert_array_equal(g.detach().numpy(), w.detach().numpy())
    assert compiled.last is not None


def test_an_item_returned_at_once_is_read_again_at_every_replay():
    """return loss.item() (or float(loss), in a tuple or dict) is replayed: the value
    goes straight into what is returned, so a replay reads its own loss."""
    model = _model(np.float64)
    opt = nn.optim.SGD(model.parameters(), lr=0.1)

    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return {"loss": loss.item(), "again": float(loss)}

    compiled = tensor.compile(step)
    twin = copy.deepcopy((model, opt))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = [compiled(x, y) for x, y in _batches(np.float64, n=6)]
    model, opt = twin
    want = [step(x, y) for x, y in _batches(np.float64, n=6)]
    assert got == want and len({g["loss"] for g in got}) == 6
    assert compiled.last is not None


def test_an_epoch_the_step_never_reads_and_train_eval_switches_do_not_record_again():
    """step(x, y, epoch) with epoch unread records once, not once per epoch; a step
    that calls model.train() alternating with an eval function that calls
    model.eval() keeps one plan per entry mode, and leaves the mode as eager does."""
    model = _model(np.float64, dropout=True)
    opt = nn.optim.SGD(model.parameters(), lr=0.1)

    def step(x, y, epoch, scale=1.0):
        model.train()
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    def evaluate(x):
        model.eval()
        with tensor.no_grad():
            return model(x).argmax(1)

    def run(step, evaluate):
        tensor.manual_seed(3)
        out = []
        for epoch in range(12):
            for x, y in _batches(np.float64, n=3, seed=epoch):
                out.append(step(x, y, epoch, scale=float(epoch)).item())
            out += [evaluate(x).tolist(), model.training]
        return out

    twin = copy.deepcopy((model, opt))
    compiled, compiled_eval = tensor.compile(step), tensor.compile(evaluate)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = run(compiled, compiled_eval)
    model, opt = twin
    assert got == run(step, evaluate)
    assert compiled.recorded <= 4 and compiled_eval.recorded <= 2  # not one per epoch

    def uses_epoch(x, y, epoch):
        return (model(x) * epoch).sum()  # the epoch is baked into the plan: a guard

    compiled = tensor.compile(uses_epoch)
    x, y = next(_batches(np.float64, n=1))
    for epoch in (1, 2, 1):
        np.testing.assert_allclose(compiled(x, y, epoch).item(),
                                   uses_epoch(x, y, epoch).item(), rtol=1e-12)


def test_the_same_tensor_passed_twice_is_a_guard():
    """Recorded with f(x, x), a plan reads both arguments from one place: a call with
    two different tensors (or the reverse) must record its own plan."""
    def f(a, b):
        out = (a * 2 + b * b).sum()
        out.backward()
        return out

    compiled = tensor.compile(f)
    rng = np.random.default_rng(0)
    for same in (True, False, True, False, False):
        p = tensor.tensor(rng.standard_normal(3), requires_grad=True)
        q = p if same else tensor.tensor(rng.standard_normal(3), requires_grad=True)
        got = compiled(p, q).item(), p.grad.numpy().copy()
        p.grad = q.grad = None
        want = f(p, q).item(), p.grad.numpy().copy()
        np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
        np.testing.assert_allclose(got[1], want[1], rtol=1e-12)
    assert compiled.recorded == 2


def test_reassigned_parameters_and_submodules_record_new_plans():
    """A plan reads the parameter objects it recorded: replacing one (or a layer, or
    adding one to a Sequential) must not replay the old ones."""
    class Net(nn.Module):
        def __init__(self):
            self.body = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
            self.head = nn.Linear(4, 2)

        def forward(self, x):
            return self.head(self.body(x))

    tensor.manual_seed(0)
    net = Net()
    compiled = tensor.compile(lambda x: net(x).sum())
    x = tensor.tensor(np.arange(6.0, dtype=np.float32).reshape(2, 3))
    changes = [lambda: setattr(net.head, "weight", nn.Parameter(tensor.ones(2, 4))),
               lambda: setattr(net, "head", nn.Linear(4, 2)),
               lambda: net.body.append(nn.Linear(4, 4)),
               lambda: delattr(net.body, "2"),
               lambda: setattr(net.body[0], "bias", None)]
    for change in [lambda: None, *changes]:
        change()
        for _ in range(2):  # records, then replays
            got = compiled(x).detach().numpy()
            np.testing.assert_array_equal(got, net(x).sum().detach().numpy())
    assert compiled.recorded == 1 + len(changes)


_SCALE = 2.0
_CALLS = 0


def _scaled_sum(x):
    return (x * _SCALE).sum()


def _counting_sum(x):
    global _CALLS
    _CALLS += 1
    return x.sum()


def test_rebinding_what_the_function_names_records_again():
    """The plan bakes in the objects the function names (a global number, the
    optimizer in its closure): rebinding one must record again, not replay the old."""
    global _SCALE
    compiled, x = tensor.compile(_scaled_sum), tensor.ones(3)
    assert [compiled(x).item() for _ in range(2)] == [6.0, 6.0]
    _SCALE = 3.0
    assert [compiled(x).item() for _ in range(2)] == [9.0, 9.0]
    _SCALE = 2.0
    assert compiled.recorded == 2

    def train(compile_it: bool) -> list:
        model = _model(np.float32)
        opt = nn.optim.SGD(model.parameters(), lr=0.1)

        def step(x, y):
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()

        fn = tensor.compile(step) if compile_it else step
        for i, (x, y) in enumerate(_batches(np.float32, n=6)):
            if i == 3:  # another optimizer, under the same name
                opt = nn.optim.Adam(model.parameters(), lr=0.01)
            fn(x, y)
        return [p.detach().numpy() for p in model.parameters()]

    for a, b in zip(train(False), train(True)):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


def test_a_function_that_rebinds_a_global_never_replays_stale():
    """A counter the function increments changes what it names at every call: each
    call records again (so the counter counts), then it runs eagerly, with one warning."""
    compiled, x = tensor.compile(_counting_sum), tensor.ones(2)
    start = _CALLS
    with pytest.warns(RuntimeWarning, match="cache_size_limit"):
        for _ in range(10):
            assert compiled(x).item() == 2.0
    assert _CALLS - start == 10


def test_train_and_eval_keep_a_plan_each_and_module_settings_record_again():
    """Switching between train() and eval() reuses both plans; a module setting the
    plan baked in (a dropout's p) records again."""
    model = _model(np.float32, dropout=True)
    compiled = tensor.compile(lambda x: model(x).sum())
    x = next(_batches(np.float32))[0]
    for p in (0.3, 0.3, 0.9):
        model[2].p = p
        for _ in range(3):
            for mode in (model.eval, model.train):
                mode()
                tensor.manual_seed(5)
                got = compiled(x).item()
                tensor.manual_seed(5)
                assert got == model(x).sum().item()
    assert compiled.recorded == 6  # two modes × the three assignments of p


def test_freezing_a_layer_records_again():
    """requires_grad_(False) on a layer's parameters stops its training, compiled as
    eagerly (the plan would still update it)."""
    runs = []
    for compile_it in (False, True):
        model = _model(np.float32)
        opt = nn.optim.SGD(model.parameters(), lr=0.1)

        def step(x, y, model=model, opt=opt):
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()

        fn = tensor.compile(step) if compile_it else step
        for i, (x, y) in enumerate(_batches(np.float32, n=6)):
            if i == 3:
                for p in model[0].parameters():
                    p.requires_grad_(False)
            fn(x, y)
        runs.append([p.detach().numpy() for p in model.parameters()])
    for a, b in zip(*runs):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


def test_returned_tensors_are_recomputed_by_every_replay():
    """Outputs of ops (detached or not) come from the replay; a tensor from outside
    the function is returned as itself."""
    model = _model(np.float32)
    scale = tensor.tensor(2.0)
    compiled = tensor.compile(lambda x: (model(x).detach() * scale, model[0].weight, scale))
    for x, _ in _batches(np.float32, n=4):
        out, weight, same = compiled(x)
        np.testing.assert_array_equal(out.numpy(), (model(x) * 2).detach().numpy())
        assert weight is model[0].weight and same is scale
    assert compiled.recorded == 2 and compiled.eager_reason is None


def test_a_parameter_changed_outside_an_optimizer_is_caught():
    model = _model(np.float32)

    def manual_sgd(x, y):
        loss = F.cross_entropy(model(x), y)
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data *= 0.99  # weight decay by hand, in NumPy (p *= … is an in-place op)
        return loss

    compiled = tensor.compile(manual_sgd)
    with pytest.warns(RuntimeWarning, match="changes a tensor .* in place"):
        compiled(*next(_batches(np.float32)))


def test_assigning_grad_inside_the_function_is_caught():
    w = tensor.ones(3, requires_grad=True)

    def step(x):
        w.grad = None  # a replay would not repeat this: the gradients would add up
        (x * w).sum().backward()

    compiled = tensor.compile(step)
    with pytest.warns(RuntimeWarning, match=r"assigns a parameter's \.grad itself"):
        compiled(tensor.ones(3))
    compiled(tensor.ones(3))
    assert w.grad.tolist() == [1.0, 1.0, 1.0]


def test_past_the_cache_limit_it_runs_eagerly():
    model = _model(np.float64)
    compiled = tensor.compile(lambda x: model(x).sum(), cache_size_limit=2)
    compiled(tensor.zeros(1, 12, dtype=tensor.float64))
    compiled(tensor.zeros(2, 12, dtype=tensor.float64))
    with pytest.warns(RuntimeWarning, match="cache_size_limit=2"):
        compiled(tensor.zeros(3, 12, dtype=tensor.float64))
    assert compiled(tensor.ones(4, 12, dtype=tensor.float64)).shape == ()


def test_decorator_forms_and_leaf_inputs_get_gradients():
    @tensor.compile
    def f(a, b):
        out = (a * b).sum()
        out.backward()
        return out

    @tensor.compile(fullgraph=True)
    def g(a):
        return (a * a).sum()

    for _ in range(3):
        a = tensor.tensor([1.0, 2.0, 3.0], requires_grad=True)
        b = tensor.tensor([4.0, 5.0, 6.0])
        assert f(a, b).item() == 32.0
        assert a.grad.tolist() == [4.0, 5.0, 6.0]
        assert g(a).item() == 14.0
    assert f.recorded == 1 and g.recorded == 1


def test_broadcast_gradients_are_summed_back_as_in_eager():
    w = tensor.tensor(np.linspace(-1, 1, 12).reshape(1, 12), requires_grad=True)
    b = tensor.tensor(0.5, requires_grad=True)

    opt = nn.optim.SGD([w, b], lr=0.0)

    def step(x):
        opt.zero_grad()
        loss = ((x * w + b).relu() ** 2).mean()
        loss.backward()
        return loss

    compiled = tensor.compile(step)
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = tensor.tensor(rng.standard_normal((8, 12)))
        expected = step(x).item(), w.grad.numpy().copy(), b.grad.numpy().copy()
        got = compiled(x).item(), w.grad.numpy().copy(), b.grad.numpy().copy()
        assert got[1].shape == (1, 12) and got[2].shape == ()
        for a, e in zip(got, expected):
            np.testing.assert_allclose(a, e, rtol=1e-12)
    assert compiled.recorded == 1 and compiled.eager_reason is None


# ----- every op of the contract, through compile ----------------------------------------
from op_table import BINARY, BINARY_PAIRS, MATRIX, UNARY, sample  # noqa: E402

# ops whose functions make a tensor inside from values (a list of indices) or whose
# output shape depends on values (a boolean mask): the compiled function must notice
# and run them eagerly, still with the right results. (A comparison's mask for where()
# and the argmax that max and min along a dim gather at are recorded ops.)
MADE_INSIDE = {"index_mask", "gather", "index_array_repeats", "index_pairs"}
# in-place updates of tensors in the graph (out += b) are not replayed: they run eagerly
MADE_INSIDE |= {name for name in MATRIX if name.startswith("inplace_")}
# index_select, repeat_interleave and masked_select index with an array, as gather
MADE_INSIDE |= {"index_select", "repeat_interleave", "masked_select"}

CASES = ([(f"unary:{name}", fn, [((3, 4), kind)]) for name, (fn, kind) in UNARY.items()]
         + [(f"matrix:{name}", fn, [((3, 4), "nonzero")]) for name, fn in MATRIX.items()]
         + [(f"binary:{name}:{a}x{b}", fn, [(a, "positive"), (b, "positive")])
            for name, fn in BINARY.items() for a, b in BINARY_PAIRS[::4]])


@pytest.mark.parametrize("name,fn,inputs", CASES, ids=[c[0] for c in CASES])
def test_every_op_replays_as_eager(name, fn, inputs):
    rng = np.random.default_rng(0)

    def run(*xs):
        out = fn(*xs, tensor)
        (out * out).sum().backward()  # a gradient that differs per element
        return out

    compiled = tensor.compile(run)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            arrays = [sample(rng, shape, kind) for shape, kind in inputs]
            got_in = [tensor.tensor(a, requires_grad=True) for a in arrays]
            want_in = [tensor.tensor(a, requires_grad=True) for a in arrays]
            got, want = compiled(*got_in), run(*want_in)
            np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(),
                                       rtol=1e-12, atol=1e-12)
            for g, w in zip(got_in, want_in):
                np.testing.assert_allclose(g.grad.numpy(), w.grad.numpy(), rtol=1e-12,
                                           atol=1e-12)
    op = name.split(":")[1]
    assert (compiled.eager_reason is not None) == (op in MADE_INSIDE), compiled.eager_reason
    assert len(caught) == (1 if op in MADE_INSIDE else 0)


def test_the_official_mnist_examples_step_replays_as_eager():
    """PyTorch's MNIST example's step (conv, max-pool, dropout, flatten, log_softmax,
    nll_loss, Adadelta, StepLR) is captured whole, and replays as eager steps."""

    def setup():
        tensor.manual_seed(0)
        model = nn.Sequential(nn.Conv2d(1, 4, 3, dtype=np.float64), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Dropout(0.25), nn.Flatten(),
                              nn.Linear(64, 10, dtype=np.float64), nn.LogSoftmax(1))
        opt = nn.optim.Adadelta(model.parameters(), lr=1.0)
        sched = nn.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.7)

        def step(x, y):
            opt.zero_grad()
            loss = F.nll_loss(model(x), y)
            loss.backward()
            opt.step()
            sched.step()
            return loss

        return model, step

    (eager_model, eager_step), (model, step) = setup(), setup()
    compiled = tensor.compile(step, fullgraph=True)
    rng = np.random.default_rng(0)
    batches = [(tensor.tensor(rng.random((8, 1, 10, 10))), tensor.tensor(rng.integers(0, 10, 8)))
               for _ in range(6)]
    tensor.manual_seed(1)
    eager = [eager_step(x, y).item() for x, y in batches]
    tensor.manual_seed(1)
    replayed = [compiled(x, y).item() for x, y in batches]
    assert compiled.recorded == 1
    np.testing.assert_allclose(replayed, eager, rtol=1e-12)
    for a, b in zip(eager_model.parameters(), model.parameters()):
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-12, atol=1e-15)
