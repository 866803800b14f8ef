"""A training run's options: the two recipes and their validation."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

RECIPES = {
    # The seed notebook: mini-batch SGD, batch 32, lr 0.01, 20 epochs.
    "seed": dict(epochs=20, batch_size=32, lr=0.01, optimizer="sgd", momentum=0.0,
                 weight_decay=0.0, schedule="none", augment=False),
    # Same MLP; AdamW with a one-cycle schedule and random ±2-pixel shifts.
    "best": dict(epochs=30, batch_size=128, lr=3e-3, optimizer="adamw", momentum=0.0,
                 weight_decay=1e-4, schedule="onecycle", augment=True),
    # PyTorch's official MNIST example (the CNN's default): Adadelta lr 1.0, batch 64,
    # the learning rate ×0.7 after every epoch (StepLR), fewer epochs than its 14
    "official": dict(epochs=3, batch_size=64, lr=1.0, optimizer="adadelta", momentum=0.0,
                     weight_decay=0.0, schedule="step", augment=False),
}
# A recipe's changes for one dataset: shifting clothes by 2 pixels costs the MLP on
# Fashion-MNIST (88.08 % with them, 89.41 % without)
FOR_DATASET = {("best", "fashion-mnist"): dict(augment=False)}
# A recipe's changes for one model: the CNN's epoch costs ~40 MLP epochs, and 8 of
# the one-cycle schedule reach what 30 give the MLP
FOR_MODEL = {("best", "cnn"): dict(epochs=8)}
# The recipe a model trains with when --recipe is not given
DEFAULT_RECIPE = {"mlp": "seed", "cnn": "official"}
OPTIMIZERS = ("sgd", "adam", "adamw", "adadelta")
SCHEDULES = ("none", "cosine", "onecycle", "step")


@dataclasses.dataclass
class Config:
    epochs: int = 20
    batch_size: int = 32
    lr: float = 0.01
    optimizer: str = "sgd"
    momentum: float = 0.0
    weight_decay: float = 0.0
    schedule: str = "none"
    augment: bool = False
    dataset: str = "mnist"
    data_dir: str | None = None
    seed: int = 42
    limit: int | None = None  # train on the first N training images (quick runs)
    val_size: int = 10_000
    recipe: str = "seed"
    compile: bool = True  # the step captured once by tensor.compile and replayed
    model: str = "mlp"  # the notebook's MLP, or the official example's CNN

    def validate(self) -> None:
        finite = [(math.isfinite(getattr(self, name)),
                   f"--{name.replace('_', '-')} must be a finite number, got "
                   f"{getattr(self, name)}") for name in ("lr", "momentum", "weight_decay")]
        checks = finite + [
                  (self.epochs >= 1, f"--epochs must be at least 1, got {self.epochs}"),
                  (0 <= self.seed < 2**32, f"--seed must be in [0, 2**32), got {self.seed}"),
                  (self.batch_size >= 1,
                   f"--batch-size must be at least 1, got {self.batch_size}"),
                  (self.lr > 0, f"--lr must be positive, got {self.lr}"),
                  (self.momentum >= 0, f"--momentum must be >= 0, got {self.momentum}"),
                  (self.weight_decay >= 0, f"--weight-decay must be >= 0, got {self.weight_decay}"),
                  (self.optimizer in OPTIMIZERS, f"--optimizer must be one of "
                   f"{', '.join(OPTIMIZERS)}, got {self.optimizer!r}"),
                  (self.schedule in SCHEDULES, f"--schedule must be one of "
                   f"{', '.join(SCHEDULES)}, got {self.schedule!r}"),
                  (self.model in DEFAULT_RECIPE,
                   f"--model must be mlp or cnn, got {self.model!r}"),
                  (self.limit is None or self.limit >= 1,
                   f"--limit must be >= 1, got {self.limit}"),
                  (self.recipe in RECIPES, f"--recipe must be one of {', '.join(RECIPES)}")]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)


def recipe_options(recipe: str, dataset: str, model: str = "mlp") -> dict:
    """The recipe's options, with its changes for the dataset and the model."""
    return {**RECIPES[recipe], **FOR_DATASET.get((recipe, dataset), {}),
            **FOR_MODEL.get((recipe, model), {})}


def read_run_config(run: Path) -> Config:
    """The options a run folder was trained with (its config.json)."""
    path = Path(run) / "config.json"
    if not path.is_file():
        raise FileNotFoundError(f"{run} is not a run folder (no config.json)")
    return Config(**json.loads(path.read_text()))


def dataset_for(model_path: Path, dataset=None, data_dir=None) -> tuple[str, str | None]:
    """(dataset, data folder) for a run folder or checkpoint: what its config.json
    says, unless given; mnist for a lone weights file."""
    folder = model_path if model_path.is_dir() else model_path.parent
    saved = folder / "config.json"
    if dataset is None and saved.is_file():
        try:
            cfg = json.loads(saved.read_text())
            return cfg["dataset"], data_dir or cfg.get("data_dir")
        except (ValueError, KeyError, TypeError):
            raise ValueError(f"{saved}: no dataset named in it; pass --dataset") from None
    return dataset or "mnist", data_dir


# The options a resumed run takes from its checkpoint (giving one with --resume is
# refused): every option but the epochs, which may grow, and where the data is
FIXED_ON_RESUME = tuple(f.name for f in dataclasses.fields(Config)
                        if f.name not in ("epochs", "data_dir", "val_size"))
