"""The EM figure as a lecturer uses it (issue #11): coherent panels after every problem button, early
states, the singularity figures, k-means beside the GMM, legends and the words in the figure."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from em_helpers import apply_preset, make_dock
from PySide6.QtWidgets import QGraphicsTextItem

from vaeviz.ui.em.dock import EmDock
from vaeviz.ui.export import export_widget


@pytest.fixture
def dock(qtbot):
    d = make_dock(qtbot)
    yield d
    d.shutdown()


def figure_texts(lab) -> list[str]:
    """Every text item drawn in the figure's plots (titles, labels, legends, notes, captions)."""
    figure = lab.figure
    scenes = {w.scene() for w in (figure.em_view, figure.km_view, figure.seeds_view, figure.curves,
                                  figure.oned)}
    return [item.toPlainText() for scene in scenes for item in scene.items()
            if isinstance(item, QGraphicsTextItem) and item.isVisible() and item.toPlainText()]


def settled(lab, qtbot) -> None:
    """Wait for the curves' pending redraw (a zero-delay timer after every new frame)."""
    qtbot.waitUntil(lambda: not lab._curves_timer.isActive())


def test_after_an_e_step_the_curves_end_at_the_e_step_not_the_m_step_computed_with_it(dock, qtbot):
    lab = dock.lab
    lab.restart()
    lab.transport.e_step.click()
    settled(lab, qtbot)
    assert lab.runner.pos == 1 and lab.runner.last >= 2  # a Step computes E and M together
    assert lab.figure.curves.curve("ll")[:, 0].max() == 1  # but only the E-step is on show
    lab.transport.m_step.click()
    settled(lab, qtbot)
    assert lab.figure.curves.curve("ll")[:, 0].max() == 2
    lab.runner.scrub(0)  # scrubbing back keeps what was reached
    settled(lab, qtbot)
    assert lab.figure.curves.curve("ll")[:, 0].max() == 2
    lab.reset()  # a new history starts its curves again
    settled(lab, qtbot)
    assert lab.figure.curves.curve("ll")[:, 0].max() == 0


BUTTONS = ("problem1", "problem2", "problem3")


def assert_coherent(lab, last: str) -> None:
    """One problem on show, and only its panels: the seed runs beside the scatter only after ②."""
    figure = lab.figure
    problem = {"problem1": "marginal", "problem2": "seeds", "problem3": "singular"}[last]
    assert lab.problems.problem == problem
    if last == "problem2":
        assert figure.side_kind == "seeds" and len(lab.problems.seed_runs) == 4
    else:
        assert figure.side_kind == ("kmeans" if lab.state.display.kmeans else None)
        assert lab.problems.seed_runs == [] and not lab.side.align.isEnabled()
        assert ("km" in figure.curves.columns) == lab.state.display.kmeans
    assert figure.side.isVisible() == (figure.side_kind is not None)
    frame = lab.runner.frame
    if not frame.terminal:
        assert "Singular mixture" not in lab.messages.text() and not figure.curves.inf_arrow.isVisible()
        assert "collapsed" not in figure.em_view.caption()
    caption = figure.curves.caption_text()
    assert caption.startswith({"marginal": "①", "seeds": "②", "singular": "③"}[problem])


@pytest.mark.parametrize("order", [*itertools.permutations(BUTTONS, 2), *itertools.permutations(BUTTONS)],
                         ids=lambda order: "-".join(b[-1] for b in order))
def test_every_problem_button_sequence_leaves_a_coherent_figure(dock, order):
    """After "Run several seeds" then "Snap & shrink" the seed thumbnails stayed and k-means did not come
    back although ticked."""
    lab = dock.lab
    lab.restart(n_half=12)
    for name in order:
        getattr(lab.side, name).click()
        assert_coherent(lab, name)


def test_seed_runs_arriving_after_snap_and_shrink_do_not_come_back(dock):
    """In the app the seed runs are computed by the worker: pressing ③ before they arrive left them (and
    not k-means, although ticked) beside the scatter of the singularity."""
    lab = dock.lab
    lab.restart(n_half=12)
    lab.side.problem2.click()
    runs = list(lab.problems.seed_runs)
    lab.side.problem3.click()
    lab.problems._on_seeds_done(runs)  # the worker's late answer (the seeds channel's handler)
    assert_coherent(lab, "problem3")


def test_k_means_shows_the_gmm_range_and_its_colours(dock):
    apply_preset(dock, "kmeans-vs-gmm")
    lab = dock.lab
    em_range = lab.figure.em_view.getPlotItem().vb.viewRange()
    km_range = lab.figure.km_view.getPlotItem().vb.viewRange()
    assert np.allclose(em_range, km_range)  # linked: the same clusters in the same place
    lab.figure.em_view.getPlotItem().vb.setRange(xRange=(-2, 2), yRange=(-1, 1), padding=0)
    assert np.allclose(lab.figure.em_view.getPlotItem().vb.viewRange(),
                       lab.figure.km_view.getPlotItem().vb.viewRange())
    frame = lab.runner.frame
    colours = lab.figure.km_view.colours
    for j, centre in enumerate(frame.km.centres):  # cluster j drawn in its nearest GMM component's colour
        assert colours[j] == np.argmin(((frame.gmm.means - centre) ** 2).sum(axis=1))


