"""fit() and evaluate(): the training loop a user would otherwise write by hand, with progress and logs.

On several ranks (an initialised axonal.distributed group of more than one process, the model wrapped in
DistributedDataParallel) fit averages the epoch's loss and metrics over all ranks' samples, so every rank
gets the same logs and History and its callbacks (early stopping, schedulers) decide alike; only rank 0
shows progress and runs ModelCheckpoint (which saves the unwrapped module's state_dict); the loader's
sampler gets ``set_epoch(epoch - 1)`` at the start of each epoch (DistributedSampler's new order).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ..tensor import Tensor

if TYPE_CHECKING:
    from ..nn.module import Module
    from ..optim.optimizer import Optimizer

import sys
import time
import warnings

import numpy as np

from ..grad_mode import no_grad
from ..optim.lr_scheduler import ReduceLROnPlateau
from .callbacks import Callback, ModelCheckpoint
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


def evaluate(model: Module, loss_fn: Callable[[Any, Any], Tensor], loader: Iterable[Any],
             metrics: Sequence[str | Callable[[Tensor, Tensor], float]] = ("accuracy",)) -> dict[str, float]:
    """Mean loss and metrics over ``loader``, in eval mode with no graph recorded.

    Only this rank's loader: evaluate itself never talks to other ranks.

    Args:
        model: the module to evaluate (its train/eval mode is restored afterwards).
        loss_fn: ``loss_fn(outputs, targets)`` -> a scalar Tensor.
        loader: yields ``(inputs, targets)`` batches.
        metrics: "accuracy" or callables ``fn(outputs, targets) -> float``.

    Returns:
        {"loss": ..., "accuracy": ..., ...}, each averaged over the samples.
    """
    totals, seen = _evaluate_totals(model, loss_fn, loader, _metric_fns(metrics))
    if seen == 0:
        raise ValueError("[evaluate] the loader yielded no batches")
    return {k: v / seen for k, v in totals.items()}


def _evaluate_totals(model, loss_fn, loader, fns):
    """(sample-weighted sums of the loss and metrics, samples seen) over ``loader``, in eval mode."""
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
    return totals, seen


class _Ranks:
    """This process's place in the process group, and the few collectives fit needs (none on one rank)."""

    def __init__(self):
        from .. import distributed

        self.dist = distributed if distributed.is_initialized() else None
        self.rank = distributed.get_rank() if self.dist else 0
        self.size = distributed.get_world_size() if self.dist else 1

    def sum(self, totals, seen):
        if self.size == 1:
            return totals, seen
        from ..creation import from_numpy

        values = from_numpy(np.array([seen, *totals.values()], dtype=np.float64))
        self.dist.all_reduce(values)
        flat = values.numpy()
        return dict(zip(totals, flat[1:].tolist())), int(flat[0])

    def max(self, value):
        if self.size == 1:
            return value
        from ..creation import from_numpy

        t = from_numpy(np.array([value], dtype=np.float64))
        self.dist.all_reduce(t, op=self.dist.ReduceOp.MAX)
        return float(t.numpy()[0])

    def check_same_length(self, loader, epoch):
        """Ranks that take different numbers of steps would leave DDP waiting forever: fail on all of them."""
        if self.size == 1:
            return
        try:
            mine = len(loader)
        except TypeError:
            mine = None
        lengths = [None] * self.size
        self.dist.all_gather_object(lengths, mine)
        if len(set(lengths)) > 1:
            listing = ", ".join(f"rank {r}: {n}" for r, n in enumerate(lengths))
            raise ValueError(f"[fit] the ranks' training loaders have different numbers of batches in epoch {epoch} "
                             f"({listing}); give each rank an equal share, e.g. with axonal.data.DistributedSampler")


def _in_notebook():
    """True inside a Jupyter kernel, where tqdm.auto draws a widget rather than carriage returns."""
    shell = sys.modules.get("IPython") and getattr(sys.modules["IPython"], "get_ipython", lambda: None)()
    return type(shell).__name__ == "ZMQInteractiveShell"


