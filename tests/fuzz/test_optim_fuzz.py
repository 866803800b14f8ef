"""A generated differential fuzzer for ``nn.optim`` and ``nn.optim.lr_scheduler``
against ``torch.optim``: from one seed, a random optimizer (all nine) with random valid
hyperparameters and 1–3 parameter groups with their own overrides, float32 or float64,
no schedule, one, a SequentialLR/ChainedScheduler of two, or two schedulers on the same
optimizer; then 5–15 steps with random events (a frozen parameter whose grad is None,
a real backward through a small model or gradients set by hand, lr changed by hand,
zero_grad(set_to_none=False), a state_dict round trip into a fresh optimizer and
scheduler, add_param_group). Both frameworks run the same program on the same numbers;
after every step every parameter, every group's lr, momentum and betas, and
get_last_lr() are compared; an exception must be raised by both or neither.

CI runs seeds 0 … CI_CASES−1; ``pytest --fuzz N`` runs N more. A failing case
prints its seed and its program; ``python tests/fuzz/test_optim_fuzz.py SEED`` replays
it. The bugs it found each have a named test in tests/modules/test_lr_scheduler.py.
"""

from __future__ import annotations

import math
import os
import sys
import warnings

import numpy as np
import pytest

import nn
import tensor

torch = pytest.importorskip("torch")

CI_CASES = 480
BLOCKS = 8
# float64: both run the same operations in the same order, differing only where PyTorch
# fuses a multiply-add (rounded twice here in float64) or its vectorised sqrt rounds
# differently: the last bit, a few times over 15 steps: rtol 1e-9 (atol 1e-12 for an
# element passing through 0).
# float32: the same last-bit differences, 2⁻²⁴ ≈ 6e-8 of each value, but adaptive steps
# are normalised (g/√v moves every element by about lr whatever its gradient), so a
# rounding in the tensor's largest values lands, through momentum and sign changes, on
# its small ones: measured up to 6e-6 absolute on a tensor whose largest element is 6
# (RMSprop, momentum, eps 1e-10), with PyTorch's own float32 run as far from the float64
# one; centered RMSprop with weight decay is worse conditioned still (√(v − ḡ²) cancels,
# and ḡ carries the weights' last bits): 1.3e-5 on a tensor of largest element 0.55
# (seed 2744). So rtol 2e-5 and atol 3e-5 × the tensor's largest |value|: a few hundred
# ulp of the largest element, still far below what a wrong formula, order or missed step
# moves (≥ 1e-3).
TOLERANCE = {"float64": (1e-9, 1e-12), "float32": (2e-5, 3e-5)}

NAMES = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adamax", "NAdam", "RAdam", "Adadelta"]
CYCLES = {"SGD", "RMSprop", "Adam", "AdamW", "Adamax", "NAdam", "RAdam"}  # momentum or betas


def _hparams(name: str, rng, group: bool = False) -> dict:
    """Random valid hyperparameters for one optimizer (a group's: a few of them)."""
    u = lambda a, b: float(rng.uniform(a, b))  # noqa: E731
    coin = lambda p=0.5: bool(rng.random() < p)  # noqa: E731
    lr = float(10 ** rng.uniform(-3, -0.5)) if name != "Adadelta" else u(0.1, 1.5)
    kw = {"lr": lr}
    if coin(0.5):
        kw["weight_decay"] = float(rng.choice([0.0, 1e-3, 0.01, 0.1]))
    if coin(0.3):
        kw["maximize"] = True
    if name == "SGD":
        if coin(0.6):
            kw["momentum"] = u(0.1, 0.95)
            if coin(0.4):
                kw["nesterov"] = True
            elif coin(0.5):
                kw["dampening"] = u(0, 0.5)
    if name in ("Adam", "AdamW", "Adamax", "NAdam", "RAdam") and coin():
        kw["betas"] = (u(0.5, 0.95), u(0.9, 0.9999))
    if name in ("Adam", "AdamW") and coin(0.4):
        kw["amsgrad"] = True
    if name in ("Adam", "NAdam", "RAdam") and coin(0.4):
        kw["decoupled_weight_decay"] = True
    if name == "NAdam" and coin():
        kw["momentum_decay"] = u(0, 0.01)
    if name == "RMSprop":
        if coin():
            kw["alpha"] = u(0.8, 0.999)
        if coin():
            kw["centered"] = True
        if coin() and not group:
            kw["momentum"] = u(0.1, 0.9)
    if name == "Adagrad":
        if coin():
            kw["lr_decay"] = u(0, 0.1)
        if coin() and not group:
            kw["initial_accumulator_value"] = u(0, 0.5)
    if name == "Adadelta" and coin():
        kw["rho"] = u(0.5, 0.99)
    if coin(0.3) and name != "SGD":
        kw["eps"] = float(rng.choice([1e-10, 1e-8, 1e-6, 1e-3]))
    if not group and coin(0.3):
        kw["foreach"] = False
    if not group:
        return kw
    keep = [k for k in kw if rng.random() < 0.4]
    return {k: kw[k] for k in keep}


