"""Random training programs for the differential fuzzer of ``tensor.compile``
(``test_compile_fuzz.py``).

``generate(seed)`` draws one program from ``random.Random(seed)``: a model, a loss,
an optimizer and schedule, the Python patterns a step is written with, and the
events a training loop does between two calls. A program is *source*: the setup
(model, optimizer, data, helpers, ``def step``) and one line per call, run with
``exec`` in a fresh namespace, so its globals (``SCALE``, a helper) are that
namespace's and building it twice gives the same state twice (``tensor.manual_seed``
and a NumPy ``RandomState`` seeded from the program's seed). The source names
``COMPILE`` where ``tensor.compile`` goes: the runner binds it to ``tensor.compile``
for the compiled run and to the identity for the eager one.

``python tests/compile_programs.py SEED`` prints program SEED as a script.
"""

from __future__ import annotations

import random
import re
import sys
from collections import Counter
from dataclasses import dataclass

import nn

HEADER = """import copy
import functools
import numpy as np
import nn
import nn.functional as F
import tensor
"""

CLASS_LOSSES = ("ce_mean", "ce_sum", "nll", "criterion")
LOSSES = {
    "ce_mean": "F.cross_entropy({o}, {t})",
    "ce_sum": 'F.cross_entropy({o}, {t}, reduction="sum")',
    "nll": "F.nll_loss(F.log_softmax({o}, 1), {t})",
    "criterion": "criterion({o}, {t})",
    "mse": "F.mse_loss({o}, {t})",
    "bce": "F.binary_cross_entropy_with_logits({o}, {t})",
    "l1": "F.l1_loss({o}, {t})",
    "smooth_l1": "F.smooth_l1_loss({o}, {t}, beta=0.5)",
    "huber": 'F.huber_loss({o}, {t}, delta=0.5, reduction="sum")',
}
REGRESSION = ("mse", "l1", "smooth_l1", "huber")
OPTIMIZERS = {
    "sgd": "nn.optim.SGD({p}, lr=0.05)",
    "momentum": "nn.optim.SGD({p}, lr=0.05, momentum=0.9)",
    "nesterov": "nn.optim.SGD({p}, lr=0.05, momentum=0.9, nesterov=True)",
    "weight_decay": "nn.optim.SGD({p}, lr=0.05, weight_decay=0.01)",
    "groups": "nn.optim.SGD({p}, lr=0.05)",
    "adam": "nn.optim.Adam({p}, lr=0.01)",
    "adamw": "nn.optim.AdamW({p}, lr=0.01, weight_decay=0.05)",
    "adadelta": "nn.optim.Adadelta({p}, lr=1.0)",
    "two": "nn.optim.SGD({p}, lr=0.05)",  # and opt2, an Adam for the body (Net only)
    "maximize": "nn.optim.SGD({p}, lr=0.02, momentum=0.5, maximize=True)",
    "amsgrad": "nn.optim.Adam({p}, lr=0.01, amsgrad=True)",
    "rmsprop": "nn.optim.RMSprop({p}, lr=0.01, momentum=0.5, centered=True)",
    "adagrad": "nn.optim.Adagrad({p}, lr=0.1, lr_decay=0.01)",
    "adamax": "nn.optim.Adamax({p}, lr=0.02)",
    "nadam": "nn.optim.NAdam({p}, lr=0.01)",
    "radam": "nn.optim.RAdam({p}, lr=0.01, weight_decay=0.01)",
}
NO_MOMENTUM = ("adadelta", "adagrad")  # a cycled momentum needs momentum or betas
SCHEDULERS = {  # {n}: the number of calls; the weights are SCHEDULE_WEIGHTS'
    "none": "None",
    "step": "nn.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)",
    "cosine": "nn.optim.lr_scheduler.CosineAnnealingLR(opt, T_max={n})",
    "onecycle": "nn.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.05, total_steps={n2}, "
                "cycle_momentum={m})",
    "exponential": "nn.optim.lr_scheduler.ExponentialLR(opt, gamma=0.8)",
    "multistep": "nn.optim.lr_scheduler.MultiStepLR(opt, milestones=[1, 3], gamma=0.3)",
    "linear": "nn.optim.lr_scheduler.LinearLR(opt, start_factor=0.25, total_iters=3)",
    "lambda": "nn.optim.lr_scheduler.LambdaLR(opt, lambda e: DECAY ** e)",  # reads a global
    "plateau": "nn.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=0)",
    "cyclic": "nn.optim.lr_scheduler.CyclicLR(opt, 0.01, 0.1, step_size_up=2, "
              "cycle_momentum={m})",
    "warm": "nn.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2)",
    "sequential": "nn.optim.lr_scheduler.SequentialLR(opt, [nn.optim.lr_scheduler.ConstantLR("
                  "opt, factor=0.5, total_iters=2), nn.optim.lr_scheduler.ExponentialLR(opt, "
                  "0.9)], milestones=[2])",
    "chained": "nn.optim.lr_scheduler.ChainedScheduler([nn.optim.lr_scheduler.ExponentialLR("
               "opt, 0.9), nn.optim.lr_scheduler.MultiplicativeLR(opt, lambda e: 0.95)])",
}
SCHEDULE_WEIGHTS = [9, 2, 2, 2] + [1] * 9
RETURNS = {  # what the step returns: all of them are captured
    "loss": "loss", "item": "loss.item()", "float": "float(loss)", "tuple": "loss, out",
    "dict": '{"loss": loss}', "correct": "loss, (out.argmax(1) == {t}).sum()",
}
ALIASES = ("step", "cmodel")  # names of what COMPILE returned: not observed
SETITEM = hasattr(nn.Sequential, "__setitem__")  # model[i] = layer (older code: setattr)


