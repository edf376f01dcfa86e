"""The latent dock's session state: its JSON shape and the checks run before anything is changed.

A state names the data set and checkpoint files rather than holding weights: restoring reloads them.
Models trained in the session and never saved come back as the shipped (or a quick) model.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from vaeviz.core.vae.lab_data import DataSource
from vaeviz.core.vae.lab_types import MODEL_KINDS, ROLES

VIEW_MODES = ("vae", "ae", "both")
MANIFOLDS = ("off", "underlay", "grid")

# name -> (type, low, high) for the numbers of the "model" and "view" parts
MODEL_FIELDS = {"latent_dim": (int, 2, 32), "beta": (float, 0.0, 8.0), "lr": (float, 1e-5, 10.0),
                "batch_size": (int, 8, 4096), "epochs": (int, 1, 500)}
VIEW_FIELDS = {"grid_n": (int, 3, 30), "grid_range": (float, 0.5, 50.0)}


def _number(section: str, name: str, value: Any, kind: type, low: float, high: float) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is int:
        ok = ok and float(value).is_integer()
    if not ok or not math.isfinite(value) or not low <= value <= high:
        raise ValueError(f"{section}.{name} must be a number from {low:g} to {high:g}, got {value!r}")


def _dict(state: dict, key: str) -> dict:
    value = state.get(key, {})
    if not isinstance(value, dict):
        raise ValueError(f"'{key}' must be an object")
    return value


def validate(state: dict) -> None:
    """Raise ``ValueError`` naming the first problem of a latent-dock state (files included)."""
    source = DataSource.from_dict(state.get("data", {"kind": "shapes"}))
    missing = source.missing_files()
    if missing:
        raise ValueError(f"the data file {missing[0]} does not exist")
    model = _dict(state, "model")
    if model.get("kind", "mlp-vae") not in MODEL_KINDS:
        raise ValueError(f"model.kind must be one of {', '.join(MODEL_KINDS)}")
    for name, (kind, low, high) in MODEL_FIELDS.items():
        if name in model:
            _number("model", name, model[name], kind, low, high)
    view = _dict(state, "view")
    if view.get("mode", "vae") not in VIEW_MODES:
        raise ValueError(f"view.mode must be one of {', '.join(VIEW_MODES)}")
    if view.get("manifold", "off") not in MANIFOLDS:
        raise ValueError(f"view.manifold must be one of {', '.join(MANIFOLDS)}")
    for name, (kind, low, high) in VIEW_FIELDS.items():
        if name in view:
            _number("view", name, view[name], kind, low, high)
    for role, path in _dict(state, "checkpoints").items():
        if role not in ROLES or not (path is None or isinstance(path, str)):
            raise ValueError("checkpoints must map 'vae'/'ae' to a file name or null")
        if path and not Path(path).is_file():
            raise ValueError(f"the checkpoint file {path} does not exist")
    for role, point in _dict(state, "points").items():
        if role not in ROLES or not isinstance(point, list) or len(point) != 2:
            raise ValueError("points must map 'vae'/'ae' to [z1, z2]")
        for v in point:
            _number("points", role, v, float, -1e6, 1e6)
    picks = state.get("picks", [])
    if not isinstance(picks, list) or len(picks) > 2 or not all(
            isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in picks):
        raise ValueError("picks must be a list of at most two image indices")
