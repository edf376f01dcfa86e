"""Readable in the dark theme (issue #11): the "P = ½" annotation, the hover boxes, unticked check
boxes, the status words of the Numbers tab; and the Numbers tab's precision note, the Explain tab's
matrices."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from em_helpers import make_dock
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QCheckBox

from vaeviz.core.em.algorithm import EMState
from vaeviz.core.em.lab import Frame
from vaeviz.ui.em.explain import m_step_html
from vaeviz.ui.theme import apply_theme, plot_colours


def contrast(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio of two colours."""

    def luminance(c: QColor) -> float:
        channels = [v / 255 for v in (c.red(), c.green(), c.blue())]
        lin = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.fixture
def dark_app(qapp):
    apply_theme(qapp, "dark")
    yield qapp
    apply_theme(qapp, "light")


@pytest.fixture
def dock(qtbot):
    d = make_dock(qtbot)
    yield d
    d.shutdown()


def test_an_unticked_check_box_stands_out_of_the_dark_panel(dark_app, qtbot):
    box = QCheckBox("density heatmap")
    qtbot.addWidget(box)
    box.ensurePolished()  # (a widget takes its class's palette when polished)
    panel = QApplication.palette().color(QPalette.ColorRole.Window)
    fill = box.palette().color(QPalette.ColorRole.Base)
    outline = box.palette().color(QPalette.ColorRole.Window).darker(140).lighter(110)  # Fusion's edge
    assert contrast(outline, panel) >= 2.0 and contrast(outline, fill) >= 1.5
    assert contrast(box.palette().color(QPalette.ColorRole.WindowText), panel) >= 7  # the text unchanged
    apply_theme(dark_app, "light")  # and back: the light theme's boxes are the standard ones
    base = QApplication.palette().color(QPalette.ColorRole.Base)
    qtbot.waitUntil(lambda: box.palette().color(QPalette.ColorRole.Base) == base)  # (a posted event)


@pytest.mark.parametrize("dark", [False, True])
def test_one_d_annotation_and_hover_box_follow_the_theme(dock, dark):
    next(p for p in dock.presets() if p.name == "lecture-1d-unequal-weights").apply(dock, None)
    dock.apply_theme(dark)
    view = dock.lab.figure.oned
    background = QColor(plot_colours(dark)["background"])
    label = view.boundary.label
    assert label.isVisible() and "P = ½ at x =" in label.toPlainText()
    assert contrast(label.color, background) >= 7
    fill = view.readout.fill.color()
    assert contrast(view.readout.color, fill) >= 7 and contrast(fill, background) < 1.5  # a box of the page
    probe = dock.lab.figure.em_view
    probe.gmm = None
    assert contrast(QColor(probe._probe_colour), probe.probe.fill.color()) >= 7


def test_numbers_status_words_are_readable_in_both_themes(dock, qapp):
    lab = dock.lab
    next(p for p in dock.presets() if p.name == "singularity").apply(dock, None)
    lab.tabs.setCurrentWidget(lab.numbers)
    for mode in ("dark", "light"):
        apply_theme(qapp, mode)
        lab.numbers.setPalette(QApplication.palette())
        html = lab.numbers.summary.text()
        colour = QColor(html.split("color:")[-1].split("'")[0])
        window = lab.numbers.palette().color(QPalette.ColorRole.Window)
        assert "singular" in html and contrast(colour, window) >= 3.5


@dataclass(frozen=True, eq=False)
class NotedState(EMState):
    precision_note: str | None = None  # the core's field (issue #11), when a float32 run went on in float64


def test_numbers_show_the_precision_note_when_there_is_one(dock):
    lab = dock.lab
    lab.restart(n_half=4)
    frame = lab.runner.frame
    em = frame.em
    fields = {name: getattr(em, name) for name in ("iteration", "phase", "gmm", "responsibilities",
                                                   "log_likelihood", "mean_log_likelihood",
                                                   "complete_log_likelihood", "singular", "converged")}
    lab.tabs.setCurrentWidget(lab.numbers)
    lab.numbers.show_frame(Frame(NotedState(**fields, precision_note=None), frame.km, frame.keys), 600, "")
    assert "precision" not in lab.numbers.summary.text()
    note = "float32 could not resolve ℓ on this data: continued in float64"
    lab.numbers.show_frame(Frame(NotedState(**fields, precision_note=note), frame.km, frame.keys), 600, "")
    assert f"precision: {note}" in lab.numbers.summary.text()


def test_the_m_step_shows_means_and_covariances_as_matrices(dock):
    lab = dock.lab
    lab.restart(n_half=2)
    gmm = lab.runner.frame.gmm
    html = m_step_html(gmm, None, 600, 1e-6)
    # one small bracketed table per μ_k (a column of 2) and per Σ_k (2 × 2), its cells never wrapped
    assert html.count("⎡") == 2 * gmm.n_components and html.count("⎦") == 2 * gmm.n_components
    assert html.count("<table") == 1 + 2 * gmm.n_components and "nowrap" in html
    lab.tabs.setCurrentWidget(lab.explain)
    text = lab.explain.toPlainText()
    assert "⎡" in text and "⎣" in text
