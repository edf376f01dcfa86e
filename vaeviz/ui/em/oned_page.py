"""The lecture's 1-D mixture page: the figure's 1-D view and its text in the Explain pane.

The page shows the state's :class:`~vaeviz.core.em.state.OneD` values; dragging a mean line or pressing
"Lecture values" makes a new state for the lab to apply.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QPushButton, QTextBrowser

from vaeviz.core.em.choices import LECTURE_MEANS, LECTURE_SIGMAS
from vaeviz.core.em.problems import crossover
from vaeviz.core.em.state import ONED_MEAN_RANGE, EmLabState, OneD
from vaeviz.ui.em.explain import fmt
from vaeviz.ui.em.oned_sampling import Sampler
from vaeviz.ui.em.oned_view import OneDView


def oned_explain_html(oned: OneD) -> str:
    """The Explain pane's text for the 1-D mixture ``oned``."""
    weights, means, sigmas = oned.weight_values, oned.means, oned.sigmas
    x_star = crossover(weights, means, sigmas)
    if x_star is not None:
        where = (f"P(z=1|x) = P(z=2|x) = ½ at x* = {fmt(x_star)}: with unequal weights the boundary "
                 "moves towards the lighter component.")
    else:
        where = "With unequal σ the posterior can cross ½ twice."
    return ("<h4>The lecture's 1-D mixture</h4>"
            f"<p>p(z=k) = π<sub>k</sub>: π = ({fmt(weights[0])}, {fmt(weights[1])}); "
            f"p(x|z=k) = N(x | μ<sub>k</sub>, σ<sub>k</sub>²) with μ = ({fmt(means[0])}, {fmt(means[1])}), "
            f"σ = ({fmt(sigmas[0])}, {fmt(sigmas[1])}).</p>"
            "<p>Marginal: p(x) = Σ<sub>z</sub> p(x|z) p(z) — the sum of the weighted components (black).</p>"
            "<p>Posterior (Bayes): P(z=k|x) = π<sub>k</sub> p(x|z=k) / p(x) — the E-step's responsibility "
            f"of component k for a point at x.</p><p>{where}</p>"
            "<p><b>Sample</b> runs the generative process: z ~ Cat(π), then x | z ~ "
            "N(μ<sub>z</sub>, σ<sub>z</sub>²), so P(x, z) = P(x|z) P(z). The points are coloured by z; "
            "forgetting z, their histogram approaches the marginal p(x).</p>")


class OneDPage:
    """Shows the 1-D values and turns drags of the mean lines into new states.

    Parameters
    ----------
    view, explain
        The figure's 1-D view and the Explain pane (written only while the page is shown).
    state, apply
        The lab's current state, and its ``apply_state``.
    sample, clear
        The side panel's Sample switch and Clear samples button.
    """

    def __init__(self, view: OneDView, explain: QTextBrowser, state: Callable[[], EmLabState],
                 apply: Callable[[EmLabState], None], sample: QPushButton, clear: QPushButton) -> None:
        self.view = view
        self.explain = explain
        self._state = state
        self._apply = apply
        self.sample_button = sample
        self.sampler = Sampler(view)
        self.sampler.changed.connect(view.set_samples)
        self.sampler.running_changed.connect(self._on_running_changed)
        sample.toggled.connect(self._on_sample_toggled)
        clear.clicked.connect(self.sampler.clear)
        view.mean_dragged.connect(self._on_mean_dragged)
        view.hidden.connect(self.sampler.stop)  # the dock closed or the 2-D page shown

    def show(self, oned: OneD) -> None:
        self.view.set_params(oned.weight_values, oned.means, oned.sigmas)
        self.sampler.set_params(oned.weight_values, oned.means, oned.sigmas)
        self.update_explain()

    @Slot(bool)
    def _on_sample_toggled(self, on: bool) -> None:
        if on:
            self.sampler.start()
        else:
            self.sampler.stop()

    @Slot(bool)
    def _on_running_changed(self, running: bool) -> None:
        button = self.sample_button
        button.blockSignals(True)
        button.setChecked(running)
        button.setText("Stop" if running else "Sample")
        button.blockSignals(False)

    def shutdown(self) -> None:
        self.sampler.stop()

    def update_explain(self) -> None:
        state = self._state()
        if state.mode == "1d":
            self.explain.setHtml(oned_explain_html(state.oned))

    def reset_to_lecture(self) -> None:
        """The lecture's means and σ (the weights stay)."""
        state = self._state()
        self._apply(replace(state, oned=replace(state.oned, means=LECTURE_MEANS, sigmas=LECTURE_SIGMAS)))

    def _on_mean_dragged(self, k: int, value: float) -> None:
        state = self._state()
        means = list(state.oned.means)
        if abs(value - means[k]) < 0.25:
            return
        low, high = ONED_MEAN_RANGE
        means[k] = min(max(round(value * 2) / 2, low), high)  # the spin box's half steps and range
        self._apply(replace(state, oned=replace(state.oned, means=tuple(means))))