def _lambda(epoch):  # module-level: the same function object in both frameworks
    return 0.97 ** epoch


def _mult(epoch):
    return 0.9 if epoch % 2 else 1.05


SIMPLE = ["StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR", "PolynomialLR",
          "CosineAnnealingLR", "LambdaLR", "MultiplicativeLR", "CosineAnnealingWarmRestarts"]
ALL = SIMPLE + ["CyclicLR", "OneCycleLR", "ReduceLROnPlateau"]


def _schedule_spec(rng, name: str, n_steps: int, kind: str) -> tuple[str, dict]:
    """One scheduler's class and arguments (plain data: built in both frameworks)."""
    r = lambda a, b: int(rng.integers(a, b))  # noqa: E731
    u = lambda a, b: float(rng.uniform(a, b))  # noqa: E731
    if kind == "CyclicLR":
        mode = str(rng.choice(["triangular", "triangular2", "exp_range"]))
        kw = dict(base_lr=u(1e-4, 1e-2), max_lr=u(0.02, 0.2), step_size_up=r(1, 5),
                  mode=mode, gamma=u(0.8, 1.0), cycle_momentum=name in CYCLES and
                  rng.random() < 0.7)
        if rng.random() < 0.5:
            kw["step_size_down"] = r(1, 5)
        if kw["cycle_momentum"]:
            kw["base_momentum"], kw["max_momentum"] = u(0.5, 0.8), u(0.8, 0.95)
        return kind, kw
    if kind == "OneCycleLR":
        kw = dict(max_lr=u(0.01, 0.3), total_steps=n_steps + r(1, 4),
                  pct_start=u(0.1, 0.6), anneal_strategy=str(rng.choice(["cos", "linear"])),
                  three_phase=bool(rng.random() < 0.3),
                  cycle_momentum=name in CYCLES and rng.random() < 0.7,
                  div_factor=u(5, 30), final_div_factor=u(10, 1e4))
        return kind, kw
    if kind == "ReduceLROnPlateau":
        return kind, dict(mode=str(rng.choice(["min", "max"])), factor=u(0.1, 0.9),
                          patience=r(0, 3), threshold=float(rng.choice([0.0, 1e-4, 0.05])),
                          threshold_mode=str(rng.choice(["rel", "abs"])), cooldown=r(0, 3),
                          min_lr=float(rng.choice([0.0, 1e-4, 5e-3])),
                          eps=float(rng.choice([1e-8, 1e-3])))
    return kind, {
        "StepLR": lambda: dict(step_size=r(1, 5), gamma=u(0.1, 0.9)),
        "MultiStepLR": lambda: dict(milestones=sorted(rng.integers(1, 12, r(1, 4)).tolist()),
                                    gamma=u(0.1, 0.9)),
        "ConstantLR": lambda: dict(factor=u(0.1, 1.0), total_iters=r(1, 8)),
        "LinearLR": lambda: dict(start_factor=u(0.1, 1.0), end_factor=u(0.0, 1.0),
                                 total_iters=r(1, 10)),
        "ExponentialLR": lambda: dict(gamma=u(0.7, 0.99)),
        "PolynomialLR": lambda: dict(total_iters=r(1, 12), power=u(0.5, 3)),
        "CosineAnnealingLR": lambda: dict(T_max=r(1, 10), eta_min=u(0, 1e-3)),
        "LambdaLR": lambda: dict(lr_lambda=_lambda),
        "MultiplicativeLR": lambda: dict(lr_lambda=_mult),
        "CosineAnnealingWarmRestarts": lambda: dict(T_0=r(1, 6), T_mult=r(1, 3),
                                                    eta_min=u(0, 1e-3)),
    }[kind]()


