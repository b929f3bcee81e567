"""Training loops: fit / evaluate, callbacks and the History they return."""
from .callbacks import Callback, EarlyStopping, ModelCheckpoint
from .history import History
from .loop import evaluate, fit

__all__ = ["Callback", "EarlyStopping", "History", "ModelCheckpoint", "evaluate", "fit"]
