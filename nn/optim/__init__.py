"""``nn.optim``: optimizers and (in ``lr_scheduler``) learning-rate schedules."""

from . import lr_scheduler
from .adadelta import Adadelta
from .adam import Adam, AdamW
from .adaptive import Adagrad, Adamax, NAdam, RAdam, RMSprop
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["SGD", "Adadelta", "Adam", "AdamW", "Optimizer", "lr_scheduler", "RMSprop",
           "Adagrad", "Adamax", "NAdam", "RAdam"]
