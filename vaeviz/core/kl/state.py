"""The KL lab's state, Qt-free: every choice the user can make in the dock, versioned JSON.

:class:`KLLabState` is the single source of truth of the KL dock: the target p (a Gaussian, a mixture, a
banana or a ring; in 1-D a mixture), where q starts, q's family, the fit's settings and the view. Its
:meth:`~KLLabState.validate` says in a short sentence what is wrong before anything changes, and
:meth:`~KLLabState.target` builds p (refusing negative weights, all-zero weights, covariances that are not
positive definite). :func:`state_from_json` upgrades older versions with :func:`migrate` first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from vaeviz.core.kl.families import FAMILIES
from vaeviz.core.kl.fit import MAX_SAMPLES
from vaeviz.core.kl.posterior import ToyModel
from vaeviz.core.kl.targets import Banana, Gaussian, Mixture, Ring, Target, TargetError
from vaeviz.core.state_versions import Migrations, json_part, upgrade

STATE_VERSION = 1
MODES = ("2d", "1d", "vi")
TARGET_KINDS = ("gaussian", "mixture", "banana", "ring")
MAX_COMPONENTS = 5
COORDINATE_RANGE = 50.0  # |mean| and sqrt(variance) bounds: the plot shows about ±10
MAX_SEED = 9999
MAX_STEPS = 100_000
MAX_SPEED = 200  # fit steps per shown frame


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


def _matrix(value: object, dim: int, what: str) -> np.ndarray:
    try:
        matrix = np.asarray(value, dtype=np.float64).reshape(dim, dim)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a {dim}×{dim} matrix of numbers") from None
    if not np.all(np.isfinite(matrix)) or np.abs(matrix).max() > COORDINATE_RANGE**2:
        raise ValueError(f"{what} must hold finite numbers of at most {COORDINATE_RANGE**2:g}")
    return matrix


@dataclass(frozen=True)
class TargetChoice:
    """p: its kind and parameters (means (K, d), covariances (K, d, d), weights (K,); banana's a and b;
    the ring's radius and width). Gaussians use the first component only."""

    kind: str = "mixture"
    weights: tuple[float, ...] = (0.5, 0.5)
    means: tuple[tuple[float, ...], ...] = ((-2.5, 0.0), (2.5, 0.0))
    covariances: tuple[tuple[tuple[float, ...], ...], ...] = (((0.6, 0.0), (0.0, 0.6)),
                                                              ((0.6, 0.0), (0.0, 0.6)))
    banana: tuple[float, float] = (1.5, 0.5)
    ring: tuple[float, float] = (2.5, 0.3)

    @property
    def dim(self) -> int:
        return len(self.means[0]) if self.means else 2

    def validate(self) -> None:
        if self.kind not in TARGET_KINDS:
            raise ValueError(f"unknown target {self.kind!r} (known: {', '.join(TARGET_KINDS)})")
        k = len(self.means)
        if not 1 <= k <= MAX_COMPONENTS or len(self.weights) != k or len(self.covariances) != k:
            raise ValueError(f"p needs 1 to {MAX_COMPONENTS} components, each with a weight, a mean and a "
                             "covariance")
        dim = self.dim
        if dim not in (1, 2) or any(len(m) != dim for m in self.means):
            raise ValueError("every mean of p must have the same 1 or 2 coordinates")
        for j, (w, m, c) in enumerate(zip(self.weights, self.means, self.covariances, strict=True)):
            _number(w, f"weight {j + 1}", 0.0, 1e6)
            for x in m:
                _number(x, f"mean {j + 1}", -COORDINATE_RANGE, COORDINATE_RANGE)
            _matrix(c, dim, f"covariance {j + 1}")
        _number(self.banana[0], "the banana's width", 1e-3, COORDINATE_RANGE)
        _number(self.banana[1], "the banana's bend", -10.0, 10.0)
        _number(self.ring[0], "the ring's radius", 1e-3, COORDINATE_RANGE)
        _number(self.ring[1], "the ring's width", 1e-3, COORDINATE_RANGE)
        self.build()  # weights summing to 0, covariances that are not positive definite

    def build(self) -> Target:
        """The density p (:class:`TargetError` with a message when its parameters define none)."""
        if self.kind == "banana":
            return Banana(*self.banana)
        if self.kind == "ring":
            return Ring(*self.ring)
        dim = self.dim
        gaussians = tuple(Gaussian(np.asarray(m), _matrix(c, dim, "a covariance"))
                          for m, c in zip(self.means, self.covariances, strict=True))
        if self.kind == "gaussian":
            return gaussians[0]
        return Mixture(np.asarray(self.weights, dtype=np.float64), gaussians)


@dataclass(frozen=True)
class FitSettings:
    """How q is fitted: its family and start, Adam's step, Monte Carlo samples, speed, seed and α."""

    family: str = "full"
    start_mean: tuple[float, ...] = (0.5, 0.5)
    start_cov: tuple[tuple[float, ...], ...] = ((1.0, 0.0), (0.0, 1.0))
    lr: float = 0.05
    samples: int = 1000
    steps_per_frame: int = 5
    max_steps: int = 600
    seed: int = 0
    alpha: float = 0.5
    starts: int = 6  # "several starts": reverse fits from this many random starts

    def validate(self, dim: int) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"unknown family {self.family!r} (known: {', '.join(FAMILIES)})")
        if len(self.start_mean) != dim:
            raise ValueError(f"q's start must have {dim} coordinate(s), like p")
        for x in self.start_mean:
            _number(x, "q's starting mean", -COORDINATE_RANGE, COORDINATE_RANGE)
        try:
            self.start()
        except TargetError as err:
            raise ValueError(f"q's start: {err}") from None
        _number(self.lr, "the learning rate", 1e-6, 10.0)
        _whole(self.samples, 1, MAX_SAMPLES, "the number of Monte Carlo samples")
        _whole(self.steps_per_frame, 1, MAX_SPEED, "the steps per frame")
        _whole(self.max_steps, 1, MAX_STEPS, "the number of steps")
        _whole(self.seed, 0, MAX_SEED, "the seed")
        _number(self.alpha, "α", 0.01, 0.99)
        _whole(self.starts, 1, 20, "the number of starts")

    def start(self) -> Gaussian:
        dim = len(self.start_mean)
        cov = _matrix(self.start_cov, dim, "q's start")
        return Gaussian(np.asarray(self.start_mean, dtype=np.float64), cov)


