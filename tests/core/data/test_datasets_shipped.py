"""The MNIST test split shipped in resources/: loaded offline, verified, refused when damaged."""

from __future__ import annotations

import gzip
import shutil

import numpy as np
import pytest

from vaeviz.core.data.datasets import DatasetError, load_shipped_mnist, shipped_mnist_paths


def test_the_shipped_split_loads_with_its_class_counts():
    ds = load_shipped_mnist()
    assert ds.images.shape == (10000, 28, 28) and ds.images.dtype == np.float32
    assert np.bincount(ds.labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert ds.label_names == [str(d) for d in range(10)]


@pytest.fixture
def copy_of_the_shipped_files(tmp_path):
    for path in shipped_mnist_paths():
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def test_a_missing_file_is_named(copy_of_the_shipped_files):
    images, _ = shipped_mnist_paths(copy_of_the_shipped_files)
    images.unlink()
    with pytest.raises(DatasetError, match="t10k-images-idx3-ubyte.gz is missing"):
        load_shipped_mnist(copy_of_the_shipped_files)


def test_a_changed_image_fails_the_checksum(copy_of_the_shipped_files):
    images, _ = shipped_mnist_paths(copy_of_the_shipped_files)
    raw = bytearray(gzip.decompress(images.read_bytes()))
    raw[5000] ^= 0xFF  # one pixel of one digit: still a valid IDX file, no longer MNIST
    images.write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(DatasetError, match="damaged"):
        load_shipped_mnist(copy_of_the_shipped_files)


def test_a_directory_in_place_of_a_file_is_refused(copy_of_the_shipped_files):
    _, labels = shipped_mnist_paths(copy_of_the_shipped_files)
    labels.unlink()
    labels.mkdir()
    with pytest.raises(DatasetError):
        load_shipped_mnist(copy_of_the_shipped_files)
