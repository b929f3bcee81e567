"""Data loading: datasets, batching, preprocessing, and Fashion-MNIST."""
from . import datasets
from .dataset import Dataset, TensorDataset
from .distributed import DistributedSampler
from .loader import DataLoader, collate
from .transforms import normalize, standardize, to_float_images

__all__ = ["DataLoader", "Dataset", "DistributedSampler", "TensorDataset", "collate", "datasets", "normalize", "standardize",
           "to_float_images"]
