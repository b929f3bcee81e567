"""Optimizers (torch.optim's update rules and defaults) and learning-rate schedulers."""
from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam
from .adamw import AdamW
from .asgd import ASGD
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "ASGD", "Adagrad", "RMSprop", "Adam", "AdamW", "lr_scheduler"]