def generate(seed: int) -> dict:
    """A case as plain data: everything random is drawn here, once."""
    rng = np.random.default_rng(seed)
    name = NAMES[rng.integers(len(NAMES))]
    n_steps = int(rng.integers(5, 16))
    n_groups = int(rng.integers(1, 4))
    plan = rng.random()
    if plan < 0.2:
        schedules = []
    elif plan < 0.65:
        schedules = [_schedule_spec(rng, name, n_steps, ALL[rng.integers(len(ALL))])]
    elif plan < 0.8:  # two schedulers on one optimizer, both stepped
        schedules = [_schedule_spec(rng, name, n_steps, SIMPLE[rng.integers(len(SIMPLE))])
                     for _ in range(2)]
    else:
        wrap = "SequentialLR" if rng.random() < 0.5 else "ChainedScheduler"
        inner = [_schedule_spec(rng, name, n_steps, SIMPLE[rng.integers(len(SIMPLE))])
                 for _ in range(2)]
        schedules = [(wrap, dict(inner=inner, milestones=[int(rng.integers(1, n_steps))]))]
    events = []
    for _ in range(n_steps):
        events.append(dict(
            backward=bool(rng.random() < 0.4),
            frozen=[bool(rng.random() < 0.15) for _ in range(4)],
            lr_by_hand=float(rng.uniform(0.3, 1.5)) if rng.random() < 0.1 else None,
            zero_to_zeros=bool(rng.random() < 0.15),
            round_trip=bool(rng.random() < 0.12),
            add_group=bool(rng.random() < (0.02 if schedules else 0.08)),
            metric=float(rng.choice([1.0, 0.9, 0.99995, 1.2, 0.5])),
        ))
    return dict(seed=seed, name=name, dtype=str(rng.choice(["float32", "float64"])),
                defaults=_hparams(name, rng), n_groups=n_groups,
                groups=[_hparams(name, rng, group=True) for _ in range(n_groups)],
                extra_group=_hparams(name, rng, group=True),
                schedules=schedules, events=events,
                data_seed=int(rng.integers(2 ** 31)))


class Raised(Exception):
    pass


class Side:
    """One framework's run of a case: ``lib`` is torch or tensor, ``optim`` its optim."""

    def __init__(self, lib, optim, case: dict):
        self.lib, self.optim, self.case = lib, optim, case
        dtype = getattr(lib, case["dtype"])
        rng = np.random.default_rng(case["data_seed"])
        self.dtype = case["dtype"]
        shapes = [(3, 4), (3,), (5,), (2, 2)]  # W and b of a small model, then two more
        self.params = [lib.tensor(rng.standard_normal(s), dtype=dtype, requires_grad=True)
                       for s in shapes]
        self.extra = lib.tensor(rng.standard_normal(3), dtype=dtype, requires_grad=True)
        groups = [[] for _ in range(case["n_groups"])]
        for i, p in enumerate(self.params):
            groups[i % case["n_groups"]].append(p)
        self.group_specs = [dict(params=ps, **over) for ps, over in zip(groups, case["groups"])
                            if ps]
        self.opt = self._optimizer(self.group_specs)
        self.scheds = [self._schedule(spec, self.opt) for spec in case["schedules"]]

    def _optimizer(self, specs):
        cls = getattr(self.optim, self.case["name"])
        return cls([dict(s) for s in specs], **self.case["defaults"])

    def _schedule(self, spec, opt):
        kind, kw = spec
        mod = self.optim.lr_scheduler
        if kind == "SequentialLR":
            inner = [self._schedule(s, opt) for s in kw["inner"]]
            return mod.SequentialLR(opt, inner, milestones=kw["milestones"])
        if kind == "ChainedScheduler":
            return mod.ChainedScheduler([self._schedule(s, opt) for s in kw["inner"]])
        return getattr(mod, kind)(opt, **kw)

    def grads(self, event, rng_state):
        """Gradients: a real backward through x ↦ tanh(xWᵀ + b)·c, or arrays set by hand."""
        rng = np.random.default_rng(rng_state)
        lib, dtype = self.lib, getattr(self.lib, self.dtype)
        if event["backward"]:
            x = lib.tensor(rng.standard_normal((6, 4)), dtype=dtype)
            w, b, c, d = self.params
            out = lib.tanh(x @ w.T + b)
            loss = (out * out).sum() + (c * c * c).sum() + (d.sum() - 1.0) ** 2
            loss.backward()
        else:
            for p in self.params:
                p.grad = lib.tensor(rng.standard_normal(tuple(p.shape)), dtype=dtype)
        for p, frozen in zip(self.params, event["frozen"]):
            if frozen:
                p.grad = None
        if self.extra.grad is not None or any(self.extra is q for g in self.opt.param_groups
                                              for q in g["params"]):
            self.extra.grad = lib.tensor(rng.standard_normal(3), dtype=dtype)

    def run_step(self, i: int, event: dict) -> None:
        self.grads(event, self.case["data_seed"] + i)
        self.opt.step()
        for sched in self.scheds:
            if type(sched).__name__ == "ReduceLROnPlateau":
                sched.step(event["metric"])
            else:
                sched.step()
        if event["lr_by_hand"] is not None:
            for g in self.opt.param_groups:
                g["lr"] = g["lr"] * event["lr_by_hand"]
        if event["round_trip"]:
            saved_opt = self.opt.state_dict()
            saved_scheds = [s.state_dict() for s in self.scheds]
            self.opt = self._optimizer(self.group_specs)
            self.scheds = [self._schedule(spec, self.opt) for spec in self.case["schedules"]]
            self.opt.load_state_dict(saved_opt)
            for sched, saved in zip(self.scheds, saved_scheds):
                sched.load_state_dict(saved)
        if event["add_group"] and len(self.group_specs) == len(self.opt.param_groups) \
                and not any(self.extra is q for g in self.opt.param_groups for q in g["params"]):
            spec = dict(params=[self.extra], **self.case["extra_group"])
            self.opt.add_param_group(dict(spec))
            self.group_specs.append(spec)
        self.opt.zero_grad(set_to_none=not event["zero_to_zeros"])

    def observe(self) -> dict:
        def num(v):
            return np.asarray(v.detach().numpy() if hasattr(v, "detach") else v, np.float64)

        seen = {f"param{i}": num(p) for i, p in enumerate(self.params + [self.extra])}
        for i, g in enumerate(self.opt.param_groups):
            seen[f"group{i}.lr"] = num(g["lr"])
            for key in ("momentum", "betas"):
                if key in g:
                    seen[f"group{i}.{key}"] = num(g[key])
        for i, s in enumerate(self.scheds):
            seen[f"sched{i}.last_lr"] = num(s.get_last_lr())
        return seen


