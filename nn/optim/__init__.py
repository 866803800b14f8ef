"""``nn.optim``: optimizers and (in ``lr_scheduler``) learning-rate schedules."""

from . import lr_scheduler
from .adaptive import Adagrad, Adamax, NAdam, RAdam, RMSprop
from .optimizer import SGD, Adadelta, Adam, AdamW, Optimizer

__all__ = ["SGD", "Adadelta", "Adam", "AdamW", "Optimizer", "lr_scheduler", "RMSprop",
           "Adagrad", "Adamax", "NAdam", "RAdam"]
