"""Issue #13: the EM history keeps at most MAX_HISTORY_FRAMES half-steps, numbered absolutely."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from tests.ui.em.em_helpers import make_dock
from vaeviz.ui.em import runner as runner_module

CAP = 50


def test_history_is_capped_with_absolute_numbers(qtbot, monkeypatch, tmp_path):
    monkeypatch.setattr(runner_module, "MAX_HISTORY_FRAMES", CAP)
    monkeypatch.setattr(runner_module, "DROP_BLOCK", 10)
    dock = make_dock(qtbot)
    lab = dock.lab
    lab.load_data_preset("blobs", 90)
    r = lab.runner
    for _ in range(60):  # 120 half-steps (unless EM converges first: then run on from edits)
        r.step("step")
    assert r.last >= CAP, "EM stopped too early for the test"
    lab._update_curves()
    assert len(r.frames) <= CAP and r.first > 0 and r.pos == r.last
    text = lab.transport.position.text()
    assert f"half-step {r.last:,} of {r.last:,}" in text and f"half-steps 0–{r.first - 1:,} dropped" in text
    assert "dropped" in lab.transport.scrubber.toolTip()
    x = lab.figure.curves.curve("ll")[:, 0]
    assert x[0] == r.first and x[-1] == r.last
    bar = lab.transport.scrubber
    assert (bar.minimum(), bar.maximum()) == (r.first, r.last)
    view = lab.figure.em_view
    view.setFocus()
    qtbot.waitUntil(view.hasFocus)
    qtbot.keyClick(view, Qt.Key.Key_Home)
    assert r.pos == r.first and f"half-step {r.first:,} of" in lab.transport.position.text()
    qtbot.keyClick(view, Qt.Key.Key_Left)
    assert r.pos == r.first
    qtbot.keyClick(view, Qt.Key.Key_End)
    assert r.pos == r.last
    bar.setValue(r.first + 5)
    assert r.pos == r.first + 5 and r.frame is r.frames[5]
    # the export renders the kept frames by their absolute numbers
    shown = []
    real = lab.layers.render_frame
    monkeypatch.setattr(lab.layers, "render_frame", lambda i, cb: (shown.append(i), real(i, cb)))
    lab.exports.export_animation(str(tmp_path / "run.gif"))
    qtbot.waitUntil(lambda: (tmp_path / "run.gif").exists(), timeout=20_000)
    assert shown[0] == r.first and shown[-1] == r.last and r.pos == r.first + 5
    assert np.all(np.diff(shown) > 0)
