"""dtype names users write as ``ax.float32`` etc.: plain NumPy dtypes, since CPU storage is NumPy."""
import numpy as np

float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int8 = np.dtype(np.int8)
int16 = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(np.bool_)
# torch's other spellings
half = float16
float = float32  # noqa: A001
double = float64
short = int16
int = int32  # noqa: A001
long = int64

_default_float = float32


def get_default_dtype():
    return _default_float


def set_default_dtype(dtype):
    """Dtype of tensors made from Python floats and of ``zeros``/``rand``/... without ``dtype``."""
    global _default_float
    dtype = np.dtype(dtype)
    if dtype not in (float32, float64):
        raise TypeError(f"[set_default_dtype] only float32 and float64 are supported, got {dtype}")
    _default_float = dtype


def resolve(dtype):
    """np.dtype for a user-given dtype (None means the default float dtype)."""
    return _default_float if dtype is None else np.dtype(dtype)


def is_floating_point(dtype):
    return np.dtype(dtype).kind == "f"


def promote_types(a, b):
    """torch.promote_types: the dtype two tensors of these dtypes compute in."""
    return np.promote_types(a, b)
