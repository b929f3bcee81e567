"""axonal.data: TensorDataset, DataLoader, transforms, the IDX reader and Fashion-MNIST (sample, search, download)."""
import gzip
import hashlib
import io
import struct
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

import axonal as ax
import axonal.data
from axonal.data import DataLoader, Dataset, TensorDataset, datasets, normalize, standardize, to_float_images
from axonal.data.datasets import IDXError, read_idx, write_idx
from axonal.data.datasets import fashion as fm

SYSTEM_FILES = Path("/usr/share/datasets/fashion-mnist")
has_system_files = pytest.mark.skipif(
    not all((SYSTEM_FILES / (n + ".gz")).is_file() for pair in fm.FILES.values() for n in pair),
    reason="the real Fashion-MNIST files are not installed (Debian package dataset-fashion-mnist)")


def make_ds(n=10):
    x = np.arange(n * 6, dtype=np.float32).reshape(n, 2, 3)
    y = np.arange(n, dtype=np.int64)
    return TensorDataset(x, y), x, y


def epoch_labels(loader):
    return np.concatenate([yb.numpy() for _, yb in loader])


# ---- TensorDataset -----------------------------------------------------------------------------

def test_tensor_dataset_int_index_returns_tuple_of_tensors():
    ds, x, y = make_ds()
    assert len(ds) == 10
    xi, yi = ds[3]
    assert isinstance(xi, ax.Tensor) and isinstance(yi, ax.Tensor)
    np.testing.assert_array_equal(xi.numpy(), x[3])
    assert yi.item() == 3 and yi.dtype == np.int64
    assert ds[-1][1].item() == 9


@pytest.mark.parametrize("index", [np.array([4, 0, 7]), [4, 0, 7], ax.tensor([4, 0, 7])])
def test_tensor_dataset_index_array(index):
    ds, x, y = make_ds()
    xb, yb = ds[index]
    np.testing.assert_array_equal(xb.numpy(), x[[4, 0, 7]])
    np.testing.assert_array_equal(yb.numpy(), [4, 0, 7])


def test_tensor_dataset_slice_mask_and_shared_memory():
    ds, x, y = make_ds()
    np.testing.assert_array_equal(ds[2:5][1].numpy(), [2, 3, 4])
    np.testing.assert_array_equal(ds[y % 2 == 0][1].numpy(), [0, 2, 4, 6, 8])
    assert np.shares_memory(ds.arrays[0], x)  # ndarrays are wrapped, not copied
    assert ds.tensors[1].dtype == np.int64


def test_tensor_dataset_accepts_tensors_and_lists():
    ds = TensorDataset(ax.randn(4, 3), [0, 1, 2, 3], [[0.5], [1.5], [2.5], [3.5]])
    assert len(ds) == 4
    assert ds.tensors[1].dtype == np.int64 and ds.tensors[2].dtype == np.float32


def test_tensor_dataset_errors():
    with pytest.raises(ValueError, match=r"\[TensorDataset\].*\(5, 2\), \(4,\)"):
        TensorDataset(np.zeros((5, 2)), np.zeros(4))
    with pytest.raises(ValueError, match=r"\[TensorDataset\] needs at least one"):
        TensorDataset()
    with pytest.raises(ValueError, match=r"\[TensorDataset\] tensor 0 is 0-d"):
        TensorDataset(np.float32(1.0))
    ds, _, _ = make_ds()
    with pytest.raises(IndexError, match=r"\[TensorDataset\] index 10 is out of range .* 10 samples"):
        ds[10]
    with pytest.raises(IndexError, match=r"\[TensorDataset\] index -11"):
        ds[np.array([0, -11])]
    with pytest.raises(TypeError, match=r"\[TensorDataset\]"):
        ds[np.array([0.5])]
    with pytest.raises(TypeError, match=r"\[TensorDataset\]"):
        ds[True]


def test_dataset_base_is_abstract():
    with pytest.raises(NotImplementedError):
        Dataset()[0]
    with pytest.raises(NotImplementedError):
        len(Dataset())


# ---- DataLoader --------------------------------------------------------------------------------

