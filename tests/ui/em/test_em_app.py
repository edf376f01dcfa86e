"""GMM & EM dock in the main window, computing on the real worker thread (asynchronous results)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from em_helpers import no_nan_text
from session_helpers import open_session

from vaeviz.ui.shared_data import shared_pointset


def _em(window, qtbot):
    dock = window.docks["em"]
    dock.raise_()
    lab = dock.lab
    qtbot.waitUntil(lambda: len(lab.runner.frames) == 1, timeout=10000)
    return dock, lab


def test_steps_drags_and_runs_through_the_worker(window, qtbot):
    dock, lab = _em(window, qtbot)
    actions = {a.text(): a for a in dock.actions()}
    actions["GMM && EM: E-step"].trigger()
    qtbot.waitUntil(lambda: lab.runner.frame.phase == "E", timeout=10000)
    actions["GMM && EM: M-step"].trigger()
    qtbot.waitUntil(lambda: lab.runner.frame.phase == "M", timeout=10000)
    assert lab.runner.pos == 2

    handle = lab.figure.em_view.components[0].mean
    handle.setPos(handle.pos().x() + 2.0, handle.pos().y())
    qtbot.waitUntil(lambda: "editing" in lab.numbers.texts()[0], timeout=10000)  # live, latest-wins
    handle.sigPositionChangeFinished.emit(handle)
    qtbot.waitUntil(lambda: lab.runner.frame.note == "edited", timeout=10000)
    assert len(lab.runner.frames) == 4

    lab.transport.speed.setValue(30)
    lab.transport.run.click()
    qtbot.waitUntil(lambda: not lab.runner.playing, timeout=30000)
    assert lab.runner.end is not None and lab.runner.end.reason == "converged"
    assert np.all(np.diff(lab.runner.series()["ll"][3:]) >= -1e-9)
    assert no_nan_text(lab)


def test_the_data_set_is_shared_with_the_window(window, qtbot):
    _, lab = _em(window, qtbot)
    assert shared_pointset(window.docks["density"]) is lab.points
    lab.points.add([[30.0, 30.0]])
    qtbot.waitUntil(lambda: lab.runner.data.n == 601 and len(lab.runner.frames) == 1, timeout=10000)


def test_shortcuts_dialog_lists_the_lab_keys(window, qtbot):
    _em(window, qtbot)
    dialog = window.show_shortcuts()
    try:
        table = dialog.table
        rows = {(table.item(r, 0).text(), table.item(r, 1).text()) for r in range(table.rowCount())}
        assert ("GMM & EM: E-step", "E") in rows and ("GMM & EM: run / pause", "Space") in rows
    finally:
        dialog.close()


def test_session_file_round_trip(window, qtbot, tmp_path):
    dock, lab = _em(window, qtbot)
    lab.side.k.setValue(2)
    qtbot.waitUntil(lambda: lab.runner.frame is not None and lab.runner.frame.gmm.n_components == 2,
                    timeout=10000)
    lab.transport.step.click()
    qtbot.waitUntil(lambda: lab.runner.frame.phase == "M", timeout=10000)
    saved = lab.runner.frame.gmm
    path = tmp_path / "session.json"
    assert window.files.save_session(str(path))
    lab.side.k.setValue(3)
    qtbot.waitUntil(lambda: lab.runner.frame is not None and lab.runner.frame.gmm.n_components == 3,
                    timeout=10000)
    assert open_session(qtbot, window, path)
    qtbot.waitUntil(lambda: lab.runner.frame is not None and lab.runner.frame.note == "restored",
                    timeout=10000)
    assert lab.side.k.value() == 2 and np.allclose(lab.runner.frame.gmm.means, saved.means)


def test_a_session_file_written_by_version_1_opens_in_the_window(window, qtbot):
    dock, lab = _em(window, qtbot)
    path = Path(__file__).parents[1] / "old_sessions" / "em-v1.vaeviz"
    assert open_session(qtbot, window, path)
    qtbot.waitUntil(lambda: lab.runner.frame is not None and lab.runner.frame.note == "restored",
                    timeout=10000)
    assert lab.state.model.k == 4 and lab.state.model.covariance_type == "diag" and lab.state.model.seed == 7
    assert lab.side.heatmap.isChecked() and lab.state.tool == "spray" and len(lab.points) == 150
    assert lab.runner.frame.em.iteration == 3 and lab.runner.frame.gmm.n_components == 4
    assert dock.state()["version"] == 2
