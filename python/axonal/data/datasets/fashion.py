"""Fashion-MNIST (Xiao, Rasul & Vollgraf, 2017; Zalando Research; MIT licence).

60,000 training and 10,000 test 28x28 grayscale images of clothing in 10 classes, stored as four IDX
files under their official names. ``fashion_mnist()`` looks for them, in order, in:

1. the ``root`` argument;
2. ``$AXONAL_DATA``;
3. ``~/.cache/axonal/fashion-mnist`` (where downloads go);
4. ``/usr/share/datasets/fashion-mnist`` (Debian/Ubuntu package ``dataset-fashion-mnist``).

A directory in 1 or 2 may hold the files directly or in a ``fashion-mnist/`` subdirectory; each file
may be gzipped (``.gz``, as published) or not. When none has them the four official files are
downloaded into the cache and checked against the published MD5 sums. ``fashion_mnist_sample()``
needs neither disk nor network: a stratified sample of the real data ships inside the package.
"""
import gzip
import hashlib
import os
import tempfile
import urllib.request
from pathlib import Path

import numpy as np

from ..dataset import TensorDataset
from ..transforms import to_float_images
from .idx import IDXError, read_idx

CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")

FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
SIZES = {"train": 60000, "test": 10000}

BASE_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"

# MD5 of the published .gz files, from the Fashion-MNIST README.
MD5 = {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}
# SHA-256 of the uncompressed IDX contents: unlike the .gz MD5s these survive recompression (Debian's
# packaged .gz files carry a rewritten gzip header, so their MD5s differ while the data is identical).
CONTENT_SHA256 = {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}

SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")
SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample"

_OP = "fashion_mnist"


def cache_dir():
    """Where downloads go: ``~/.cache/axonal/fashion-mnist``."""
    return Path(os.path.expanduser("~")) / ".cache" / "axonal" / "fashion-mnist"


def _check_split(split):
    if split not in FILES:
        raise ValueError(f"[{_OP}] split must be 'train' or 'test', got {split!r}")


def _find_file(directory, name):
    for candidate in (directory / (name + ".gz"), directory / name):
        if candidate.is_file():
            return candidate
    return None


def search_dirs(root=None):
    """The directories searched, in order (only existing ones are of use, all are listed for messages)."""
    dirs = []
    for base in (root, os.environ.get("AXONAL_DATA") or None):
        if base is not None:
            base = Path(os.path.expanduser(os.fspath(base)))
            dirs += [base, base / "fashion-mnist"]
    return dirs + [cache_dir(), SYSTEM_DIR]


def find_files(split="train", root=None):
    """(images path, labels path) from the first directory holding both files of ``split``, else None."""
    _check_split(split)
    for directory in search_dirs(root):
        paths = [_find_file(directory, name) for name in FILES[split]]
        if all(paths):
            return tuple(paths)
    return None


