"""The GMM & EM lab state, its JSON with the migration hook, the session reader and the presets as data."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from vaeviz.core.em.choices import COVARIANCE_TYPES
from vaeviz.core.em.gmm import COVARIANCE_TYPES as GMM_COVARIANCE_TYPES
from vaeviz.core.em.presets import EM_PRESETS, FOLLOW_UPS
from vaeviz.core.em.session import session_from_json, session_to_json
from vaeviz.core.em.state import (
    STATE_VERSION,
    DataChoice,
    Display,
    EmLabState,
    LabSettings,
    OneD,
    migrate,
    state_from_json,
    state_to_json,
)

OLD_SESSION = Path(__file__).parents[2] / "ui" / "old_sessions" / "em-v1.vaeviz"


def _odd_state() -> EmLabState:
    model = LabSettings(k=5, covariance_type="tied", init="random", seed=42, floor=False, reg=1e-3)
    return EmLabState(mode="1d", data=DataChoice("anisotropic", 1234), model=model,
                      display=Display(heatmap=True, contours=True, kmeans=False, complete=False),
                      tool="erase", align=True, oned=OneD("unequal", (-3.5, 7.0), (1.25, 2.0)))


def test_the_choices_are_the_maths_choices():
    assert COVARIANCE_TYPES is GMM_COVARIANCE_TYPES


def test_state_json_round_trip():
    state = _odd_state()
    raw = json.loads(json.dumps(state_to_json(state)))
    assert raw["version"] == STATE_VERSION == 2
    assert state_from_json(raw) == state
    assert state_from_json(state_to_json(EmLabState())) == EmLabState()


def test_a_version_1_dict_is_migrated():
    raw = json.loads(OLD_SESSION.read_text(encoding="utf-8"))["docks"]["em"]
    assert raw["version"] == 1
    upgraded = migrate(raw)
    assert upgraded["version"] == 2 and raw["version"] == 1  # the input is left as it was
    state = state_from_json(raw)
    assert state.model == LabSettings(k=4, covariance_type="diag", seed=7)
    assert state.display.heatmap and state.tool == "spray" and state.mode == "2d"
    assert state.data == DataChoice() and state.align is False  # not in version 1: the defaults
    assert state_from_json({"version": 1}) == EmLabState()  # what the base dock class wrote
    assert state_from_json({}) == EmLabState()  # no version at all: version 1


def test_the_whole_v1_session_is_read():
    raw = json.loads(OLD_SESSION.read_text(encoding="utf-8"))["docks"]["em"]
    session = session_from_json(raw)
    assert session.points.shape == (150, 2) and session.labels.shape == (150,)
    assert session.mixture.n_components == 4 and session.mixture.covariance_type == "diag"
    assert session.iteration == 3


def test_session_json_round_trip():
    rng = np.random.default_rng(0)
    points = rng.normal(size=(30, 2))
    state = dataclasses.replace(EmLabState(), model=LabSettings(k=2))
    session = session_from_json(json.loads(json.dumps(session_to_json(state, points, None, None, 0))))
    assert session.state == state and np.array_equal(session.points, points) and session.labels is None
    assert session.mixture is None and session.iteration == 0


@pytest.mark.parametrize("change, message", [
    (lambda s: s["settings"].update(k=0), "K must be a whole number from 1 to 30"),
    (lambda s: s["settings"].update(k=3.5), "K must"),
    (lambda s: s["settings"].update(k=True), "K must"),
    (lambda s: s["settings"].update(seed=True), "the seed must be a whole number"),
    (lambda s: s["settings"].update(seed=10_000), "from 0 to 9999"),
    (lambda s: s["settings"].update(reg=True), "covariance floor"),
    (lambda s: s["settings"].update(reg=5.0), "at most 1"),
    (lambda s: s["settings"].update(floor="yes"), "floor switch must be true or false"),
    (lambda s: s["settings"].update(covariance_type="round"), "covariance type"),
    (lambda s: s["data_preset"].update(name="spirals"), "unknown data preset 'spirals'"),
    (lambda s: s["data_preset"].update(n=10**9), "N must be a whole number from 1 to 1000000"),
    (lambda s: s["show"].update(heatmap=1), "show heatmap must be true or false"),
    (lambda s: s.update(mode="3d"), "unknown mode"),
    (lambda s: s.update(tool="lasso"), "unknown tool"),
    (lambda s: s.update(align="no"), "align"),
    (lambda s: s["oned"].update(means=[0, 1e9]), "1-D means must be two numbers from -30 to 30"),
    (lambda s: s["oned"].update(sigmas=[1.0]), "1-D sigmas"),
    (lambda s: s["oned"].update(weights="heavy"), "unknown 1-D weights"),
    (lambda s: s.update(settings=[]), "'settings' must be an object"),
    (lambda s: s.update(version=99), "newer"),
])
def test_bad_states_are_refused_with_a_short_message(change, message):
    raw = json.loads(json.dumps(state_to_json(EmLabState())))
    change(raw)
    with pytest.raises(ValueError, match=message):
        state_from_json(raw)


def test_validate_refuses_what_a_widget_could_not_show():
    with pytest.raises(ValueError, match="K must"):
        EmLabState(model=LabSettings(k=31)).validate()
    with pytest.raises(ValueError, match="seed"):
        EmLabState(model=LabSettings(seed=-1)).validate()
    EmLabState().validate()


def test_bad_session_data_is_refused():
    raw = session_to_json(EmLabState(), np.zeros((4, 2)), None, None, 0)
    raw["mixture"] = {"weights": [1.0], "means": [[0.0, 0.0]], "covariances": [[[1.0, 0.0], [0.0, 1.0]]]}
    with pytest.raises(ValueError, match="K=3"):
        session_from_json(raw)
    raw["mixture"] = None
    raw["iteration"] = -2
    with pytest.raises(ValueError, match="iteration"):
        session_from_json(raw)


def test_presets_are_valid_states_with_known_follow_ups():
    names = [p.name for p in EM_PRESETS]
    assert names == ["overview", "lecture-1d-two-gaussians", "lecture-1d-unequal-weights", "kmeans-vs-gmm",
                     "marginal-vs-complete", "label-switching", "label-switching-aligned", "singularity",
                     "singularity-floor", "data-blobs", "data-anisotropic", "data-overlapping",
                     "data-varied-sizes"]
    for preset in EM_PRESETS:
        preset.state.validate()
        assert preset.follow_up is None or preset.follow_up in FOLLOW_UPS
    singular = next(p for p in EM_PRESETS if p.name == "singularity")
    assert singular.state.model.floor is False and singular.state.data.preset == "single point stack"


def test_the_presets_module_imports_neither_numpy_nor_qt():
    code = ("import sys; import vaeviz.core.em.presets; "
            "print(sorted(m for m in ('numpy', 'PySide6') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
