"""The VAE latent lab's state, Qt-free: every choice the user can make in the dock, versioned JSON.

:class:`LatentState` is the single source of truth of the latent dock: its widgets show it and turn
edits into new states (``dataclasses.replace``); sessions, presets, the export CLI and the self-check all
apply one through the dock's ``apply_state``. ``validate`` says in a short sentence what is wrong, before
anything changes. A state names the data set and checkpoint files rather than holding weights: applying
it reloads them; models trained in the session and never saved come back as the shipped (or a quick)
model.

JSON (version 2)::

    {"version": 2, "data": {"kind": "shapes", "paths": []},
     "model": {"kind": "mlp-vae", "latent_dim": 2, "beta": 1.0},
     "train": {"lr": 0.001, "batch_size": 128, "epochs": 10, "fresh": true},
     "view": {"mode": "vae", "manifold": "off", "grid_n": 15, "grid_range": 3.0, "grid_fit": false},
     "points": {"vae": [0.0, 0.0], "ae": [0.0, 0.0]}, "checkpoints": {"vae": null, "ae": null},
     "picks": [12, 40]}

:func:`state_from_json` first upgrades older versions with :func:`migrate` (version 1 kept the training
settings in ``model``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from vaeviz.core.state_versions import Migrations, json_part, upgrade
from vaeviz.core.vae.lab_data import DataSource
from vaeviz.core.vae.lab_types import MODEL_KINDS, ROLES

STATE_VERSION = 2
VIEW_MODES = ("vae", "ae", "both")
MANIFOLDS = ("off", "underlay", "grid")
MODE_ROLES = {"vae": ("vae",), "ae": ("ae",), "both": ("vae", "ae")}
MAX_PICKS = 2  # A and B
MAX_IMAGES = 100_000_000  # no data set the lab can hold in memory has more images: bounds pick indices
MAX_COORDINATE = 1e6  # latent points (the views clip far smaller values anyway)

# name -> (low, high) of the numbers the spin boxes offer
LATENT_DIM = (2, 32)
BETA = (0.0, 8.0)
LR = (1e-5, 10.0)
BATCH_SIZE = (8, 4096)
EPOCHS = (1, 500)
GRID_N = (3, 30)
GRID_RANGE = (0.5, 50.0)


def _is_number(value: object) -> bool:
    """A real number, not a bool (JSON's true would otherwise pass as 1)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _number(what: str, value: object, bounds: tuple[float, float]) -> None:
    low, high = bounds
    if not _is_number(value) or not math.isfinite(value) or not low <= value <= high:
        raise ValueError(f"{what} must be a number from {low:g} to {high:g}, got {value!r}")


def _whole(what: str, value: object, bounds: tuple[int, int]) -> None:
    low, high = bounds
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError(f"{what} must be a whole number from {low} to {high}, got {value!r}")


def _flag(what: str, value: object) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"{what} must be true or false, got {value!r}")


