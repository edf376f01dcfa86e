"""The Density lab's state, Qt-free: every choice the user can make in the dock, versioned JSON.

:class:`DensityLabState` is the single source of truth of the Density dock: the mode (2-D or the
lecture's 1-D mixture), the estimator shown and every estimator's settings (so switching estimators keeps
each one's own), the view (linear or log scale, the slice x₁ = a, samples from the model, the held-out
split) and the data (a preset's name, N and seed; "custom" for points the user drew, imported or took
from an image, which live in the app-wide point set). :meth:`DensityLabState.validate` says in a short
sentence what is wrong before anything changes; :func:`state_from_json` upgrades older versions with
:func:`migrate` first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace

from vaeviz.core.data.density_presets import DENSITY_PRESETS
from vaeviz.core.density.histogram import MAX_BINS
from vaeviz.core.density.mixture import COVARIANCE_TYPES, MAX_COMPONENTS
from vaeviz.core.state_versions import Migrations, json_part, upgrade

STATE_VERSION = 1
MODES = ("2d", "1d")
ESTIMATORS = ("histogram", "kde", "gmm", "autoregressive", "vae")
ESTIMATORS_1D = ("histogram", "kde", "gmm")  # the 1-D mode draws these three over the true density
SCALES = ("linear", "log")
BANDWIDTH_RULES = ("scott", "silverman", "held-out", "manual")
FACTOR_KINDS = ("histogram", "kde")  # the autoregressive factors' estimators
LATENT_SIZES = (1, 2)
CUSTOM_DATA = "custom"  # the points in the shared set as they are (drawn, imported, from an image)
PRESETS_2D = tuple(name for name, spec in DENSITY_PRESETS.items() if spec.dim == 2)
PRESET_1D = next(name for name, spec in DENSITY_PRESETS.items() if spec.dim == 1)
MIN_BANDWIDTH, MAX_BANDWIDTH = 1e-3, 100.0  # by hand; the slider spans 0.01 … 10 log-spaced
MAX_POINTS = 200_000  # a preset's N
MAX_SAMPLES = 20_000  # samples drawn from the model
MAX_SEED = 9999
MAX_VAE_K = 4096
MAX_VAE_STEPS = 20_000
COORDINATE_RANGE = 1e4  # the slice position's bound
MAX_COMPARED = 4


def _number(value: object, what: str, low: float = -math.inf, high: float = math.inf) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{what} must lie between {low:g} and {high:g}, got {value:g}")
    return float(value)


def _whole(value: object, low: int, high: int, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError(f"{what} must be a whole number from {low} to {high}, got {value!r}")
    return value


def _choice(value: object, known: tuple, what: str) -> None:
    if value not in known:
        raise ValueError(f"unknown {what} {value!r} (known: {', '.join(str(k) for k in known)})")


@dataclass(frozen=True)
class EstimatorSettings:
    """Every estimator's settings (each estimator reads its own; the others keep theirs meanwhile).

    Attributes
    ----------
    bins : int
        The histogram's bins per axis.
    bandwidth_rule : {"scott", "silverman", "held-out", "manual"}
        The KDE's bandwidth: a rule, or ``bandwidth`` by hand ("manual").
    bandwidth : float
        The KDE's bandwidth h by hand (data units, > 0).
    components, covariance_type : int, str
        The Gaussian mixture's K and covariance type.
    ar_marginal, ar_conditional, ar_bins : str, str, int
        The autoregressive density p(x₁) · p(x₂ | x₁): each factor's 1-D estimator and the x₁ slices.
    vae_latent, vae_k, vae_steps : int
        The point VAE's latent size (1 or 2), its importance samples K per point and its training steps.
    """

    bins: int = 30
    bandwidth_rule: str = "scott"
    bandwidth: float = 0.3
    components: int = 3
    covariance_type: str = "full"
    ar_marginal: str = "histogram"
    ar_conditional: str = "kde"
    ar_bins: int = 20
    vae_latent: int = 1
    vae_k: int = 128
    vae_steps: int = 1500

    def validate(self) -> None:
        if isinstance(self.bins, int) and not isinstance(self.bins, bool) and self.bins < 1:
            raise ValueError(f"a histogram needs at least 1 bin per axis (got {self.bins!r})")
        _whole(self.bins, 1, MAX_BINS, "the histogram's bins")
        _choice(self.bandwidth_rule, BANDWIDTH_RULES, "bandwidth rule")
        if isinstance(self.bandwidth, (int, float)) and not isinstance(self.bandwidth, bool) \
                and self.bandwidth <= 0:
            raise ValueError(f"the bandwidth must be > 0 (got {self.bandwidth:g}): a kernel of width 0 puts "
                             "an infinite spike on every point")
        _number(self.bandwidth, "the bandwidth", MIN_BANDWIDTH, MAX_BANDWIDTH)
        if isinstance(self.components, int) and not isinstance(self.components, bool) and self.components < 1:
            raise ValueError(f"a mixture needs at least K = 1 component (got {self.components})")
        _whole(self.components, 1, MAX_COMPONENTS, "the number of components K")
        _choice(self.covariance_type, COVARIANCE_TYPES, "covariance type")
        _choice(self.ar_marginal, FACTOR_KINDS, "estimator of p(x₁)")
        _choice(self.ar_conditional, FACTOR_KINDS, "estimator of p(x₂ | x₁)")
        _whole(self.ar_bins, 1, MAX_BINS, "the autoregressive slices")
        _choice(self.vae_latent, LATENT_SIZES, "latent size")
        _whole(self.vae_k, 1, MAX_VAE_K, "the importance samples K")
        _whole(self.vae_steps, 1, MAX_VAE_STEPS, "the VAE's training steps")

    @property
    def kde_bandwidth(self) -> str | float:
        """What :class:`~vaeviz.core.density.kde.KdeSettings` takes: a rule's name or h."""
        return self.bandwidth if self.bandwidth_rule == "manual" else self.bandwidth_rule


