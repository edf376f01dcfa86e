"""Dragging a Gaussian mixture's component in the Density lab: a question put to the fit, not an edit.

With the mixture shown (2-D), each component's mean has a handle (◎). While one is held, the picture is the
fitted mixture with that component's mean where the handle is — nothing refitted: heatmap, contours,
marginals, the conditional and p_model's samples follow, streamed from the worker (``density:heat:component``,
at a held slider's resolution), and the title gives the moved mixture's held-out log-likelihood beside the
fit's. EM's fit is a (local) maximum of the training likelihood, so moving a component away lowers it.
Letting go shows EM's fit again: the state is unchanged (sessions and presets never hold a moved component).
"""

from __future__ import annotations

import math

from PySide6.QtCore import QObject, Slot

from vaeviz.core.density.lab import moved_component_layer
from vaeviz.core.density.mixture import FittedGmm
from vaeviz.core.jobs import single
from vaeviz.ui.density.layers import LIVE_RES, heat_of


class ComponentDrag(QObject):
    def __init__(self, lab) -> None:
        super().__init__(lab)
        self.lab = lab
        self.moving: int | None = None  # the component held, while a drag is under way
        self.fit_heat = None  # EM's picture, shown again on release
        lab.figure.main.component_dragged.connect(self.on_dragged)

    def show_handles(self, heat) -> None:
        """A handle at each component's mean when ``heat`` shows a fitted mixture in 2-D; none otherwise.
        (Left alone during a drag: the held handle follows the mouse, not the answers.)"""
        if self.moving is not None:
            return
        fitted = getattr(getattr(heat, "snapshot", None), "fitted", None)
        shown = isinstance(fitted, FittedGmm) and fitted.dim == 2 and self.lab.state.mode == "2d"
        self.lab.figure.main.show_components(fitted.gmm.means if shown else None)

    def caption(self) -> str:
        """What the title adds: while a component is moved, the moved mixture's held-out log-likelihood
        beside the fit's; else what the handles are, when they are shown ("" without them)."""
        if self.moving is None or self.fit_heat is None or self.lab.heat is self.fit_heat:
            return "its means ◎ (drag one)" if self.lab.figure.main.components_shown else ""
        moved, fitted = self.lab.heat.snapshot.held_ll, self.fit_heat.snapshot.held_ll
        if not (math.isfinite(moved) and math.isfinite(fitted)):
            return f"component {self.moving + 1} moved by hand"
        return (f"component {self.moving + 1} moved by hand: held-out log-lik. {moved:.3f} per point "
                f"(EM's fit: {fitted:.3f}); let go for EM's fit")

    @Slot(int, float, float, bool)
    def on_dragged(self, k: int, x: float, y: float, finished: bool) -> None:
        lab = self.lab
        if finished:
            if self.moving is not None:
                self.moving = None
                lab.figure.table.setEnabled(True)
                if self.fit_heat is not None:
                    lab.show_heat(self.fit_heat)
            return
        if self.moving is None:
            if lab.heat is None or not isinstance(getattr(lab.heat.snapshot, "fitted", None), FittedGmm):
                return
            self.fit_heat = lab.heat
            lab.figure.table.setEnabled(False)  # (its numbers are the fit's, not the moved mixture's)
        self.moving = k
        snapshot, state, train, held = self.fit_heat.snapshot, lab.state, lab.train, lab.held
        dark = lab.dark

        def compute(ctx):
            moved = moved_component_layer(snapshot, state, train, held, k, (x, y), LIVE_RES)
            return heat_of(moved, state.view.scale, dark)

        lab.controller.stream(("heat", "component"), single(compute), self._on_moved)

    @Slot(object)
    def _on_moved(self, heat) -> None:
        if self.moving is not None:  # (a late answer to a drag that has been let go is not shown)
            self.lab.show_heat(heat)

    def fit_arrived(self, heat) -> bool:
        """A fit's picture that arrives during a drag becomes the one the release shows (True: taken)."""
        if self.moving is None:
            return False
        self.fit_heat = heat
        return True
