"""DLPack (axonal/dlpack.py): Tensor.__dlpack__ / __dlpack_device__ and axonal.from_dlpack share memory with
NumPy and PyTorch in both directions (and with CuPy on a real GPU); the emulated CUDA device exports its host
memory as kDLCPU. Zero-copy is checked by writing through one side and reading through the other."""
import numpy as np
import pytest

import axonal as ax
from axonal.dlpack import KDL_CPU

DTYPES = [np.float32, np.float64, np.int64, np.int32, np.uint8]


def cpu_tensor(shape=(3, 4), dtype=np.float32):
    return ax.from_numpy(np.arange(int(np.prod(shape)), dtype=dtype).reshape(shape))


def _layouts():
    base = np.arange(60, dtype=np.float32).reshape(3, 4, 5)
    return {"contiguous": base, "transposed": base.transpose(2, 0, 1), "strided": base[:, ::2, 1::2],
            "0-d": np.array(3.5, np.float32), "empty": np.zeros((0, 3), np.float32), "one": base[:1, :1, :1]}


# ---- axonal <-> NumPy ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_numpy_reads_axonal_in_place(dtype):
    t = cpu_tensor(dtype=dtype)
    a = np.from_dlpack(t)
    assert a.dtype == dtype and a.shape == (3, 4) and np.shares_memory(a, t.numpy())
    a[1, 2] = 99
    assert t[1, 2].item() == 99


@pytest.mark.parametrize("layout", list(_layouts()))
def test_numpy_layouts_round_trip(layout):
    base = _layouts()[layout]
    t = ax.from_dlpack(base)
    back = np.from_dlpack(t)
    assert back.shape == base.shape and back.strides == base.strides
    assert base.size == 0 or np.shares_memory(back, base)
    np.testing.assert_array_equal(back, base)


def test_axonal_reads_numpy_in_place():
    a = np.zeros((2, 3), np.float64)
    t = ax.from_dlpack(a)
    assert t.dtype == np.float64 and t.device.type == "cpu" and not t.requires_grad
    a[0, 1] = 7.0
    assert t[0, 1].item() == 7.0


def test_numpy_subclass_and_readonly_arrays():
    a = np.arange(4.0)
    a.flags.writeable = False
    t = ax.from_dlpack(a)  # a plain ndarray is wrapped as it is, read-only included
    assert np.shares_memory(t.numpy(), a)
    m = np.ma.masked_array(np.arange(3.0))  # a subclass goes through the protocol
    assert np.shares_memory(ax.from_dlpack(m).numpy(), m.data)


def test_dlpack_device_of_cpu_tensors():
    assert cpu_tensor().__dlpack_device__() == (KDL_CPU, 0)


def test_requires_grad_is_refused_and_detach_exports():
    t = ax.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^\[__dlpack__\] can't export a tensor that requires grad"):
        t.__dlpack__()
    assert np.shares_memory(np.from_dlpack(t.detach()), t.numpy())


def test_from_dlpack_of_a_tensor_shares_and_detaches():
    t = ax.ones(3, requires_grad=True)
    u = ax.from_dlpack(t)
    assert u.data is t.data and not u.requires_grad


def test_from_dlpack_refuses_other_objects():
    with pytest.raises(TypeError, match=r"^\[from_dlpack\] expects an object with __dlpack__"):
        ax.from_dlpack([1.0, 2.0])


class _FakeDevice:
    """Claims a DLPack device without owning memory: what from_dlpack decides before it reads anything."""

    def __init__(self, device_type, device_id=0):
        self.device = (device_type, device_id)

    def __dlpack_device__(self):
        return self.device

    def __dlpack__(self, stream=None):
        raise AssertionError("from_dlpack must not read this")


def test_cuda_memory_without_a_real_gpu_is_refused():
    if ax.cuda.is_available() and not ax.cuda.is_emulated():
        pytest.skip("a real GPU is present (test_cupy_round_trip covers it)")
    with pytest.raises(RuntimeError, match=r"\[(from_dlpack|cuda)\]"):
        ax.from_dlpack(_FakeDevice(2))


def test_unknown_device_type_is_refused():
    with pytest.raises(TypeError, match=r"^\[from_dlpack\] DLPack device type 4 "):
        ax.from_dlpack(_FakeDevice(4))  # OpenCL


