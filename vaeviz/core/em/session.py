"""The GMM & EM dock's part of a session file, Qt-free: the lab state, the data and the shown mixture.

A session keeps the :class:`~vaeviz.core.em.state.EmLabState` (flat, see :func:`state_to_json`) and beside
it the points with their labels, the mixture on screen and its iteration. The history of half-steps is
not saved (it can be recomputed); the mixture comes back as a "restored" frame from which EM continues.
Data sets above :data:`MAX_SAVED_POINTS` are left out (a JSON file of a million points would be ~40 MB);
the file then says how many points there were.

:func:`session_from_json` reads and checks everything into an :class:`EmSession` before the dock changes
anything, so a bad file is refused whole.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vaeviz.core.data.pointset import MAX_POINTS, check_labels, check_points
from vaeviz.core.em.gmm import GaussianMixture
from vaeviz.core.em.state import EmLabState, migrate, state_from_json, state_to_json
from vaeviz.core.limits import MAX_COORDINATE, quote, reason

MAX_SAVED_POINTS = 200_000
MAX_ITERATION = 1_000_000


@dataclass(frozen=True, eq=False)
class EmSession:
    """A checked session of the dock: apply it with the lab's ``apply_state``, then the data and mixture.

    ``points`` is None when the file holds no data (then the current points stay).
    """

    state: EmLabState
    points: np.ndarray | None = None
    labels: np.ndarray | None = None
    mixture: GaussianMixture | None = None
    iteration: int = 0


def session_to_json(state: EmLabState, points: np.ndarray, labels: np.ndarray | None,
                    mixture: GaussianMixture | None, iteration: int) -> dict:
    """The dock's session JSON: the state's entries, the data (unless too large) and the mixture."""
    out = {**state_to_json(state), "mixture": None, "iteration": int(iteration)}
    if len(points) <= MAX_SAVED_POINTS:
        out["data"] = {"points": points.tolist(), "labels": None if labels is None else labels.tolist()}
    else:
        out["data_omitted"] = len(points)
    if mixture is not None:
        out["mixture"] = {"weights": mixture.weights.tolist(), "means": mixture.means.tolist(),
                          "covariances": mixture.covariances.tolist(),
                          "covariance_type": mixture.covariance_type}
    return out


def _mixture(raw: object) -> GaussianMixture | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ValueError("'mixture' must be an object")
    try:
        gmm = GaussianMixture(raw["weights"], raw["means"], raw["covariances"],
                              raw.get("covariance_type", "full"))
    except KeyError as exc:
        raise ValueError(f"the mixture has no {quote(str(exc.args[0]))}") from None
    except TypeError as exc:
        raise ValueError(f"the mixture is not made of numbers ({reason(exc, 80)})") from None
    # Within the range data points may have, so every distance and density computed from it is finite.
    scale = np.sqrt(np.abs(gmm.covariances)).max() if gmm.covariances.size else 0.0
    if not np.isfinite(gmm.means).all() or np.abs(gmm.means).max() > MAX_COORDINATE \
            or not np.isfinite(gmm.covariances).all() or scale > MAX_COORDINATE:
        raise ValueError(f"the mixture's means and spreads must lie within ±{MAX_COORDINATE:g}")
    return gmm


def _data(raw: object) -> tuple[np.ndarray | None, np.ndarray | None]:
    if raw is None:
        return None, None
    if not isinstance(raw, dict):
        raise ValueError("'data' must be an object")
    listed = raw.get("points", [])
    if isinstance(listed, list) and len(listed) > MAX_POINTS:  # checked before a copy is made
        raise ValueError(f"the session holds {len(listed):,} points; the limit is {MAX_POINTS:,}")
    points = check_points(listed, what="data points")
    return points, check_labels(raw.get("labels"), len(points))


def session_from_json(raw: dict) -> EmSession:
    """Read and check the dock's session JSON of any known version; raise ValueError saying what is wrong."""
    raw = migrate(raw)
    state = state_from_json(raw)
    points, labels = _data(raw.get("data"))
    gmm = _mixture(raw.get("mixture"))
    k = state.model.k
    if gmm is not None and (gmm.n_features != 2 or gmm.n_components != k):
        raise ValueError(f"the mixture must be 2-D with K={k} components")
    iteration = raw.get("iteration", 1)  # (version 1 wrote it with every mixture)
    if not isinstance(iteration, int) or isinstance(iteration, bool) or not 0 <= iteration <= MAX_ITERATION:
        raise ValueError(f"the iteration must be a whole number from 0 to {MAX_ITERATION:,}")
    return EmSession(state, points, labels, gmm, iteration)