@pytest.mark.parametrize("batch_size", [10, 11, 1000])
def test_full_batch(batch_size):
    ds, x, y = make_ds()
    loader = DataLoader(ds, batch_size=batch_size)
    assert len(loader) == 1 and loader.mode == "full-batch" and loader.effective_batch_size == 10
    (xb, yb), = list(loader)
    np.testing.assert_array_equal(xb.numpy(), x)
    np.testing.assert_array_equal(yb.numpy(), y)
    dropped = DataLoader(ds, batch_size=batch_size, drop_last=True)  # torch: a batch larger than the data is short
    assert len(dropped) == len(list(dropped)) == (1 if batch_size == 10 else 0)


def test_stochastic():
    ds, x, y = make_ds()
    loader = DataLoader(ds)  # batch_size=1 by default, like torch
    assert len(loader) == 10 and loader.mode == "stochastic"
    batches = list(loader)
    assert all(xb.shape == (1, 2, 3) and yb.shape == (1,) for xb, yb in batches)
    np.testing.assert_array_equal(epoch_labels(loader), y)


def test_mini_batch_and_drop_last():
    ds, x, y = make_ds()
    loader = DataLoader(ds, batch_size=3)
    assert len(loader) == 4 and loader.mode == "mini-batch"
    assert [len(yb) for _, yb in loader] == [3, 3, 3, 1]
    np.testing.assert_array_equal(epoch_labels(loader), y)  # in order without shuffle
    dropped = DataLoader(ds, batch_size=3, drop_last=True)
    assert len(dropped) == 3
    assert [len(yb) for _, yb in dropped] == [3, 3, 3]
    even = DataLoader(ds, batch_size=5, drop_last=True)
    assert len(even) == 2 and [len(yb) for _, yb in even] == [5, 5]


def test_batches_keep_dtypes_and_are_tensors():
    x = np.random.default_rng(0).random((8, 1, 4, 4), dtype=np.float32)
    y = np.arange(8) % 3
    for xb, yb in DataLoader(TensorDataset(x, y), batch_size=4, shuffle=True, seed=0):
        assert isinstance(xb, ax.Tensor) and xb.dtype == np.float32 and xb.shape == (4, 1, 4, 4)
        assert yb.dtype == np.int64 and not xb.requires_grad


def test_shuffle_visits_every_sample_once_per_epoch_and_changes_order():
    ds, _, y = make_ds(50)
    loader = DataLoader(ds, batch_size=7, shuffle=True, seed=123)
    epochs = [epoch_labels(loader) for _ in range(3)]
    for e in epochs:
        np.testing.assert_array_equal(np.sort(e), y)
    assert not np.array_equal(epochs[0], epochs[1]) and not np.array_equal(epochs[1], epochs[2])
    assert not np.array_equal(epochs[0], y)


def test_shuffle_reproducible_per_seed():
    ds, _, _ = make_ds(50)
    a = DataLoader(ds, batch_size=7, shuffle=True, seed=5)
    b = DataLoader(ds, batch_size=7, shuffle=True, seed=5)
    c = DataLoader(ds, batch_size=7, shuffle=True, seed=6)
    for _ in range(3):
        ea, eb, ec = epoch_labels(a), epoch_labels(b), epoch_labels(c)
        np.testing.assert_array_equal(ea, eb)
        assert not np.array_equal(ea, ec)


def test_seed_none_draws_from_global_generator():
    ds, _, _ = make_ds(50)
    ax.manual_seed(0)
    a = DataLoader(ds, batch_size=7, shuffle=True)
    ax.manual_seed(0)
    b = DataLoader(ds, batch_size=7, shuffle=True)
    assert a.seed == b.seed
    np.testing.assert_array_equal(epoch_labels(a), epoch_labels(b))
    c = DataLoader(ds, batch_size=7, shuffle=True)  # the global generator has moved on
    assert c.seed != a.seed


def test_full_batch_shuffle_permutes_whole_dataset():
    ds, _, y = make_ds(20)
    (_, yb), = list(DataLoader(ds, batch_size=20, shuffle=True, seed=1))
    np.testing.assert_array_equal(np.sort(yb.numpy()), y)
    assert not np.array_equal(yb.numpy(), y)


