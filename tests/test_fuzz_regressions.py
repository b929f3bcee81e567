"""Regression tests for what the fuzzer (tests/fuzz) and the property tests found; one test per finding.

Calls that used to crash the process run in a subprocess, so that a regression fails one test instead of
taking the session down.
"""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import axonal as ax
import axonal.nn.functional as F
from axonal import _C

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(ax.__file__)))  # the session's axonal


def run_isolated(code):
    env = dict(os.environ, PYTHONPATH=PYTHON_DIR + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, f"exit {proc.returncode}: {proc.stderr[-2000:]}"
    return proc.stdout


def unaligned(shape, dtype=np.float32, fill=None):
    """A C-contiguous array whose data start one byte past an element boundary."""
    n = int(np.prod(shape))
    raw = np.zeros(n * np.dtype(dtype).itemsize + 1, np.uint8)
    a = np.frombuffer(raw.data, dtype, n, 1).reshape(shape)
    a[...] = np.arange(n).reshape(shape) % 7 - 3 if fill is None else fill
    assert not a.flags.aligned and a.flags.c_contiguous
    return a


def test_erfinv_of_a_huge_broadcast_view_raises_memory_error_not_segfault():
    # Was: py::array::ensure returned a null array when the contiguous copy could not be allocated (and swallowed
    # the MemoryError); the binding then dereferenced it. Fuzz seed 1, call 208.
    out = run_isolated("""
        import numpy as np
        from axonal import _C
        for fn in (_C.erf, _C.erfc, _C.erfinv):
            try:
                fn(np.broadcast_to(np.float32(0), (2**20, 2**20)))
            except MemoryError as e:
                assert str(e).startswith("["), e
                print("MemoryError")
    """)
    assert out.split() == ["MemoryError"] * 3


def test_cat_and_stack_refuse_a_tensor_as_the_sequence():
    # Was: the tensor was iterated row by row, one Python object per row: cat(2**31-row view) hung.
    # Fuzz seed 1, call 1867.
    huge = ax.zeros(1, 2).expand(2**31, 2)
    rows_taken = []
    real_iter = ax.Tensor.__iter__

    def counting_iter(self):  # a regression fails at once instead of walking 2**31 rows
        rows_taken.append(self.shape)
        raise AssertionError("cat/stack iterated the tensor row by row")

    ax.Tensor.__iter__ = counting_iter
    try:
        for fn in (ax.cat, ax.stack):
            with pytest.raises(TypeError, match=r"sequence of tensors"):
                fn(huge)
    finally:
        ax.Tensor.__iter__ = real_iter
    assert rows_taken == []  # refused before iterating the rows
    assert ax.cat([ax.ones(2), ax.zeros(1)]).shape == (3,)


def test_gemm_refuses_an_output_whose_rows_overlap():
    # Was: c with row stride 0 (a writeable as_strided view, all of it inside its buffer) made the kernel write
    # row i at c + i * 1: past the end of c's memory. Found by ASan under the fuzzer.
    base = np.zeros(100, np.float32)
    a, b = np.ones((4, 2), np.float32), np.ones((2, 3), np.float32)
    for row_stride in (0, 1, 2):
        c = np.lib.stride_tricks.as_strided(base[10:], shape=(4, 3), strides=(row_stride * 4, 4))
        for reference in (False, True):
            with pytest.raises(ValueError, match=r"\[gemm\] c has row stride"):
                _C.gemm(a, b, c, reference=reference)
    assert not base.any()
    c = np.zeros((4, 5), np.float32)[:, :3]  # a row stride larger than N is fine
    _C.gemm(a, b, c)
    np.testing.assert_array_equal(c, np.full((4, 3), 2.0))


@pytest.mark.parametrize("which", ["a", "b", "c"])
def test_gemm_and_matmul_refuse_unaligned_operands(which):
    # Was: misaligned float loads and stores in the kernels (undefined behaviour; UBSan stopped 17 of 3000 fuzz
    # calls of the kernel family).
    args = {"a": np.ones((3, 4), np.float32), "b": np.ones((4, 2), np.float32), "c": np.zeros((3, 2), np.float32)}
    args[which] = unaligned(args[which].shape)
    with pytest.raises(ValueError, match=r"not aligned"):
        _C.gemm(args["a"], args["b"], args["c"])
    if which != "c":
        with pytest.raises(ValueError, match=r"not aligned"):
            _C.matmul(args["a"], args["b"])


def test_tensors_over_unaligned_memory_still_compute(device):
    """What the user sees: from_numpy of an unaligned array works everywhere (the backend copies for the kernels)."""
    x = unaligned((4, 6))
    w = np.random.default_rng(0).standard_normal((6, 3)).astype(np.float32)
    t = ax.from_numpy(x).to(device)
    np.testing.assert_allclose((t @ ax.tensor(w, device=device)).cpu().numpy(), x @ w, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose((ax.from_numpy(x.reshape(2, 2, 6)).to(device) @ ax.tensor(w, device=device))
                               .cpu().numpy(), x.reshape(2, 2, 6) @ w, rtol=1e-5, atol=1e-5)
    xs = unaligned((5,), np.float64, fill=np.linspace(-0.9, 0.9, 5))
    np.testing.assert_allclose(ax.erf(ax.from_numpy(xs).to(device)).cpu().numpy(),
                               _C.erf(np.ascontiguousarray(xs.copy())), rtol=1e-15)
    np.testing.assert_allclose(ax.erfinv(ax.from_numpy(xs).to(device)).cpu().numpy(),
                               _C.erfinv(xs.copy()), rtol=1e-15)


def test_special_functions_copy_unaligned_input():
    x = unaligned((3, 5), np.float64, fill=np.linspace(-0.9, 0.9, 15).reshape(3, 5))
    for fn in (_C.erf, _C.erfc, _C.erfinv):
        np.testing.assert_array_equal(fn(x), fn(x.copy()))


def test_conv2d_refuses_an_unaligned_bias():
    x, w = np.ones((1, 2, 5, 5), np.float32), np.ones((3, 2, 3, 3), np.float32)
    with pytest.raises(ValueError, match=r"\[conv2d\] bias is not aligned"):
        _C.conv2d_forward(x, w, unaligned((3,)), (1, 1), (0, 0), (1, 1))


def test_gelu_of_a_zero_dim_tensor(device):
    # Was: NumPy arithmetic on the 0-d array gave a scalar, which the erf binding refused (TypeError).
    # Found by tests/test_property_ops.py.
    x = ax.tensor(0.5, device=device, requires_grad=True)
    y = F.gelu(x)
    y.backward()
    assert y.shape == ()
    assert abs(y.item() - 0.3457312306) < 1e-6  # 0.5 * Phi(0.5)
    assert abs(x.grad.item() - 0.8674951) < 1e-6  # Phi(0.5) + 0.5 * phi(0.5)
