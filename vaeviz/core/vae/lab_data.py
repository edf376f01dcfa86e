"""Where the latent lab's data comes from, and the offline shapes rendered a slice at a time.

Torch-free and Qt-free. :class:`DataSource` names a data set in a JSON-able way (for sessions);
:class:`ShapesBuilder` renders exactly ``make_shapes(n, seed)`` but in pieces, scatter subset first,
so the compute thread can yield between pieces (a drag stays responsive) and the scatter appears
after a quarter of a second instead of the 1.2 s the whole set takes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vaeviz.core.data.datasets import ImageDataset, load_image_folder, load_mnist_pair, load_npz
from vaeviz.core.data.datasets.shapes import (
    MARGIN,
    SCALE_RANGE,
    SHAPE_NAMES,
    SUPERSAMPLE,
    THICKNESS_RANGE,
    render_shapes,
)

# kind -> how many paths it needs
SOURCE_KINDS = {"mnist": 0, "shapes": 0, "idx": 2, "folder": 1, "npz": 1, "mnist-download": 0}

# data set key -> file name prefix of the shipped checkpoints trained on it
SHIPPED_PREFIX = {"shapes": "shapes", "mnist-t10k": "mnist10k"}


@dataclass(frozen=True)
class DataSource:
    """A data set the lab can (re)load: the shipped MNIST test split (the default), the generated shapes,
    the user's files, or the MNIST download."""

    kind: str = "mnist"
    paths: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "paths", tuple(str(p) for p in self.paths))
        if self.kind not in SOURCE_KINDS:
            raise ValueError(f"unknown data source '{self.kind}' (known: {', '.join(SOURCE_KINDS)})")
        if len(self.paths) != SOURCE_KINDS[self.kind]:
            raise ValueError(f"data source '{self.kind}' needs {SOURCE_KINDS[self.kind]} path(s), "
                             f"got {len(self.paths)}")

    @property
    def key(self) -> str:
        """The name checkpoints use for the data (their metadata ``dataset``)."""
        if self.kind == "shapes":
            return "shapes"
        if self.kind in ("mnist", "mnist-download") or (
                self.kind == "idx" and Path(self.paths[0]).name.startswith("t10k-images")):
            return "mnist-t10k"  # the user's own copy of the test split is the same data
        return f"{self.kind}:{self.paths[0]}"

    def describe(self) -> str:
        names = {"mnist": "MNIST (test split, shipped)", "shapes": "Shapes (generated)",
                 "mnist-download": "MNIST (test split, downloaded)"}
        if self.kind in names:
            return names[self.kind]
        return f"{Path(self.paths[0]).name} ({self.kind})"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "paths": list(self.paths)}

    @classmethod
    def from_dict(cls, data: Any) -> DataSource:
        """Parse :meth:`to_dict` output; ``ValueError`` naming the problem."""
        if not isinstance(data, dict) or not isinstance(data.get("kind"), str):
            raise ValueError("the data source must be an object with a 'kind'")
        paths = data.get("paths", [])
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            raise ValueError("the data source's 'paths' must be a list of strings")
        return cls(data["kind"], tuple(paths))

    def missing_files(self) -> list[str]:
        """Paths of the source that do not exist (a session may name files since moved)."""
        return [p for p in self.paths if not Path(p).exists()]


def load_files(source: DataSource) -> ImageDataset:
    """Load a file-based source (IDX pair, image folder, .npz); ``DatasetError`` for bad files."""
    if source.kind == "idx":
        return load_mnist_pair(source.paths[0], source.paths[1],
                               name="MNIST (test)" if source.key == "mnist-t10k" else "IDX files")
    if source.kind == "folder":
        return load_image_folder(source.paths[0])
    if source.kind == "npz":
        return load_npz(source.paths[0])
    raise ValueError(f"'{source.kind}' is not a file source")


def choose_subset(n: int, m: int, seed: int = 0) -> np.ndarray:
    """Sorted indices of ``min(m, n)`` images drawn without replacement (the scatter's points)."""
    rng = np.random.default_rng(seed + 1)
    return np.sort(rng.choice(n, size=min(m, n), replace=False)).astype(np.int64)


class ShapesBuilder:
    """Renders ``make_shapes(n, seed, size)`` in pieces, bit for bit.

    The factors are drawn exactly as :func:`vaeviz.core.data.datasets.make_shapes` draws them (same
    generator, same order); each image depends only on its own factors, so rendering any subset
    first and the rest later gives the same array. ``tests/core/test_vae_lab.py`` checks the equality.
    """

    def __init__(self, n: int = 10000, seed: int = 0, size: int = 28) -> None:
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        self.n = n
        self.seed = seed
        self.size = size
        rng = np.random.default_rng(seed)
        self.labels = rng.permutation(np.arange(n, dtype=np.int64) % len(SHAPE_NAMES))
        scale = rng.uniform(*SCALE_RANGE, size=n)
        radius = scale * size
        lo, hi = radius + MARGIN, size - radius - MARGIN
        x = lo + (hi - lo) * rng.random(n)
        y = lo + (hi - lo) * rng.random(n)
        rotation = rng.uniform(0.0, 2.0 * np.pi, size=n)
        thickness = rng.uniform(*THICKNESS_RANGE, size=n)
        self.factors = {name: value.astype(np.float32) for name, value in (
            ("x", x), ("y", y), ("scale", scale), ("rotation", rotation), ("thickness", thickness))}
        self.images = np.zeros((n, size, size), np.float32)
        self.done = np.zeros(n, bool)

    def render(self, indices: np.ndarray) -> np.ndarray:
        """Render the images at ``indices`` (if not done yet) and return them."""
        todo = indices[~self.done[indices]]
        if len(todo):
            self.images[todo] = render_shapes(self.labels[todo], size=self.size,
                                              **{k: v[todo] for k, v in self.factors.items()})
            self.done[todo] = True
        return self.images[indices]

    def remaining(self, chunk: int = 100) -> Iterator[float]:
        """Render what is left, ``chunk`` images at a time; yield the fraction done after each piece."""
        todo = np.flatnonzero(~self.done)
        for start in range(0, len(todo), chunk):
            self.render(todo[start:start + chunk])
            yield float(self.done.mean())

    def dataset(self) -> ImageDataset:
        """The finished data set, equal to ``make_shapes(n, seed, size)``."""
        self.render(np.flatnonzero(~self.done))
        return ImageDataset(
            name="Shapes", images=self.images, labels=self.labels, label_names=list(SHAPE_NAMES),
            source=(f"generated: make_shapes(n={self.n}, seed={self.seed}, size={self.size}), "
                    f"{SUPERSAMPLE}x{SUPERSAMPLE} supersampling"),
            factors=self.factors,
        )
