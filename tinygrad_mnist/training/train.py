"""Training: the notebook's recipe by default, in the ordinary PyTorch-style loop."""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import json
import signal
import sys
import threading
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

import nn
import tensor
from nn.serialization import atomic_write_bytes
from tinygrad_mnist.data.datasets import batches, load_mnist, locate, to_float, train_val_split
from tinygrad_mnist.training import checkpoint as ckpt
from tinygrad_mnist.training.config import RECIPES, Config  # noqa: F401  (RECIPES: the CLI's import)
from tinygrad_mnist.training.model import build, kind_of, loss_function


def make_optimizer(cfg: Config, model):
    params = model.parameters()
    if cfg.optimizer == "sgd":
        return nn.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum,
                            weight_decay=cfg.weight_decay)
    if cfg.optimizer == "adadelta":
        return nn.optim.Adadelta(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    cls = nn.optim.Adam if cfg.optimizer == "adam" else nn.optim.AdamW
    return cls(params, lr=cfg.lr, weight_decay=cfg.weight_decay)


def make_scheduler(cfg: Config, optimizer, steps_per_epoch: int):
    sched = nn.optim.lr_scheduler
    if cfg.schedule == "cosine":
        return sched.CosineAnnealingLR(optimizer, T_max=cfg.epochs)
    if cfg.schedule == "onecycle":
        return sched.OneCycleLR(optimizer, max_lr=cfg.lr, epochs=cfg.epochs,
                                steps_per_epoch=steps_per_epoch)
    if cfg.schedule == "step":  # the official example's: lr ×0.7 after every epoch
        return sched.StepLR(optimizer, step_size=1, gamma=0.7)
    return None


def random_shift(x: np.ndarray, rng: np.random.Generator, max_shift: int = 2) -> np.ndarray:
    """Shift each 28×28 image by up to ``max_shift`` pixels in x and y (zero fill)."""
    n = len(x)
    images = np.pad(x.reshape(n, 28, 28), ((0, 0), (max_shift,) * 2, (max_shift,) * 2))
    dy, dx = rng.integers(-max_shift, max_shift + 1, (2, n))
    rows = (max_shift + dy)[:, None] + np.arange(28)
    cols = (max_shift + dx)[:, None] + np.arange(28)
    out = images[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]
    return out.reshape(n, 784)


def evaluate(model, x: np.ndarray, y: np.ndarray, batch_size: int | None = None):
    """Mean cross-entropy, accuracy, predictions and probabilities; ``x`` may be
    uint8 images (converted a chunk at a time) or floats. The model is put in eval
    mode (no dropout)."""
    # the CNN's second convolution unfolds 663 KB of patches per image: 250 at a time
    batch_size = batch_size or (250 if kind_of(model) == "cnn" else 2000)
    criterion = loss_function(model)
    losses, probs = [], []
    model.eval()
    with tensor.no_grad():
        for start in range(0, len(x), batch_size):
            xb = x[start:start + batch_size]
            logits = model(tensor.from_numpy(to_float(xb) if xb.dtype == np.uint8 else xb))
            yb = y[start:start + batch_size]
            losses.append(criterion(logits, tensor.from_numpy(yb), reduction="sum").item())
            probs.append(logits.softmax(1).data)
    p = np.concatenate(probs)
    pred = p.argmax(1)
    return sum(losses) / len(x), float((pred == y).mean()), pred, p


class Interrupted(Exception):
    """Raised after Ctrl-C once a resumable checkpoint is on disk."""


class Diverged(RuntimeError):
    """The training loss became NaN or infinite; the last good checkpoint is kept."""


def step_size_hint(cfg: Config) -> str:
    """The options that set this run's step size, with their values: the ones to
    make smaller when it diverges."""
    said = [f"--lr {cfg.lr:g}"]
    said += [f"--momentum {cfg.momentum:g}"] if cfg.momentum else []
    said += [f"--weight-decay {cfg.weight_decay:g}"] if cfg.weight_decay else []
    said += [f"--schedule {cfg.schedule}"] if cfg.schedule != "none" else []
    return f"its step size comes from {', '.join(said)}: try smaller values"


@contextlib.contextmanager
def deferred_sigint():
    """Ctrl-C sets a flag instead of raising, so the loop stops between two steps
    (never half-way through an update) and can save a consistent checkpoint."""
    flag = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return
    previous = signal.signal(signal.SIGINT, lambda *_: flag.set())
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)


