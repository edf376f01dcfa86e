"""The MNIST test split shipped in ``resources/datasets/mnist-t10k``: the lab's default data set.

It needs no network. Every load checks both files against the SHA-256 of the standard test split's
decompressed IDX content (the values a download is checked against, :data:`MNIST_FILES`), so a damaged or
replaced file is refused with a message rather than trained on.
"""

from __future__ import annotations

from pathlib import Path

from vaeviz.core.data.datasets.base import DatasetError, ImageDataset
from vaeviz.core.data.datasets.download import MNIST_FILES, file_sha256
from vaeviz.core.data.datasets.idx import load_mnist_pair
from vaeviz.core.limits import IDX, check_regular_file
from vaeviz.core.resources import resources_dir

SHIPPED_MNIST_FOLDER = ("datasets", "mnist-t10k")
SHIPPED_MNIST_NAME = "MNIST (test split)"
SHIPPED_MNIST_CREDIT = ("MNIST database of handwritten digits (Y. LeCun, C. Cortes, C. J. C. Burges), "
                        "test split; licence CC BY-SA 3.0")


def shipped_mnist_folder() -> Path:
    """Where the shipped MNIST files live (whether or not they are there)."""
    try:
        return resources_dir().joinpath(*SHIPPED_MNIST_FOLDER)
    except FileNotFoundError as err:
        raise DatasetError(f"the shipped MNIST data set is missing: {err}") from err


def shipped_mnist_paths(folder: Path | None = None) -> tuple[Path, Path]:
    """(images, labels) files of the shipped test split."""
    folder = shipped_mnist_folder() if folder is None else Path(folder)
    return (folder / MNIST_FILES["test-images"].name, folder / MNIST_FILES["test-labels"].name)


def verify_shipped_mnist(folder: Path | None = None) -> tuple[Path, Path]:
    """Check that both files exist, are regular files within the IDX limits, and hold the standard test
    split (SHA-256 of the decompressed content); return their paths or raise :class:`DatasetError`."""
    paths = shipped_mnist_paths(folder)
    for path, key in zip(paths, ("test-images", "test-labels"), strict=True):
        if not path.exists():
            raise DatasetError(f"the shipped MNIST file {path.name} is missing (looked in {path.parent})")
        check_regular_file(path, IDX, DatasetError)
        expected = MNIST_FILES[key].sha256
        if file_sha256(path, "gunzipped") != expected:
            raise DatasetError(f"the shipped MNIST file {path.name} is damaged: its checksum does not match "
                               "the MNIST test split")
    return paths


def load_shipped_mnist(folder: Path | None = None) -> ImageDataset:
    """The shipped MNIST test split (10,000 digits, 28 × 28), verified; :class:`DatasetError` if not."""
    images, labels = verify_shipped_mnist(folder)
    return load_mnist_pair(images, labels, name=SHIPPED_MNIST_NAME)