def _draws_bar(stream):
    """A live bar only where someone watches it redraw: a terminal or a notebook. A log file or a CI job's
    output would get every redraw as one more carriage-return line; there fit prints one line per epoch."""
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty()) or _in_notebook()
    except ValueError:  # a closed stream
        return False


def _progress(loader, epoch, epochs, enabled):
    if not enabled or not _draws_bar(sys.stderr):
        return loader
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return loader
    return tqdm(loader, total=len(loader), desc=f"epoch {epoch}/{epochs}", unit="batch", leave=True, dynamic_ncols=True)


def fit(model: Module, loss_fn: Callable[[Any, Any], Tensor], optimizer: Optimizer, train_loader: Iterable[Any],
        epochs: int, val_loader: Iterable[Any] | None = None,
        metrics: Sequence[str | Callable[[Tensor, Tensor], float]] = ("accuracy",), callbacks: Sequence[Callback] = (),
        scheduler: Any = None, progress: bool = True, scheduler_interval: str = "epoch") -> History:
    """Trains ``model`` for ``epochs`` passes over ``train_loader``.

    Args:
        model: the nn.Module (or DistributedDataParallel) to train, in train mode during each epoch.
        loss_fn: ``loss_fn(outputs, targets)`` -> a scalar Tensor, e.g. nn.CrossEntropyLoss().
        optimizer: steps once per batch (zero_grad, forward, backward, step).
        train_loader: yields ``(inputs, targets)`` batches.
        epochs: passes over ``train_loader`` (>= 0).
        val_loader: evaluated after every epoch (eval mode, no graph); its logs are prefixed ``val_``.
        metrics: "accuracy" or callables ``fn(outputs, targets) -> float``, averaged over samples.
        callbacks: axonal.train.Callback instances (EarlyStopping, ModelCheckpoint, ...).
        scheduler: steps once per epoch (ReduceLROnPlateau with val_loss, or loss without a val_loader), or
            after every optimizer step with ``scheduler_interval="batch"`` (OneCycleLR, per-step warm-up).
        progress: print one line per epoch; on a terminal or in a notebook also a live tqdm bar (in a log file
            or CI output the bar's redraws would be carriage-return lines, so there is none).
        scheduler_interval: "epoch" (default) or "batch": when ``scheduler`` steps.

    Returns:
        A History of per-epoch logs: loss, the metrics, val_loss / val_<metric> with a ``val_loader``, lr,
        epoch_time and images_per_s.

    On several ranks (see the module docstring) the logs are averaged over all ranks' samples and returned on
    every rank, kernel threads were divided among the ranks by init_process_group, and only rank 0 prints."""
    if epochs < 0:
        raise ValueError(f"[fit] epochs must be >= 0, got {epochs}")
    if scheduler_interval not in ("epoch", "batch"):
        raise ValueError(f"[fit] scheduler_interval must be 'epoch' or 'batch', got {scheduler_interval!r}")
    if scheduler_interval == "batch" and isinstance(scheduler, ReduceLROnPlateau):
        raise ValueError("[fit] ReduceLROnPlateau watches an epoch's loss: use scheduler_interval='epoch'")
    per_batch = scheduler if scheduler_interval == "batch" else None
    for cb in callbacks:
        if not isinstance(cb, Callback):
            raise TypeError(f"[fit] callbacks must be axonal.train.Callback instances, got {type(cb).__name__}")
    fns = _metric_fns(metrics)
    ranks = _Ranks()
    main = ranks.rank == 0
    inner = _unwrapped(model)
    if ranks.size > 1 and inner is model:
        warnings.warn(f"[fit] running on {ranks.size} ranks but the model is not wrapped in "
                      "axonal.nn.parallel.DistributedDataParallel: its gradients are not averaged across ranks",
                      stacklevel=2)
    trainer = _Trainer(inner, optimizer)
    history = History()
    for cb in callbacks:
        cb.on_train_begin(trainer)
    sampler = getattr(train_loader, "sampler", None)
    for epoch in range(1, epochs + 1):
        if callable(getattr(sampler, "set_epoch", None)):
            sampler.set_epoch(epoch - 1)
        ranks.check_same_length(train_loader, epoch)
        model.train()
        start = time.perf_counter()
        totals, seen = _train_epoch(model, loss_fn, optimizer, train_loader, fns, epoch, epochs, progress and main,
                                    ranks.size, per_batch)
        elapsed = ranks.max(time.perf_counter() - start)
        totals, seen = ranks.sum(totals, seen)
        if seen == 0:
            raise ValueError("[fit] the training loader yielded no batches")
        logs = {k: v / seen for k, v in totals.items()}
        if val_loader is not None:
            val_totals, val_seen = ranks.sum(*_evaluate_totals(model, loss_fn, val_loader, fns))
            if val_seen == 0:
                raise ValueError("[fit] the validation loader yielded no batches")
            logs.update({f"val_{k}": v / val_seen for k, v in val_totals.items()})
        logs["lr"] = optimizer.param_groups[0]["lr"]
        logs["epoch_time"] = elapsed
        logs["images_per_s"] = seen / max(elapsed, 1e-9)
        if scheduler is not None and per_batch is None:
            _step_scheduler(scheduler, logs)
        history.append(epoch, logs)
        if progress and main:
            shown = ", ".join(f"{k} {v:.4f}" for k, v in logs.items() if k not in ("lr", "epoch_time", "images_per_s"))
            print(f"epoch {epoch}/{epochs}: {shown}, {logs['images_per_s']:.0f} images/s, {elapsed:.1f} s", flush=True)
        for cb in callbacks:
            if main or not isinstance(cb, ModelCheckpoint):  # one writer of the (identical) weights
                cb.on_epoch_end(trainer, epoch, logs)
        if trainer.stop_training:
            break
    for cb in callbacks:
        cb.on_train_end(trainer)
    return history