def prepare_data(cfg: Config):
    """The training and validation sets as (N, 784) uint8 images, converted to
    floats a batch at a time (a float copy of 50,000 images would cost 150 MB)."""
    data = load_mnist(cfg.dataset, cfg.data_dir)
    x_tr, y_tr, x_val, y_val = train_val_split(data.x_train, data.y_train, cfg.val_size,
                                               cfg.seed)
    if cfg.limit:
        x_tr, y_tr = x_tr[:cfg.limit], y_tr[:cfg.limit]
    return x_tr.reshape(len(x_tr), -1), y_tr, x_val.reshape(len(x_val), -1), y_val


def training_step(model, optimizer, batch_scheduler=None, compiled: bool = True):
    """One step: zero_grad, forward, the loss (cross-entropy; the CNN's log_softmax +
    NLL), backward, step (and a per-batch schedule's step); captured once by
    tensor.compile and replayed, unless not ``compiled``. Returns the batch's loss."""
    criterion = loss_function(model)

    def step(X, y):  # the notebook's names: they name the tensors of the compiled code
        optimizer.zero_grad()
        loss = criterion(model(X), y)
        loss.backward()
        optimizer.step()
        if batch_scheduler is not None:
            batch_scheduler.step()
        return loss

    return tensor.compile(step) if compiled else step


def train(cfg: Config, out: Path, resume=None, log=print, progress: bool = True,
          on_step=None) -> dict:
    """Train, keep the best-validation weights, checkpoint every epoch (and on
    Ctrl-C), and write history.csv. Returns the run's state. ``on_step(epoch,
    step)`` is called after every optimizer step."""
    # overflow on the way to a NaN loss is reported once, as Diverged, not as warnings
    with deferred_sigint() as stop, np.errstate(over="ignore", invalid="ignore",
                                                divide="ignore"):
        return _train(cfg, out, resume, log, progress, on_step, stop)