class PairDataset(Dataset):
    """A generic dataset: per-sample tuples of (float32 array, Python int)."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.x[i], int(self.y[i])


def test_generic_dataset_collates_like_the_fast_path():
    ds, x, y = make_ds(23)
    generic = DataLoader(PairDataset(x, y), batch_size=4, shuffle=True, seed=9)
    fast = DataLoader(ds, batch_size=4, shuffle=True, seed=9)
    assert len(generic) == len(fast) == 6
    for (gx, gy), (fx, fy) in zip(generic, fast):
        assert gx.dtype == np.float32 and gy.dtype == np.int64
        np.testing.assert_array_equal(gx.numpy(), fx.numpy())
        np.testing.assert_array_equal(gy.numpy(), fy.numpy())


def test_collate_python_floats_dicts_and_single_items():
    class Floats(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return {"v": float(i), "t": ax.tensor([i, i])}

    (batch,) = list(DataLoader(Floats(), batch_size=5))
    assert batch["v"].dtype == np.float32 and batch["t"].shape == (5, 2)

    class Single(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return np.full(3, i, dtype=np.uint8)

    batches = list(DataLoader(Single(), batch_size=2))
    assert isinstance(batches[0], ax.Tensor) and batches[0].dtype == np.uint8 and batches[1].shape == (2, 3)


def test_tensor_dataset_fast_path_never_indexes_per_sample(monkeypatch):
    def no_items(self, index):
        raise AssertionError("the loader should slice the arrays, not call __getitem__")

    monkeypatch.setattr(TensorDataset, "__getitem__", no_items)
    x = np.zeros((100, 3), dtype=np.float32)
    for shuffle in (False, True):
        loader = DataLoader(TensorDataset(x, np.arange(100)), batch_size=16, shuffle=shuffle, seed=0)
        assert sum(len(yb) for _, yb in loader) == 100
    in_order = next(iter(DataLoader(TensorDataset(x, np.arange(100)), batch_size=16)))
    assert np.shares_memory(in_order[0].numpy(), x)  # a slice of the array, not a copy


def test_tensor_dataset_subclass_with_own_getitem_is_read_sample_by_sample():
    class Doubled(TensorDataset):
        def __getitem__(self, index):
            x, y = super().__getitem__(index)
            return x * 2, y

    x = np.ones((10, 3), dtype=np.float32)
    xb, yb = next(iter(DataLoader(Doubled(x, np.arange(10)), batch_size=4)))
    assert xb.numpy().tolist() == [[2.0] * 3] * 4 and yb.tolist() == [0, 1, 2, 3]


def test_loader_errors_and_empty_dataset():
    ds, _, _ = make_ds()
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match=r"\[DataLoader\] batch_size"):
            DataLoader(ds, batch_size=bad)
    with pytest.raises(TypeError, match=r"\[DataLoader\]"):
        DataLoader(42)
    empty = DataLoader(TensorDataset(np.zeros((0, 2))), batch_size=4)
    assert len(empty) == 0 and list(empty) == []


# ---- transforms --------------------------------------------------------------------------------

def test_standardize_per_feature_with_constant_feature():
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, size=(200, 4)).astype(np.float32)
    x[:, 2] = 7.0
    xs, mean, std = standardize(x)
    assert xs.dtype == np.float32 and mean.shape == (4,) and std.shape == (4,)
    np.testing.assert_allclose(xs.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(xs.std(axis=0)[[0, 1, 3]], 1, atol=1e-5)
    assert np.all(xs[:, 2] == 0) and std[2] == 1.0
    x_test = rng.normal(3.0, 2.0, size=(10, 4)).astype(np.float32)
    xt, m2, s2 = standardize(x_test, mean, std)
    np.testing.assert_allclose(xt, (x_test - mean) / std, rtol=1e-6)
    assert m2 is not None and s2 is not None


def test_standardize_global_tensor_and_int_input():
    x = ax.tensor(np.arange(12, dtype=np.float64).reshape(3, 4))
    xs, mean, std = standardize(x, per_feature=False)
    assert isinstance(xs, ax.Tensor) and xs.dtype == np.float64 and mean.shape == ()
    assert abs(xs.numpy().mean()) < 1e-12 and abs(xs.numpy().std() - 1) < 1e-12
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 1, 28, 28)
    xs, mean, std = standardize(images)
    assert xs.dtype == np.float32 and mean.shape == (1, 28, 28)
    with pytest.raises(ValueError, match=r"\[standardize\]"):
        standardize(np.zeros((3, 4)), mean=np.zeros(5), std=np.ones(5))
    with pytest.raises(TypeError, match=r"\[standardize\]"):
        standardize([1.0, 2.0])


def test_normalize():
    x = np.array([[-2.0, 0.0], [2.0, 6.0]], dtype=np.float32)
    out = normalize(x)
    assert out.dtype == np.float32 and out.min() == 0 and out.max() == 1
    np.testing.assert_allclose(normalize(x, -1, 1), [[-1, -0.5], [0, 1]])
    np.testing.assert_allclose(normalize(np.array([0, 255], dtype=np.uint8)), [0, 1])
    np.testing.assert_allclose(normalize(np.array([51.0]), data_range=(0, 255)), [0.2])
    np.testing.assert_array_equal(normalize(np.full(3, 5.0), 2, 3), [2, 2, 2])
    assert isinstance(normalize(ax.tensor([1.0, 3.0])), ax.Tensor)
    with pytest.raises(ValueError, match=r"\[normalize\]"):
        normalize(x, 1, 0)


def test_to_float_images():
    raw = np.array([[[0, 255], [51, 128]]], dtype=np.uint8)
    out = to_float_images(raw)
    assert out.shape == (1, 1, 2, 2) and out.dtype == np.float32
    assert out[0, 0, 0, 0] == 0.0 and out[0, 0, 0, 1] == 1.0 and out[0, 0, 1, 0] == np.float32(0.2)
    assert to_float_images(np.zeros((2, 3, 4, 4), np.uint8)).shape == (2, 3, 4, 4)
    assert isinstance(to_float_images(ax.from_numpy(raw)), ax.Tensor)
    with pytest.raises(TypeError, match=r"\[to_float_images\] expects uint8"):
        to_float_images(raw.astype(np.float32))
    with pytest.raises(ValueError, match=r"\[to_float_images\]"):
        to_float_images(np.zeros(5, np.uint8))


# ---- IDX files ---------------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("array", [
    np.arange(3 * 4 * 5, dtype=np.uint8).reshape(3, 4, 5),
    np.array([-1, 0, 70000, 2**31 - 1], dtype=np.int32),
    np.linspace(-1, 1, 12, dtype=np.float32).reshape(2, 6),
    np.array([[1.5, -2.25]], dtype=np.float64),
    np.array([-3, 3], dtype=np.int16),
])
def test_idx_round_trip(tmp_path, array, suffix):
    path = tmp_path / ("a.idx" + suffix)
    write_idx(path, array)
    back = read_idx(path)
    assert back.dtype == array.dtype and back.shape == array.shape and back.flags.writeable
    np.testing.assert_array_equal(back, array)


def test_idx_layout_matches_the_spec(tmp_path):
    write_idx(tmp_path / "l", np.array([1, 2, 3], dtype=np.uint8))
    assert (tmp_path / "l").read_bytes() == b"\x00\x00\x08\x01\x00\x00\x00\x03\x01\x02\x03"
    write_idx(tmp_path / "a.gz", np.zeros(4, np.uint8))
    write_idx(tmp_path / "b.gz", np.zeros(4, np.uint8))
    assert (tmp_path / "a.gz").read_bytes() == (tmp_path / "b.gz").read_bytes()  # reproducible


def _write_raw(path, data, gz=False):
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


@pytest.mark.parametrize("gz", [False, True])
def test_idx_rejects_bad_files(tmp_path, gz):
    good = b"\x00\x00\x08\x02" + struct.pack(">II", 2, 3) + bytes(range(6))
    cases = {
        "truncated data": good[:-1],
        "unexpected bytes after": good + b"\x00",
        "bad magic number": b"PK\x03\x04" + good[4:],
        "too short": b"\x00\x00",
        "truncated header": good[:6],
        "0 dimensions": b"\x00\x00\x08\x00",
    }
    for message, data in cases.items():
        path = _write_raw(tmp_path / "bad", data, gz)
        with pytest.raises(IDXError, match=rf"\[read_idx\] .*bad: .*{message}"):
            read_idx(path)
    with pytest.raises(IDXError, match=r"bad magic number 0x00000702"):  # unknown type code
        read_idx(_write_raw(tmp_path / "code", b"\x00\x00\x07\x02" + good[4:], gz))


def test_idx_truncated_gzip_and_lying_header(tmp_path):
    full = gzip.compress(b"\x00\x00\x08\x01" + struct.pack(">I", 5000) + bytes(5000))
    with pytest.raises(IDXError, match=r"\[fashion_mnist\] .*corrupt or truncated gzip"):
        read_idx(_write_raw(tmp_path / "cut.gz", full[: len(full) // 2]), op="fashion_mnist")
    # a header claiming ~4e9 images must fail on the missing data, not try to allocate it
    liar = b"\x00\x00\x08\x03" + struct.pack(">III", 2**32 - 1, 28, 28) + bytes(100)
    with pytest.raises(IDXError, match=r"truncated data"):
        read_idx(_write_raw(tmp_path / "liar", liar))
    assert issubclass(IDXError, ValueError)


def test_write_idx_errors(tmp_path):
    with pytest.raises(TypeError, match=r"\[write_idx\]"):
        write_idx(tmp_path / "x", np.zeros(3, np.int64))
    with pytest.raises(ValueError, match=r"\[write_idx\]"):
        write_idx(tmp_path / "x", np.uint8(3))


# ---- Fashion-MNIST: search order, errors, download --------------------------------------------

@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No real cache, no system files, no AXONAL_DATA, and a network that fails the test if touched."""
    monkeypatch.setattr(fm, "cache_dir", lambda: tmp_path / "cache")
    monkeypatch.setattr(fm, "SYSTEM_DIR", tmp_path / "system")
    monkeypatch.delenv("AXONAL_DATA", raising=False)

    def no_network(*args, **kwargs):
        raise AssertionError("tests must not touch the network")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    return tmp_path


