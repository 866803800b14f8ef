"""A training run's options: the two recipes and their validation."""

from __future__ import annotations

import dataclasses
import math

RECIPES = {
    # The seed notebook: mini-batch SGD, batch 32, lr 0.01, 20 epochs.
    "seed": dict(epochs=20, batch_size=32, lr=0.01, optimizer="sgd", momentum=0.0,
                 weight_decay=0.0, schedule="none", augment=False),
    # Same MLP; AdamW with a one-cycle schedule and random ±2-pixel shifts.
    "best": dict(epochs=30, batch_size=128, lr=3e-3, optimizer="adamw", momentum=0.0,
                 weight_decay=1e-4, schedule="onecycle", augment=True),
}


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
                  (self.optimizer in ("sgd", "adam", "adamw"),
                   f"--optimizer must be sgd, adam or adamw, got {self.optimizer!r}"),
                  (self.schedule in ("none", "cosine", "onecycle"),
                   f"--schedule must be none, cosine or onecycle, got {self.schedule!r}"),
                  (self.limit is None or self.limit >= 1,
                   f"--limit must be >= 1, got {self.limit}"),
                  (self.recipe in RECIPES, f"--recipe must be one of {', '.join(RECIPES)}")]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)
