"""The global random generator: ``manual_seed`` makes rand/randn/init/dropout/shuffling repeatable."""
import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed):
    """Reseed the generator used by every random function in axonal."""
    global _generator
    _generator = np.random.default_rng(int(seed))
    return _generator


def generator():
    return _generator
