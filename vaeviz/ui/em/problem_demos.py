"""The three hidden-data problems, demonstrated: ① marginal vs complete log-likelihood, ② EM from several
seeds (label switching; channel ``em:seeds``), ③ snap & shrink a component onto one point.

:class:`ProblemDemos` runs them and keeps the Problems tab's text up to date with the shown frame.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

import numpy as np
from PySide6.QtWidgets import QCheckBox, QTabWidget, QTextBrowser

from vaeviz.core.em.edit import snap_and_shrink
from vaeviz.core.em.lab import Frame, LabData
from vaeviz.core.em.problems import seeds_job
from vaeviz.core.em.state import EmLabState
from vaeviz.ui.em.controller import EmController
from vaeviz.ui.em.explain import fmt
from vaeviz.ui.em.figure import EmFigure
from vaeviz.ui.em.problems import PROBLEMS, collapse_clause, figure_captions, problems_html
from vaeviz.ui.em.raster_layers import RasterLayers
from vaeviz.ui.em.runner import EmRunner

SEED_LIMIT = 20_000  # the seed runs use at most this many (drawn) points: four full runs must stay quick


def _seed_row(run) -> str:
    order = [int(p) + 1 for p in run.perm]
    return f"seed {run.seed}: ℓ = {fmt(run.log_likelihood)}, order {order}"


class ProblemHost(Protocol):
    """What the demos use of the lab besides its widgets."""

    data: LabData | None
    selected: int

    @property
    def state(self) -> EmLabState: ...

    def apply_state(self, state: EmLabState) -> None: ...

    def restart(self, n_half: int = 0) -> None: ...

    def select_component(self, k: int) -> None: ...

    def set_message(self, kind: str, text: str) -> None: ...


class ProblemDemos:
    """The problem shown (None, "marginal", "seeds" or "singular"), its runs and its text.

    Parameters
    ----------
    host
        The lab (see :class:`ProblemHost`).
    runner, controller, figure, layers
        The frames, the worker (the seed runs' channel), the figure and its raster layers.
    tabs, text
        The lab's tabs and the Problems tab's text, which this object owns.
    align
        The "align the runs" switch, enabled once there are runs to align.
    """

    def __init__(self, host: ProblemHost, runner: EmRunner, controller: EmController, figure: EmFigure,
                 layers: RasterLayers, tabs: QTabWidget, text: QTextBrowser, align: QCheckBox) -> None:
        self.host = host
        self.runner = runner
        self.controller = controller
        self.figure = figure
        self.layers = layers
        self.tabs = tabs
        self.text = text
        self.align = align
        self.problem: str | None = None
        self.seed_runs: list = []
        self.seeds_channel = controller.channel("seeds", on_finished=self._on_seeds_done,
                                                on_failed=self._on_seeds_failed)
        self._html = problems_html(None)
        text.setHtml(self._html)

    def show_problem(self, key: str | None, run: bool = False) -> None:
        """Show problem ``key``'s explanation (None: none); ``run`` also runs problem ① from the start.

        Whatever the previous problem left beside the scatter goes: the seed runs belong to problem ②
        only, and k-means comes back if it is ticked."""
        self.problem = key
        if key != "seeds":
            self._drop_seed_runs()
        if key is not None:
            self.tabs.setCurrentWidget(self.text)
            self.host.set_message("problem", f"<b>{PROBLEMS[key][0]}</b> — see the Problems tab.")
        else:
            self.host.set_message("problem", "")
        if key == "marginal" and run:
            state = self.host.state
            self.host.apply_state(replace(state, display=replace(state.display, complete=True)))
            self.host.restart(n_half=20)
        self.update_detail(self.runner.frame)

    def clear(self) -> None:
        """No problem shown, and k-means (or nothing) beside the scatter instead of the seed runs."""
        if self.problem is not None:
            self.show_problem(None)
        self._drop_seed_runs()

    def _drop_seed_runs(self) -> None:
        self.seed_runs = []
        self.seeds_channel.cancel()
        self.align.setEnabled(False)
        if self.figure.side_kind == "seeds":
            self.figure.seeds_view.set_runs([], np.zeros((0, 2)))
            self.layers.set_side("kmeans" if self.host.state.display.kmeans else None)

    def update_detail(self, frame: Frame | None) -> None:
        """The Problems tab's text and the figure's captions for the shown problem and ``frame``."""
        html = problems_html(self.problem, self._detail(frame))
        if html != self._html:  # every frame shown calls this; setHtml re-lays out the text
            self._html = html
            self.text.setHtml(html)
        model = self.host.state.model
        scatter, curves = figure_captions(self.problem, frame, model.floor, model.reg_value,
                                          self.host.selected, self.host.state.align)
        self.figure.em_view.set_caption(scatter)
        self.figure.curves.set_caption(curves)

    def _detail(self, frame: Frame | None) -> str:
        if frame is not None and self.problem == "marginal":
            return self._marginal_detail(frame)
        if self.problem == "seeds" and self.seed_runs:
            rows = "; ".join(_seed_row(run) for run in self.seed_runs)
            return f"{rows}. Tick “align the runs” to match each run's components to the fit on the left."
        if frame is not None and self.problem == "singular":
            floor = "on" if self.host.state.model.floor else "off"
            detail = (f"Component {self.host.selected + 1} was snapped onto one data point. Floor {floor}; "
                      f"ℓ now = {fmt(frame.em.log_likelihood)}. ")
            if frame.terminal:  # the banner's words (the core's reason), so the two agree
                return detail + (f"{collapse_clause(frame.em.singular.reason)}: tick the floor (the lab "
                                 "steps back) and press M-step to see ℓ stay finite.")
            return detail + "Press Step and watch ℓ."
        return ""

    @staticmethod
    def _marginal_detail(frame: Frame) -> str:
        cll = frame.em.complete_log_likelihood
        if cll is None:
            return ("The complete-data log-likelihood needs the true labels of every point with K equal to "
                    "the number of true components: load a data preset and set K to match.")
        ll = frame.em.log_likelihood
        return (f"Now: marginal ℓ = {fmt(ll)}, complete ℓ<sub>c</sub> = {fmt(cll)}. "
                f"Their difference ℓ<sub>c</sub> − ℓ = Σ<sub>n</sub> log P(z<sub>n</sub>|x<sub>n</sub>) "
                f"= {fmt(cll - ll)} ≤ 0.")

    # ----- ② several seeds -------------------------------------------------------------------------------
    def run_seeds(self) -> None:
        """EM from four seeds on the data (in the worker), aligned to the shown fit."""
        frame, data = self.runner.frame, self.host.data
        if data is None or frame is None:
            self.host.set_message("io", "Run from several seeds needs data and a valid K first.")
            return
        settings = self.host.state.model
        if settings.k < 2:
            self.host.set_message("io", "Label switching needs K ≥ 2 components.")
            return
        x = data.x_shown if data.n > SEED_LIMIT else data.x
        self.show_problem("seeds")
        reference = frame.gmm.means if frame.gmm.n_components == settings.k else None
        job = seeds_job(np.ascontiguousarray(x), settings.k, settings.covariance_type, settings.reg_value,
                        reference=reference)
        self.controller.replace_job(self.seeds_channel, job, progress="latest")

    def _on_seeds_done(self, runs) -> None:
        if self.problem != "seeds":
            return  # another problem was chosen while the runs were computed
        self.seed_runs = list(runs)
        self.figure.seeds_view.set_runs(self.seed_runs, self.host.data.x_shown)
        self.figure.seeds_view.set_aligned(self.host.state.align)
        self.align.setEnabled(True)
        self.layers.set_side("seeds")
        self.update_detail(self.runner.frame)

    def _on_seeds_failed(self, message: str, details: str) -> None:
        self.host.set_message("io", message)

    # ----- ③ snap & shrink -------------------------------------------------------------------------------
    def snap_shrink(self) -> None:
        """Put the selected component on one data point and shrink it: the next M-step collapses it."""
        frame = self.runner.frame
        if frame is None or self.host.data is None:
            self.host.set_message("io", "Snap & shrink needs a mixture first.")
            return
        if frame.gmm.covariance_type == "tied":
            self.host.set_message("io", "With tied covariances all components share one matrix: one "
                                        "component cannot shrink alone. Choose full, diag or spherical.")
            return
        if frame.gmm.n_components < 2:
            self.host.set_message("io", "Snap & shrink needs K ≥ 2: the other components keep the rest of "
                                        "the data's density positive.")
            return
        if frame.terminal:
            self.runner.show(self.runner.pos - 1)
            frame = self.runner.frame
        k = min(self.host.selected, frame.gmm.n_components - 1)
        self.host.select_component(k)
        self.show_problem("singular")
        self.runner.edit(snap_and_shrink(frame.gmm, self.host.data.x, k), finished=True)
