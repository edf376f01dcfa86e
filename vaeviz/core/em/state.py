"""The GMM & EM lab's state, Qt-free: every choice the user can make in the dock, versioned JSON.

:class:`EmLabState` is the single source of truth of the dock: its widgets show it and turn edits into
new states (``dataclasses.replace``), and presets, sessions, the export CLI and the self-check all apply
one. :meth:`EmLabState.validate` says in a short sentence what is wrong, before anything changes.

The JSON of a state is flat (``mode``, ``data_preset``, ``settings``, ``show``, ``tool``, ``align``,
``oned``) so a session can keep its data and mixture beside it (:mod:`vaeviz.core.em.session`).
:func:`state_from_json` first upgrades older versions with :func:`migrate`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from vaeviz.core.em.choices import (
    COVARIANCE_TYPES,
    INIT_METHODS,
    LECTURE_MEANS,
    LECTURE_SIGMAS,
    LECTURE_WEIGHTS,
    MODES,
    TOOLS,
)
from vaeviz.core.state_versions import Migrations, json_part, upgrade

STATE_VERSION = 2
MAX_K = 30  # the K spin box's range (above 20 the lab explains why not)
MAX_SEED = 9999  # the seed spin box's range
MAX_POINTS = 1_000_000  # the N spin box's range
MAX_REG = 1.0  # the covariance floor's bound (the offered floors go up to 0.1)
ONED_MEAN_RANGE = (-30.0, 30.0)  # the 1-D spin boxes' ranges
ONED_SIGMA_RANGE = (0.2, 20.0)


def _is_number(value: object) -> bool:
    """A real number, not a bool (JSON's true would otherwise pass as 1)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _whole(value: object, low: int, high: int, what: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError(f"{what} must be a whole number from {low} to {high}, got {value!r}")


def _flag(value: object, what: str) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"{what} must be true or false, got {value!r}")


@dataclass(frozen=True)
class LabSettings:
    """The model the user chose: K, covariance family, initialisation, seed and covariance floor."""

    k: int = 3
    covariance_type: str = "full"
    init: str = "kmeans++"
    seed: int = 0
    floor: bool = True
    reg: float = 1e-6

    def __post_init__(self) -> None:
        if self.covariance_type not in COVARIANCE_TYPES:
            raise ValueError(f"covariance type must be one of {', '.join(COVARIANCE_TYPES)}")
        if self.init not in INIT_METHODS:
            raise ValueError(f"init must be one of {', '.join(INIT_METHODS)}")
        if not (_is_number(self.reg) and math.isfinite(self.reg) and self.reg > 0):
            raise ValueError(f"the covariance floor must be a number > 0, got {self.reg!r}")

    def validate(self) -> None:
        """Raise ValueError if a field is out of the dock's range (the constructor checks the choices)."""
        _whole(self.k, 1, MAX_K, "K")
        _whole(self.seed, 0, MAX_SEED, "the seed")
        _flag(self.floor, "the floor switch")
        if self.reg > MAX_REG:
            raise ValueError(f"the covariance floor must be at most {MAX_REG:g}, got {self.reg!r}")

    @property
    def reg_value(self) -> float:
        """The floor EM uses: 0 when switched off (components may then collapse)."""
        return float(self.reg) if self.floor else 0.0

    def same_model(self, other: LabSettings) -> bool:
        """Whether ``other`` starts EM the same way (it may differ in the floor only)."""
        return (self.k, self.covariance_type, self.init, self.seed) == (
            other.k, other.covariance_type, other.init, other.seed)


@dataclass(frozen=True)
class DataChoice:
    """The data preset and size the Load button samples (the points themselves are the shared PointSet)."""

    preset: str = "blobs"
    n: int = 600

    def validate(self) -> None:
        from vaeviz.core.data.pointset_presets import PRESETS  # numpy: only when a state is checked

        if self.preset not in PRESETS:
            raise ValueError(f"unknown data preset {self.preset!r}")
        _whole(self.n, 1, MAX_POINTS, "N")


@dataclass(frozen=True)
class Display:
    """What the figure shows besides the mixture."""

    heatmap: bool = False
    contours: bool = False
    kmeans: bool = True  # k-means side by side
    complete: bool = True  # the complete-data log-likelihood curve

    def validate(self) -> None:
        for name in ("heatmap", "contours", "kmeans", "complete"):
            _flag(getattr(self, name), f"show {name}")


