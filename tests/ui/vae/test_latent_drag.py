"""The latent dock's explore interactions: dragging ⊕, clicking points, ε draws, A → B strips, drawing."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PIL import Image
from PySide6.QtCore import QEvent, Qt
from vae_helpers import _image, _mouse, _pane, _viewport_pos, dock, one_torch_thread, small_lab  # noqa: F401

from vaeviz.core.vae.lab_types import Decoded


def test_moving_the_latent_point_decodes_at_once(dock):
    pane = _pane(dock)
    pane.set_target(-2.0, 0.5)
    left = _image(pane.decoded)
    assert "z = (-2.00, 0.50)" in pane.decoded.label.text and pane.vline.value() == -2.0
    pane.set_target(2.0, -1.5)
    assert not np.allclose(left, _image(pane.decoded))


def test_while_dragging_the_marker_sits_where_the_shown_image_was_decoded(dock, monkeypatch):
    """Drag moves ask for a decoding; ⊕ moves there when that image is shown, not before (one repaint for
    both), and the release puts it at the last position asked for."""
    pane = _pane(dock)
    pane.set_target(0.0, 0.0)
    asked = []
    monkeypatch.setattr("vaeviz.ui.vae.controller.decode_job", lambda ref, role, xy: xy)
    monkeypatch.setattr(dock.session, "request_view", lambda name, xy, *args, **kw: asked.append(xy))
    pane.target.drag_to(1.0, -0.5)
    pane.target.drag_to(1.5, -1.0)
    assert asked == [(1.0, -0.5), (1.5, -1.0)] and pane.target_xy() == (1.5, -1.0)
    assert (pane.target.pos().x(), pane.target.pos().y()) == (0.0, 0.0)  # no image for those points yet
    image = np.full((28, 28), 0.5, np.float32)
    dock.controller._on_decoded(Decoded("vae", np.array([1.0, -0.5], np.float32), image))
    assert (pane.target.pos().x(), pane.target.pos().y()) == (1.0, -0.5) and not pane.vline.isVisible()
    assert "z = (1.00, -0.50)" in pane.decoded.label.text
    pane.target.release()
    assert (pane.target.pos().x(), pane.target.pos().y()) == (1.5, -1.0) and pane.target.pending is None
    assert pane.vline.isVisible() and pane.vline.value() == 1.5 and asked[-1] == (1.5, -1.0)


def test_dragging_the_target_with_the_mouse(dock, monkeypatch):
    monkeypatch.setitem(pg.getConfigOption.__globals__["CONFIG_OPTIONS"], "mouseRateLimit", -1)
    dock.figure.scene().minDragTime = 0
    pane = _pane(dock)
    pane.set_range(-3, 3, -3, 3)
    start, end = _viewport_pos(dock, 0, 0), _viewport_pos(dock, 1.5, -1.0)
    viewport = dock.figure.viewport()
    left, none, event = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton, QEvent.Type
    _mouse(viewport, event.MouseButtonPress, start, left, left)
    for t in np.linspace(0.1, 1.0, 6):
        _mouse(viewport, event.MouseMove, start + (end - start) * t, none, left)
    assert pane.target.moving and not pane.vline.isVisible()  # no plot-wide lines while dragging
    _mouse(viewport, event.MouseButtonRelease, end, left, none)
    x, y = pane.target_xy()
    assert x == pytest.approx(1.5, abs=0.15) and y == pytest.approx(-1.0, abs=0.15)
    assert f"z = ({x:.2f}, {y:.2f})" in pane.decoded.label.text
    assert pane.vline.isVisible() and (pane.vline.value(), pane.hline.value()) == (x, y)


def test_clicking_a_data_point_shows_its_ellipse_and_reconstruction(dock, qtbot):
    pane = _pane(dock)
    snap = dock.session.snapshots["vae"]
    pane.set_range(*(snap.mu[7, 0] + np.array([-3, 3])), *(snap.mu[7, 1] + np.array([-3, 3])))
    with qtbot.waitSignal(dock.controller.inspected):
        qtbot.mouseClick(dock.figure.viewport(), Qt.MouseButton.LeftButton,
                         pos=_viewport_pos(dock, *snap.mu[7, :2]))
    index = dock.controller.selected.index
    assert index in snap.indices
    xs, ys = pane.ellipse.getData()
    assert len(xs) == 97 and np.isfinite(xs).all()
    mu, sigma = dock.controller.inspections["vae"].mu, dock.controller.inspections["vae"].sigma
    assert xs.max() == pytest.approx(mu[0] + 2 * sigma[0], rel=1e-3)
    assert pane.original.has_image() and pane.reconstruction.has_image()
    assert f"#{index}" in pane.numbers.text and "KL" in pane.numbers.text
    assert "ELBO ≈" in dock.explain.toHtml()


def test_resample_eps_draws_eight_points_and_a_strip(dock):
    pane = _pane(dock)
    assert not dock.controller.resample()  # nothing selected yet: says what to do
    assert "Click a data point" in dock.messages.text()
    dock.click(int(dock.session.snapshots["vae"].indices[3]))
    dock.explore.resample.click()
    first = pane.samples.getData()
    assert len(first[0]) == 8 and len(np.unique(first[0])) == 8
    assert _image(pane.strip).shape == (28, 8 * 28 + 7 * 2) and "ε" in pane.strip.label.text
    dock.explore.resample.click()
    assert not np.allclose(first[0], pane.samples.getData()[0])


def test_shift_click_interpolates_and_the_strip_and_gif_export(dock, tmp_path, monkeypatch):
    a, b = (int(i) for i in dock.session.snapshots["vae"].indices[[0, 5]])
    dock.click(a)
    dock.click(b, shift=True)
    pane = _pane(dock)
    assert len(pane.path.getData()[0]) == 10 and [p.index for p in dock.controller.picks] == [a, b]
    assert all(label.isVisible() for label in pane.pick_labels)
    monkeypatch.setattr(dock.files, "ask_save_path", lambda *args: str(tmp_path / "path"))
    dock.explore.export_strip.click()
    with Image.open(tmp_path / "path.png") as image:
        assert image.size[0] > 10 * 28 * 3 and len(np.unique(np.asarray(image.convert("L")))) > 2
    monkeypatch.setattr(dock.files, "ask_save_path", lambda *args: str(tmp_path / "walk.gif"))
    dock.explore.export_gif.click()
    with Image.open(tmp_path / "walk.gif") as gif:
        assert gif.n_frames > 10
    assert "walk.gif" in dock.messages.text()
