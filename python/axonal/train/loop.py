"""fit() and evaluate(): the training loop a user would otherwise write by hand, with progress and logs."""
import time

import numpy as np

from ..grad_mode import no_grad
from ..optim.lr_scheduler import ReduceLROnPlateau
from .callbacks import Callback
from .history import History


def _accuracy(outputs, targets):
    """Fraction of rows whose arg-max class equals the integer target (or > 0.5 matches for one logit)."""
    out, tgt = outputs.data, targets.data
    if out.ndim >= 2 and out.shape[1] > 1:
        return float((out.argmax(axis=1) == tgt).mean())
    return float(((out.reshape(tgt.shape) > 0) == (tgt > 0.5)).mean())


def _metric_fns(metrics):
    fns = {}
    for m in metrics:
        if m == "accuracy":
            fns["accuracy"] = _accuracy
        elif callable(m):
            fns[getattr(m, "__name__", "metric")] = m
        else:
            raise ValueError(f"[fit] unknown metric {m!r}; use 'accuracy' or a callable(outputs, targets) -> float")
    return fns


def _batch_size(x):
    return x.shape[0] if x.ndim else 1


class _Trainer:
    def __init__(self, model, optimizer):
        self.model, self.optimizer = model, optimizer
        self.stop_training = False


def evaluate(model, loss_fn, loader, metrics=("accuracy",)):
    """Mean loss and metrics over ``loader`` with the model in eval mode and no graph recorded."""
    fns = _metric_fns(metrics)
    was_training = model.training
    model.eval()
    totals, seen = {"loss": 0.0, **{k: 0.0 for k in fns}}, 0
    try:
        with no_grad():
            for xb, yb in loader:
                out = model(xb)
                n = _batch_size(xb)
                totals["loss"] += float(loss_fn(out, yb).item()) * n
                for k, fn in fns.items():
                    totals[k] += fn(out, yb) * n
                seen += n
    finally:
        model.train(was_training)
    if seen == 0:
        raise ValueError("[evaluate] the loader yielded no batches")
    return {k: v / seen for k, v in totals.items()}


def _progress(loader, epoch, epochs, enabled):
    if not enabled:
        return loader
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return loader
    return tqdm(loader, total=len(loader), desc=f"epoch {epoch}/{epochs}", unit="batch", leave=True, dynamic_ncols=True)


def fit(model, loss_fn, optimizer, train_loader, epochs, val_loader=None, metrics=("accuracy",), callbacks=(),
        scheduler=None, progress=True):
    """Trains ``model`` for ``epochs`` passes over ``train_loader``; returns a History of per-epoch logs
    (loss, metrics, val_loss/val_<metric> when ``val_loader`` is given, lr, epoch_time, images_per_s).
    A scheduler steps once per epoch (ReduceLROnPlateau with val_loss, or loss without a val_loader)."""
    if epochs < 0:
        raise ValueError(f"[fit] epochs must be >= 0, got {epochs}")
    for cb in callbacks:
        if not isinstance(cb, Callback):
            raise TypeError(f"[fit] callbacks must be axonal.train.Callback instances, got {type(cb).__name__}")
    fns = _metric_fns(metrics)
    trainer = _Trainer(model, optimizer)
    history = History()
    for cb in callbacks:
        cb.on_train_begin(trainer)
    for epoch in range(1, epochs + 1):
        model.train()
        totals, seen = {"loss": 0.0, **{k: 0.0 for k in fns}}, 0
        start = time.perf_counter()
        bar = _progress(train_loader, epoch, epochs, progress)
        for xb, yb in bar:
            optimizer.zero_grad()
            out = model(xb)
            loss = loss_fn(out, yb)
            loss.backward()
            optimizer.step()
            n = _batch_size(xb)
            batch_loss = float(loss.item())
            if not np.isfinite(batch_loss):
                raise FloatingPointError(f"[fit] loss became {batch_loss} in epoch {epoch}; lower the learning rate")
            totals["loss"] += batch_loss * n
            with no_grad():
                for k, fn in fns.items():
                    totals[k] += fn(out, yb) * n
            seen += n
            if bar is not train_loader:
                elapsed = time.perf_counter() - start
                postfix = {"loss": f"{totals['loss'] / seen:.4f}"}
                if "accuracy" in totals:
                    postfix["acc"] = f"{totals['accuracy'] / seen:.4f}"
                postfix["img/s"] = f"{seen / max(elapsed, 1e-9):.0f}"
                bar.set_postfix(postfix, refresh=False)
        elapsed = time.perf_counter() - start
        if bar is not train_loader:
            bar.close()
        if seen == 0:
            raise ValueError("[fit] the training loader yielded no batches")
        logs = {k: v / seen for k, v in totals.items()}
        if val_loader is not None:
            logs.update({f"val_{k}": v for k, v in evaluate(model, loss_fn, val_loader, metrics).items()})
        logs["lr"] = optimizer.param_groups[0]["lr"]
        logs["epoch_time"] = elapsed
        logs["images_per_s"] = seen / max(elapsed, 1e-9)
        if scheduler is not None:
            _step_scheduler(scheduler, logs)
        history.append(epoch, logs)
        if progress:
            shown = ", ".join(f"{k} {v:.4f}" for k, v in logs.items() if k not in ("lr", "epoch_time", "images_per_s"))
            print(f"epoch {epoch}/{epochs}: {shown}, {logs['images_per_s']:.0f} images/s, {elapsed:.1f} s", flush=True)
        for cb in callbacks:
            cb.on_epoch_end(trainer, epoch, logs)
        if trainer.stop_training:
            break
    for cb in callbacks:
        cb.on_train_end(trainer)
    return history


def _step_scheduler(scheduler, logs):

    if isinstance(scheduler, ReduceLROnPlateau):
        scheduler.step(logs.get("val_loss", logs["loss"]))
    else:
        scheduler.step()
