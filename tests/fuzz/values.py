"""Random arguments for the fuzzer: mostly plausible values with something wrong in them.

Everything is drawn from one ``Values`` object holding a ``random.Random`` and a NumPy generator, both seeded
from (campaign seed, call index), so that any call can be replayed alone. Sizes stay small (a call must run in
milliseconds) except the deliberately huge ones, which are far beyond any memory limit so that they fail at
allocation (MemoryError) instead of running.
"""
import math
import random

import numpy as np

# Sizes a kernel must handle (1, 3, 7, 17: not multiples of any tile) and sizes it must refuse.
SMALL_SIZES = (0, 1, 1, 2, 2, 3, 3, 4, 5, 7)
AWKWARD_SIZES = (17, 33, 65)
HUGE_SIZES = (2**31, 2**31 + 1, 2**40, 2**62, 2**63 - 1)
BAD_SIZES = (-1, -2, -(2**31), 2**63, 2**64, 2**100, 3.5, float("nan"), float("inf"), "3", None, True, b"2",
             [2], (2, 3), np.int64(-3), np.float32(2.0), complex(1, 1))
FLOAT_SPECIALS = (np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-45, 1e-310, 3.4e38, -3.4e38, 1e308, 1.0, -1.0)
DTYPES = ("float32",) * 6 + ("float64",) * 3 + ("float16", "int64", "int64", "int32", "int8", "uint8", "bool",
                                                 "complex64")


class Unhashable:
    __hash__ = None

    def __repr__(self):
        return "Unhashable()"


class Exploding:
    """An object whose every use raises: the library must let that exception through, not crash."""

    def __repr__(self):
        return "Exploding()"

    def _boom(self, *args, **kwargs):
        raise RuntimeError("Exploding object used")

    __len__ = __iter__ = __index__ = __int__ = __float__ = __bool__ = __getitem__ = __array__ = _boom
    __add__ = __radd__ = __mul__ = __rmul__ = __call__ = _boom