@dataclass(frozen=True)
class VIChoice:
    """The variational-inference view's toy model: the observation x and the noise of p(x | z)."""

    x: tuple[float, float] = (1.0, -0.5)
    noise: float = 0.25

    def validate(self) -> None:
        for value in self.x:
            _number(value, "the observation x", -COORDINATE_RANGE, COORDINATE_RANGE)
        _number(self.noise, "the observation noise", 0.05, 5.0)

    def model(self) -> ToyModel:
        return ToyModel(tuple(self.x), self.noise)


@dataclass(frozen=True)
class KLLabState:
    mode: str = "2d"
    target: TargetChoice = field(default_factory=TargetChoice)
    fit: FitSettings = field(default_factory=FitSettings)
    vi: VIChoice = field(default_factory=VIChoice)
    show_alpha: bool = False  # the third plot: q fitted by D_α

    def validate(self) -> None:
        """Raise ValueError with a short message for the user if the state cannot be shown."""
        if self.mode not in MODES:
            raise ValueError(f"unknown mode {self.mode!r} (known: {', '.join(MODES)})")
        if not isinstance(self.show_alpha, bool):
            raise ValueError("show α must be true or false")
        try:
            self.target.validate()
        except TargetError as err:
            raise ValueError(f"p: {err}") from None
        if (self.mode == "1d") != (self.target.dim == 1):
            raise ValueError("the 1-D mode needs a 1-D p, and the 2-D modes a 2-D one")
        self.fit.validate(self.target.dim if self.mode != "vi" else 2)
        self.vi.validate()


# ----- JSON ---------------------------------------------------------------------------------------------
def state_to_json(state: KLLabState) -> dict:
    t, f, v = state.target, state.fit, state.vi
    return {
        "version": STATE_VERSION,
        "mode": state.mode,
        "target": {"kind": t.kind, "weights": list(t.weights), "means": [list(m) for m in t.means],
                   "covariances": [[list(row) for row in c] for c in t.covariances],
                   "banana": list(t.banana), "ring": list(t.ring)},
        "fit": {"family": f.family, "start_mean": list(f.start_mean),
                "start_cov": [list(row) for row in f.start_cov], "lr": f.lr, "samples": f.samples,
                "steps_per_frame": f.steps_per_frame, "max_steps": f.max_steps, "seed": f.seed,
                "alpha": f.alpha, "starts": f.starts},
        "vi": {"x": list(v.x), "noise": v.noise},
        "show_alpha": state.show_alpha,
    }


MIGRATIONS: Migrations = {}  # version 1 is the first


def migrate(raw: dict) -> dict:
    return upgrade(raw, "KL", STATE_VERSION, MIGRATIONS)


def _nested(value: object, depth: int, what: str):
    """Lists (of lists…) as tuples, ``depth`` levels deep; ValueError for anything else."""
    if depth == 0:
        return value
    if not isinstance(value, list) or len(value) > MAX_COMPONENTS * 4:
        raise ValueError(f"{what} must be a list")
    return tuple(_nested(item, depth - 1, what) for item in value)


def state_from_json(raw: dict) -> KLLabState:
    """Read (and validate) a state written by :func:`state_to_json`; missing entries take defaults."""
    raw = migrate(raw)
    target, fit, vi = (json_part(raw, key) for key in ("target", "fit", "vi"))
    base = KLLabState()
    try:
        t = replace(base.target, **{key: _nested(target[key], depth, f"p's {key}") for key, depth in
                                    (("kind", 0), ("weights", 1), ("means", 2), ("covariances", 3),
                                     ("banana", 1), ("ring", 1)) if key in target})
        simple = ("family", "lr", "samples", "steps_per_frame", "max_steps", "seed", "alpha", "starts")
        f = replace(base.fit, **{key: fit[key] for key in simple if key in fit},
                    **{key: _nested(fit[key], depth, f"q's {key}") for key, depth in
                       (("start_mean", 1), ("start_cov", 2)) if key in fit})
        v = replace(base.vi, **{key: (_nested(vi[key], 1, "x") if key == "x" else vi[key])
                                for key in ("x", "noise") if key in vi})
        state = KLLabState(raw.get("mode", "2d"), t, f, v, raw.get("show_alpha", False))
    except TypeError as exc:
        raise ValueError(f"a setting has the wrong type ({exc})") from None
    state.validate()
    return state
