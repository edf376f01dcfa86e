"""What the latent lab sends from the compute thread to the views: frozen numpy snapshots, no torch.

The GUI imports this module at start-up-free moments only (it is cheap: numpy and dataclasses), so
the views can read results without pulling torch into the GUI thread. Every result names its
``role`` ("vae" or "ae": which of the lab's two model slots produced it) so side-by-side views can
route it, and ``data_version`` so a result computed for data that has since been replaced is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

ROLES = ("vae", "ae")
MODEL_KINDS = ("mlp-vae", "conv-vae", "mlp-ae", "conv-ae")


def role_of(kind: str) -> str:
    """The model slot a model kind goes to: variational kinds to "vae", autoencoders to "ae"."""
    return "vae" if kind.endswith("-vae") else "ae"


@dataclass(frozen=True)
class LabOptions:
    """Sizes and places the lab uses; tests shrink them, the app keeps the defaults.

    Parameters
    ----------
    shapes_n, shapes_seed
        The offline data set: ``make_shapes(shapes_n, shapes_seed)`` (the shipped checkpoints were
        trained on 10,000 images with seed 0).
    subset
        How many points the scatter shows (and re-encodes while training).
    quick_steps
        Training steps of the model trained on the spot when no shipped checkpoint fits the data.
    snapshot_every_s
        Wall-clock seconds of training between two re-encodings of the scatter.
    checkpoint_dir
        Folder of the shipped checkpoints; ``None`` means the app's resources.
    mnist_base_url, mnist_cache
        Where "Download MNIST" fetches from and caches to (``None``: the defaults of fetch_mnist).
    """

    shapes_n: int = 10000
    shapes_seed: int = 0
    subset: int = 2000
    quick_steps: int = 200
    snapshot_every_s: float = 0.5
    checkpoint_dir: str | None = None
    mnist_base_url: str | None = None
    mnist_cache: str | None = None


@dataclass(frozen=True)
class DataInfo:
    """The data set the lab holds."""

    key: str  # "shapes", "mnist-t10k", or "<kind>:<path>" for the user's files
    name: str
    size: int
    image_shape: tuple[int, int]
    label_names: list[str] | None
    data_version: int
    source: str = ""
    complete: bool = True  # False while only the scatter's subset is ready (training must wait)


@dataclass(frozen=True)
class ModelInfo:
    """What sits in one model slot and where its weights came from."""

    role: str
    kind: str
    latent_dim: int
    beta: float
    config: dict[str, Any]
    description: str
    origin: str  # e.g. "shipped checkpoint shapes-vae.safetensors", "trained here (200 steps)"
    trained_on: str = ""  # data set key from the checkpoint metadata, or the key trained on here
    path: str | None = None  # the file it was loaded from (for sessions), if any
    # training.recognisability's figure from the checkpoint's metadata (None: not measured)
    recognisability: dict[str, Any] | None = None


@dataclass(frozen=True)
class LatentSnapshot:
    """Encoded means of the scatter's subset under one model."""

    role: str
    version: int  # grows with every encoding, so views redraw only what is new
    data_version: int
    indices: np.ndarray  # (M,) data set indices
    mu: np.ndarray  # (M, D) float32
    sigma: np.ndarray  # (M, D) float32, zeros for an autoencoder
    labels: np.ndarray | None  # (M,) int64
    label_names: list[str] | None


@dataclass(frozen=True)
class Decoded:
    role: str
    z: np.ndarray  # (D,) the full latent point decoded
    image: np.ndarray  # (H, W) in [0, 1]


@dataclass(frozen=True)
class GridImage:
    """The manifold figure: decodings of an n×n grid, tiled into one image."""

    role: str
    n: int
    low: float
    high: float  # the grid's points run from low to high on both axes
    mosaic: np.ndarray  # (n*H, n*W), row 0 at the top (highest z₂)


@dataclass(frozen=True)
class Inspection:
    """One image through the model: q(z|x), the reconstruction and the image's own ELBO terms."""

    role: str
    data_version: int
    index: int | None  # data set index, or None for a drawing
    label: str | None
    original: np.ndarray  # (H, W)
    reconstruction: np.ndarray  # (H, W): decoded at z = μ
    mu: np.ndarray  # (D,)
    sigma: np.ndarray  # (D,), zeros for an autoencoder
    recon_nll: float  # −log p(x|z) at one z = μ + σ·ε, nats
    kl: float  # KL(q(z|x) ‖ p(z)), nats