def write_split(directory, split, n, label, gz=True):
    """A fake split with n blank images, all labelled ``label`` (to tell directories apart)."""
    directory.mkdir(parents=True, exist_ok=True)
    images, labels = fm.FILES[split]
    suffix = ".gz" if gz else ""
    write_idx(directory / (images + suffix), np.zeros((n, 28, 28), np.uint8), compresslevel=1)
    write_idx(directory / (labels + suffix), np.full(n, label, np.uint8), compresslevel=1)
    return directory


def test_search_order(isolated, monkeypatch):
    root, env, cache, system = (isolated / d for d in ("root", "env", "cache", "system"))
    for i, d in enumerate((root, env / "fashion-mnist", cache, system)):
        write_split(d, "test", 1, i)
    monkeypatch.setenv("AXONAL_DATA", str(env))
    assert fm.find_files("test", root)[0].parent == root
    assert fm.find_files("test")[0].parent == env / "fashion-mnist"  # a data dir's subfolder counts
    monkeypatch.delenv("AXONAL_DATA")
    assert fm.find_files("test")[0].parent == cache
    for f in cache.iterdir():
        f.unlink()
    assert fm.find_files("test")[0].parent == system
    assert fm.find_files("train") is None  # only the test split was written
    with pytest.raises(ValueError, match=r"\[fashion_mnist\] split"):
        fm.find_files("valid")


