"""Resumable checkpoints: model, optimizer and scheduler state, RNG states and
history in one safetensors file (arrays as tensors, the rest as JSON metadata)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

import nn
import tensor
from nn.serialization import load_arrays
from tinygrad_mnist.training.config import Config

CHECKPOINT = "checkpoint.safetensors"
MODEL = "model.safetensors"
RNG_STATE = "rng.global"


def save_checkpoint(path, model, optimizer, scheduler, state: dict) -> None:
    """``state`` holds plain JSON values (epoch, step, RNG states, history, config)."""
    tensors = {f"model.{k}": v.data for k, v in model.state_dict().items()}
    # the global generator (init, dropout), as torch.get_rng_state()'s bytes
    tensors[RNG_STATE] = tensor.get_rng_state().data
    opt = optimizer.state_dict()
    steps = {}
    for i, s in opt["state"].items():
        for key, value in s.items():
            if isinstance(value, np.ndarray):
                tensors[f"optim.{i}.{key}"] = value
            else:
                steps[f"{i}.{key}"] = value
    meta = {
        "state": state,
        "optim_groups": opt["param_groups"],
        "optim_scalars": steps,
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
    }
    nn.save(tensors, path, metadata={"tinygrad_mnist": json.dumps(meta, default=_jsonable)})


def _jsonable(value):
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"checkpoint: cannot store {type(value).__name__}")


def resolve(path) -> Path:
    """A run folder or a file: the checkpoint to resume from."""
    path = Path(path)
    return path / CHECKPOINT if path.is_dir() else path


def read_checkpoint(path) -> tuple[dict, dict]:
    """A checkpoint's arrays and its resume metadata (state, optimizer, scheduler)."""
    arrays, meta = load_arrays(path)
    if "tinygrad_mnist" not in meta:
        raise ValueError(f"{path}: not a training checkpoint (no resume state in it)")
    try:
        resume = json.loads(meta["tinygrad_mnist"])
        missing = {"state", "optim_groups", "optim_scalars", "scheduler"} - set(resume)
        if missing:
            raise ValueError(f"missing {', '.join(sorted(missing))}")
        resume["state"]["config"] = dataclasses.asdict(Config(**resume["state"]["config"]))
        resume["state"]["epoch"] = int(resume["state"]["epoch"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: corrupt resume metadata ({exc})") from None
    return arrays, resume


def load_checkpoint(path, model, optimizer, scheduler) -> dict:
    """Restore everything ``save_checkpoint`` wrote; returns its ``state``."""
    path = resolve(path)
    arrays, meta = read_checkpoint(path)
    weights = {k[len("model."):]: v for k, v in arrays.items() if k.startswith("model.")}
    try:
        model.load_state_dict(weights)
    except RuntimeError as exc:
        raise ValueError(f"{path}: checkpoint is for a different architecture: "
                         f"{str(exc).splitlines()[-1].strip()}") from None
    if RNG_STATE in arrays:  # checkpoints from before the generator was saved have none
        tensor.set_rng_state(arrays[RNG_STATE])
    state: dict = {}
    for key, value in arrays.items():
        if key.startswith("optim."):
            _, i, name = key.split(".", 2)
            state.setdefault(i, {})[name] = value
    for key, value in meta["optim_scalars"].items():
        i, name = key.split(".", 1)
        state.setdefault(i, {})[name] = value
    try:
        groups = meta["optim_groups"]
        for g in groups:
            if "betas" in g:
                g["betas"] = tuple(g["betas"])
        optimizer.load_state_dict({"state": state, "param_groups": groups})
        if scheduler is not None and meta["scheduler"] is not None:
            scheduler.load_state_dict(meta["scheduler"])
    except (ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise ValueError(f"{path}: the optimizer or scheduler state does not fit this run "
                         f"({exc})") from None
    return meta["state"]


def _is_image(path: Path) -> bool:
    """Whether a file starts as an image Pillow opens does (PNG, JPEG, GIF, BMP, …)."""
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError:
        return False
    return head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\x00",
                            b"MM\x00*", b"RIFF"))


def load_model_file(path):
    """The MLP or CNN in a run folder or a .safetensors file (best weights, or a
    checkpoint's), in eval mode: the CNN's dropout is off for predictions."""
    from tinygrad_mnist.training.model import model_from_state_dict

    path = Path(path)
    if path.is_dir():
        path = path / MODEL
    elif _is_image(path):
        raise ValueError(f"{path} is an image: the first argument must be a run folder or a "
                         "checkpoint (.safetensors), then the images")
    arrays, meta = load_arrays(path)
    if "tinygrad_mnist" in meta:
        arrays = {k[len("model."):]: v for k, v in arrays.items() if k.startswith("model.")}
    try:
        return model_from_state_dict(arrays, dtype=np.float32).eval()
    except (ValueError, RuntimeError, KeyError, IndexError, TypeError) as exc:
        raise ValueError(f"{path}: not a checkpoint of this MLP or CNN ({exc})") from None
