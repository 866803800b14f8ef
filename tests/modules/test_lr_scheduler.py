"""Every scheduler against torch.optim.lr_scheduler: the lr sequence when chained with a
lr set by hand, the closed form of step(epoch), state_dict's keys, PyTorch's warning for
a scheduler stepped before its optimizer, and ReduceLROnPlateau's modes."""

import warnings

import numpy as np
import pytest

import nn
import tensor

torch = pytest.importorskip("torch")


def _opt(lib, optim, name="SGD", groups=2):
    ps = [lib.zeros(2, requires_grad=True) for _ in range(groups)]
    kw = dict(momentum=0.9) if name == "SGD" else {}
    return getattr(optim, name)([{"params": [p], "lr": 0.1 * (i + 1)}
                                 for i, p in enumerate(ps)], **kw)


def _lam(epoch):
    return 1 / (epoch + 1)


MAKERS = {
    "LambdaLR": lambda m, o: m.LambdaLR(o, _lam),
    "MultiplicativeLR": lambda m, o: m.MultiplicativeLR(o, lambda e: 0.9),
    "StepLR": lambda m, o: m.StepLR(o, 3, 0.5),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, [2, 5, 5, 9], 0.5),
    "ConstantLR": lambda m, o: m.ConstantLR(o, 0.25, 4),
    "LinearLR": lambda m, o: m.LinearLR(o, 0.2, 0.9, 6),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, 0.8),
    "PolynomialLR": lambda m, o: m.PolynomialLR(o, 7, 2.0),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, 4, 0.001),
    "CosineAnnealingWarmRestarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, 3, 2, 0.01),
    "CyclicLR": lambda m, o: m.CyclicLR(o, 0.01, [0.1, 0.3], 3, 2, mode="triangular2"),
    "CyclicLR_exp": lambda m, o: m.CyclicLR(o, 0.01, 0.1, 2, mode="exp_range", gamma=0.9),
    "CyclicLR_fn": lambda m, o: m.CyclicLR(o, 0.01, 0.1, 2, scale_fn=_lam,
                                           scale_mode="iterations", cycle_momentum=False),
    "OneCycleLR": lambda m, o: m.OneCycleLR(o, [0.5, 0.2], total_steps=20),
    "SequentialLR": lambda m, o: m.SequentialLR(o, [m.LinearLR(o, 0.1, total_iters=3),
                                                    m.ExponentialLR(o, 0.7)], [3]),
    "ChainedScheduler": lambda m, o: m.ChainedScheduler([m.ConstantLR(o, 0.5, 4),
                                                         m.ExponentialLR(o, 0.9)]),
}


def _run(lib, optim, make, steps=18, by_hand=7):
    opt = _opt(lib, optim)
    sched = make(optim.lr_scheduler, opt)
    seen = []
    for i in range(steps):
        opt.step()
        sched.step()
        if i == by_hand:  # chainable: the schedule carries on from it
            opt.param_groups[0]["lr"] *= 0.5
        seen.append([g["lr"] for g in opt.param_groups] + [g["momentum"]
                                                           for g in opt.param_groups])
        seen.append(list(sched.get_last_lr()))
    return seen


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_schedule_with_a_lr_set_by_hand_matches_torch(name):
    steps = 18 if name != "OneCycleLR" else 19
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = _run(tensor, nn.optim, MAKERS[name], steps)
        theirs = _run(torch, torch.optim, MAKERS[name], steps)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-16)


@pytest.mark.parametrize("name", ["StepLR", "MultiStepLR", "ConstantLR", "LinearLR",
                                  "ExponentialLR", "PolynomialLR", "CosineAnnealingLR",
                                  "CosineAnnealingWarmRestarts"])
def test_step_with_an_epoch_jumps_as_torch(name):
    got = []
    for lib, optim in ((tensor, nn.optim), (torch, torch.optim)):
        opt = _opt(lib, optim)
        sched = MAKERS[name](optim.lr_scheduler, opt)
        lrs = []
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for epoch in (5, 2, 11, 3):
                opt.step()
                sched.step(epoch)
                lrs.append([g["lr"] for g in opt.param_groups])
        got.append((lrs, sorted({str(w.message)[:30] for w in caught})))
    np.testing.assert_allclose(got[0][0], got[1][0], rtol=1e-13)
    assert got[0][1] == got[1][1]


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_state_dict_keys_and_resume_match_torch(name):
    states = []
    for lib, optim in ((tensor, nn.optim), (torch, torch.optim)):
        opt = _opt(lib, optim)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sched = MAKERS[name](optim.lr_scheduler, opt)
            for _ in range(4):
                opt.step()
                sched.step()
            saved_opt, saved = opt.state_dict(), sched.state_dict()
            keys = set(saved) - {"_get_lr_called_within_step"}  # (torch's load pops some)
            opt2 = _opt(lib, optim)
            sched2 = MAKERS[name](optim.lr_scheduler, opt2)
            opt2.load_state_dict(saved_opt)
            sched2.load_state_dict(saved)
            for _ in range(5):
                opt2.step()
                sched2.step()
        states.append((keys, [g["lr"] for g in opt2.param_groups]))
    assert states[0][0] == states[1][0]
    np.testing.assert_allclose(states[0][1], states[1][1], rtol=1e-13)


def test_warns_when_the_scheduler_steps_before_the_optimizer():
    for optim in (nn.optim, torch.optim):
        lib = tensor if optim is nn.optim else torch
        opt = _opt(lib, optim)
        sched = optim.lr_scheduler.StepLR(opt, 2)
        with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
            sched.step()
        opt2 = _opt(lib, optim)
        sched2 = optim.lr_scheduler.StepLR(opt2, 2)
        opt2.step()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            sched2.step()


@pytest.mark.parametrize("mode", ["min", "max"])
@pytest.mark.parametrize("threshold_mode", ["rel", "abs"])
@pytest.mark.parametrize("cooldown", [0, 2])
def test_reduce_on_plateau_matches_torch(mode, threshold_mode, cooldown):
    metrics = np.random.default_rng(cooldown).choice([1.0, 0.99, 1.01, 0.5, 2.0], 40)
    got = []
    for lib, optim in ((tensor, nn.optim), (torch, torch.optim)):
        opt = _opt(lib, optim, "Adam")
        sched = optim.lr_scheduler.ReduceLROnPlateau(
            opt, mode=mode, factor=0.5, patience=2, threshold=0.01,
            threshold_mode=threshold_mode, cooldown=cooldown, min_lr=[0.01, 0.002], eps=1e-4)
        lrs = []
        for m in metrics:
            opt.step()
            sched.step(float(m))
            lrs.append(sched.get_last_lr() + [sched.num_bad_epochs, sched.best])
        got.append(lrs)
    np.testing.assert_allclose(got[0], got[1], rtol=1e-13)


def test_sequential_and_chained_refuse_reduce_on_plateau():
    opt = _opt(tensor, nn.optim)
    plateau = nn.optim.lr_scheduler.ReduceLROnPlateau(opt)
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        nn.optim.lr_scheduler.ChainedScheduler([plateau])