def test_load_from_root_and_env(isolated, monkeypatch):
    write_split(isolated / "root", "test", 10000, 3, gz=False)  # uncompressed files work too
    write_split(isolated / "env", "test", 10000, 7)
    monkeypatch.setenv("AXONAL_DATA", str(isolated / "env"))
    ds = axonal.data.datasets.fashion_mnist("test", root=isolated / "root")
    x, y = ds.tensors
    assert x.shape == (10000, 1, 28, 28) and x.dtype == np.float32 and y.dtype == np.int64
    assert np.all(y.numpy() == 3)
    images, labels = fm.load_fashion_mnist_arrays("test")
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8 and np.all(labels == 7)
    flat = axonal.data.datasets.fashion_mnist("test", flatten=True)
    assert flat.tensors[0].shape == (10000, 784)


def test_wrong_content_is_reported(isolated):
    d = write_split(isolated / "root", "test", 12, 0)  # readable, but not 10000 images
    with pytest.raises(IDXError, match=r"\[fashion_mnist\] .*expected 10000 images, found 12"):
        fm.fashion_mnist("test", root=d)
    (d / "t10k-labels-idx1-ubyte.gz").write_bytes(b"garbage that is not gzip or IDX")
    with pytest.raises(IDXError, match=r"\[fashion_mnist\] .*t10k-labels.*bad magic"):
        fm.fashion_mnist("test", root=d)
    write_idx(d / "t10k-labels-idx1-ubyte.gz", np.full(12, 10, np.uint8))
    with pytest.raises(IDXError, match=r"\[fashion_mnist\] .*label 10 is not one of the 10 classes"):
        fm._load(d / "t10k-images-idx3-ubyte.gz", d / "t10k-labels-idx1-ubyte.gz")


