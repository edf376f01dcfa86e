"""The GMM & EM dock's state as the single source of truth: widgets ↔ state, apply_state's reactions,
presets and old sessions applied as states, and the asynchronous self-check (inline and in the worker)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from dock_checks import run_self_check
from em_helpers import make_dock

import vaeviz.core.em.lab as core_lab
from vaeviz.core.em.presets import EM_PRESETS
from vaeviz.core.em.state import STATE_VERSION, Display, EmLabState, LabSettings, OneD
from vaeviz.ui.em.dock import EmDock
from vaeviz.ui.em.self_check import CHECK_STATE

OLD_SESSION = Path(__file__).parents[1] / "old_sessions" / "em-v1.vaeviz"


@pytest.fixture
def dock(qtbot):
    d = make_dock(qtbot)
    yield d
    d.shutdown()


class Calls:
    """Counts calls of an object's method (still calling it)."""

    def __init__(self, monkeypatch, obj, name: str) -> None:
        self.count = 0
        original = getattr(obj, name)

        def counted(*args, **kwargs):
            self.count += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(obj, name, counted)


def test_widget_edits_make_new_states(dock):
    lab = dock.lab
    lab.side.k.setValue(5)
    assert lab.state.model.k == 5 and lab.runner.frame.gmm.n_components == 5
    lab.side.cov_type.setCurrentIndex(lab.side.cov_type.findData("spherical"))
    lab.side.heatmap.setChecked(True)
    lab.side.tools["erase"].setChecked(True)
    lab.side.means_1d[1].setValue(4.5)
    lab.side.data_preset.setCurrentIndex(lab.side.data_preset.findData("overlapping"))
    assert lab.state.model.covariance_type == "spherical" and lab.state.display.heatmap
    assert lab.state.tool == "erase" and lab.figure.em_view.box.tool == "erase"
    assert lab.state.oned.means == (-10.0, 4.5) and lab.state.data.preset == "overlapping"
    assert lab.settings() is lab.state.model


def test_apply_state_shows_the_state_in_the_widgets(dock):
    lab = dock.lab
    model = LabSettings(k=7, covariance_type="diag", seed=12, floor=False, reg=1e-3)
    state = EmLabState(mode="1d", model=model,
                       display=Display(heatmap=True, kmeans=False), tool="spray", align=True,
                       oned=OneD("unequal", (-2.0, 3.0), (1.0, 2.5)))
    lab.apply_state(state)
    s = lab.side
    shown = (s.k.value(), s.cov_type.currentData(), s.seed.value(), s.floor.isChecked())
    assert shown == (7, "diag", 12, False)
    assert s.reg.currentData() == 1e-3 and s.heatmap.isChecked() and not s.kmeans.isChecked()
    assert s.tools["spray"].isChecked() and s.align.isChecked() and s.mode.currentData() == "1d"
    assert [w.value() for w in s.means_1d] == [-2.0, 3.0] and s.weights_1d.currentData() == "unequal"
    assert lab.figure.currentWidget() is lab.figure.oned and lab.figure.side_kind is None
    assert lab.state == state


def test_apply_state_reacts_only_to_what_changed(dock, monkeypatch):
    lab = dock.lab
    restarts = Calls(monkeypatch, lab.runner, "restart")
    floors = Calls(monkeypatch, lab.runner, "set_settings")
    lab.transport.step.click()
    display = Display(heatmap=True, contours=True, complete=False)
    lab.apply_state(dataclasses.replace(lab.state, display=display, tool="add", align=True))
    assert restarts.count == 0 and floors.count == 0 and len(lab.runner.frames) == 3  # EM kept its history
    assert lab.figure.em_view.heat.isVisible()
    lab.apply_state(dataclasses.replace(lab.state, model=LabSettings(floor=False)))
    assert restarts.count == 0 and floors.count == 1 and lab.runner.settings.floor is False
    lab.apply_state(dataclasses.replace(lab.state, model=LabSettings(k=4, floor=False)))
    assert restarts.count == 1 and lab.runner.frame.gmm.n_components == 4
    lab.apply_state(lab.state)  # the same state: nothing at all
    assert restarts.count == 1 and floors.count == 1


