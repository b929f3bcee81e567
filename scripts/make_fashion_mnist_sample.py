#!/usr/bin/env python3
"""Regenerates python/axonal/data/sample/: a stratified sample of the real Fashion-MNIST.

    PYTHONPATH=python python scripts/make_fashion_mnist_sample.py [--root DIR]

Draws 500 images per class from the official training split and 100 per class from the test split
with a fixed seed, keeps them in their original order, and writes them as gzipped IDX files under the
official names, plus the chosen indices (so the sample can be checked against the full data). The
output is byte-for-byte reproducible from the same input files.
"""
import argparse
from pathlib import Path

import numpy as np

from axonal.data.datasets import fashion as fm
from axonal.data.datasets.idx import write_idx

SEED = 20170825  # the day the Fashion-MNIST paper appeared on arXiv
PER_CLASS = {"train": 500, "test": 100}
INDEX_FILES = {"train": "train-sample-indices-idx1-int32.gz", "test": "t10k-sample-indices-idx1-int32.gz"}


def stratified_indices(labels, per_class, rng):
    """per_class indices of each class, drawn without replacement, returned sorted."""
    chosen = [rng.choice(np.flatnonzero(labels == c), size=per_class, replace=False) for c in range(len(fm.CLASSES))]
    return np.sort(np.concatenate(chosen))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=None, help="directory with the four official files (default: search)")
    parser.add_argument("--out", default=str(fm.SAMPLE_DIR), help="output directory")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    for split in ("train", "test"):
        images, labels = fm.load_fashion_mnist_arrays(split, root=args.root, download=False, verify=True)
        idx = stratified_indices(labels, PER_CLASS[split], rng)
        image_name, label_name = fm.FILES[split]
        write_idx(out / (image_name + ".gz"), images[idx])
        write_idx(out / (label_name + ".gz"), labels[idx].astype(np.uint8))
        write_idx(out / INDEX_FILES[split], idx.astype(np.int32))
        print(f"{split}: {len(idx)} images, {np.bincount(labels[idx]).tolist()} per class -> {out}")


if __name__ == "__main__":
    main()