def _train(cfg, out, resume, log, progress, on_step, stop) -> dict:
    cfg.validate()
    out.mkdir(parents=True, exist_ok=True)
    X, y, X_val, y_val = prepare_data(cfg)
    model = build(cfg.model, seed=cfg.seed)
    optimizer = make_optimizer(cfg, model)
    steps = -(-len(X) // cfg.batch_size)
    scheduler = make_scheduler(cfg, optimizer, steps)
    state = {"epoch": 0, "step": 0, "history": [], "best_val_acc": -1.0, "best_epoch": 0,
             "seconds": 0.0, "config": dataclasses.asdict(cfg),
             "rng": np.random.default_rng(cfg.seed).bit_generator.state}
    if resume is not None:
        state = ckpt.load_checkpoint(resume, model, optimizer, scheduler)
        state["config"] = dataclasses.asdict(cfg)  # a continuation may add epochs
        log(f"resuming from {ckpt.resolve(resume)} at epoch {state['epoch'] + 1}, "
            f"batch {state['step']}")
    # written only now that the data and any checkpoint have loaded: a command that
    # fails on bad input leaves no config.json behind
    write_json(out / "config.json", dataclasses.asdict(cfg))
    step = training_step(model, optimizer, scheduler if cfg.schedule == "onecycle" else None,
                         cfg.compile)
    rng = np.random.default_rng()
    while state["epoch"] < cfg.epochs:
        epoch = state["epoch"]
        rng.bit_generator.state = state["rng"]  # the epoch's shuffle and shifts, replayable
        order_rng = np.random.default_rng(rng.integers(2**63))
        aug_rng = np.random.default_rng(rng.integers(2**63))
        start = time.perf_counter()
        done = state["step"]
        bar = tqdm(total=steps, initial=done, desc=f"epoch {epoch + 1}/{cfg.epochs}",
                   disable=not progress or not sys.stderr.isatty(), leave=False,
                   unit="batch")
        model.train()
        for i, (xb, yb) in enumerate(batches(X, y, cfg.batch_size, rng=order_rng)):
            if cfg.augment:
                xb = random_shift(xb, aug_rng)  # drawn for every batch, so skips replay
            if i < done:
                continue
            loss = step(tensor.from_numpy(to_float(xb)), tensor.from_numpy(yb))
            if not np.isfinite(loss.data):  # stop before the NaN weights reach any file
                bar.close()
                kept = (f"the last good checkpoint is {out / ckpt.CHECKPOINT} (epoch "
                        f"{state['epoch']})" if state["epoch"] else "no checkpoint was written")
                raise Diverged(f"training diverged: the loss is {loss.item()} at epoch "
                               f"{epoch + 1}, step {i + 1}; {kept}; {step_size_hint(cfg)}")
            state["step"] = i + 1
            bar.update()
            if i % 50 == 0:
                bar.set_postfix(loss=f"{loss.item():.4f}")
            if on_step is not None:
                on_step(epoch, i + 1)
            if stop.is_set():
                bar.close()
                state["seconds"] += time.perf_counter() - start
                ckpt.save_checkpoint(out / ckpt.CHECKPOINT, model, optimizer, scheduler, state)
                raise Interrupted(f"interrupted: checkpoint saved; continue with --resume "
                                  f"{out / ckpt.CHECKPOINT}")
        bar.close()
        if cfg.schedule in ("cosine", "step"):
            scheduler.step()
        # the CNN's forward costs 40× the MLP's: its train figures are those of the
        # first 10,000 training images (as many as the validation set)
        seen = len(X) if cfg.model == "mlp" else min(len(X), cfg.val_size)
        train_loss, train_acc, _, _ = evaluate(model, X[:seen], y[:seen])
        val_loss, val_acc, _, _ = evaluate(model, X_val, y_val)
        seconds = time.perf_counter() - start
        state["seconds"] += seconds
        row = {"epoch": epoch + 1, "train_loss": train_loss, "train_acc": train_acc,
               "val_loss": val_loss, "val_acc": val_acc, "lr": optimizer.param_groups[0]["lr"],
               "seconds": seconds}
        state["history"].append(row)
        lr = (f"  lr {optimizer.param_groups[0]['lr']:.2e}" if cfg.schedule != "none" else "")
        log(f"epoch {epoch + 1:>3}/{cfg.epochs}  train loss {train_loss:.4f} acc "
            f"{train_acc * 100:.2f} %  val loss {val_loss:.4f} acc {val_acc * 100:.2f} %{lr}  "
            f"({seconds:.1f}s)")
        if val_acc > state["best_val_acc"]:
            state["best_val_acc"], state["best_epoch"] = val_acc, epoch + 1
            nn.save(model.state_dict(), out / ckpt.MODEL)
        state["epoch"], state["step"] = epoch + 1, 0
        state["rng"] = rng.bit_generator.state
        ckpt.save_checkpoint(out / ckpt.CHECKPOINT, model, optimizer, scheduler, state)
        write_history(out / "history.csv", state["history"])
    return state


def write_history(path: Path, history: list) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(history[0]))
    writer.writeheader()
    writer.writerows(history)
    atomic_write_bytes(path, buf.getvalue().encode())


def write_json(path: Path, obj) -> None:
    atomic_write_bytes(path, (json.dumps(obj, indent=2) + "\n").encode())


def data_source(cfg: Config) -> str:
    return locate(cfg.dataset, cfg.data_dir)[1]
