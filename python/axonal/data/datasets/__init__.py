"""Ready-made datasets: Fashion-MNIST (full, from disk or downloaded) and its packaged sample."""
from .fashion import (
    CLASSES,
    CONTENT_SHA256,
    MD5,
    MEAN,
    STD,
    content_sha256,
    download_fashion_mnist,
    fashion_mnist,
    fashion_mnist_sample,
    find_files,
    load_fashion_mnist_arrays,
    load_fashion_mnist_sample_arrays,
)
from .idx import IDXError, read_idx, write_idx

__all__ = [
    "CLASSES", "CONTENT_SHA256", "MD5", "MEAN", "STD", "IDXError", "content_sha256", "download_fashion_mnist",
    "fashion_mnist",
    "fashion_mnist_sample", "find_files", "load_fashion_mnist_arrays", "load_fashion_mnist_sample_arrays",
    "read_idx", "write_idx",
]
