"""Preprocessing helpers over whole arrays (ndarray in → ndarray out, Tensor in → Tensor out).

Fit statistics on the training set and reuse them on the test set::

    x_train, mean, std = standardize(x_train)                 # per feature (per pixel)
    x_test, _, _ = standardize(x_test, mean, std)
"""
import numpy as np

from .. import dtypes
from ..tensor import Tensor


def _unwrap(x, op):
    if isinstance(x, Tensor):
        return x.data, True
    if isinstance(x, np.ndarray):
        return x, False
    raise TypeError(f"[{op}] expects a Tensor or numpy.ndarray, got {type(x).__name__}")


def _float_dtype(array):
    return array.dtype if array.dtype.kind == "f" else dtypes.get_default_dtype()


def _rewrap(array, as_tensor):
    return Tensor._make(array) if as_tensor else array


def standardize(x, mean=None, std=None, per_feature=True, eps=1e-8):
    """Returns ``((x - mean) / std, mean, std)``: zero mean, unit variance.

    Statistics missing from the call are computed from ``x`` (in float64): with ``per_feature=True``
    over the first (sample) axis, so ``mean``/``std`` have shape ``x.shape[1:]`` (one value per pixel for
    images); with ``per_feature=False`` over all elements, as 0-d arrays. A std below ``eps`` (a feature
    that never changes, e.g. an always-black border pixel) is replaced by 1 so it maps to 0 instead of
    dividing by zero; the returned ``std`` is that safe one, ready to reuse on other data. The result has
    x's float dtype (float32 for integer input).
    """
    a, is_tensor = _unwrap(x, "standardize")
    if a.ndim == 0 or a.shape[0] == 0:
        raise ValueError(f"[standardize] needs a non-empty array with a sample axis, got shape {a.shape}")
    axis = 0 if per_feature else None
    if mean is None:
        mean = a.mean(axis=axis, dtype=np.float64)
    if std is None:
        std = a.std(axis=axis, dtype=np.float64)
        std = np.where(std < eps, 1.0, std)
    mean = np.asarray(mean.data if isinstance(mean, Tensor) else mean)
    std = np.asarray(std.data if isinstance(std, Tensor) else std)
    try:
        out = ((a - mean) / std).astype(_float_dtype(a), copy=False)
    except ValueError:
        raise ValueError(f"[standardize] mean {mean.shape} and std {std.shape} do not broadcast against "
                         f"x {a.shape}") from None
    return _rewrap(out, is_tensor), mean, std


def normalize(x, low=0.0, high=1.0, data_range=None):
    """Min-max scaling of ``x`` onto ``[low, high]``.

    The input range is ``x``'s global min and max unless ``data_range=(min, max)`` is given (pass the
    training set's to scale other data the same way, or ``(0, 255)`` for 8-bit images). A constant input
    maps to ``low``. The result has x's float dtype (float32 for integer input).
    """
    a, is_tensor = _unwrap(x, "normalize")
    if high <= low:
        raise ValueError(f"[normalize] high must be greater than low, got low={low}, high={high}")
    if data_range is None:
        if a.size == 0:
            raise ValueError(f"[normalize] cannot take the range of an empty array (shape {a.shape})")
        lo, hi = float(a.min()), float(a.max())
    else:
        lo, hi = (float(v) for v in data_range)
    scale = (high - low) / (hi - lo) if hi > lo else 0.0
    out = ((a.astype(np.float64) - lo) * scale + low).astype(_float_dtype(a), copy=False)
    return _rewrap(out, is_tensor)


def to_float_images(images):
    """uint8 images ``(N, H, W)`` or ``(N, C, H, W)`` → float32 in [0, 1] shaped ``(N, C, H, W)``."""
    a, is_tensor = _unwrap(images, "to_float_images")
    if a.dtype != np.uint8:
        raise TypeError(f"[to_float_images] expects uint8 images, got dtype {a.dtype} (shape {a.shape})")
    if a.ndim == 3:
        a = a[:, None]
    elif a.ndim != 4:
        raise ValueError(f"[to_float_images] expects images shaped (N, H, W) or (N, C, H, W), got {a.shape}")
    out = a.astype(np.float32)
    out /= np.float32(255)  # a true division, so 255 maps to exactly 1.0
    return _rewrap(out, is_tensor)
