"""The lab's part of a session file: settings, display options, the data and the shown mixture.

The history of half-steps is not saved (it can be recomputed); the mixture on screen is, and comes back
as a "restored" frame from which EM continues. Data sets above :data:`MAX_SAVED_POINTS` are left out
(a JSON file of a million points would be ~40 MB); the state then says how many points there were.
"""

from __future__ import annotations

import math

import numpy as np

from vaeviz.core.data.pointset import check_labels, check_points
from vaeviz.core.em.choices import LECTURE_WEIGHTS
from vaeviz.core.em.gmm import GaussianMixture
from vaeviz.core.em.lab import LabSettings, evaluate_job
from vaeviz.core.jobs import run_to_end

MAX_SAVED_POINTS = 200_000
INLINE_EVALUATION = 20_000  # N·K up to which a restored mixture is evaluated in the GUI thread (~3 ms)
SHOW_KEYS = ("heatmap", "contours", "kmeans", "complete")
TOOLS = ("select", "add", "spray", "erase")


def lab_state(lab) -> dict:
    s = lab.side
    st = lab.settings()
    frame = lab.runner.frame
    points = lab.points.points
    labels = lab.points.labels
    state = {
        "mode": lab.mode,
        "settings": {"k": st.k, "covariance_type": st.covariance_type, "init": st.init, "seed": st.seed,
                     "floor": st.floor, "reg": st.reg},
        "show": {key: getattr(s, key).isChecked() for key in SHOW_KEYS},
        "tool": next(name for name, b in s.tools.items() if b.isChecked()),
        "oned": {"weights": s.weights_1d.currentData(), "means": [w.value() for w in s.means_1d],
                 "sigmas": [w.value() for w in s.sigmas_1d]},
        "mixture": None,
        "iteration": 0,
    }
    if len(points) <= MAX_SAVED_POINTS:
        state["data"] = {"points": points.tolist(), "labels": None if labels is None else labels.tolist()}
    else:
        state["data_omitted"] = len(points)
    if frame is not None:
        g = frame.gmm
        state["mixture"] = {"weights": g.weights.tolist(), "means": g.means.tolist(),
                            "covariances": g.covariances.tolist(), "covariance_type": g.covariance_type}
        state["iteration"] = int(frame.em.iteration)
    return state


def _mixture(raw) -> GaussianMixture | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ValueError("'mixture' must be an object")
    try:
        return GaussianMixture(raw["weights"], raw["means"], raw["covariances"], raw.get("covariance_type", "full"))
    except KeyError as exc:
        raise ValueError(f"the mixture has no {exc.args[0]!r}") from None


def validate_lab_state(state: dict) -> None:
    """Raise ValueError saying what is wrong; accept what :func:`lab_state` writes."""
    if state.get("mode", "2d") not in ("2d", "1d"):
        raise ValueError(f"unknown mode {state.get('mode')!r}")
    raw = state.get("settings", {})
    if not isinstance(raw, dict):
        raise ValueError("'settings' must be an object")
    settings = LabSettings(**{k: raw[k] for k in ("k", "covariance_type", "init", "seed", "floor", "reg") if k in raw})
    if not isinstance(settings.k, int) or not 1 <= settings.k <= 30:
        raise ValueError(f"K must be a whole number from 1 to 30, got {settings.k!r}")
    if state.get("tool", "select") not in TOOLS:
        raise ValueError(f"unknown tool {state.get('tool')!r}")
    data = state.get("data")
    if data is not None:
        points = check_points(data.get("points", []), what="data points")
        check_labels(data.get("labels"), len(points))
    gmm = _mixture(state.get("mixture"))
    if gmm is not None and (gmm.n_features != 2 or gmm.n_components != settings.k):
        raise ValueError(f"the mixture must be 2-D with K={settings.k} components")
    oned = state.get("oned", {})
    if oned.get("weights", "equal") not in LECTURE_WEIGHTS:
        raise ValueError(f"unknown 1-D weights {oned.get('weights')!r}")
    for key, low in (("means", -30.0), ("sigmas", 0.2)):
        values = oned.get(key, [0.0, 0.0] if key == "means" else [1.0, 1.0])
        if len(values) != 2 or not all(isinstance(v, (int, float)) and math.isfinite(v) and v >= low
                                       for v in values):
            raise ValueError(f"1-D {key} must be two finite numbers ≥ {low}")


def restore_lab_state(lab, state: dict) -> None:
    s = lab.side
    raw = state.get("settings", {})
    with lab.quiet():
        s.k.setValue(int(raw.get("k", 3)))
        s.cov_type.setCurrentIndex(s.cov_type.findData(raw.get("covariance_type", "full")))
        s.init.setCurrentIndex(s.init.findData(raw.get("init", "kmeans++")))
        s.seed.setValue(int(raw.get("seed", 0)))
        s.floor.setChecked(bool(raw.get("floor", True)))
        index = s.reg.findData(float(raw.get("reg", 1e-6)))
        if index < 0:
            s.reg.addItem(f"{float(raw['reg']):g}", float(raw["reg"]))
            index = s.reg.count() - 1
        s.reg.setCurrentIndex(index)
    for key, on in state.get("show", {}).items():
        if key in SHOW_KEYS:
            getattr(s, key).setChecked(bool(on))
    lab.set_tool(state.get("tool", "select"))
    oned = state.get("oned", {})
    lab.set_oned(oned.get("weights", "equal"), oned.get("means", [-10.0, 10.0]), oned.get("sigmas", [5.0, 5.0]))
    lab.clear_problem()
    data = state.get("data")
    if data is not None:
        lab.points.replace(np.asarray(data["points"], dtype=np.float64).reshape(-1, 2), data.get("labels"),
                           text="open session")
        lab.points.clear_history()
    else:
        lab.refresh_data()
    lab.set_mode(state.get("mode", "2d"))
    gmm = _mixture(state.get("mixture"))
    if gmm is not None and lab.data is not None and lab.data.n >= gmm.n_components:
        job = evaluate_job(lab.data, gmm, None, "restored", int(state.get("iteration", 1)))
        if lab.data.n * gmm.n_components <= INLINE_EVALUATION:
            # Small: evaluate now (< 5 ms), so the dock's state() right after loading is the loaded one.
            lab.runner.replace_with(run_to_end(job))
        else:
            lab.controller.request("eval", job, lab.runner.replace_with)
