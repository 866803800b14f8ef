"""Learning-rate schedules giving the same sequence as ``torch.optim.lr_scheduler``.

Like PyTorch, constructing a scheduler sets the epoch-0 learning rate, and each
``step()`` moves one epoch (or one batch, for OneCycleLR and CyclicLR) on, from the
learning rate each group has now (chainable, as PyTorch's).
"""

from .base import LRScheduler
from .combined import ChainedScheduler, ReduceLROnPlateau, SequentialLR
from .cyclic import CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR
from .decay import (
                    ConstantLR,
                    CosineAnnealingLR,
                    ExponentialLR,
                    LambdaLR,
                    LinearLR,
                    MultiplicativeLR,
                    MultiStepLR,
                    PolynomialLR,
                    StepLR,
)

__all__ = ["LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR",
           "LinearLR", "ExponentialLR", "PolynomialLR", "CosineAnnealingLR",
           "CosineAnnealingWarmRestarts", "CyclicLR", "OneCycleLR", "SequentialLR",
           "ChainedScheduler", "ReduceLROnPlateau"]