def _one_of(what: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{what} must be one of {', '.join(allowed)}, got {value!r}")


@dataclass(frozen=True)
class ModelChoice:
    """The model asked for: its kind, latent size and β (quick models and training use it)."""

    kind: str = "mlp-vae"
    latent_dim: int = 2
    beta: float = 1.0

    def validate(self) -> None:
        _one_of("model.kind", self.kind, MODEL_KINDS)
        _whole("model.latent_dim", self.latent_dim, LATENT_DIM)
        _number("model.beta", self.beta, BETA)


@dataclass(frozen=True)
class TrainSettings:
    """The optimiser's settings, and whether Start trains from scratch."""

    lr: float = 1e-3
    batch_size: int = 128
    epochs: int = 10
    fresh: bool = True

    def validate(self) -> None:
        _number("train.lr", self.lr, LR)
        _whole("train.batch_size", self.batch_size, BATCH_SIZE)
        _whole("train.epochs", self.epochs, EPOCHS)
        _flag("train.fresh", self.fresh)


@dataclass(frozen=True)
class ViewSettings:
    """Which model(s) are on show and the decoded manifold behind or instead of the points."""

    mode: str = "vae"
    manifold: str = "off"
    grid_n: int = 15
    grid_range: float = 3.0
    grid_fit: bool = False

    @property
    def roles(self) -> tuple[str, ...]:
        """The model slots on show."""
        return MODE_ROLES[self.mode]

    def validate(self) -> None:
        _one_of("view.mode", self.mode, VIEW_MODES)
        _one_of("view.manifold", self.manifold, MANIFOLDS)
        _whole("view.grid_n", self.grid_n, GRID_N)
        _number("view.grid_range", self.grid_range, GRID_RANGE)
        _flag("view.grid_fit", self.grid_fit)


@dataclass(frozen=True)
class LatentPoints:
    """Where each model's latent point ⊕ is (z₁, z₂)."""

    vae: tuple[float, float] = (0.0, 0.0)
    ae: tuple[float, float] = (0.0, 0.0)

    def of(self, role: str) -> tuple[float, float]:
        return getattr(self, role)

    def validate(self) -> None:
        for role in ROLES:
            point = self.of(role)
            if not isinstance(point, tuple) or len(point) != 2:
                raise ValueError(f"points.{role} must be two numbers [z1, z2]")
            for value in point:
                _number(f"points.{role}", value, (-MAX_COORDINATE, MAX_COORDINATE))


@dataclass(frozen=True)
class Checkpoints:
    """The checkpoint file each model slot was loaded from (None: a shipped, quick or trained model)."""

    vae: str | None = None
    ae: str | None = None

    def of(self, role: str) -> str | None:
        return getattr(self, role)

    def files(self) -> dict[str, str]:
        """The slots that name a file."""
        return {role: self.of(role) for role in ROLES if self.of(role)}

    def validate(self) -> None:
        for role in ROLES:
            path = self.of(role)
            if not (path is None or isinstance(path, str)):
                raise ValueError(f"checkpoints.{role} must be a file name or null")


@dataclass(frozen=True)
class LatentState:
    """Every user choice of the latent dock (see the module notes)."""

    data: DataSource = field(default_factory=DataSource)
    model: ModelChoice = field(default_factory=ModelChoice)
    train: TrainSettings = field(default_factory=TrainSettings)
    view: ViewSettings = field(default_factory=ViewSettings)
    points: LatentPoints = field(default_factory=LatentPoints)
    checkpoints: Checkpoints = field(default_factory=Checkpoints)
    picks: tuple[int, ...] = ()  # data set indices of A and B (drawings are not part of a state)

    def validate(self, data_size: int | None = None) -> None:
        """Raise ``ValueError`` naming the first problem; ``data_size``: the images of ``data`` when
        known (pick indices must be below it)."""
        if not isinstance(self.data, DataSource):
            raise ValueError("data must be a data source")
        self.model.validate()
        self.train.validate()
        self.view.validate()
        self.points.validate()
        self.checkpoints.validate()
        size = MAX_IMAGES if data_size is None else min(int(data_size), MAX_IMAGES)
        if not isinstance(self.picks, tuple) or len(self.picks) > MAX_PICKS:
            raise ValueError("picks must be a list of at most two image indices")
        for index in self.picks:
            if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < size:
                raise ValueError(f"picks must be image indices from 0 to {size - 1}, got {index!r}")

    def check_files(self) -> None:
        """Raise ``ValueError`` if a data or checkpoint file the state names does not exist."""
        missing = self.data.missing_files()
        if missing:
            raise ValueError(f"the data file {missing[0]} does not exist")
        for path in self.checkpoints.files().values():
            if not Path(path).is_file():
                raise ValueError(f"the checkpoint file {path} does not exist")

    def with_point(self, role: str, x: float, y: float) -> LatentState:
        return replace(self, points=replace(self.points, **{role: (float(x), float(y))}))

    def with_checkpoint(self, role: str, path: str | None) -> LatentState:
        return replace(self, checkpoints=replace(self.checkpoints, **{role: path}))


# ----- JSON ---------------------------------------------------------------------------------------------
def state_to_json(state: LatentState) -> dict:
    """The state as JSON-ready values (with its ``version``)."""
    m, t, v = state.model, state.train, state.view
    return {
        "version": STATE_VERSION,
        "data": state.data.to_dict(),
        "model": {"kind": m.kind, "latent_dim": m.latent_dim, "beta": m.beta},
        "train": {"lr": t.lr, "batch_size": t.batch_size, "epochs": t.epochs, "fresh": t.fresh},
        "view": {"mode": v.mode, "manifold": v.manifold, "grid_n": v.grid_n, "grid_range": v.grid_range,
                 "grid_fit": v.grid_fit},
        "points": {role: list(state.points.of(role)) for role in ROLES},
        "checkpoints": {role: state.checkpoints.of(role) for role in ROLES},
        "picks": list(state.picks),
    }


def _from_v1(raw: dict) -> dict:
    """Version 1 kept the training settings (lr, batch_size, epochs) in 'model'."""
    model = raw.get("model", {})
    if not isinstance(model, dict):
        return {**raw, "version": 2}  # state_from_json names the problem
    train = {key: model[key] for key in ("lr", "batch_size", "epochs") if key in model}
    kept = {key: value for key, value in model.items() if key not in train}
    return {**raw, "version": 2, "model": kept, "train": train}


MIGRATIONS: Migrations = {1: _from_v1}  # from version → to version + 1


def migrate(raw: Any) -> dict:
    """Upgrade a state written by an older vaeviz to :data:`STATE_VERSION` (the dict is not changed)."""
    return upgrade(raw, "VAE latent", STATE_VERSION, MIGRATIONS)


def _known(part: dict, section: str, names: tuple[str, ...]) -> dict:
    unknown = sorted(set(part) - set(names))
    if unknown:
        raise ValueError(f"{section}.{unknown[0]} is not a setting of the VAE lab")
    return part


def _point(role: str, value: object) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) != 2:
        raise ValueError(f"points.{role} must be two numbers [z1, z2]")
    for v in value:
        _number(f"points.{role}", v, (-MAX_COORDINATE, MAX_COORDINATE))
    return float(value[0]), float(value[1])