def _train_epoch(model, loss_fn, optimizer, loader, fns, epoch, epochs, show_progress, world_size, per_batch=None):
    """One pass over ``loader``: (this rank's sample-weighted sums of the loss and metrics, samples seen);
    ``per_batch``, a scheduler, steps after every optimizer step."""
    totals, seen = {"loss": 0.0, **{k: 0.0 for k in fns}}, 0
    start = time.perf_counter()
    bar = _progress(loader, epoch, epochs, show_progress)
    for xb, yb in bar:
        optimizer.zero_grad()
        out = model(xb)
        loss = loss_fn(out, yb)
        loss.backward()
        optimizer.step()
        if per_batch is not None:
            per_batch.step()
        n = _batch_size(xb)
        batch_loss = float(loss.item())
        if not np.isfinite(batch_loss):
            raise FloatingPointError(f"[fit] loss became {batch_loss} in epoch {epoch}; lower the learning rate")
        totals["loss"] += batch_loss * n
        with no_grad():
            for k, fn in fns.items():
                totals[k] += fn(out, yb) * n
        seen += n
        if bar is not loader:
            elapsed = time.perf_counter() - start
            postfix = {"loss": f"{totals['loss'] / seen:.4f}"}
            if "accuracy" in totals:
                postfix["acc"] = f"{totals['accuracy'] / seen:.4f}"
            postfix["img/s"] = f"{seen * world_size / max(elapsed, 1e-9):.0f}"  # all ranks (equal shares)
            bar.set_postfix(postfix, refresh=False)
    if bar is not loader:
        bar.close()
    return totals, seen


def _unwrapped(model):
    from ..nn.parallel import DistributedDataParallel

    return model.module if isinstance(model, DistributedDataParallel) else model


def _step_scheduler(scheduler, logs):

    if isinstance(scheduler, ReduceLROnPlateau):
        scheduler.step(logs.get("val_loss", logs["loss"]))
    else:
        scheduler.step()
