"""Random numbers: the global generator (``manual_seed`` makes rand/randn/init/dropout/shuffling repeatable)
and ``Generator`` objects for a stream of one's own (torch.Generator's API, ``generator=`` on the random ops).

Devices with generators of their own (a GPU draws dropout masks where the data is) register a reseed
callback with ``on_seed``, so one ``manual_seed`` call seeds them all."""
from __future__ import annotations

import numpy as np

_generator = np.random.default_rng()
_initial_seed = None
_seed_callbacks = []


def manual_seed(seed: int) -> Generator:
    """Reseeds the generator every random function in axonal uses, and every device's generator.

    Args:
        seed: any integer.

    Returns:
        axonal's default Generator.
    """
    global _generator, _initial_seed
    _initial_seed = int(seed)
    _generator = np.random.default_rng(_initial_seed)
    for callback in _seed_callbacks:
        callback(_initial_seed)
    return default_generator


def seed() -> int:
    """Seeds the global generator from the operating system's entropy; returns the seed used."""
    s = int(np.random.SeedSequence().entropy % (2**63))
    manual_seed(s)
    return s


def initial_seed() -> int:
    return _initial_seed


def on_seed(callback):
    """Calls ``callback(seed)`` on every later manual_seed."""
    _seed_callbacks.append(callback)


def generator():
    """The NumPy generator behind axonal's global random stream."""
    return _generator


class Generator:
    """A random stream of its own: ``g = ax.Generator().manual_seed(0)``; pass ``generator=g`` to rand, randn,
    randint, randperm, normal, bernoulli, multinomial, the samplers and the DataLoader."""

    def __init__(self, device="cpu"):
        self.device = device
        self._seed = int(np.random.SeedSequence().entropy % (2**63))
        self._rng = np.random.default_rng(self._seed)

    def manual_seed(self, seed):
        self._seed = int(seed)
        self._rng = np.random.default_rng(self._seed)
        return self

    def seed(self):
        return self.manual_seed(int(np.random.SeedSequence().entropy % (2**63)))._seed

    def initial_seed(self):
        return self._seed

    def get_state(self):
        return self._rng.bit_generator.state

    def set_state(self, state):
        self._rng.bit_generator.state = state
        return self

    @property
    def numpy(self):
        """The NumPy generator that draws this stream."""
        return self._rng


class _DefaultGenerator(Generator):
    """``axonal.default_generator``: the global stream seen as a Generator."""

    def __init__(self):
        self.device = "cpu"

    def manual_seed(self, seed):
        manual_seed(seed)
        return self

    def initial_seed(self):
        return _initial_seed

    @property
    def _rng(self):
        return _generator

    @property
    def numpy(self):
        return _generator


default_generator = _DefaultGenerator()


def rng_of(generator_arg):
    """The NumPy generator for a ``generator=`` argument (None: the global stream)."""
    if generator_arg is None:
        return _generator
    if isinstance(generator_arg, Generator):
        return generator_arg.numpy
    raise TypeError(f"[generator] expected an axonal.Generator, got {type(generator_arg).__name__}")