def test_offline_error(isolated, monkeypatch):
    calls = []

    def offline(url, *args, **kwargs):
        calls.append(url)
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(FileNotFoundError, match=r"\[fashion_mnist\] downloading http.*failed.*name resolution") as e:
        fm.fashion_mnist("train", root=isolated / "nowhere")
    message = str(e.value)
    assert "nowhere" in message and "system" in message and "fashion_mnist_sample" in message
    assert calls == [fm.BASE_URL + "train-images-idx3-ubyte.gz"]
    assert not list((isolated / "cache").glob("*"))  # no partial files left behind


def test_download_false_never_touches_the_network(isolated):
    with pytest.raises(FileNotFoundError, match=r"\[fashion_mnist\] the test files .*\(download=False\)"):
        fm.load_fashion_mnist_arrays("test", download=False)


class FakeServer:
    """Stands in for urlopen: serves given bytes by file name and counts requests."""

    def __init__(self, files):
        self.files, self.requests = files, []

    def __call__(self, url, timeout=None):
        self.requests.append(url)
        return io.BytesIO(self.files[url.rsplit("/", 1)[1]])


def test_download_checks_md5_and_fills_the_cache(isolated, monkeypatch):
    src = write_split(isolated / "src", "test", 10000, 4)
    write_split(src, "train", 3, 1)
    files = {name: (src / name).read_bytes() for name in fm.MD5}
    for name, data in files.items():  # the fake files stand in for the official ones
        monkeypatch.setitem(fm.MD5, name, hashlib.md5(data).hexdigest())
    server = FakeServer(files)
    monkeypatch.setattr(urllib.request, "urlopen", server)
    _, labels = fm.load_fashion_mnist_arrays("test")
    assert np.all(labels == 4) and len(server.requests) == 4
    assert sorted(p.name for p in (isolated / "cache").iterdir()) == sorted(fm.MD5)
    fm.load_fashion_mnist_arrays("test")  # now found in the cache
    fm.download_fashion_mnist()  # files already there with the right MD5 are kept
    assert len(server.requests) == 4


def test_download_checksum_mismatch_discards_the_file(isolated, monkeypatch):
    monkeypatch.setattr(urllib.request, "urlopen", FakeServer({n: b"not the real file" for n in fm.MD5}))
    with pytest.raises(ValueError, match=r"\[fashion_mnist\] checksum mismatch .* expected 8d4fb7e6"):
        fm.fashion_mnist("train")
    assert not list((isolated / "cache").glob("*"))


def test_classes():
    assert len(fm.CLASSES) == 10 and fm.CLASSES[0] == "T-shirt/top" and fm.CLASSES[9] == "Ankle boot"
    assert axonal.data.datasets.CLASSES is fm.CLASSES