def _numbers(part: dict, reals: tuple[str, ...]) -> dict:
    """A copy of ``part`` with JSON's numbers in the types the state holds: whole floats (``9.0``)
    become ints, the ``reals`` become floats (other values are left for ``validate`` to name)."""
    out = {}
    for name, value in part.items():
        if _is_number(value) and name in reals:
            value = float(value)
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        out[name] = value
    return out


def state_from_json(raw: Any) -> LatentState:
    """Read (and validate) a state written by :func:`state_to_json`, of this or an older version.

    Missing entries take their defaults. Files are not looked at: see :meth:`LatentState.check_files`.
    """
    raw = migrate(raw)
    model = _known(json_part(raw, "model"), "model", ("kind", "latent_dim", "beta"))
    train = _known(json_part(raw, "train"), "train", ("lr", "batch_size", "epochs", "fresh"))
    view = _known(json_part(raw, "view"), "view", ("mode", "manifold", "grid_n", "grid_range", "grid_fit"))
    points = json_part(raw, "points")
    checkpoints = json_part(raw, "checkpoints")
    for section, part in (("points", points), ("checkpoints", checkpoints)):
        for role in part:
            if role not in ROLES:
                raise ValueError(f"{section} must map 'vae'/'ae', not {role!r}")
    picks = raw.get("picks", [])
    if not isinstance(picks, list):
        raise ValueError("picks must be a list of at most two image indices")
    model, train, view = _numbers(model, ("beta",)), _numbers(train, ("lr",)), _numbers(view, ("grid_range",))
    state = LatentState(
        data=DataSource.from_dict(raw["data"]) if "data" in raw else DataSource(),
        model=ModelChoice(**model),
        train=TrainSettings(**train),
        view=ViewSettings(**view),
        points=LatentPoints(**{role: _point(role, value) for role, value in points.items()}),
        checkpoints=Checkpoints(**checkpoints),
        picks=tuple(picks),
    )
    state.validate()
    return state
