"""The lecture's views in the latent dock (issue #12): ε beside z, holes measured and drawn, log p(x) ≥ ELBO,
complete exports, clicks near a point, the side-by-side layout, "—" for the AE's KL, an idle progress bar."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import Qt
from vae_helpers import _pane, _viewport_pos, dock, one_torch_thread, small_lab  # noqa: F401

from vaeviz.core.vae.presets import PRESETS
from vaeviz.ui.docks.registry import all_presets, find_preset
from vaeviz.ui.vae.dock import LatentDock
from vaeviz.ui.vae.gif import PALETTE
from vaeviz.ui.vae.likelihood_plot import NO_PX
from vaeviz.ui.vae.pane import ELLIPSE_COLOUR
from vaeviz.workers.bridge import InlineRunner


def _rgb(colour) -> tuple[int, int, int]:
    return colour.red(), colour.green(), colour.blue()


def _in_layout(pane, item) -> bool:
    return item in pane.items


# ----- 1. ε made visible --------------------------------------------------------------------------------
def test_resample_shows_eps_space_beside_z_space_numbered_alike(dock):  # noqa: F811
    pane = _pane(dock)
    snap = dock.session.snapshots["vae"]
    dock.click(int(snap.indices[3]))
    assert pane.arrangement == "explore" and _in_layout(pane, pane.decoded)
    dock.explore.resample.click()
    strip = dock.controller.strips["vae"]
    eps_plot, z_plot = pane.reparam.items()
    assert pane.arrangement == "reparameterise" and _in_layout(pane, eps_plot) and _in_layout(pane, z_plot)
    assert not _in_layout(pane, pane.decoded)  # no big "decoded at ⊕" unrelated to the draws
    eps = np.column_stack(eps_plot.marks.getData())
    z = np.column_stack(z_plot.marks.getData())
    np.testing.assert_allclose(eps, strip.eps[:, :2], rtol=1e-6)
    np.testing.assert_allclose(z, strip.mu[:2] + strip.sigma[:2] * strip.eps[:, :2], rtol=1e-5, atol=1e-6)
    # draw k carries the number k in both panels and on the k-th decoding
    for k in range(8):
        for plot, xy in ((eps_plot, eps), (z_plot, z)):
            label = plot.numbers[k]
            assert label.isVisible() and label.toPlainText() == str(k + 1)
            assert (label.pos().x(), label.pos().y()) == pytest.approx(tuple(xy[k]), rel=1e-5)
        assert pane.strip_numbers[k].isVisible() and pane.strip_numbers[k].toPlainText() == str(k + 1)
    # the z panel is zoomed onto q(z|x): the 2σ ellipse spans most of it along its longer axis
    (x0, x1), (y0, y1) = z_plot.getViewBox().viewRange()
    ex, ey = z_plot.curve.getData()
    assert x0 <= ex.min() and ex.max() <= x1 and y0 <= ey.min() and ey.max() <= y1
    assert max((ex.max() - ex.min()) / (x1 - x0), (ey.max() - ey.min()) / (y1 - y0)) > 0.6
    # the marks: no class's colour, not the ellipse's red, and the same star in both panels and the scatter
    brush = _rgb(eps_plot.marks.opts["brush"].color())
    assert brush not in PALETTE and brush != _rgb(pg_colour(ELLIPSE_COLOUR))
    symbols = {eps_plot.marks.opts["symbol"], z_plot.marks.opts["symbol"], pane.samples.opts["symbol"]}
    assert symbols == {"star"}
    dock.explore.prior.click()  # another strip: back to exploring
    assert pane.arrangement == "explore" and _in_layout(pane, pane.decoded) and not _in_layout(pane, eps_plot)


def pg_colour(text: str):
    import pyqtgraph as pg

    return pg.mkColor(text)


def test_the_beta4_preset_loads_the_beta4_checkpoint_and_its_draws_differ(qtbot, small_lab):  # noqa: F811
    names = [ref.name for ref in all_presets() if ref.dock_id == "latent"]
    assert "reparameterisation-beta4" in names  # so `vaeviz export --dock latent --preset …` finds it
    dock = LatentDock(InlineRunner())
    qtbot.addWidget(dock)
    find_preset("latent", "reparameterisation-beta4").apply(dock, None)
    info = dock.session.models["vae"]
    assert info.beta == 4.0 and dock.session.data.key == "mnist-t10k"
    assert "mnist10k-vae-beta4.safetensors" in dock.lab_state.checkpoints.vae
    pane = _pane(dock)
    assert pane.arrangement == "reparameterise" and "β = 4" in pane.title.text
    images = dock.controller.strips["vae"].images
    differences = [np.abs(images[i] - images[j]).mean() for i in range(8) for j in range(i)]
    assert dock.controller.inspections["vae"].sigma.max() > 0.1  # β = 1's shipped VAE: mostly 0.01–0.07
    assert max(differences) > 0.03  # the draws decode to visibly different images


# ----- 2. holes -------------------------------------------------------------------------------------------
def test_fit_to_the_data_measures_each_models_holes_in_the_figure_and_the_explain_tab(dock):  # noqa: F811
    dock.set_view("both", "grid", 9, 3.0, fit=True)
    holes = dock.controller.holes
    assert set(holes) == {"vae", "ae"}
    for role, h in holes.items():
        pane = _pane(dock, role)
        assert f"{h.fraction:.1%} of the 9×9 grid" in pane.title.text
        assert f"{h.prior_fraction:.1%} of 81 prior samples" in pane.title.text
        rect = pane.grid_image.mapRectToParent(pane.grid_image.boundingRect())
        (x0, x1), (y0, y1) = h.z_range
        dx, dy = (x1 - x0) / 8, (y1 - y0) / 8
        assert rect.left() == pytest.approx(x0 - dx / 2, rel=1e-4, abs=1e-4)
        assert rect.bottom() == pytest.approx(y1 + dy / 2, rel=1e-4, abs=1e-4)  # per axis: its own codes
        xs, _ys = pane.holes.outlines.getData() if h.holes.any() else (np.zeros(0), None)
        assert len(xs) == 8 * int(h.holes.sum())  # four segments around each hole tile
        assert pane.holes.prior_circle.isVisible()
    assert holes["ae"].z_range != holes["vae"].z_range
    dock.explore.prior.click()
    assert len(_pane(dock, "ae").holes.prior_marks.getData()[0]) == 8  # the strip's prior z, marked
    text = dock.explain.toPlainText()
    for h in holes.values():
        assert f"{h.fraction:.1%}" in text and f"{h.prior_fraction:.1%}" in text
    assert "garbage" not in text.lower()
    dock.set_view("both", "grid", 9, 3.0, fit=False)  # a fixed range: no holes claimed
    assert not dock.controller.holes and "holes" not in _pane(dock, "ae").title.text


def test_the_ae_vs_vae_preset_on_the_shipped_models_shows_both_numbers(qtbot):
    dock = LatentDock(InlineRunner())  # the real default: MNIST and the shipped VAE and AE
    qtbot.addWidget(dock)
    find_preset("latent", "ae-vs-vae").apply(dock, None)
    holes = dock.controller.holes
    assert set(holes) == {"vae", "ae"}
    (ax0, ax1), (ay0, ay1) = holes["ae"].z_range
    (vx0, vx1), (vy0, vy1) = holes["vae"].z_range
    assert min(ax1 - ax0, ay1 - ay0) > 3 * max(vx1 - vx0, vy1 - vy0)  # the AE's codes spread far wider
    assert holes["ae"].fraction >= holes["vae"].fraction
    for role in ("vae", "ae"):
        pane = _pane(dock, role)
        assert "holes:" in pane.title.text and pane.strip.has_image()
        assert len(pane.holes.prior_marks.getData()[0]) == 8


# ----- 3. log p(x) ≥ ELBO ---------------------------------------------------------------------------------
def test_picking_an_image_plots_log_px_against_k_above_its_elbo(dock):  # noqa: F811
    pane = _pane(dock)
    assert not pane.likelihood.is_plotting() and pane.likelihood.message.isVisible()
    dock.click(int(dock.session.snapshots["vae"].indices[5]))
    lik = dock.controller.likelihoods["vae"]
    assert lik.counts[0] == 1 and lik.counts[-1] == 1000 and lik.index == dock.controller.selected.index
    assert pane.likelihood.is_plotting() and not pane.likelihood.message.isVisible()
    x, y = pane.likelihood.estimate.getData()
    np.testing.assert_allclose(10 ** x, lik.counts)
    np.testing.assert_allclose(y, lik.log_px)
    assert pane.likelihood.elbo.value() == pytest.approx(lik.elbo)
    assert lik.log_px[-1] > lik.elbo  # the bound, visibly: K = 1000 lies above the ELBO
    assert "gap" in pane.numbers.text and f"{lik.log_px[-1]:.1f}" in pane.numbers.text


def test_the_autoencoder_has_no_px_and_no_kl(dock):  # noqa: F811
    dock.set_view("both")
    dock.click(int(dock.session.snapshots["vae"].indices[2]))
    ae = _pane(dock, "ae")
    assert "ae" not in dock.controller.likelihoods  # nothing computed for it
    assert not ae.likelihood.is_plotting() and "no p(x) for an autoencoder" in NO_PX
    assert "no p(x) for an autoencoder" in ae.likelihood.message.toHtml()
    assert "KL —" in ae.numbers.text and "KL 0.0" not in ae.numbers.text
    assert "KL —" not in _pane(dock).numbers.text


def test_log_px_is_computed_in_the_worker_thread(small_lab, window, qtbot, monkeypatch):  # noqa: F811
    from vaeviz.core.vae import lab_views

    threads = []
    original = lab_views.likelihood

    def recording(*args, **kwargs):
        threads.append(threading.current_thread())
        return original(*args, **kwargs)

    monkeypatch.setattr(lab_views, "likelihood", recording)
    dock = window.docks["latent"]
    dock.raise_()
    qtbot.waitUntil(lambda: dock.session.ready(["vae"]), timeout=60000)
    dock.click(int(dock.session.snapshots["vae"].indices[1]))
    qtbot.waitUntil(lambda: _pane(dock).likelihood.is_plotting(), timeout=20000)
    assert threads and all(t is not threading.main_thread() for t in threads)


# ----- 4. complete exports ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", [p.name for p in PRESETS])
def test_every_preset_fills_every_box_and_titles_say_the_model(qtbot, small_lab, name):  # noqa: F811
    dock = LatentDock(InlineRunner())
    qtbot.addWidget(dock)
    find_preset("latent", name).apply(dock, None)
    data = dock.session.data.name
    for role in dock.figure.roles():
        pane = _pane(dock, role)
        assert pane.original.has_image() and pane.reconstruction.has_image(), role
        assert pane.strip.has_image(), role
        if pane.arrangement == "explore":
            assert pane.decoded.has_image()
            assert pane.likelihood.is_plotting() if role == "vae" else "no p(x)" in pane.likelihood._text
        title = pane.title.text
        assert data in title and "latent 2" in title
        assert ("β = " in title) if role == "vae" else ("no β" in title)


# ----- 5. clicks, layout, the Train tab -------------------------------------------------------------------
def _isolated_point(pane) -> int:
    """Row of a shown point with no other point within 20 px."""
    px, py = pane.plot.getViewBox().viewPixelSize()
    xy = pane._xy / np.array([px, py])
    d = np.linalg.norm(xy[:, None] - xy[None], axis=2)
    np.fill_diagonal(d, np.inf)
    (x0, x1), (y0, y1) = pane.plot.getViewBox().viewRange()
    inside = (pane._xy[:, 0] > x0 + 30 * px) & (pane._xy[:, 0] < x1 - 30 * px) & \
             (pane._xy[:, 1] > y0 + 30 * py) & (pane._xy[:, 1] < y1 - 30 * py)
    candidates = np.nonzero((d.min(axis=1) > 20) & inside)[0]
    assert len(candidates)
    return int(candidates[0])


def test_a_click_picks_the_nearest_point_within_8_pixels(dock, qtbot):  # noqa: F811
    pane = _pane(dock)
    i = _isolated_point(pane)
    px, py = pane.plot.getViewBox().viewPixelSize()
    x, y = pane._xy[i]
    pane.set_target(x + 60 * px, y + 60 * py)  # ⊕ out of the way
    with qtbot.waitSignal(pane.point_clicked) as signal:
        qtbot.mouseClick(dock.figure.viewport(), Qt.MouseButton.LeftButton,
                         pos=_viewport_pos(dock, x + 6 * px, y))  # 6 px beside the dot: no pixel of it
    assert signal.args[1] == int(pane.indices[i])
    assert pane.nearest_point(x + 12 * px, y) is None  # farther than 8 px: nothing


def test_side_by_side_panes_do_not_overlap_and_thumbnails_match(dock):  # noqa: F811
    dock.set_view("both")
    dock.click(int(dock.session.snapshots["vae"].indices[4]))
    vae, ae = _pane(dock, "vae"), _pane(dock, "ae")
    label = ae.plot.getAxis("left").label
    ae_left = min(label.sceneBoundingRect().left(), ae.plot.sceneBoundingRect().left())
    for item in (vae.decoded.view, vae.pair, vae.likelihood):
        assert item.sceneBoundingRect().right() < ae_left
    drawn = vae.decoded.view.mapRectToScene(vae.decoded.image.boundingRect())
    assert drawn.right() < ae_left  # the VAE's decoding does not cover the AE's z₂ label
    for pane in (vae, ae):
        a = pane.original.view.mapRectToScene(pane.original.image.boundingRect())
        b = pane.reconstruction.view.mapRectToScene(pane.reconstruction.image.boundingRect())
        assert a.width() == pytest.approx(b.width(), abs=0.5) and a.height() == pytest.approx(b.height(),
                                                                                               abs=0.5)


def test_the_train_tab_shows_no_full_bar_beside_ready(dock):  # noqa: F811
    # the set-up's last report is "ready" at fraction 1: the lab is idle, the bar empty (a finished
    # training run keeps its full bar beside its own report)
    assert not dock.session.busy and dock.training.status.text() == "ready"
    assert dock.training.progress.value() == 0
    dock.training.show_loading("loading the data", 0.4)
    assert dock.training.progress.value() == 400



def test_side_by_side_the_eps_draws_stay_on_the_scatter_and_both_panes_keep_their_width(dock, qtbot):  # noqa: F811
    dock.click(int(dock.session.snapshots["vae"].indices[3]))
    dock.explore.resample.click()
    assert _pane(dock).arrangement == "reparameterise"
    dock.set_view("both")  # two panes: no room for the ε and z panels, the stars stay on each scatter
    vae, ae = _pane(dock, "vae"), _pane(dock, "ae")
    assert vae.arrangement == "explore" and len(vae.samples.getData()[0]) == 8
    dock.explore.resample.click()
    assert vae.arrangement == ae.arrangement == "explore" and len(ae.samples.getData()[0]) == 8
    qtbot.waitUntil(lambda: ae.sceneBoundingRect().right() <= dock.figure.sceneRect().right() + 1)  # laid out
    assert vae.sceneBoundingRect().right() <= ae.sceneBoundingRect().left()
    dock.set_view("vae")
    assert vae.arrangement == "reparameterise"
