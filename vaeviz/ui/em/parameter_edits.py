"""Edits of the mixture by hand: dragging a component's mean or axis handles in the scatter, or its
weight in the curves. While dragging, the likelihood and colours of the edited mixture are previewed
(latest-wins requests); on release the edit becomes a frame and EM continues from it.
"""

from __future__ import annotations

from collections.abc import Callable

from vaeviz.core.em.edit import drag_axis, move_mean, set_weight
from vaeviz.core.em.gmm import GaussianMixture
from vaeviz.core.em.lab import Frame
from vaeviz.ui.em.figure import EmFigure
from vaeviz.ui.em.numbers import NumbersPane
from vaeviz.ui.em.runner import EmRunner


class ParameterEdits:
    """Turns the handles' drags into edited mixtures for the runner.

    Parameters
    ----------
    figure, runner, numbers
        The figure (its scatter and curves emit the drags), the runner (the shown frame; previews and
        commits) and the Numbers pane (shows a preview).
    n_points
        How many data points there are now.
    select_component
        The lab's selection of the component being edited.
    """

    def __init__(self, figure: EmFigure, runner: EmRunner, numbers: NumbersPane, n_points: Callable[[], int],
                 select_component: Callable[[int], None]) -> None:
        self.figure = figure
        self.runner = runner
        self.numbers = numbers
        self._n_points = n_points
        self._select_component = select_component
        self._dragged: GaussianMixture | None = None  # the mixture of the drag going on (None: none)
        figure.em_view.component_edited.connect(self._on_component_edited)
        figure.curves.weight_edited.connect(self._on_weight_edited)
        runner.preview.connect(self._on_preview)

    def _base(self, k: int) -> GaussianMixture | None:
        """The mixture the edit of component ``k`` starts from (None: there is none, or no such k)."""
        frame = self.runner.frame
        base = self._dragged or (frame.gmm if frame is not None else None)
        if base is None or k >= base.n_components:
            return None
        return base

    def _on_component_edited(self, k: int, part: str, pos, finished: bool) -> None:
        base = self._base(k)
        if base is None:
            return
        self._select_component(k)
        try:
            if part == "mean":
                gmm = move_mean(base, k, pos)
            else:
                gmm = drag_axis(base, k, int(part[-1]), pos)
        except ValueError:
            return  # e.g. a degenerate handle position: keep the last valid mixture
        self._apply(gmm, finished, skip=None if finished else self.figure.em_view.dragging())

    def _on_weight_edited(self, k: int, value: float, finished: bool) -> None:
        base = self._base(k)
        if base is None:
            return
        self._select_component(k)
        self._apply(set_weight(base, k, value), finished)

    def _apply(self, gmm: GaussianMixture, finished: bool, skip=None) -> None:
        self._dragged = None if finished else gmm
        self.figure.em_view.set_mixture(gmm, skip=skip)
        curves = self.figure.curves
        curves.set_weights(gmm.weights, skip=None if finished else curves.dragging())
        self.runner.edit(gmm, finished)

    def _on_preview(self, frame: Frame) -> None:
        if self._dragged is None:
            return  # the drag has ended: its committed frame is (or will be) shown instead
        self.figure.em_view.set_keys(frame.keys)
        self.numbers.show_frame(frame, self._n_points(), "editing (release to keep)")