@dataclass(frozen=True)
class Strip:
    """A row of decodings: ε resamples, an interpolation path or prior samples."""

    role: str
    kind: str  # "samples", "interpolation" or "prior"
    title: str
    z: np.ndarray  # (K, D) the latent points decoded
    images: np.ndarray  # (K, H, W)
    mu: np.ndarray | None = None  # "samples": the μ and σ the z were drawn around
    sigma: np.ndarray | None = None
    eps: np.ndarray | None = None  # "samples": the (K, D) ε drawn, z = μ + σ ⊙ ε


@dataclass(frozen=True)
class Likelihood:
    """log p(x) of one image by importance sampling beside its ELBO (nats; see
    :mod:`vaeviz.core.vae.likelihood`). An autoencoder has none: ``counts`` is empty."""

    role: str
    data_version: int
    index: int | None  # data set index, or None for a drawing
    counts: tuple[int, ...]  # K, the samples from q(z|x) behind each estimate
    log_px: tuple[float, ...]  # log p̂_K(x) for each K
    stderr: tuple[float, ...]  # its standard error (NaN for K = 1)
    elbo: float  # nan for an autoencoder
    elbo_stderr: float

    @property
    def defined(self) -> bool:
        return bool(self.counts)


@dataclass(frozen=True)
class HoleView:
    """Holes of one model (:func:`vaeviz.core.vae.holes.hole_fraction`) with the grid they were counted on.

    The grid spans the model's own codes (``z_range``, per axis); a tile is a hole when its decoding is
    farther from every reference training image than ``threshold``.
    """

    role: str
    data_version: int
    fraction: float  # of the n × n grid's decodings
    prior_fraction: float  # of n × n decoded z ~ N(0, I)
    n: int
    z_range: tuple[tuple[float, float], tuple[float, float]]  # (low, high) of z₁ and of z₂
    threshold: float
    mosaic: np.ndarray  # (n*H, n*W) the grid's decodings, row 0 at the top (highest z₂)
    holes: np.ndarray  # (n, n) bool, the tiles counted as holes, in the mosaic's order


@dataclass(frozen=True)
class DragWalk:
    """The latent point walking from A to B and back, for the GIF: the scatter and each frame's decoding."""

    role: str
    points: np.ndarray  # (M, 2) the scatter's encoded means (z₁, z₂)
    labels: np.ndarray | None  # (M,) their class labels, or None
    path: np.ndarray  # (F, 2) the latent point at each frame
    images: np.ndarray  # (F, H, W) the decoding at each frame, in [0, 1]


@dataclass(frozen=True)
class Evaluation:
    """Per-image means of the ELBO terms over a sample of the data, for the explain pane."""

    role: str
    n: int
    recon: float  # −E_q[log p(x|z)]
    kl: float
    elbo: float
    beta: float


@dataclass(frozen=True)
class TrainProgress:
    """A training snapshot for the views: the report, the whole curve so far, the latest scatter."""

    role: str
    step: int
    total_steps: int
    epoch: int
    epochs: int
    fraction: float  # the status bar reads this for its progress bar and ETA
    message: str
    elbo: float
    recon: float
    kl: float
    history: np.ndarray  # (k, 4): step, ELBO, reconstruction, KL
    snapshot: LatentSnapshot | None
    model: ModelInfo
    done: bool = False
    stopped_reason: str | None = None


@dataclass(frozen=True)
class LabEvent:
    """A step of a set-up job (data loading, checkpoint loading, a quick model); fields are optional."""

    fraction: float
    message: str
    data: DataInfo | None = None
    models: dict[str, ModelInfo] = field(default_factory=dict)
    snapshots: dict[str, LatentSnapshot] = field(default_factory=dict)
    evaluations: dict[str, Evaluation] = field(default_factory=dict)
    train: TrainProgress | None = None
    notes: tuple[str, ...] = ()  # things the user should read (no shipped model, a file skipped…)
    done: bool = False