def test_k_means_colours_follow_the_matched_component_when_the_numbering_differs(qtbot):
    from vaeviz.core.em.gmm import GaussianMixture
    from vaeviz.core.em.kmeans import KMeansState
    from vaeviz.ui.em.kmeans_view import centres_in_colour_order, kmeans_colours

    gmm = GaussianMixture([0.5, 0.3, 0.2], [[0, 0], [5, 5], [-5, 5]], [np.eye(2)] * 3)
    km = KMeansState(3, "update", np.array([[-5.1, 5.0], [0.1, 0.0], [5.0, 4.9]]), None, None)
    colours = kmeans_colours(km, gmm)
    assert list(colours) == [2, 0, 1]
    assert np.allclose(centres_in_colour_order(km.centres, colours), km.centres[[1, 2, 0]])


def test_singularity_figures_say_what_happened_and_differ_from_the_floor_ones(dock):
    apply_preset(dock, "singularity")
    lab = dock.lab
    reason = lab.runner.frame.em.singular.reason
    clause = reason.split(":")[0]  # e.g. "component 4 collapsed onto a single point"
    for text in (lab.messages.text(), lab.problems_text.toPlainText(), lab.figure.em_view.caption()):
        assert clause.lower() in text.lower()  # the banner, the Problems tab and the figure agree
    curves = lab.figure.curves
    assert curves.inf_arrow.isVisible() and len(curves.curve("inf")) == 2
    notes = [n for n in lab.figure.em_view.enlarged_notes if n.isVisible()]
    assert notes and "drawn enlarged" in notes[0].toPlainText()  # the collapsed ellipse can be seen
    collapsed = lab.runner.frame.em.singular.component
    drawn = lab.figure.em_view.outlines._lines[2 * collapsed][0]
    box = np.ptp(np.array([[p.x(), p.y()] for p in drawn]), axis=0)
    (x0, x1), _ = lab.figure.em_view.getPlotItem().vb.viewRange()
    assert box.min() >= 2 * 6 * (x1 - x0) / lab.figure.em_view.getPlotItem().vb.width()  # σ ≥ 6 px
    collapsing = export_widget(lab.figure)

    apply_preset(dock, "singularity-floor")
    assert not lab.runner.frame.terminal and np.isfinite(lab.runner.frame.em.log_likelihood)
    assert "floor on" in lab.figure.em_view.caption() and not curves.inf_arrow.isVisible()
    assert "floor on" in curves.caption_text() and len(curves.curve("ll")) > 10
    assert len(curves.curve("edited")) == 1 and "by hand" in curves.caption_text()  # where it was snapped
    assert [n for n in lab.figure.em_view.enlarged_notes if n.isVisible()]  # held at the floor: tiny too
    assert export_widget(lab.figure) != collapsing


def test_marginal_vs_complete_explains_itself_in_the_figure(dock):
    apply_preset(dock, "marginal-vs-complete")
    curves = dock.lab.figure.curves
    assert "gap" in curves.columns
    assert "true labels, matched to the components by their means at every step" in curves.caption_text()
    gap = curves.curve("gap")
    assert len(gap) > 10 and np.all(gap[:, 1] <= 1e-9)  # Σ log P(z|x) ≤ 0


def test_thin_but_visible_ellipses_are_drawn_as_they_are(dock):
    apply_preset(dock, "kmeans-vs-gmm")  # sheared clusters: a narrow axis of a few pixels
    assert not [n for n in dock.lab.figure.em_view.enlarged_notes if n.isVisible()]


def test_the_scatter_has_a_legend_for_its_marks(dock):
    apply_preset(dock, "overview")
    view = dock.lab.figure.em_view
    texts = " | ".join(view.legend_texts())
    for words in ("mean", "axis handle", "1σ ellipse", "2σ ellipse", "contours", "picked point"):
        assert words in texts
    dock.lab.side.contours.setChecked(False)
    assert "contours" not in " | ".join(view.legend_texts())


@pytest.mark.parametrize("dark", [False, True])
def test_legend_text_is_at_full_contrast_in_both_themes(dock, dark):
    from vaeviz.ui.theme import plot_colours

    dock.apply_theme(dark)
    lab = dock.lab
    foreground = plot_colours(dark)["foreground"]
    for legend in (lab.figure.em_view.legend, lab.figure.oned.top.legend, lab.figure.oned.bottom.legend):
        for _sample, label in legend.items:
            assert foreground[1:] in label.item.toHtml().lower()  # not pyqtgraph's grey 150


@pytest.mark.parametrize("name", [p.name for p in EmDock.presets()])
def test_no_literal_underscores_in_the_figure(dock, name):
    apply_preset(dock, name)
    texts = figure_texts(dock.lab)
    assert texts and not [t for t in texts if "_" in t]


def test_the_seed_runs_caption_says_whether_they_are_aligned(dock):
    apply_preset(dock, "label-switching")
    lab = dock.lab
    assert "numbered differently" in lab.figure.curves.caption_text()
    lab.side.align.setChecked(True)
    assert "aligned to the fit on the left" in lab.figure.curves.caption_text()
