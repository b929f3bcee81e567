"""The global random generator: ``manual_seed`` makes rand/randn/init/dropout/shuffling repeatable.

Devices with generators of their own (a GPU draws dropout masks where the data is) register a reseed
callback with ``on_seed``, so one ``manual_seed`` call seeds them all."""
import numpy as np

_generator = np.random.default_rng()
_seed_callbacks = []


def manual_seed(seed):
    """Reseed the generator used by every random function in axonal, and every device's generator."""
    global _generator
    _generator = np.random.default_rng(int(seed))
    for callback in _seed_callbacks:
        callback(int(seed))
    return _generator


def on_seed(callback):
    """Calls ``callback(seed)`` on every later manual_seed."""
    _seed_callbacks.append(callback)


def generator():
    return _generator
