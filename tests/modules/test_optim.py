"""Optimizers and schedulers against PyTorch's own, from identical weights."""

import numpy as np
import pytest

import nn
import tensor
from nn.optim import lr_scheduler

torch = pytest.importorskip("torch")


def twin_models(rng):
    ours = nn.Sequential(nn.Linear(6, 5, dtype=tensor.float64), nn.ReLU(),
                         nn.Linear(5, 3, dtype=tensor.float64))
    theirs = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.ReLU(),
                                 torch.nn.Linear(5, 3)).double()
    theirs.load_state_dict({k: torch.tensor(v.data) for k, v in ours.state_dict().items()})
    batches = [(rng.standard_normal((8, 6)), rng.integers(0, 3, 8)) for _ in range(10)]
    return ours, theirs, batches


OPTIMIZERS = {
    "sgd": ({"lr": 0.1}, nn.optim.SGD, torch.optim.SGD),
    "sgd_momentum": ({"lr": 0.05, "momentum": 0.9, "dampening": 0.1, "weight_decay": 1e-3},
                     nn.optim.SGD, torch.optim.SGD),
    "sgd_nesterov": ({"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
                     nn.optim.SGD, torch.optim.SGD),
    "adam": ({"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.01}, nn.optim.Adam,
             torch.optim.Adam),
    "adam_amsgrad": ({"lr": 0.01, "amsgrad": True}, nn.optim.Adam, torch.optim.Adam),
    "adamw": ({"lr": 0.01, "weight_decay": 0.1}, nn.optim.AdamW, torch.optim.AdamW),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_ten_steps_match_torch(name, rng):
    kwargs, ours_cls, torch_cls = OPTIMIZERS[name]
    ours, theirs, batches = twin_models(rng)
    opt_a, opt_b = ours_cls(ours.parameters(), **kwargs), torch_cls(theirs.parameters(), **kwargs)
    for x, y in batches:
        loss_a = nn.functional.cross_entropy(ours(tensor.tensor(x, dtype=tensor.float64)), y)
        opt_a.zero_grad()
        loss_a.backward()
        opt_a.step()
        loss_b = torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(y))
        opt_b.zero_grad()
        loss_b.backward()
        opt_b.step()
        np.testing.assert_allclose(loss_a.item(), loss_b.item(), rtol=1e-10)
    for (n, a), (_, b) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-9, atol=1e-12, err_msg=n)


def test_param_groups_with_their_own_lr(rng):
    ours, theirs, batches = twin_models(rng)
    groups_a = [{"params": ours[0].parameters()}, {"params": ours[2].parameters(), "lr": 0.5}]
    groups_b = [{"params": theirs[0].parameters()}, {"params": theirs[2].parameters(), "lr": 0.5}]
    opt_a, opt_b = nn.optim.SGD(groups_a, lr=0.01), torch.optim.SGD(groups_b, lr=0.01)
    assert [g["lr"] for g in opt_a.param_groups] == [0.01, 0.5]
    x, y = batches[0]
    nn.functional.cross_entropy(ours(tensor.tensor(x, dtype=tensor.float64)), y).backward()
    torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(y)).backward()
    opt_a.step()
    opt_b.step()
    np.testing.assert_allclose(ours[2].weight.data, theirs[2].weight.detach().numpy())


@pytest.mark.parametrize("bad", [dict(lr=-1), dict(lr=0.1, momentum=-0.5),
                                 dict(lr=0.1, weight_decay=-1), dict(lr=0.1, nesterov=True)])
def test_sgd_rejects_invalid_hyperparameters(bad):
    with pytest.raises(ValueError, match="Invalid|Nesterov"):
        nn.optim.SGD(nn.Linear(2, 2).parameters(), **bad)


def test_adam_rejects_invalid_betas():
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1: 1.5"):
        nn.optim.Adam(nn.Linear(2, 2).parameters(), betas=(0.9, 1.5))


def test_optimizer_state_dict_round_trip_continues_identically(rng):
    ours, _, batches = twin_models(rng)
    opt = nn.optim.Adam(ours.parameters(), lr=0.01)

    def step(model, optimizer, x, y):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(tensor.tensor(x, dtype=tensor.float64)), y).backward()
        optimizer.step()

    for x, y in batches[:5]:
        step(ours, opt, x, y)
    saved_model = {k: v.data.copy() for k, v in ours.state_dict().items()}
    saved_opt = opt.state_dict()
    for x, y in batches[5:]:
        step(ours, opt, x, y)
    clone, _, _ = twin_models(np.random.default_rng(1))
    clone.load_state_dict(saved_model)
    opt2 = nn.optim.Adam(clone.parameters(), lr=0.01)
    opt2.load_state_dict(saved_opt)
    for x, y in batches[5:]:
        step(clone, opt2, x, y)
    for a, b in zip(ours.parameters(), clone.parameters()):
        np.testing.assert_array_equal(a.data, b.data)


SCHEDULERS = {
    "step": (lambda o, m: m.StepLR(o, step_size=3, gamma=0.5), 12),
    "cosine": (lambda o, m: m.CosineAnnealingLR(o, T_max=10, eta_min=0.001), 25),
    "onecycle": (lambda o, m: m.OneCycleLR(o, max_lr=0.1, total_steps=40), 39),
    "onecycle_linear_3phase": (lambda o, m: m.OneCycleLR(o, max_lr=0.2, epochs=4,
                                                         steps_per_epoch=5, pct_start=0.25,
                                                         anneal_strategy="linear",
                                                         three_phase=True), 19),
}


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
@pytest.mark.parametrize("opt", ["sgd", "adam"])
def test_schedulers_match_torch(name, opt):
    make, steps = SCHEDULERS[name]
    pa = nn.Linear(2, 2).parameters()
    pb = torch.nn.Linear(2, 2).parameters()
    if opt == "sgd":
        oa, ob = nn.optim.SGD(pa, lr=0.05, momentum=0.9), torch.optim.SGD(pb, lr=0.05,
                                                                           momentum=0.9)
    else:
        oa, ob = nn.optim.Adam(pa, lr=0.05), torch.optim.Adam(pb, lr=0.05)
    sa, sb = make(oa, lr_scheduler), make(ob, torch.optim.lr_scheduler)
    for _ in range(steps):
        np.testing.assert_allclose(sa.get_last_lr(), sb.get_last_lr(), rtol=1e-9)
        key = "momentum" if opt == "sgd" else "betas"
        np.testing.assert_allclose(np.ravel(oa.param_groups[0][key]),
                                   np.ravel(ob.param_groups[0][key]), rtol=1e-9)
        oa.step()
        ob.step()
        sa.step()
        sb.step()


@pytest.mark.parametrize("three_phase", [False, True])
@pytest.mark.parametrize("total", [1, 2, 7, 40])
def test_one_cycle_to_its_last_step_and_past_it_as_torch(three_phase, total):
    """Every step's lr, the last one (where the schedule reaches its minimum) and the
    one step PyTorch allows past it included, and the error after that."""
    torch = pytest.importorskip("torch")
    import tensor

    def run(lib, optim):
        opt = optim.SGD([lib.zeros(2, requires_grad=True)], lr=0.1, momentum=0.9)
        sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=0.5, total_steps=total,
                                              three_phase=three_phase)
        lrs = [opt.param_groups[0]["lr"]]
        for _ in range(total):  # PyTorch allows one step past the last index
            opt.step()
            sched.step()
            lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        with pytest.raises(ValueError, match="total"):
            sched.step()
        return lrs

    ours, theirs = run(tensor, nn.optim), run(torch, torch.optim)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
