"""The latent lab's state in the compute thread: the data, two model slots, and what the views ask of them.

:class:`LatentLab` is Qt-free and holds torch objects, so it lives in exactly one thread: its methods
are called only from job factories (:mod:`vaeviz.core.vae.lab_jobs`), which the compute worker runs
one at a time. A training job and the latest-wins "decode" requests therefore read the same model
without locks: a request runs between two training steps, never during one.

Two model slots, ``"vae"`` and ``"ae"``, so the autoencoder can be compared with the VAE on the same
data and the same layout. Every view method returns a frozen numpy snapshot from
:mod:`vaeviz.core.vae.lab_types`; nothing torch leaves this package. Training and set-up (which
may train) live in :mod:`vaeviz.core.vae.lab_train`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from vaeviz.core.data.datasets import SHAPE_NAMES, DatasetError, ImageDataset, fetch_mnist, load_shipped_mnist
from vaeviz.core.limits import bounded_message
from vaeviz.core.resources import resource_path
from vaeviz.core.vae.checkpoint import CheckpointError, load_checkpoint, read_metadata, save_checkpoint
from vaeviz.core.vae.lab_data import SHIPPED_PREFIX, DataSource, ShapesBuilder, choose_subset, load_files
from vaeviz.core.vae.lab_types import DataInfo, LabEvent, LabOptions, ModelInfo, role_of
from vaeviz.core.vae.models import LatentModel, ModelConfig


class LabError(ValueError):
    """Something the user asked cannot be done; the message says why and what to do."""


RECOGNISABILITY_KEYS = ("ratio", "originals", "reconstructions", "chance", "n_test")


def recognisability_figure(metrics: dict) -> dict[str, float] | None:
    """training.recognisability's figure from checkpoint metrics, or None when absent or malformed
    (a file's metadata is not trusted to hold numbers)."""
    figure = metrics.get("recognisability")
    if not isinstance(figure, dict):
        return None
    values = {key: figure.get(key) for key in RECOGNISABILITY_KEYS}
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
               for v in values.values()):
        return None
    return {key: float(v) for key, v in values.items()}


