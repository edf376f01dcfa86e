"""The one type every loader returns, and the checks that make it safe to hand to a model or a plot.

Pure numpy: no Qt, no torch, so data sets can be built and checked in any process or thread.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vaeviz.core.jobs import drain


class DatasetError(ValueError):
    """A data set (or a file meant to hold one) is unusable; the message says why, for a person to read."""


@dataclass(frozen=True, eq=False)
class ImageDataset:
    """A set of grey images with optional class labels.

    Parameters
    ----------
    name : str
        Short name shown to the user, e.g. ``"MNIST (test)"``.
    images : numpy.ndarray
        float32 array of shape (N, H, W) with values in [0, 1] (0 = black background).
    labels : numpy.ndarray or None
        int64 array of shape (N,) or None for unlabelled data.
    label_names : list of str or None
        Name of each class; when given, every label is an index into it.
    source : str
        Where the data came from (file names, generator settings, files ignored...).
    factors : dict of str to numpy.ndarray or None
        Known factors of variation (one value per image), e.g. position and scale of generated shapes.

    Notes
    -----
    The constructor validates everything (see :func:`validate`) and stores read-only views of the
    arrays, so a data set shared between the GUI and a worker thread cannot be changed behind anyone's
    back. Equality is identity: comparing pixel arrays element-wise is never what ``==`` should mean here.
    """

    name: str
    images: np.ndarray
    labels: np.ndarray | None = None
    label_names: list[str] | None = None
    source: str = ""
    factors: dict[str, np.ndarray] | None = field(default=None)

    def __post_init__(self) -> None:
        # Copy the containers (not the pixels) so that later changes to the caller's list or dict
        # cannot slip past validation.
        if self.label_names is not None:
            object.__setattr__(self, "label_names", list(self.label_names))
        if self.factors is not None:
            if not isinstance(self.factors, Mapping):
                raise DatasetError(f"factors must be a dict of arrays, got {type(self.factors).__name__}")
            object.__setattr__(self, "factors", {str(k): np.asarray(v) for k, v in self.factors.items()})
        validate(self)
        object.__setattr__(self, "images", _read_only(self.images))
        if self.labels is not None:
            object.__setattr__(self, "labels", _read_only(self.labels))
        if self.factors is not None:
            object.__setattr__(self, "factors", {k: _read_only(v) for k, v in self.factors.items()})

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def __repr__(self) -> str:
        n, h, w = self.images.shape
        classes = f", {len(self.label_names)} classes" if self.label_names else ""
        return f"ImageDataset({self.name!r}, {n} images of {h}x{w}{classes})"

    @property
    def image_shape(self) -> tuple[int, int]:
        """(H, W) of every image."""
        return int(self.images.shape[1]), int(self.images.shape[2])


def _read_only(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.flags.writeable = False
    return view


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"


def validate(ds: ImageDataset) -> None:
    """Check a data set and raise :class:`DatasetError` naming the first problem found.

    Checks: images are a float32 (N, H, W) array with N, H, W >= 1; every pixel is finite and in [0, 1];
    labels (if any) are int64 of shape (N,), non-negative and, when ``label_names`` is given, valid
    indices into it; ``label_names`` are strings and need labels; factors have one value per image.

    Parameters
    ----------
    ds : ImageDataset
        The data set to check (the constructor already calls this; call it again after building
        a data set by other means, e.g. ``object.__new__``).

    Raises
    ------
    DatasetError
        With a message such as ``"3 pixels are NaN in image 17"`` or ``"120 images but 118 labels"``.
    """
    images = ds.images
    if not isinstance(images, np.ndarray):
        raise DatasetError(f"images must be a numpy array, got {type(images).__name__}")
    if images.ndim != 3:
        raise DatasetError(f"images must have shape (N, H, W); got shape {images.shape}")
    n, h, w = images.shape
    if n == 0:
        raise DatasetError("the data set has no images")
    if h == 0 or w == 0:
        raise DatasetError(f"images must be at least 1x1 pixels; got shape {images.shape}")
    if images.dtype != np.float32:
        raise DatasetError(f"images must be float32, got {images.dtype}")
    _check_pixels(images)
    _check_labels(ds, n)
    if ds.factors is not None:
        for key, values in ds.factors.items():
            if values.shape[:1] != (n,):
                raise DatasetError(f"factor {key!r} has shape {values.shape} for {_plural(n, 'image')}")


def _check_pixels(images: np.ndarray) -> None:
    # One pass over the whole array in the common (valid) case; locate the culprit only on failure.
    finite = np.isfinite(images)
    if not finite.all():
        bad_per_image = (~finite).reshape(len(images), -1).sum(axis=1)
        first = int(np.flatnonzero(bad_per_image)[0])
        nan = int(np.isnan(images[first]).sum())
        what = f"{_plural(nan, 'pixel')} {'is' if nan == 1 else 'are'} NaN" if nan else ""
        inf = int(bad_per_image[first]) - nan
        if inf:
            what += (
                " and " if what else ""
            ) + f"{_plural(inf, 'pixel')} {'is' if inf == 1 else 'are'} infinite"
        others = int(np.count_nonzero(bad_per_image)) - 1
        more = f" (and {_plural(others, 'more image')})" if others else ""
        raise DatasetError(f"{what} in image {first}{more}")
    low, high = float(images.min()), float(images.max())
    if low < 0.0 or high > 1.0:
        flat = images.reshape(len(images), -1)
        bad = np.flatnonzero((flat.min(axis=1) < 0.0) | (flat.max(axis=1) > 1.0))
        first = int(bad[0])
        more = f" (and {_plural(len(bad) - 1, 'more image')})" if len(bad) > 1 else ""
        raise DatasetError(
            f"pixel values must lie in [0, 1]; image {first} has values from "
            f"{float(flat[first].min()):g} to {float(flat[first].max()):g}{more}"
        )


def _check_labels(ds: ImageDataset, n: int) -> None:
    labels, names = ds.labels, ds.label_names
    if names is not None:
        bad = [x for x in names if not isinstance(x, str)]
        if bad:
            raise DatasetError(f"label names must be strings; got {bad[0]!r}")
        if labels is None:
            raise DatasetError(f"{_plural(len(names), 'label name')} given but no labels")
    if labels is None:
        return
    if not isinstance(labels, np.ndarray):
        raise DatasetError(f"labels must be a numpy array, got {type(labels).__name__}")
    if labels.ndim != 1:
        raise DatasetError(f"labels must have shape (N,); got shape {labels.shape}")
    if len(labels) != n:
        raise DatasetError(f"{_plural(n, 'image')} but {_plural(len(labels), 'label')}")
    if labels.dtype != np.int64:
        raise DatasetError(f"labels must be int64, got {labels.dtype}")
    if n and labels.min() < 0:
        index = int(np.flatnonzero(labels < 0)[0])
        raise DatasetError(f"label {int(labels[index])} at index {index} is negative")
    if names is not None and n and labels.max() >= len(names):
        index = int(np.flatnonzero(labels >= len(names))[0])
        raise DatasetError(
            f"label {int(labels[index])} at index {index} is out of range for "
            f"{_plural(len(names), 'label name')}"
        )


def run_steps(
    steps: Generator[Any, None, Any],
    on_progress: Callable[[Any], object] | None = None,
) -> Any:
    """Advance a step generator to its end and return its return value.

    Parameters
    ----------
    steps : generator
        E.g. ``fetch_mnist("mnist")``.
    on_progress : callable, optional
        Called with each yielded step (e.g. a ``DownloadProgress``).

    Returns
    -------
    object
        The generator's return value (the ImageDataset of :func:`fetch_mnist`, the Path of
        :func:`download_steps`).
    """
    return drain(steps, on_progress)[0]