def _do(fn, *args):
    """None, or the exception fn(*args) raised (warnings are not compared)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(*args)
        return None
    except Exception as e:  # noqa: BLE001 - compared with the other framework's
        return e


def assert_case_matches_torch(seed: int, verbose: bool = False) -> None:
    """Run generated case ``seed`` here and in torch; raise AssertionError at the first
    step where one raised and the other did not, or where a parameter, a group's
    learning rate, momentum or betas, or a scheduler's last_lr differs beyond the
    dtype's tolerance."""
    case = generate(seed)
    rtol, atol = TOLERANCE[case["dtype"]]
    where = f"seed {seed} (replay: python tests/fuzz/test_optim_fuzz.py {seed})\n{_show(case)}"
    sides = []
    e1, e2 = (_do(lambda *a: sides.append(Side(*a)), lib, optim, case)
              for lib, optim in ((tensor, nn.optim), (torch, torch.optim)))
    if (e1 is None) != (e2 is None):
        raise AssertionError(f"construction: ours raised {e1!r}, torch raised {e2!r}; {where}")
    if e1 is not None:
        return
    ours, theirs = sides
    for i, event in enumerate(case["events"]):
        e1, e2 = _do(ours.run_step, i, event), _do(theirs.run_step, i, event)
        if (e1 is None) != (e2 is None):
            raise AssertionError(f"step {i}: ours raised {e1!r}, torch raised {e2!r}; {where}")
        if e1 is not None:
            return  # both refused: the case ends here
        a, b = ours.observe(), theirs.observe()
        assert a.keys() == b.keys(), f"step {i}: {sorted(a)} != {sorted(b)}; {where}"
        for key in a:
            if verbose:
                print(i, key, a[key].ravel()[:3], b[key].ravel()[:3])
            finite = np.abs(b[key][np.isfinite(b[key])])  # a run may diverge to inf
            scale = float(np.max(finite, initial=0.0)) if case["dtype"] == "float32" else 1.0
            np.testing.assert_allclose(a[key], b[key], rtol=rtol, atol=atol * max(scale, 1e-3),
                                       err_msg=f"step {i}, {key}; {where}")


def _show(case: dict) -> str:
    lines = [f"  {case['name']}({case['defaults']}) {case['dtype']}, groups {case['groups']}",
             f"  schedules {case['schedules']}"]
    for i, e in enumerate(case["events"]):
        flags = [k for k in ("backward", "zero_to_zeros", "round_trip", "add_group") if e[k]]
        if any(e["frozen"]):
            flags.append(f"frozen={e['frozen']}")
        if e["lr_by_hand"] is not None:
            flags.append(f"lr*={e['lr_by_hand']:.3f}")
        lines.append(f"  step {i}: {' '.join(flags)} metric={e['metric']}")
    return "\n".join(lines)


EXTRA = int(os.environ.get("TINYGRAD_FUZZ", "0"))


@pytest.mark.parametrize("block", range(BLOCKS))
def test_optimizers_and_schedulers_match_torch(block):
    per = math.ceil(CI_CASES / BLOCKS)
    for seed in range(block * per, min((block + 1) * per, CI_CASES)):
        assert_case_matches_torch(seed)


@pytest.mark.skipif(not EXTRA, reason="pytest --fuzz N runs N more cases")
def test_more_cases():
    for seed in range(CI_CASES, CI_CASES + EXTRA):
        assert_case_matches_torch(seed)


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        print(_show(generate(int(arg))))
        assert_case_matches_torch(int(arg), verbose=True)
