"""GMM & EM dock around the core loop: presets and their exports, the three problems, bad input, CSV,
sessions, the 1-D page, GIF and parameter exports, and a large data set on the fast path."""

from __future__ import annotations

import json

import numpy as np
import pytest
from em_helpers import make_dock, no_nan_text
from PIL import Image

from vaeviz.core.data.pointset_io import import_csv
from vaeviz.ui.em.dock import EmDock
from vaeviz.ui.export import export_widget, is_blank


@pytest.fixture
def dock(qtbot):
    d = make_dock(qtbot)
    yield d
    d.shutdown()


PRESET_NAMES = [p.name for p in EmDock.presets()]


def test_required_presets_exist():
    assert {"overview", "lecture-1d-two-gaussians", "kmeans-vs-gmm", "label-switching", "singularity",
            "data-blobs", "data-anisotropic", "data-overlapping", "data-varied-sizes"} <= set(PRESET_NAMES)


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_each_preset_exports_a_non_blank_png(dock, name):
    preset = next(p for p in dock.presets() if p.name == name)
    preset.apply(dock, None)
    figure = dock.figure_widget()
    image = export_widget(figure)
    assert not is_blank(image) and image.width() == figure.width()
    assert no_nan_text(dock.lab)


def test_singularity_preset_says_the_likelihood_is_infinite_and_shows_no_nan(dock):
    next(p for p in dock.presets() if p.name == "singularity").apply(dock, None)
    lab = dock.lab
    frame = lab.runner.frame
    assert frame.terminal and np.isposinf(frame.em.log_likelihood)
    assert "+∞" in lab.messages.text() and "collapsed onto a single point" in lab.messages.text()
    assert "ℓ = +∞" in lab.transport.position.text()
    assert not lab.transport.e_step.isEnabled() and not lab.transport.step.isEnabled()
    assert no_nan_text(lab)
    lab.side.floor.setChecked(True)  # the floor on: step back from the collapse and go on, finitely
    assert not lab.runner.frame.terminal and lab.transport.m_step.isEnabled()
    lab.transport.m_step.click()
    assert np.isfinite(lab.runner.frame.em.log_likelihood) and "Singular mixture" not in lab.messages.text()


def test_label_switching_runs_have_equal_likelihoods_and_align(dock):
    next(p for p in dock.presets() if p.name == "label-switching").apply(dock, None)
    runs = dock.lab.problems.seed_runs
    assert len(runs) == 4 and dock.lab.figure.side_kind == "seeds"
    lls = [r.log_likelihood for r in runs]
    assert max(lls) - min(lls) < 1e-3 * abs(lls[0])
    assert any(not np.array_equal(r.perm, np.arange(3)) for r in runs)  # some runs number differently
    main = dock.lab.runner.frame.gmm.means  # aligned to the fit the user is looking at
    for r in runs:
        assert np.allclose(r.aligned.means, main, atol=0.05)
    assert "seed 1" in dock.lab.problems_text.toPlainText()


def test_marginal_vs_complete_shows_both_curves(dock):
    next(p for p in dock.presets() if p.name == "marginal-vs-complete").apply(dock, None)
    series = dock.lab.runner.series()
    ok = np.isfinite(series["cll"])
    assert ok.sum() > 10 and np.all(series["cll"][ok] <= series["ll"][ok] + 1e-9)  # log P(z|x) ≤ 0
    assert "log P(zn|xn)" in dock.lab.problems_text.toPlainText()  # ℓc − ℓ = Σn log P(zn|xn) ≤ 0


@pytest.mark.parametrize("n, k, words", [(0, 3, "no data"), (2, 3, "N=2 points cannot support K=3"),
                                         (600, 25, "K ≤ 20")])
def test_bad_input_is_explained_in_the_dock(dock, n, k, words):
    lab = dock.lab
    if n == 0:
        lab.points.clear()
    else:
        lab.tools.load_preset("blobs", n)
    lab.side.k.setValue(k)
    assert words in lab.messages.text()
    assert lab.runner.frames == [] and not lab.transport.step.isEnabled()
    assert no_nan_text(lab)
    lab.side.k.setValue(1 if n == 2 else 3)
    if n:
        assert lab.messages.text() == "" and len(lab.runner.frames) == 1


def test_identical_and_duplicated_points(dock):
    lab = dock.lab
    lab.points.replace(np.ones((40, 2)))
    assert "identical" in lab.messages.text() and lab.runner.frames == []
    lab.side.k.setValue(1)
    assert "identical" in lab.messages.text() and len(lab.runner.frames) == 1  # a note; EM runs
    lab.transport.step.click()
    assert np.isfinite(lab.runner.frame.em.log_likelihood) and no_nan_text(lab)
    lab.points.replace(np.repeat([[0.0, 0.0], [1.0, 1.0]], 10, axis=0))
    lab.side.k.setValue(3)
    assert "2 distinct positions" in lab.messages.text()