@dataclass
class Program:
    seed: int
    title: str            # the choices, one line
    source: str           # the setup: model, optimizer, data, helpers, def step
    calls: list           # (lines run before the call, the call's expression)
    extras: list          # expressions of further state to compare after each call
    dtype: str
    capturable: bool      # only patterns a compiler should capture: a warning is spurious

    def script(self) -> str:
        """The program as a standalone script, compiled (a reproduction)."""
        lines = [f"# compile fuzzer program {self.seed}: {self.title}",
                 "import tensor", "COMPILE = tensor.compile  # (lambda f: f) for eager",
                 self.source, "# the calls"]
        for i, (events, call) in enumerate(self.calls):
            lines += events
            lines.append(f"R{i} = {call}")
        return "\n".join(lines) + "\n"


class _Generator:
    def __init__(self, seed: int):
        self.seed, self.r = seed, random.Random(seed)
        self.lines: list[str] = []
        self.tags: list[str] = []

    def pick(self, options, weights=None):
        return self.r.choices(list(options), weights)[0]

    def emit(self, text: str = "") -> None:
        self.lines.extend(text.split("\n"))

    # ----- the model ------------------------------------------------------------------
    def model(self):
        r, dt = self.r, "dtype=DT"
        self.arch = self.pick(["mlp", "custom", "conv", "tied", "blocks"], [4, 3, 2, 2, 2])
        self.inp = "2d"
        if self.arch != "conv":
            self.inp = self.pick(["2d", "3d", "1d"], [5, 2, 1])
        f, k = r.randint(3, 8), r.randint(2, 5)
        # a first layer with in == out features: the 1-D sample's gradient case
        h = f if r.random() < 0.3 else r.randint(3, 10)
        self.f, self.h, self.k = f, h, k
        act = self.pick(["nn.ReLU()", "nn.Tanh()", "nn.Sigmoid()", "nn.GELU()",
                         'nn.GELU(approximate="tanh")', "nn.SiLU()", "nn.LeakyReLU(0.1)",
                         "nn.ELU()", "nn.Softplus()"], [3, 3, 3] + [1] * 6)
        # a normalisation after the first layer; BatchNorm (2-D batches) is refused
        norm = self.pick(["", f"nn.LayerNorm({h}, dtype=DT)", f"nn.BatchNorm1d({h}, dtype=DT)"],
                         [6, 2, 1 if self.inp == "2d" else 0])

        bias = self.pick(["", ", bias=False"], [3, 1])
        drop = ", nn.Dropout(0.2)" if r.random() < 0.25 else ""
        if self.arch == "mlp":
            widths = [f] + [h, r.randint(3, 10)][:r.randint(0, 2)] + [k]
            layers = []
            for i, (a, b) in enumerate(zip(widths, widths[1:])):
                layers.append(f"nn.Linear({a}, {b}{bias if i == 0 else ''}, {dt})")
                if i == 0 and norm and len(widths) > 2:
                    layers.append(norm)
                if i < len(widths) - 2:
                    layers += [act] + ([drop[2:]] if drop else [])
            self.emit(f"model = nn.Sequential({', '.join(layers)})")
            self.first, self.last = "model[0]", (len(layers) - 1, widths[-2])
            self.tags.append("mlp" + "-".join(map(str, widths)))
        elif self.arch == "conv":
            c = r.randint(2, 4)
            pool = self.pick(["nn.MaxPool2d(2)", "nn.AvgPool2d(2)"], [3, 1])
            bn = [f"nn.BatchNorm2d({c}, dtype=DT)"] * (r.random() < 0.15)  # refused
            layers = [f"nn.Conv2d(1, {c}, 3, padding=1{bias}, {dt})", *bn,
                      "nn.ReLU()" if r.random() < 0.7 else act, pool, "nn.Flatten()",
                      *[drop[2:]] * bool(drop), f"nn.Linear({c * 16}, {k}, {dt})"]
            self.emit(f"model = nn.Sequential({', '.join(layers)})")
            self.first, self.last = "model[0]", (len(layers) - 1, c * 16)
            self.tags.append(f"conv{c}" + "-avg" * ("Avg" in pool))
        elif self.arch == "custom":
            norm_ = norm + ", " if norm else ""
            self.emit(f"""
class Net(nn.Module):  # forward calls its submodules by method
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear({f}, {h}{bias}, {dt}), {norm_}{act}{drop})
        self.head = nn.Linear({h}, {k}, {dt})

    def forward(self, x):
        return self.head(self.body(x))


model = Net()""")
            self.first, self.last = "model.body", ("head", h)
            self.tags.append(f"net{f}-{h}-{k}")
        elif self.arch == "tied":
            self.emit(f"""
class Tied(nn.Module):  # self.mid's weight and bias are used by two ops
    def __init__(self):
        super().__init__()
        self.inp = nn.Linear({f}, {h}{bias}, {dt})
        self.mid = nn.Linear({h}, {h}, {dt})
        self.out = nn.Linear({h}, {k}, {dt})

    def forward(self, x):
        x = self.inp(x).tanh()
        x = self.mid(x).tanh()
        return self.out(self.mid(x).tanh())


model = Tied()""")
            self.first, self.last = "model.inp", ("out", h)
            self.tags.append(f"tied{f}-{h}-{k}")
        elif self.arch == "blocks":
            self.emit(f"""
class Blocks(nn.Module):  # residual blocks in a ModuleList, looped over (nanoGPT's shape)
    def __init__(self):
        super().__init__()
        self.inp = nn.Linear({f}, {h}{bias}, {dt})
        self.blocks = nn.ModuleList([nn.Sequential(nn.LayerNorm({h}, dtype=DT), nn.Linear(
            {h}, {h}, {dt}), {act}{drop}) for _ in range({r.randint(1, 3)})])
        self.out = nn.Linear({h}, {k}, {dt})

    def forward(self, x):
        x = self.inp(x)
        for block in self.blocks:
            x = x + block(x)
        return self.out(x)


model = Blocks()""")
            self.first, self.last = "model.inp", ("out", h)
            self.tags.append(f"blocks{f}-{h}-{k}")
        self.layers = 1 if self.arch == "mlp" and len(widths) == 2 else 2
        self.batchnorm = "nn.BatchNorm" in "\n".join(self.lines)
        self.tags += ["layernorm"] * ("nn.LayerNorm" in "\n".join(self.lines)) + [
            "batchnorm"] * self.batchnorm
        self.tags.append(self.inp)

    # ----- data, optimizer, schedule ----------------------------------------------------------
    def data(self):
        r = self.r
        self.b = r.randint(4, 8)
        self.loss = self.pick(LOSSES, [3, 1, 1, 1, 2, 1, 1, 1, 1] if self.inp != "1d"
                              else [0] * 4 + [1] * 5)
        self.labels = "int64"
        if self.loss in CLASS_LOSSES and r.random() < 0.2:
            self.labels = self.pick(["int32", "uint8"])  # converted by y.long() in the step
        f, k, t = self.f, self.k, r.randint(2, 4)
        shape = {"2d": f"{{n}}, {f}", "3d": f"{{n}}, {t}, {f}", "1d": str(f),
                 "conv": "{n}, 1, 8, 8"}["conv" if self.arch == "conv" else self.inp]
        target = {"bce": f"(_rng.rand({{n}}, {k}) > 0.5).astype(DTN)"}.get(
            self.loss, f"_rng.randint(0, {k}, {{n}}).astype({self.labels!r})")
        if self.loss in REGRESSION:
            target = f"_rng.randn({{n}}, {k}).astype(DTN)"
        if self.inp == "1d":
            target = target.replace("{n}, ", "")
        self.small = max(4 if self.batchnorm else 2, self.b // 2)  # BatchNorm: 2 per half
        self.emit(f"X = [tensor.tensor(_rng.randn({shape.format(n=self.b)}).astype(DTN)) "
                  "for _ in range(3)]")
        self.emit(f"Y = [tensor.tensor({target.format(n=self.b)}) for _ in range(3)]")
        if self.inp != "1d":
            self.emit(f"XS = tensor.tensor(_rng.randn({shape.format(n=self.small)}).astype(DTN))")
            self.emit(f"YS = tensor.tensor({target.format(n=self.small)})")
        self.emit(f"W = tensor.tensor(np.asarray({r.uniform(0.5, 2):.3f}, DTN))")
        if self.loss == "criterion":
            self.emit("criterion = nn.CrossEntropyLoss()")

    def optimizer(self, n_calls: int):
        self.opt = self.pick(OPTIMIZERS, [1] * 8 + [2 * (self.arch == "custom")] + [1] * 7)
        params = "model.parameters()"
        if self.opt == "two":
            params = "model.head.parameters()"
            self.emit("opt2 = nn.optim.Adam(model.body.parameters(), lr=0.01)")
        if self.opt == "groups":
            self.emit(f"_first = list({self.first}.parameters())")
            self.emit("_rest = [p for p in model.parameters() if all(p is not q for q in _first)]")
            params = '[{"params": _first, "lr": 0.1}, {"params": _rest}]'
        self.emit(f"opt = {OPTIMIZERS[self.opt].format(p=params)}")
        self.sched = self.pick(SCHEDULERS, SCHEDULE_WEIGHTS)
        momentum = self.opt not in NO_MOMENTUM and self.r.random() < 0.5
        self.emit("sched = " + SCHEDULERS[self.sched].format(n=n_calls, n2=n_calls + 2,
                                                            m=momentum))
        self.tags += [self.loss + (f"({self.labels}.long())" if self.labels != "int64" else ""),
                      self.opt + ("/" + self.sched if self.sched != "none" else "")]

    # ----- the step ---------------------------------------------------------------------
    def patterns(self):
        r, p = self.r, {}
        p["target"] = self.pick(["step", "model", "submodule"], [22, 1, 2])
        p["container"] = self.pick(["args", "tuple", "dict"], [8, 1, 1])
        p["kwargs"] = p["container"] == "args" and r.random() < 0.3
        p["epoch"] = p["container"] == "args" and r.random() < 0.15
        p["scale"] = self.pick(["none", "direct", "helper", "partial", "wraps"], [6, 1, 1, 1, 1])
        p["l2"] = self.pick(["none", "loop", "genexp", "listcomp"], [7, 1, 1, 1])
        p["eval"] = r.random() < 0.15
        p["zero_grad"] = self.pick(["opt.zero_grad()", "model.zero_grad()",
                                    "opt.zero_grad(set_to_none=False)"], [6, 1, 1])
        p["accum"] = self.inp != "1d" and r.random() < 0.12
        p["clip"] = self.pick(["none", "manual", "clip_grad_norm_", "clip_grad_value_"],
                              [12, 1, 1, 1])
        if p["clip"].startswith("clip") and not hasattr(getattr(nn, "utils", None), p["clip"]):
            p["clip"] = "none"  # nn.utils.clip_grad_*_ missing (drawn anyway: same stream)
        p["forward"] = "model"
        if self.arch == "custom" and p["target"] != "model":
            p["forward"] = self.pick(["model", "method", "detach"], [2, 1, 1])
        classify = self.loss in CLASS_LOSSES
        p["ret"] = self.pick(RETURNS, [5, 1, 1, 2, 2, 1 if classify else 0])
        for flag, chance in (("ema", 0.08), ("running_mean", 0.08), ("counter", 0.06),
                             ("train_inside", 0.08)):
            p[flag] = r.random() < chance
        # the output through no-grad tests or rounding: masked where not finite, or
        # rounded with a straight-through gradient (quantization-aware training)
        p["squash"] = self.pick(["none", "finite", "ste"], [10, 1, 1])
        self.p = p
        # what the README says a plan refuses (a .grad read, writes outside ops, a rebound
        # global): a warning is expected
        refused = (p["clip"] == "manual" or p["ema"] or p["running_mean"] or p["counter"]
                   or self.batchnorm  # README: BatchNorm in training runs eagerly
                   or self.sched == "plateau")  # the loss's value read: the step runs eagerly
        self.capturable = not refused
        self.tags += [f"{k}={v}" for k, v in p.items() if v not in (False, "none")
                      and (k, v) not in (("target", "step"), ("container", "args"),
                                         ("forward", "model"), ("ret", "loss"),
                                         ("zero_grad", "opt.zero_grad()"))]

    def helpers(self):
        p = self.p
        if p["scale"] == "helper":
            self.emit("\ndef scaled(loss):\n    return loss * SCALE\n")
        elif p["scale"] == "partial":
            self.emit("\ndef weighted(loss, w):\n    return loss * w * SCALE\n\n\n"
                      "scaled = functools.partial(weighted, w=0.5)\n")
        elif p["scale"] == "wraps":
            self.emit("\ndef passthrough(fn):\n    @functools.wraps(fn)\n"
                      "    def inner(*args, **kwargs):\n        return fn(*args, **kwargs)\n"
                      "    return inner\n\n\n@passthrough\ndef scaled(loss):\n"
                      "    return loss * SCALE\n")
        if p["eval"]:
            scale = " * SCALE" if p["scale"] != "none" else ""
            self.emit(f"\n@tensor.no_grad()\ndef evaluate(x):\n    return model(x).mean(){scale}\n")
        if p["train_inside"]:
            self.emit("\nEVALS = []\n\n\ndef run_eval(x):\n    model.eval()\n"
                      "    with tensor.no_grad():\n        EVALS.append(float(model(x).sum()))\n")
        if p["ema"]:
            self.emit("teacher = copy.deepcopy(model)")
        if p["running_mean"]:
            self.emit("model.mean = tensor.zeros(*X[0].shape[1:], dtype=DT)")
        if p["target"] == "model":
            self.emit("cmodel = COMPILE(model)")
        elif p["target"] == "submodule":  # compiled in place, as torch.compile's modules are
            part = {"custom": "model.body", "tied": "model.mid",
                    "blocks": "model.blocks[0]"}.get(self.arch, "model[0]")
            self.emit(f"{part} = COMPILE({part})" if part != "model[0]" or SETITEM
                      else 'setattr(model, "0", COMPILE(model[0]))')
        # after any COMPILE: a compiled submodule's parameters have names of their own
        self.emit("START = {k: v.clone() for k, v in model.state_dict().items()}")

    def loss_lines(self, x: str, y: str) -> list[str]:
        p = self.p
        fwd = {"model": f"model({x})", "method": f"model.head(model.body({x}))",
               "detach": f"model.head(model.body({x}).detach().requires_grad_())"}[p["forward"]]
        if p["target"] == "model":
            fwd = f"cmodel({x})"
        if p["running_mean"]:
            fwd = fwd.replace(f"({x})", f"({x} - model.mean)", 1)
        if self.inp == "3d":
            fwd += ".mean(1)"
        lines = [f"out = {fwd}"]
        lines += {"none": [], "ste": ["out = out + (out.round(decimals=1) - out).detach()"],
                  "finite": ["out = tensor.where(tensor.isfinite(out) & ~out.isnan(), out, "
                             "out.floor() * 0)"]}[p["squash"]]
        lines.append("loss = " + LOSSES[self.loss].format(o="out", t=y))
        if p["scale"] == "direct":
            lines.append("loss = loss * SCALE")
        elif p["scale"] != "none":
            lines.append("loss = scaled(loss)")
        penalty = "p.pow(2).sum() * WD for p in model.parameters()"  # WD read inside
        lines += {"none": [], "genexp": [f"loss = loss + sum({penalty})"],
                  "listcomp": [f"loss = loss + sum([{penalty}])"],
                  "loop": ["for p in model.parameters():", "    loss = loss + WD * (p * p).sum()"],
                  }[p["l2"]]
        if p["kwargs"]:
            lines += ["if scale is not None:", "    loss = loss * scale",
                      "if shift is not None:", "    loss = loss * (shift + 1)"]
        if p["epoch"]:
            lines.append("loss = loss * (1.0 + 0.1 * epoch)")
        return lines

    def step(self):
        p = self.p
        sig = {"args": "x, y", "tuple": "batch", "dict": "batch"}[p["container"]]
        sig += ", epoch" * p["epoch"] + ", scale=None, shift=None" * p["kwargs"]
        body = {"args": [], "tuple": ["x, y = batch"],
                "dict": ['x, y = batch["x"], batch["y"]']}[p["container"]]
        if p["counter"]:
            body += ["global STEPS", "STEPS += 1"]
        if p["train_inside"]:
            body.append("model.train()")
        if self.labels != "int64":
            body.append("y = y.long()")
        if p["running_mean"]:
            body.append("model.mean = model.mean * 0.9 + x.mean(0).detach() * 0.1")
        body.append(p["zero_grad"])
        if self.opt == "two":
            body.append("opt2.zero_grad()")
        if p["accum"]:  # two micro-batches, one step
            body += ["half = x.shape[0] // 2", "for xb, yb in ((x[:half], y[:half]), "
                     "(x[half:], y[half:])):"]
            body += ["    " + line for line in self.loss_lines("xb", "yb")]
            body.append("    (loss / 2).backward()")
        else:
            body += self.loss_lines("x", "y") + ["loss.backward()"]
        body += {"none": [],
                 "manual": ["for p in model.parameters():", "    if p.grad is not None:",
                            "        p.grad.mul_(0.5)"],
                 "clip_grad_norm_": ["nn.utils.clip_grad_norm_(model.parameters(), 1.0)"],
                 "clip_grad_value_": ["nn.utils.clip_grad_value_(model.parameters(), 0.1)"],
                 }[p["clip"]]
        body.append("opt.step()")
        if self.opt == "two":
            body.append("opt2.step()")
        if self.sched == "plateau":  # the loss's value decides the next lr
            body.append("sched.step(loss)")
        elif self.sched != "none":
            body.append("sched.step()")
        if p["ema"]:
            body += ["for tp, p in zip(teacher.parameters(), model.parameters()):",
                     "    tp.data *= 0.9", "    tp.data += 0.1 * p.data"]
        ret = RETURNS[p["ret"]].replace("{t}", "yb" if p["accum"] else "y")
        body.append(f"return {ret}" + (", evaluate(x)" if p["eval"] else ""))
        self.emit(f"\n\ndef step({sig}):")
        self.emit("\n".join("    " + line for line in "\n".join(body).split("\n")))
        if p["target"] == "step":
            self.emit("\n\nstep = COMPILE(step)")

    # ----- the calls and the events between them --------------------------------------------
    def calls(self, n: int) -> list:
        r, p, pre = self.r, self.p, [[] for _ in range(n)]
        # (not the layer compiled in place: START names its parameters as compiled ones)
        replaces = not (p["target"] == "submodule" and self.layers == 1)
        events = (["lr", "load", "lr" if p["train_inside"] else "toggle"] + ["replace"] * replaces
                  + ["freeze"] * (self.layers > 1) + ["new_opt"] * (self.sched == "none")
                  + ["momentum"] * (self.opt in ("sgd", "groups"))
                  + ["rebind"] * (p["scale"] != "none" or p["l2"] != "none"
                                  or self.sched == "lambda")
                  + ["helper"] * (p["scale"] == "helper"))
        where, width = self.last  # the last layer, replaced by a new one
        new = f"nn.Linear({width}, {self.k}, dtype=DT)"
        layer = f"model.{where}" if isinstance(where, str) else f"model[{where}]"
        replace = ["tensor.manual_seed(99)", f"{layer} = {new}" if isinstance(where, str)
                   or SETITEM else f'setattr(model, "{where}", {new})']
        if self.sched == "none":  # (a scheduler would not know a new group)
            replace.append(f'opt.add_param_group({{"params": list({layer}.parameters())}})')
        rebind = (f"SCALE = {r.choice([0.5, 2.5, 3.0])}" if p["scale"] != "none"
                  else f"WD = {r.choice([0.0, 0.01])}" if p["l2"] != "none" else "DECAY = 0.5")
        lines = {  # kind → (its lines, the line undoing it at a later call, if any)
            "freeze": ([f"{self.first}.requires_grad_(False)"],
                       f"{self.first}.requires_grad_(True)"),
            "toggle": (["model.eval()"], "model.train()"),
            "lr": ([f'opt.param_groups[0]["lr"] = {r.choice([0.02, 0.005])}'], None),
            "rebind": ([rebind], None),
            "load": (["model.load_state_dict(START, strict=False)"], None),  # in place
            "new_opt": (["opt = nn.optim.SGD(model.parameters(), lr=0.03, momentum=0.5)"], None),
            "momentum": (['opt.param_groups[0]["momentum"] = 0.9'], None),  # not plain SGD
            "helper": (["def scaled(loss):\n    return loss * 2.0"], None),
            "replace": (replace, None),
        }
        seen = []
        for kind in r.sample(events, min(len(events), r.randint(0, 3))):
            i = r.randint(1, n - 1)
            j = r.randint(i + 1, n)  # n: never undone
            seen.append(f"{kind}@{i}")
            pre[i] += lines[kind][0]
            if lines[kind][1] and j < n:
                pre[j].append(lines[kind][1])
        if p["train_inside"]:
            for i in range(1, n):
                pre[i].append("run_eval(X[0])")
        small_last = self.inp != "1d" and r.random() < 0.3
        if small_last:
            seen.append("small-last")
        self.tags += ["events: " + (", ".join(seen) or "none")]
        calls = []
        for i in range(n):
            x, y = ("XS", "YS") if small_last and i == n - 1 else (f"X[{i % 3}]", f"Y[{i % 3}]")
            args = {"args": f"{x}, {y}", "tuple": f"({x}, {y})",
                    "dict": f'{{"x": {x}, "y": {y}}}'}[p["container"]]
            if p["epoch"]:
                args += f", {i // 3}"
            if p["kwargs"]:
                args += r.choice(["", ", scale=W", ", shift=W", ", W"])
            calls.append((pre[i], f"step({args})"))
        # a compiled module is also called by each micro-batch and by evaluate() (no_grad)
        per_call = (1 + p["accum"]) * (1 + p["eval"]) if p["target"] != "step" else 1
        if _guard_states(calls) * per_call > 8:  # README: past cache_size_limit=8, eager
            self.capturable = False
            self.tags.insert(-1, "cache-limit")
        return calls

    def program(self) -> Program:
        self.emit(HEADER)
        n_calls = self.r.randint(4, 9)
        dtype = self.pick(["float32", "float64"])
        self.emit(f"DT, DTN = tensor.{dtype}, np.{dtype}\nSCALE = 1.0\nWD = 0.001\nDECAY = 0.8\n"
                  "STEPS = 0")
        self.emit(f"tensor.manual_seed({self.seed})\n_rng = np.random.RandomState({self.seed})")
        self.tags.append(dtype)
        self.model()
        self.data()
        self.optimizer(n_calls)
        self.patterns()
        self.helpers()
        self.step()
        calls = self.calls(n_calls)
        extras = ["STEPS"] * self.p["counter"] + ["model.mean"] * self.p["running_mean"] + [
            "EVALS"] * self.p["train_inside"]
        return Program(self.seed, " ".join(self.tags), "\n".join(self.lines) + "\n", calls,
                       extras, dtype, self.capturable)


def _guard_states(calls) -> int:
    """How many different guard states the calls meet at most (each may record a
    plan): what the events changed so far, with the call's shapes and keywords."""
    changed, states = Counter(), set()
    for events, call in calls:
        for line in events:
            key = line.split("(")[0].split(" =")[0]  # the statement's target or callee
            if line.endswith(("(False)", "model.eval()")) or key == "run_eval":
                changed[key.replace("run_", "model.")] = 1
            elif line.endswith(("(True)", "model.train()")):
                changed[key.replace("train", "eval")] = 0
            else:
                changed[key] += 1
        states.add((tuple(sorted(changed.items())), re.sub(r"\[\d\]", "", call)))
    return len(states)


def generate(seed: int) -> Program:
    """Program ``seed``: the same program for the same seed."""
    return _Generator(seed).program()


if __name__ == "__main__":
    for arg in sys.argv[1:] or ["0"]:
        print(generate(int(arg)).script())