class Values:
    def __init__(self, seed, index, ax):
        self.r = random.Random(f"{seed}:{index}")
        self.np = np.random.default_rng([seed & 0xFFFFFFFF, index])
        self.ax = ax
        self.devices = ["cpu"] + (["cuda"] if ax.cuda.is_available() else [])

    # ---- plain choices -------------------------------------------------------------------------------
    def chance(self, p):
        return self.r.random() < p

    def pick(self, seq):
        return seq[self.r.randrange(len(seq))]

    def size(self, wild=0.1):
        """A dimension: small mostly, sometimes awkward, sometimes huge or not a size at all."""
        u = self.r.random()
        if u < wild / 2:
            return self.pick(BAD_SIZES)
        if u < wild:
            return self.pick(HUGE_SIZES)
        if u < wild + 0.1:
            return self.pick(AWKWARD_SIZES)
        return self.pick(SMALL_SIZES)

    def pos(self, hi=5):
        """A small positive int (a feature count, a kernel size)."""
        return self.r.randint(1, hi)

    def shape(self, ndim=None, wild=0.05):
        ndim = self.r.choice((0, 1, 1, 2, 2, 2, 3, 3, 4, 4, 5)) if ndim is None else ndim
        return tuple(self.size(wild) if self.chance(0.3) else self.pos(4) for _ in range(ndim))

    def dtype(self):
        return self.pick(DTYPES)

    def float_value(self):
        u = self.r.random()
        if u < 0.15:
            return float(self.pick(FLOAT_SPECIALS))
        if u < 0.2:
            return self.pick((0, 1, -1, 2**31, -(2**63), True))  # ints where a float is expected
        return round(self.r.uniform(-3, 3), 3)

    def scalar(self):
        return self.pick((self.float_value(), self.r.randint(-5, 5), True, False, np.float32(self.float_value()),
                          np.int64(self.r.randint(-3, 3)), complex(0.5, -1), 2**70, -(2**70)))

    # ---- arrays ----------------------------------------------------------------------------------------
    def _fill(self, shape, dtype):
        n = int(np.prod(shape)) if shape else 1
        if dtype == "bool":
            return self.np.random(n) < 0.5
        if dtype.startswith(("int", "uint")):
            info = np.iinfo(dtype)
            lo, hi = (info.min, info.max) if self.chance(0.1) else (max(info.min, -4), min(info.max, 5))
            return self.np.integers(lo, hi, n, endpoint=True).astype(dtype)
        data = self.np.standard_normal(n) * self.pick((1.0, 1.0, 1e-3, 1e3, 1e30))
        if self.chance(0.25) and n:
            k = self.r.randint(1, max(1, n // 3))
            data[self.np.integers(0, n, k)] = self.np.choice(np.array(FLOAT_SPECIALS), k)
        with np.errstate(all="ignore"):
            data = data.astype(dtype)
        return data

    def array(self, shape=None, dtype=None, layout=None):
        """A NumPy array of ``shape`` (random if None) with an awkward memory layout sometimes: transposed,
        sliced with a step, reversed (negative strides), broadcast (stride 0, read-only), unaligned, read-only,
        Fortran-ordered, or an in-bounds as_strided view with overlapping rows."""
        shape = self.shape() if shape is None else tuple(shape)
        dtype = self.dtype() if dtype is None else dtype
        if any(not isinstance(s, int) or s < 0 or s > 4096 for s in shape):
            shape = tuple(min(max(int(s) if isinstance(s, (int, np.integer)) else 1, 0), 4) for s in shape)
        layout = layout or self.pick(("c",) * 8 + ("transpose", "step", "reverse", "broadcast", "unaligned",
                                                 "readonly", "fortran", "overlap", "zero_stride_w"))
        base = self._fill(shape, dtype).reshape(shape)
        if layout == "transpose" and base.ndim >= 2:
            return np.ascontiguousarray(np.swapaxes(base, -1, -2)).swapaxes(-1, -2)
        if layout == "step" and base.ndim >= 1:
            big = np.repeat(base, 2, axis=-1)
            return big[..., ::2]
        if layout == "reverse" and base.ndim >= 1:
            return np.ascontiguousarray(base[..., ::-1])[..., ::-1]
        if layout == "broadcast" and base.ndim >= 1:
            return np.broadcast_to(base[..., :1] if base.shape[-1] else base, shape)
        if layout == "unaligned" and base.size and base.itemsize > 1:
            raw = np.zeros(base.nbytes + 1, dtype=np.uint8)
            out = np.frombuffer(raw.data, dtype=base.dtype, count=base.size, offset=1).reshape(shape)
            return out
        if layout == "readonly":
            base.setflags(write=False)
            return base
        if layout == "fortran":
            return np.asfortranarray(base)
        if layout in ("overlap", "zero_stride_w") and base.ndim >= 2 and base.size:
            # Rows that overlap in memory (row stride one element, or 0), all inside the buffer: a valid view.
            rows, cols = base.shape[-2], base.shape[-1]
            step = 0 if layout == "zero_stride_w" else 1
            flat = np.ascontiguousarray(base).reshape(-1)
            need = (rows - 1) * step + cols
            if flat.size >= need:
                return np.lib.stride_tricks.as_strided(flat[:need], shape=(rows, cols),
                                                       strides=(step * base.itemsize, base.itemsize))
        return base

    def float_array(self, shape=None, dtype=None, layout=None):
        return self.array(shape, dtype or self.pick(("float32", "float32", "float64")), layout)

    def huge_view(self, dtype="float32"):
        """A read-only view of one element broadcast to an enormous shape (no memory behind it)."""
        shape = self.pick(((2**31, 2), (2**20, 2**20), (2**40,), (3, 2**33), (2**16, 2**16, 2**16)))
        return np.broadcast_to(np.zeros((), dtype=dtype), shape)

    # ---- tensors ---------------------------------------------------------------------------------------
    def device(self):
        return self.pick(self.devices)

    def tensor(self, shape=None, dtype=None, grad=None, device=None, layout=None):
        """An axonal Tensor: from an awkward array (shared memory), on a random device, maybe requiring grad,
        maybe a non-contiguous view of a bigger tensor."""
        ax = self.ax
        a = self.array(shape, dtype, layout)
        if self.chance(0.02):
            a = self.huge_view(self.pick(("float32", "float64")))
        t = ax.from_numpy(a) if self.chance(0.7) else ax.tensor(a)
        dev = device or self.device()
        if dev != "cpu":
            t = t.to(dev)
        grad = self.chance(0.4) if grad is None else grad
        if grad and t.dtype in (ax.float32, ax.float64, ax.float16):
            t = t.detach().requires_grad_(True)
            if self.chance(0.3):
                t = t * 1.0  # a non-leaf
        if t.ndim >= 2 and self.chance(0.15):
            t = t.transpose(0, 1)
        return t

    def float_tensor(self, shape=None, grad=None, device=None, dtype=None):
        return self.tensor(shape, dtype or self.pick(("float32", "float32", "float64")), grad, device)

    def labels(self, n, classes):
        """Class indices for n rows: mostly in range, sometimes out of range, negative or the wrong dtype."""
        ax = self.ax
        hi = max(int(classes), 1)
        u = self.r.random()
        if u < 0.7:
            return ax.tensor(self.np.integers(0, hi, n), dtype=ax.int64)
        if u < 0.8:
            return ax.tensor(self.np.integers(-3, hi + 3, n), dtype=ax.int64)
        if u < 0.85:
            return ax.tensor([self.pick((-100, 2**62, -(2**63), hi))] * n, dtype=ax.int64)
        return self.tensor((n,), self.pick(("int32", "float32", "uint8", "bool")), grad=False)

    # ---- anything --------------------------------------------------------------------------------------
    def wild(self):
        """A value of any type: what a confused caller might pass."""
        ax = self.ax
        u = self.r.randrange(24)
        if u == 0:
            return None
        if u == 1:
            return self.pick(("", "abc", "cuda", "cpu", "mean", "sum", "none", "float32", "\x00", "cuda:7"))
        if u == 2:
            return self.pick((b"", b"\xff\xfe", bytearray(3)))
        if u == 3:
            return [self.scalar() for _ in range(self.r.randint(0, 3))]
        if u == 4:
            return [[1, 2], [3]]  # ragged
        if u == 5:
            return {"a": 1} if self.chance(0.5) else {}
        if u == 6:
            return self.pick((object(), Unhashable(), Exploding(), lambda *a, **k: None, print, type))
        if u == 7:
            return self.pick((slice(None), slice(0, 0), slice(None, None, -1), Ellipsis, ...))
        if u == 8:
            return self.pick((float("nan"), float("inf"), -float("inf"), 2**100, -(2**100), 1e308))
        if u == 9:
            return self.array()
        if u == 10:
            return self.huge_view()
        if u == 11:
            return self.pick((ax.float32, ax.int64, ax.bool_, ax.float16, np.dtype("complex128"), np.dtype("O")))
        if u == 12:
            return self.pick((ax.nn.Linear(2, 2), ax.nn.ReLU(), ax.optim.SGD, ax.nn.Module()))
        if u == 13:
            return np.array([object(), None], dtype=object)
        if u == 14:
            return iter([1, 2, 3])
        if u == 15:
            return set([1, 2])
        if u == 16:
            return self.size(wild=1.0)
        if u == 17:
            return tuple(self.size(wild=0.5) for _ in range(self.r.randint(0, 4)))
        if u == 18:
            return ax.tensor(self.scalar()) if not isinstance(self.scalar(), complex) else ax.tensor(1.0)
        return self.tensor()

    def number_or_wild(self, good):
        return good if self.chance(0.8) else self.pick((self.float_value(), self.wild()))


def describe(value, limit=80):
    """A short, safe description of an argument for the call log (repr may raise or be huge)."""
    try:
        ax = __import__("axonal")
        if isinstance(value, ax.Tensor):
            layout = "" if value.data.flags.c_contiguous else " strided"
            return (f"Tensor{tuple(value.shape)}:{value.dtype}@{value.device}"
                    f"{' grad' if value.requires_grad else ''}{layout}")
        if isinstance(value, np.ndarray):
            flags = value.flags
            layout = "".join(k for k, f in (("C", flags.c_contiguous), ("F", flags.f_contiguous),
                                              ("A", flags.aligned), ("W", flags.writeable)) if f)
            return f"ndarray{value.shape}:{value.dtype}:{layout}:{value.strides}"
        if isinstance(value, (list, tuple)) and len(value) > 6:
            return f"{type(value).__name__}[{len(value)}]"
        if isinstance(value, float) and not math.isfinite(value):
            return repr(value)
        text = repr(value)
    except Exception as e:  # noqa: BLE001 - a description must never fail
        text = f"<unrepresentable {type(value).__name__}: {type(e).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."