# ---- axonal <-> PyTorch -------------------------------------------------------------------------------------
@pytest.fixture
def torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("dtype", DTYPES + [np.bool_])
def test_torch_reads_axonal_in_place(torch, dtype):
    t = ax.from_numpy((np.arange(12) % 2).astype(dtype).reshape(3, 4))
    tt = torch.from_dlpack(t)
    assert tuple(tt.shape) == (3, 4) and tt.data_ptr() == t.numpy().ctypes.data
    assert tt.numpy().dtype == dtype
    tt[2, 3] = tt[2, 2]  # 1 -> 0 (True -> False)
    assert not t[2, 3].item()


@pytest.mark.parametrize("layout", ["contiguous", "transposed", "strided", "0-d", "one"])
def test_torch_layouts(torch, layout):
    base = _layouts()[layout]
    tt = torch.from_dlpack(ax.from_numpy(base))
    np.testing.assert_array_equal(tt.numpy(), base)
    assert tt.data_ptr() == base.ctypes.data


def test_axonal_reads_torch_in_place(torch):
    src = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    for view in (src, src.T, src[:, 1::2]):
        t = ax.from_dlpack(view)
        assert t.shape == tuple(view.shape) and t.numpy().ctypes.data == view.data_ptr()
        np.testing.assert_array_equal(t.numpy(), view.numpy())
    t = ax.from_dlpack(src)
    src[0, 0] = -5
    assert t[0, 0].item() == -5
    t.add_(1)  # an in-place axonal op writes the torch tensor's memory
    assert src[0, 0].item() == -4


def test_axonal_trains_on_torch_memory(torch):
    """A tensor imported from torch goes through the kernels (matmul, backward) like any other."""
    w = ax.from_dlpack(torch.randn(4, 3, dtype=torch.float64)).requires_grad_()
    x = ax.from_dlpack(torch.randn(5, 4, dtype=torch.float64))
    (x @ w).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), np.repeat(x.numpy().sum(0)[:, None], 3, axis=1))


def test_torch_dtype_numpy_lacks(torch):
    with pytest.raises((BufferError, TypeError, ValueError, RuntimeError), match=r"^\[from_dlpack\]"):
        ax.from_dlpack(torch.ones(3, dtype=torch.bfloat16))


# ---- the emulated CUDA device -------------------------------------------------------------------------------
@pytest.fixture
def emulated():
    if not (ax.cuda.is_available() and ax.cuda.is_emulated()):
        pytest.skip("needs the emulated CUDA device (AXONAL_CUDA_EMULATE=1, set by conftest without a GPU)")


def test_emulated_tensors_export_host_memory(emulated):
    t = ax.arange(6.0, device="cuda")
    assert t.device.type == "cuda" and t.__dlpack_device__() == (KDL_CPU, 0)
    a = np.from_dlpack(t)
    assert type(a) is np.ndarray and a.ctypes.data == t.data.ctypes.data
    a[2] = 40.0
    assert t.cpu()[2].item() == 40.0


def test_emulated_tensor_to_torch_cpu(emulated, torch):
    t = ax.arange(4.0, device="cuda")
    tt = torch.from_dlpack(t)
    assert tt.device.type == "cpu" and tt.data_ptr() == t.data.ctypes.data


def test_from_dlpack_keeps_the_emulated_device(emulated):
    t = ax.arange(4.0, device="cuda")
    u = ax.from_dlpack(t)
    assert u.device == t.device and u.data is t.data


# ---- CuPy on a real GPU -------------------------------------------------------------------------------------
@pytest.mark.gpu
def test_cupy_round_trip():
    cupy = pytest.importorskip("cupy")
    if not ax.cuda.is_available() or ax.cuda.is_emulated():
        pytest.skip("needs a real CUDA device")
    t = ax.arange(6.0, device="cuda")
    assert t.__dlpack_device__() == (2, 0)
    c = cupy.from_dlpack(t)
    assert c.data.ptr == t.data.data.ptr
    c[1] = 50
    assert t.cpu()[1].item() == 50
    u = ax.from_dlpack(cupy.arange(3, dtype=cupy.float32))
    assert u.device.type == "cuda" and u.cpu().tolist() == [0.0, 1.0, 2.0]