# ---- the packaged sample -----------------------------------------------------------------------

@pytest.mark.parametrize("split, n", [("train", 5000), ("test", 1000)])
def test_sample_is_balanced_and_shaped(split, n, isolated):
    ds = axonal.data.datasets.fashion_mnist_sample(split)  # works with no data dir and no network
    x, y = ds.tensors
    assert len(ds) == n and x.shape == (n, 1, 28, 28) and x.dtype == np.float32 and y.dtype == np.int64
    assert 0.0 <= x.numpy().min() and x.numpy().max() == 1.0
    np.testing.assert_array_equal(np.bincount(y.numpy()), [n // 10] * 10)
    assert axonal.data.datasets.fashion_mnist_sample(split, flatten=True).tensors[0].shape == (n, 784)
    assert fm.SAMPLE_DIR.is_dir() and sum(f.stat().st_size for f in fm.SAMPLE_DIR.glob("*.gz")) < 4_000_000


# ---- the real files (Debian package dataset-fashion-mnist) ------------------------------------

@has_system_files
def test_real_fashion_mnist_shapes():
    train = axonal.data.datasets.fashion_mnist("train", download=False)
    test = axonal.data.datasets.fashion_mnist("test", download=False, verify=True)
    assert train.tensors[0].shape == (60000, 1, 28, 28) and len(train) == 60000
    assert test.tensors[0].shape == (10000, 1, 28, 28) and test.tensors[1].shape == (10000,)
    np.testing.assert_array_equal(np.bincount(train.arrays[1]), [6000] * 10)
    np.testing.assert_array_equal(np.bincount(test.arrays[1]), [1000] * 10)


@has_system_files
@pytest.mark.parametrize("split", ["train", "test"])
def test_sample_is_a_subset_of_the_real_data(split):
    images, labels = fm.load_fashion_mnist_arrays(split, root=SYSTEM_FILES, download=False)
    s_images, s_labels = fm.load_fashion_mnist_sample_arrays(split)
    prefix = "train" if split == "train" else "t10k"
    idx = read_idx(fm.SAMPLE_DIR / f"{prefix}-sample-indices-idx1-int32.gz")
    assert len(np.unique(idx)) == len(idx)
    np.testing.assert_array_equal(s_images, images[idx])
    np.testing.assert_array_equal(s_labels, labels[idx])


@has_system_files
@pytest.mark.parametrize("name", sorted(fm.MD5))
def test_official_md5_matches_installed_files(name):
    """Debian re-headers the .gz files (no file name, new mtime) but keeps the deflate stream: rebuilding
    the upstream header (mtimes recovered once by search, 2017-08-31) gives back the published MD5."""
    raw = (SYSTEM_FILES / name).read_bytes()
    flags = raw[3]
    if flags & 0x08:  # the file already carries its original header
        assert hashlib.md5(raw).hexdigest() == fm.MD5[name]
        return
    assert flags == 0
    mtime = 1504176606 if name.startswith("train") else 1504176627
    header = b"\x1f\x8b\x08\x08" + struct.pack("<I", mtime) + raw[8:10] + name[:-3].encode() + b"\x00"
    assert hashlib.md5(header + raw[10:]).hexdigest() == fm.MD5[name]
    assert fm.content_sha256(SYSTEM_FILES / name) == fm.CONTENT_SHA256[name[:-3]]


def test_standardize_option_uses_training_statistics():
    plain = datasets.fashion_mnist_sample("test")
    std = datasets.fashion_mnist_sample("test", standardize=True)
    x, xs = plain.tensors[0].numpy(), std.tensors[0].numpy()
    assert xs.dtype == np.float32 and xs.shape == x.shape
    np.testing.assert_allclose(xs, (x - datasets.MEAN) / datasets.STD, rtol=1e-6, atol=1e-6)
    # the sample is drawn from the same distribution, so its statistics land near zero mean, unit std
    assert abs(float(xs.mean())) < 0.1 and abs(float(xs.std()) - 1.0) < 0.1
    np.testing.assert_array_equal(std.tensors[1].numpy(), plain.tensors[1].numpy())