def test_csv_bad_line_names_the_line_and_leaves_the_data(dock, tmp_path, monkeypatch):
    lab = dock.lab
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\n3,abc\n5,6\n")
    before = np.array(lab.points.points)
    monkeypatch.setattr(lab, "ask_open_path", lambda *args: str(bad))
    lab.side.import_csv.click()
    assert "line 3" in lab.messages.text() and "unchanged" in lab.messages.text()
    assert np.array_equal(lab.points.points, before)


def test_csv_export_then_import_round_trip(dock, tmp_path, monkeypatch):
    lab = dock.lab
    path = tmp_path / "points.csv"
    monkeypatch.setattr(lab, "ask_save_path", lambda *args: str(path))
    monkeypatch.setattr(lab, "ask_open_path", lambda *args: str(path))
    lab.side.export_csv.click()
    points, labels = import_csv(path)
    assert np.array_equal(points, lab.points.points) and np.array_equal(labels, lab.points.labels)
    lab.points.replace(np.zeros((5, 2)) + np.arange(5)[:, None])
    lab.side.import_csv.click()
    assert np.array_equal(lab.points.points, points) and lab.runner.data.n == 600


def test_session_state_round_trips_through_json(dock, qtbot):
    lab = dock.lab
    lab.side.k.setValue(4)
    lab.side.cov_type.setCurrentIndex(lab.side.cov_type.findData("diag"))
    lab.runner.goto(6)
    lab.side.heatmap.setChecked(True)
    state = json.loads(json.dumps(dock.state()))
    other = make_dock(qtbot)
    other.validate_state(state)
    other.restore_state(state)
    again = other.state()
    assert again["settings"] == state["settings"] and again["show"] == state["show"]
    assert again["data"] == state["data"]
    assert np.allclose(again["mixture"]["means"], state["mixture"]["means"])
    restored = other.lab.runner.frame
    assert restored.note == "restored" and restored.em.iteration == state["iteration"]
    other.lab.transport.m_step.click()  # EM continues from the restored mixture
    assert other.lab.runner.frame.phase == "M"
    other.shutdown()


@pytest.mark.parametrize("change, message", [
    (lambda s: s["settings"].update(k=0), "K must"),
    (lambda s: s["settings"].update(covariance_type="round"), "covariance type"),
    (lambda s: s["mixture"].update(weights=[0.5, 0.6, 0.1]), "sum to 1"),
    (lambda s: s["data"].update(points=[[0, "a"]]), "numbers"),
    (lambda s: s.update(version=99), "newer"),
])
def test_validate_state_rejects_bad_sessions(dock, change, message):
    state = json.loads(json.dumps(dock.state()))
    change(state)
    with pytest.raises(ValueError, match=message):
        dock.validate_state(state)


def test_one_d_lecture_mixture(dock):
    next(p for p in dock.presets() if p.name == "lecture-1d-two-gaussians").apply(dock, None)
    lab, view = dock.lab, dock.lab.figure.oned
    assert lab.mode == "1d" and lab.figure.currentWidget() is view
    assert view.boundary.value() == pytest.approx(0.0)
    lab.side.weights_1d.setCurrentIndex(lab.side.weights_1d.findData("unequal"))
    assert view.boundary.value() < -1.0  # the boundary moves towards the lighter component
    _, post = view.post[0].getData()
    _, post2 = view.post[1].getData()
    assert np.allclose(post + post2, 1.0)
    assert "P(z|x) = 0.500" in view.readout_text(view.boundary.value())
    view.mean_lines[0].setValue(-5.0)  # a drag of μ1
    assert lab.side.means_1d[0].value() == -5.0


def test_gif_and_parameter_exports(dock, qtbot, tmp_path):
    lab = dock.lab
    lab.runner.goto(8)
    gif = tmp_path / "run.gif"
    lab.exports.export_animation(str(gif))
    qtbot.waitUntil(gif.exists, timeout=20000)
    with Image.open(gif) as image:
        assert image.n_frames == 9 and image.width <= 760
    assert lab.runner.pos == 8  # the shown frame is put back
    params = tmp_path / "params.csv"
    assert lab.exports.export_parameters(str(params))
    lines = params.read_text().splitlines()
    assert lines[0].startswith("k,weight") and len(lines) == 4
    assert float(lines[1].split(",")[1]) == lab.runner.frame.gmm.weights[0]


def test_large_data_set_runs_on_the_fast_path_and_draws_a_subset(dock):
    lab = dock.lab
    lab.tools.load_preset("blobs", 60_000)
    assert lab.data.n == 60_000 and len(lab.figure.em_view.scatter.data) == 20_000
    lab.transport.step.click()
    frame = lab.runner.frame
    assert frame.phase == "M" and len(frame.keys) == 20_000 and np.isfinite(frame.em.log_likelihood)
    assert "20,000 drawn" in lab.side.data_info.text()