@dataclass(frozen=True)
class ViewChoice:
    """How the density is shown: scale, the slice x₁ = a, samples from the model, the held-out split."""

    scale: str = "linear"
    slice_on: bool = True
    slice_at: float = 0.0
    samples: int = 0  # points drawn from the fitted model beside the data (0: none)
    held_out: float = 0.25
    split_seed: int = 0
    compare_bandwidths: tuple[float, ...] = ()  # KDE bandwidths the held-out table lists beside the chosen

    def validate(self) -> None:
        _choice(self.scale, SCALES, "scale")
        if not isinstance(self.slice_on, bool):
            raise ValueError("the slice's on/off must be true or false")
        _number(self.slice_at, "the slice position a", -COORDINATE_RANGE, COORDINATE_RANGE)
        _whole(self.samples, 0, MAX_SAMPLES, "the number of samples from the model")
        _number(self.held_out, "the held-out fraction", 0.05, 0.9)
        _whole(self.split_seed, 0, MAX_SEED, "the split's seed")
        if not isinstance(self.compare_bandwidths, tuple) or len(self.compare_bandwidths) > MAX_COMPARED:
            raise ValueError(f"at most {MAX_COMPARED} bandwidths can be compared in the table")
        for h in self.compare_bandwidths:
            _number(h, "a compared bandwidth", MIN_BANDWIDTH, MAX_BANDWIDTH)


@dataclass(frozen=True)
class DataChoice:
    """The data: a preset sampled with ``n`` points and ``seed``, or "custom" (the shared set as it is)."""

    preset: str = "blobs"
    n: int = 1500
    seed: int = 0

    def validate(self, mode: str) -> None:
        known = (PRESET_1D,) if mode == "1d" else (*PRESETS_2D, CUSTOM_DATA)
        if self.preset not in known:
            raise ValueError(f"the {mode.upper()} mode's data must be one of {', '.join(known)}, "
                             f"got {self.preset!r}")
        if isinstance(self.n, int) and not isinstance(self.n, bool) and self.n < 2:
            raise ValueError(f"N = {self.n}: a density needs data, and a held-out split at least 2 points")
        _whole(self.n, 2, MAX_POINTS, "the number of points N")
        _whole(self.seed, 0, MAX_SEED, "the data's seed")


@dataclass(frozen=True)
class DensityLabState:
    mode: str = "2d"
    estimator: str = "kde"
    settings: EstimatorSettings = field(default_factory=EstimatorSettings)
    view: ViewChoice = field(default_factory=ViewChoice)
    data: DataChoice = field(default_factory=DataChoice)

    def validate(self) -> None:
        """Raise ValueError with a short message for the user if the state cannot be shown."""
        _choice(self.mode, MODES, "mode")
        _choice(self.estimator, ESTIMATORS if self.mode == "2d" else ESTIMATORS_1D, f"{self.mode} estimator")
        self.settings.validate()
        self.view.validate()
        self.data.validate(self.mode)


# ----- JSON ---------------------------------------------------------------------------------------------
def state_to_json(state: DensityLabState) -> dict:
    return {
        "version": STATE_VERSION,
        "mode": state.mode,
        "estimator": state.estimator,
        "settings": {f.name: getattr(state.settings, f.name) for f in fields(EstimatorSettings)},
        "view": {f.name: (list(v) if isinstance(v := getattr(state.view, f.name), tuple) else v)
                 for f in fields(ViewChoice)},
        "data": {f.name: getattr(state.data, f.name) for f in fields(DataChoice)},
    }


MIGRATIONS: Migrations = {}  # version 1 is the first


def migrate(raw: dict) -> dict:
    return upgrade(raw, "Density", STATE_VERSION, MIGRATIONS)


def _part(cls, raw: dict):
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(raw) - names)
    if unknown:
        raise ValueError(f"unknown setting(s) {', '.join(unknown)}")
    # (JSON has lists; the state holds tuples)
    return replace(cls(), **{k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()})


def state_from_json(raw: dict) -> DensityLabState:
    """Read (and validate) a state written by :func:`state_to_json`; missing entries take defaults."""
    raw = migrate(raw)
    try:
        state = DensityLabState(
            raw.get("mode", "2d"), raw.get("estimator", "kde"),
            _part(EstimatorSettings, json_part(raw, "settings")), _part(ViewChoice, json_part(raw, "view")),
            _part(DataChoice, json_part(raw, "data")))
    except TypeError as exc:
        raise ValueError(f"a setting has the wrong type ({exc})") from None
    state.validate()
    return state