class LatentLab:
    """Data, models and cached encodings of the latent lab (compute thread only)."""

    def __init__(self, options: LabOptions | None = None) -> None:
        self.options = options or LabOptions()
        self.source: DataSource | None = None
        self.dataset: ImageDataset | None = None  # None until the whole set is loaded
        self.data_name = ""
        self.data_size = 0
        self.data_version = 0
        self.image_shape: tuple[int, int] | None = None
        self.subset = np.empty(0, np.int64)  # data set indices of the scatter's points
        self.subset_images = np.empty((0, 1, 1), np.float32)
        self.subset_labels: np.ndarray | None = None
        self.label_names: list[str] | None = None
        self.models: dict[str, LatentModel] = {}
        self.infos: dict[str, ModelInfo] = {}
        self.device = "cpu"
        self.snapshot_count = 0
        self._pending_shapes: ShapesBuilder | None = None
        self._train_tensor: tuple[int, torch.Tensor] | None = None

    # ----- data ------------------------------------------------------------------------------
    @property
    def data_key(self) -> str:
        return self.source.key if self.source is not None else ""

    def data_info(self) -> DataInfo:
        return DataInfo(key=self.data_key, name=self.data_name, size=self.data_size,
                        image_shape=self.image_shape or (0, 0), label_names=self.label_names,
                        data_version=self.data_version,
                        source=self.dataset.source if self.dataset is not None else "",
                        complete=self.dataset is not None)

    def _set_view(self, source: DataSource, name: str, size: int, subset: np.ndarray, images: np.ndarray,
                  labels: np.ndarray | None, label_names: list[str] | None) -> None:
        self.source = source
        self.data_name = name
        self.data_size = size
        self.subset = subset
        self.subset_labels = labels
        self.label_names = label_names
        self.subset_images = np.array(images, np.float32)  # a writable copy: torch warns on read-only
        self.image_shape = (int(images.shape[1]), int(images.shape[2]))
        self.dataset = None
        self._pending_shapes = None
        self.data_version += 1

    def set_dataset(self, source: DataSource, ds: ImageDataset) -> None:
        """Hold a whole loaded data set (the scatter shows a fixed random subset of it)."""
        subset = choose_subset(len(ds), self.options.subset)
        labels = ds.labels[subset] if ds.labels is not None else None
        self._set_view(source, ds.name, len(ds), subset, ds.images[subset], labels, ds.label_names)
        self.dataset = ds

    def load_data(self, source: DataSource) -> Iterator[LabEvent]:
        """Load a source; the current data stays until the new one has loaded without error.

        For the shapes only the scatter's subset is drawn here (``complete=False``);
        :meth:`finish_data` draws the rest, so the views can show points meanwhile.
        """
        if source.kind == "mnist":
            try:
                ds = load_shipped_mnist()
            except DatasetError as err:
                # The offline default must always open: fall back to the generated shapes, and say why.
                note = f"{bounded_message(str(err))} Using the generated Shapes instead."
                yield LabEvent(0.0, "the shipped MNIST could not be used", notes=(note,))
                yield from self.load_data(DataSource("shapes"))
                return
            self.set_dataset(source, ds)
            yield LabEvent(0.3, f"loaded {ds.name}", data=self.data_info())
            return
        if source.kind == "shapes":
            builder = ShapesBuilder(self.options.shapes_n, self.options.shapes_seed)
            subset = choose_subset(builder.n, self.options.subset)
            for start in range(0, len(subset), 250):  # ~30 ms pieces keep the worker responsive
                builder.render(subset[start:start + 250])
                yield LabEvent(0.1 * start / len(subset), "drawing the shapes")
            self._set_view(source, "Shapes", builder.n, subset, builder.images[subset],
                           builder.labels[subset], list(SHAPE_NAMES))
            self._pending_shapes = builder
            yield LabEvent(0.1, "shapes: scatter ready", data=self.data_info())
            return
        if source.kind == "mnist-download":
            steps = fetch_mnist("mnist", "test", base_url=self.options.mnist_base_url,
                                cache=self.options.mnist_cache)
            while True:
                try:
                    step = next(steps)
                except StopIteration as stop:
                    ds = stop.value
                    break
                yield LabEvent(0.3 * (step.fraction or 0.0), step.message)
        else:
            ds = load_files(source)
        self.set_dataset(source, ds)
        yield LabEvent(0.3, f"loaded {ds.name}", data=self.data_info())

    def finish_data(self) -> Iterator[LabEvent]:
        """Draw the rest of a shapes data set (a no-op for other sources)."""
        builder = self._pending_shapes
        if builder is None:
            return
        for fraction in builder.remaining(100):
            yield LabEvent(0.1 + 0.3 * fraction, "drawing the shapes")
        self.dataset = builder.dataset()
        self._pending_shapes = None
        yield LabEvent(0.4, "data ready", data=self.data_info())

    def require_data(self) -> tuple[int, int]:
        if self.image_shape is None:
            raise LabError("no data loaded yet")
        return self.image_shape

    def train_tensor(self) -> torch.Tensor:
        """The whole data set as one float tensor (cached per data version)."""
        if self.dataset is None:
            raise LabError("the data set is still loading; train when it is ready")
        if self._train_tensor is None or self._train_tensor[0] != self.data_version:
            self._train_tensor = (self.data_version, torch.from_numpy(np.array(self.dataset.images)))
        return self._train_tensor[1]

    def image(self, index: int) -> np.ndarray:
        """Image ``index`` of the data set (the subset answers while the rest is loading)."""
        if self.dataset is not None and 0 <= index < len(self.dataset):
            return np.array(self.dataset.images[index])
        pos = int(np.searchsorted(self.subset, index))
        if pos < len(self.subset) and self.subset[pos] == index:
            return self.subset_images[pos]
        raise LabError(f"image {index} is not available")

    def label_of(self, index: int) -> str | None:
        pos = int(np.searchsorted(self.subset, index))
        if self.subset_labels is None or pos >= len(self.subset) or self.subset[pos] != index:
            return None
        label = int(self.subset_labels[pos])
        names = self.label_names
        return names[label] if names and label < len(names) else str(label)

    # ----- model slots ---------------------------------------------------------------------------
    def use_device(self, name: str) -> None:
        """Jobs started on another device move the models there (long jobs only: never mid-training)."""
        if name != self.device:
            self.device = name
            for model in self.models.values():
                model.to(name)

    def model(self, role: str) -> LatentModel:
        if role not in self.models:
            raise LabError(f"no {role.upper()} model yet")
        return self.models[role]

    def config_for(self, kind: str, latent_dim: int, beta: float) -> ModelConfig:
        """The config of a new model of ``kind`` for the current data."""
        h, w = self.require_data()
        if kind.startswith("conv-") and (h % 4 or w % 4):
            raise LabError(f"conv models need image sizes divisible by 4; these images are {h}×{w}. "
                           "Choose an mlp model.")
        return ModelConfig(kind=kind, image_shape=(1, h, w), latent_dim=int(latent_dim), beta=float(beta))

    def install(self, model: LatentModel, origin: str, trained_on: str, path: str | None = None,
                recognisability: dict | None = None) -> ModelInfo:
        role = role_of(model.config.kind)
        model.to(self.device).eval()
        self.models[role] = model
        info = self.describe(role, origin, trained_on, path, recognisability)
        self.infos[role] = info
        return info

    def describe(self, role: str, origin: str, trained_on: str, path: str | None = None,
                 recognisability: dict | None = None) -> ModelInfo:
        config = self.models[role].config
        return ModelInfo(role=role, kind=config.kind, latent_dim=config.latent_dim, beta=config.beta,
                         config=config.to_dict(), description=config.describe(), origin=origin,
                         trained_on=trained_on, path=path, recognisability=recognisability)

    def fits_data(self, role: str) -> bool:
        model = self.models.get(role)
        return model is not None and tuple(model.config.image_shape) == (1, *self.require_data())

    def load_file(self, path: str | Path, want: tuple[str, int] | None = None) -> ModelInfo:
        """Load a checkpoint into its slot; the current model stays if anything is wrong.

        ``want`` is the (kind, latent size) chosen in the training panel: a checkpoint of another
        architecture is refused with a message saying what to choose first.
        """
        path = Path(path)
        config = read_metadata(path).config  # CheckpointError for pickles, corrupt files, no metadata
        h, w = self.require_data()
        if tuple(config.image_shape) != (1, h, w):
            shape = "×".join(map(str, config.image_shape))
            raise LabError(f"{path.name} was trained on {shape} images; the data set here has 1×{h}×{w} "
                           "images. The current model is unchanged.")
        if want is not None and (config.kind, config.latent_dim) != tuple(want):
            raise LabError(f"{path.name} holds a {config.kind} with latent size {config.latent_dim}; the "
                           f"model chosen here is a {want[0]} with latent size {want[1]}. Choose "
                           f"{config.kind} and latent size {config.latent_dim} under Training, then load it "
                           "again. "
                           "The current model is unchanged.")
        model, meta = load_checkpoint(path, device=self.device)
        return self.install(model, f"checkpoint {path.name}", meta.dataset, str(path),
                            recognisability_figure(meta.metrics))

    def shipped_path(self, role: str) -> Path | None:
        """The shipped checkpoint for the current data and this slot, if there is one."""
        prefix = SHIPPED_PREFIX.get(self.data_key)
        if prefix is None:
            return None
        name = f"{prefix}-{role}.safetensors"
        if self.options.checkpoint_dir is not None:
            path = Path(self.options.checkpoint_dir) / name
            return path if path.is_file() else None
        try:
            return resource_path("checkpoints", name)
        except FileNotFoundError:
            return None

    def load_shipped(self, role: str) -> tuple[ModelInfo | None, str]:
        """Load the shipped checkpoint for ``role``; return its info (None if none) and a note."""
        path = self.shipped_path(role)
        if path is None:
            return None, ""
        try:
            kind = read_metadata(path).config.kind
            if role_of(kind) != role:
                return None, f"the shipped {path.name} holds a {kind}, not a {role.upper()}"
            info = self.load_file(path)
        except (CheckpointError, LabError) as exc:
            return None, f"the shipped {path.name} could not be used: {exc}"
        info = dataclasses.replace(info, origin=f"shipped checkpoint {path.name}", path=None)
        self.infos[role] = info  # sessions name shipped models by data set, not by file
        return info, ""

    def save(self, role: str, path: str | Path) -> Path:
        """Write the slot's model to a checkpoint (with the data set's name in its metadata)."""
        return save_checkpoint(path, self.model(role), dataset=self.data_key,
                               extra={"origin": self.infos[role].origin if role in self.infos else ""})

