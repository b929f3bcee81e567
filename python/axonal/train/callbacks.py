"""Callbacks that fit() calls at the end of each epoch with the epoch's logs."""
import math

from ..io import save


class Callback:
    def on_train_begin(self, trainer):
        pass

    def on_epoch_end(self, trainer, epoch, logs):
        pass

    def on_train_end(self, trainer):
        pass


def _better(mode, value, best, min_delta):
    if mode == "min":
        return value < best - min_delta
    return value > best + min_delta


class EarlyStopping(Callback):
    """Stops training when ``monitor`` has not improved for ``patience`` epochs, or as soon as it reaches
    ``target`` (e.g. "train until the loss is below 0.05")."""

    def __init__(self, monitor="val_loss", patience=5, min_delta=0.0, mode="min", target=None):
        if mode not in ("min", "max"):
            raise ValueError(f"[EarlyStopping] mode must be 'min' or 'max', got {mode!r}")
        self.monitor, self.patience, self.min_delta, self.mode, self.target = monitor, patience, min_delta, mode, target
        self.best = math.inf if mode == "min" else -math.inf
        self.wait = 0
        self.stopped_epoch = None
        self.reason = None

    def on_epoch_end(self, trainer, epoch, logs):
        if self.monitor not in logs:
            raise KeyError(f"[EarlyStopping] monitored value {self.monitor!r} is not in the logs {sorted(logs)}")
        value = logs[self.monitor]
        if self.target is not None and (value <= self.target if self.mode == "min" else value >= self.target):
            self._stop(trainer, epoch, f"{self.monitor} reached the target {self.target}")
            return
        if _better(self.mode, value, self.best, self.min_delta):
            self.best, self.wait = value, 0
        else:
            self.wait += 1
            if self.patience is not None and self.wait >= self.patience:
                self._stop(trainer, epoch, f"{self.monitor} did not improve for {self.patience} epochs")

    def _stop(self, trainer, epoch, reason):
        trainer.stop_training = True
        self.stopped_epoch, self.reason = epoch, reason


class ModelCheckpoint(Callback):
    """Saves {"model": ..., "optimizer": ..., "epoch": ...} with axonal.save, every epoch or only when
    ``monitor`` improves. ``path`` may contain ``{epoch}``."""

    def __init__(self, path, monitor="val_loss", mode="min", save_best_only=True):
        if mode not in ("min", "max"):
            raise ValueError(f"[ModelCheckpoint] mode must be 'min' or 'max', got {mode!r}")
        self.path, self.monitor, self.mode, self.save_best_only = str(path), monitor, mode, save_best_only
        self.best = math.inf if mode == "min" else -math.inf
        self.saved = []

    def on_epoch_end(self, trainer, epoch, logs):

        if self.save_best_only:
            value = logs.get(self.monitor)
            if value is None:
                raise KeyError(f"[ModelCheckpoint] monitored value {self.monitor!r} is not in the logs {sorted(logs)}")
            if not _better(self.mode, value, self.best, 0.0):
                return
            self.best = value
        path = self.path.format(epoch=epoch)
        state = {"model": trainer.model.state_dict(), "optimizer": trainer.optimizer.state_dict(), "epoch": epoch}
        save(state, path)
        self.saved.append(path)