@dataclass(frozen=True)
class OneD:
    """The lecture's 1-D mixture page: the weights' key, two means and two standard deviations."""

    weights: str = "equal"
    means: tuple[float, float] = LECTURE_MEANS
    sigmas: tuple[float, float] = LECTURE_SIGMAS

    def validate(self) -> None:
        if self.weights not in LECTURE_WEIGHTS:
            raise ValueError(f"unknown 1-D weights {self.weights!r}")
        for what, values, (low, high) in (("means", self.means, ONED_MEAN_RANGE),
                                          ("sigmas", self.sigmas, ONED_SIGMA_RANGE)):
            ok = isinstance(values, tuple) and len(values) == 2 and all(
                _is_number(v) and math.isfinite(v) and low <= v <= high for v in values)
            if not ok:
                raise ValueError(f"1-D {what} must be two numbers from {low:g} to {high:g}")

    @property
    def weight_values(self) -> tuple[float, float]:
        return LECTURE_WEIGHTS[self.weights]


@dataclass(frozen=True)
class EmLabState:
    """Every user-settable choice of the GMM & EM dock."""

    mode: str = "2d"
    data: DataChoice = field(default_factory=DataChoice)
    model: LabSettings = field(default_factory=LabSettings)
    display: Display = field(default_factory=Display)
    tool: str = "select"
    align: bool = False  # align the seed runs to the shown fit
    oned: OneD = field(default_factory=OneD)

    def validate(self) -> None:
        """Raise ValueError with a short message for the user if the state cannot be shown."""
        if self.mode not in MODES:
            raise ValueError(f"unknown mode {self.mode!r}")
        if self.tool not in TOOLS:
            raise ValueError(f"unknown tool {self.tool!r}")
        _flag(self.align, "'align the runs'")
        self.data.validate()
        self.model.validate()
        self.display.validate()
        self.oned.validate()


# ----- JSON ---------------------------------------------------------------------------------------------
def state_to_json(state: EmLabState) -> dict:
    """The state as JSON-ready values (with its ``version``)."""
    m, d, o = state.model, state.display, state.oned
    return {
        "version": STATE_VERSION,
        "mode": state.mode,
        "data_preset": {"name": state.data.preset, "n": state.data.n},
        "settings": {"k": m.k, "covariance_type": m.covariance_type, "init": m.init, "seed": m.seed,
                     "floor": m.floor, "reg": m.reg},
        "show": {"heatmap": d.heatmap, "contours": d.contours, "kmeans": d.kmeans, "complete": d.complete},
        "tool": state.tool,
        "align": state.align,
        "oned": {"weights": o.weights, "means": list(o.means), "sigmas": list(o.sigmas)},
    }


def _from_v1(raw: dict) -> dict:
    """Version 1 (and files without a version) had no data preset choice and no 'align the runs'."""
    return {**raw, "version": 2}


MIGRATIONS: Migrations = {1: _from_v1}  # from version → to version + 1


def migrate(raw: dict) -> dict:
    """Upgrade a state written by an older vaeviz to :data:`STATE_VERSION` (the dict is not changed)."""
    return upgrade(raw, "GMM & EM", STATE_VERSION, MIGRATIONS)


def _pair(values: object, what: str) -> tuple:
    if not isinstance(values, list) or len(values) != 2:
        raise ValueError(f"1-D {what} must be two numbers")
    return tuple(values)


def state_from_json(raw: dict) -> EmLabState:
    """Read (and validate) a state written by :func:`state_to_json`, of this or an older version.

    Missing entries take their defaults; keys other than the state's (a session's data) are ignored.
    """
    raw = migrate(raw)
    if raw.get("mode", "2d") not in MODES:
        raise ValueError(f"unknown mode {raw.get('mode')!r}")
    data, settings, show, oned = (json_part(raw, key) for key in ("data_preset", "settings", "show", "oned"))
    known = ("k", "covariance_type", "init", "seed", "floor", "reg")
    try:
        state = EmLabState(
            mode=raw.get("mode", "2d"),
            data=DataChoice(data.get("name", "blobs"), data.get("n", 600)),
            model=LabSettings(**{key: settings[key] for key in known if key in settings}),
            display=Display(**{key: show[key] for key in ("heatmap", "contours", "kmeans", "complete")
                               if key in show}),
            tool=raw.get("tool", "select"),
            align=raw.get("align", False),
            oned=OneD(oned.get("weights", "equal"), _pair(oned.get("means", list(LECTURE_MEANS)), "means"),
                      _pair(oned.get("sigmas", list(LECTURE_SIGMAS)), "sigmas")),
        )
    except TypeError as exc:  # e.g. a string where a number belongs, compared in a check
        raise ValueError(f"a setting has the wrong type ({exc})") from None
    state.validate()
    return state