def _md5(path):
    h = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _fetch(url, dest, md5):
    """Streams url into dest through a temp file, renamed into place only if the MD5 matches."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=dest.name + ".", suffix=".part", dir=dest.parent)
    try:
        h = hashlib.md5()
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as response:
            for chunk in iter(lambda: response.read(1 << 20), b""):
                h.update(chunk)
                out.write(chunk)
        if h.hexdigest() != md5:
            raise ValueError(f"[{_OP}] checksum mismatch for {url}: MD5 {h.hexdigest()}, expected {md5}; "
                             "the download was discarded")
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def download_fashion_mnist(dest=None, base_url=BASE_URL):
    """Downloads the four official files into ``dest`` (default: the cache), verifying their MD5s.

    Files already there with the right MD5 are kept. Raises ``FileNotFoundError`` when the server cannot
    be reached and ``ValueError`` on a checksum mismatch. Returns the directory.
    """
    dest = Path(dest) if dest is not None else cache_dir()
    for name, md5 in MD5.items():
        target = dest / name
        if target.is_file() and _md5(target) == md5:
            continue
        url = base_url + name
        try:
            _fetch(url, target, md5)
        except OSError as e:  # URLError, timeouts, refused connections, an unwritable cache
            raise FileNotFoundError(f"[{_OP}] downloading {url} failed ({getattr(e, 'reason', e)})") from e
    return dest


def _unique(paths):
    seen = []
    for p in paths:
        if p not in seen:
            seen.append(p)
    return seen


def _load(images_path, labels_path, expected_n=None, verify=False):
    images = read_idx(images_path, op=_OP)
    labels = read_idx(labels_path, op=_OP)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise IDXError(f"[{_OP}] {images_path}: expected uint8 images of shape (N, 28, 28), "
                       f"got {images.dtype} {images.shape}")
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise IDXError(f"[{_OP}] {labels_path}: expected uint8 labels of shape (N,), got {labels.dtype} {labels.shape}")
    if images.shape[0] != labels.shape[0]:
        raise IDXError(f"[{_OP}] {images.shape[0]} images ({images_path}) but {labels.shape[0]} labels ({labels_path})")
    if expected_n is not None and images.shape[0] != expected_n:
        raise IDXError(f"[{_OP}] {images_path}: expected {expected_n} images, found {images.shape[0]}")
    if labels.size and labels.max() >= len(CLASSES):
        raise IDXError(f"[{_OP}] {labels_path}: label {int(labels.max())} is not one of the {len(CLASSES)} classes")
    if verify:
        for path in (images_path, labels_path):
            name = path.name[:-3] if path.name.endswith(".gz") else path.name
            digest = content_sha256(path)
            if digest != CONTENT_SHA256[name]:
                raise ValueError(f"[{_OP}] {path}: content SHA-256 {digest} does not match the official "
                                 f"{CONTENT_SHA256[name]}")
    return images, labels.astype(np.int64)


def content_sha256(path):
    """SHA-256 of an IDX file's uncompressed bytes (the same for the .gz and the plain file)."""
    with open(path, "rb") as raw:
        compressed = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        f = gzip.GzipFile(fileobj=raw, mode="rb") if compressed else raw
        h = hashlib.sha256()
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_fashion_mnist_arrays(split="train", root=None, download=True, verify=False):
    """Raw arrays of a split: uint8 images ``(N, 28, 28)`` and int64 labels ``(N,)`` (N = 60000 or 10000).

    Searches the directories listed in the module docstring; downloads into the cache when none holds
    the files and ``download`` is true. ``verify=True`` also checks the uncompressed contents against the
    official SHA-256s (costs a second decompression).
    """
    _check_split(split)
    paths = find_files(split, root)
    if paths is None:
        if not download:
            raise FileNotFoundError(
                f"[{_OP}] the {split} files {', '.join(f + '[.gz]' for f in FILES[split])} were not found in any of: "
                f"{', '.join(map(str, _unique(search_dirs(root))))} (download=False)")
        try:
            download_fashion_mnist()
        except FileNotFoundError as e:
            raise FileNotFoundError(
                f"{e}. Fashion-MNIST was not found in any of: {', '.join(map(str, _unique(search_dirs(root))))}. "
                f"Put the four files ({', '.join(MD5)}) into one of these directories (or point AXONAL_DATA at "
                "them), install the Debian/Ubuntu package dataset-fashion-mnist, or work offline with "
                "axonal.data.datasets.fashion_mnist_sample()"
            ) from e
        paths = find_files(split, root)
        if paths is None:
            raise FileNotFoundError(f"[{_OP}] the download finished but the {split} files are not in {cache_dir()}")
    return _load(*paths, expected_n=SIZES[split], verify=verify)


# Pixel mean and standard deviation of the 60 000 training images scaled to [0, 1] (computed from the
# official files). Standardizing with the training statistics, test set included, is the usual recipe.
MEAN = 0.2860
STD = 0.3530


def _as_dataset(images, labels, flatten, standardize=False):
    x = to_float_images(images)
    if standardize:
        x -= np.float32(MEAN)
        x /= np.float32(STD)
    if flatten:
        x = x.reshape(len(x), -1)
    return TensorDataset(x, labels)


def fashion_mnist(split="train", root=None, flatten=False, download=True, verify=False, standardize=False):
    """Fashion-MNIST as a TensorDataset of (float32 images in [0, 1], int64 labels).

    Images are shaped ``(N, 1, 28, 28)``, or ``(N, 784)`` with ``flatten=True``. ``standardize=True`` maps
    the pixels to ``(x - MEAN) / STD`` with the training set's statistics (zero mean, unit variance).
    """
    images, labels = load_fashion_mnist_arrays(split, root=root, download=download, verify=verify)
    return _as_dataset(images, labels, flatten, standardize)


def load_fashion_mnist_sample_arrays(split="train"):
    """The packaged sample's raw arrays: uint8 images and int64 labels (5000 train / 1000 test, balanced)."""
    _check_split(split)
    paths = [_find_file(SAMPLE_DIR, name) for name in FILES[split]]
    if not all(paths):
        raise FileNotFoundError(f"[{_OP}] the packaged sample is missing from {SAMPLE_DIR} (a broken install?)")
    return _load(*paths)


def fashion_mnist_sample(split="train", flatten=False, standardize=False):
    """A stratified sample of the real Fashion-MNIST shipped with axonal, as a TensorDataset.

    5000 training images (500 per class) and 1000 test images (100 per class), drawn from the
    corresponding official splits; same format (and ``standardize`` option) as ``fashion_mnist()``, with
    the full training set's statistics. No disk search, no network.
    """
    return _as_dataset(*load_fashion_mnist_sample_arrays(split), flatten, standardize)