def test_an_invalid_state_changes_nothing(dock):
    lab = dock.lab
    before = lab.state
    with pytest.raises(ValueError, match="K must"):
        lab.apply_state(dataclasses.replace(before, model=LabSettings(k=40)))
    assert lab.state is before and lab.side.k.value() == 3


@pytest.mark.parametrize("name", ["overview", "lecture-1d-unequal-weights", "label-switching-aligned",
                                  "singularity"])
def test_a_preset_applied_leaves_its_state(dock, name):
    dock.lab.side.k.setValue(6)
    dock.lab.side.complete.setChecked(False)
    next(p for p in dock.presets() if p.name == name).apply(dock, None)
    preset = next(p for p in EM_PRESETS if p.name == name)
    assert dock.lab.state == preset.state
    assert dock.lab.side.k.value() == preset.state.model.k


def test_the_written_state_is_version_2(dock):
    state = dock.state()
    assert EmDock.state_version == STATE_VERSION == 2 and state["version"] == 2
    assert state["data_preset"] == {"name": "blobs", "n": 600} and state["align"] is False


def test_a_session_written_by_version_1_opens(dock):
    raw = json.loads(OLD_SESSION.read_text(encoding="utf-8"))["docks"]["em"]
    assert raw["version"] == 1
    dock.validate_state(raw)
    dock.restore_state(raw)
    lab = dock.lab
    assert lab.state.model == LabSettings(k=4, covariance_type="diag", seed=7)
    assert lab.side.k.value() == 4 and lab.side.cov_type.currentData() == "diag"
    assert lab.side.seed.value() == 7
    assert lab.state.display.heatmap and lab.side.heatmap.isChecked()
    assert lab.state.tool == "spray" and lab.figure.em_view.box.tool == "spray"
    assert len(lab.points) == 150 and lab.data.n == 150
    frame = lab.runner.frame
    assert frame.note == "restored" and frame.em.iteration == 3
    assert np.allclose(frame.gmm.means, raw["mixture"]["means"])
    assert np.allclose(frame.gmm.covariances, raw["mixture"]["covariances"])
    again = dock.state()
    assert again["version"] == 2 and again["settings"] == raw["settings"] and again["data"] == raw["data"]


def test_a_bad_session_is_refused_before_anything_changes(dock):
    state = json.loads(json.dumps(dock.state()))
    state["settings"]["seed"] = True
    before = dock.lab.state
    with pytest.raises(ValueError, match="seed"):
        dock.validate_state(state)
    assert dock.lab.state is before


def test_self_check_inline(dock, qtbot):
    assert run_self_check(qtbot, dock) == []
    assert dock.lab.state == CHECK_STATE and dock.lab.data.n == 90
    assert [f.phase for f in dock.lab.runner.frames] == ["init", "E", "M", "E", "M", "E", "M"]


def test_self_check_in_the_worker(qtbot, compute):
    dock = make_dock(qtbot, compute.bridge)
    try:
        qtbot.waitUntil(lambda: len(dock.lab.runner.frames) == 1, timeout=10000)
        assert run_self_check(qtbot, dock) == []
        assert dock.lab.runner.pos == 6 and dock.lab.data.n == 90
    finally:
        dock.shutdown()


def test_self_check_reports_an_empty_scatter(dock, qtbot, monkeypatch):
    view = dock.lab.figure.em_view
    original = view.set_points
    monkeypatch.setattr(view, "set_points", lambda points, keys: original(points[:0], None))
    assert run_self_check(qtbot, dock) == ["em: the scatter shows no points"]


def test_self_check_reports_a_decreasing_log_likelihood(dock, qtbot, monkeypatch):
    original = core_lab.em_steps

    def worse(*args, **kwargs):
        for state in original(*args, **kwargs):
            yield dataclasses.replace(state, log_likelihood=-1000.0 * state.iteration)

    monkeypatch.setattr(core_lab, "em_steps", worse)
    assert run_self_check(qtbot, dock) == ["em: the log-likelihood decreased during EM"]


def test_self_check_answers_when_its_data_cannot_load(dock, qtbot, monkeypatch):
    import vaeviz.ui.em.data_tools as data_tools

    def fail(name, n, seed):
        raise ValueError("no data today")

    monkeypatch.setattr(data_tools, "_sample", fail)
    assert "em: the check's data did not load" in run_self_check(qtbot, dock)
