"""⊕, the draggable latent point: while dragged, it is drawn where the image on show was decoded."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal


class DragTarget(pg.TargetItem):
    """A TargetItem whose drag moves are offered (``sigDragged``) rather than applied at once.

    Each mouse move of a drag sets :attr:`pending` and emits ``sigDragged(x, y)``; the owner asks for the
    decoding there and, when it is shown, :meth:`place` draws ⊕ at that point. So the marker always sits
    where the image beside it was decoded, and one repaint covers both: a drag repainted twice per move
    before (⊕ moved, then the image came), half of its GUI time. Without a model the owner places ⊕ at
    once. The release (:meth:`release`) and a programmatic ``setPos`` move it as a TargetItem does,
    emitting ``sigPositionChanged``.
    """

    sigDragged = Signal(float, float)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.pending: tuple[float, float] | None = None
        self.placing = False

    def mouseDragEvent(self, ev) -> None:  # noqa: N802 (pyqtgraph's name)
        if not self.movable or ev.button() != Qt.MouseButton.LeftButton:
            return
        ev.accept()
        if ev.isStart():
            self.symbolOffset = self.pos() - self.mapToView(ev.buttonDownPos())
            self.moving = True
        if not self.moving:
            return
        p = self.symbolOffset + self.mapToView(ev.pos())
        self.drag_to(p.x(), p.y())
        if ev.isFinish():
            self.release()

    def drag_to(self, x: float, y: float) -> None:
        """One mouse move of a drag (what the benchmark's simulated drag calls too)."""
        self.moving = True
        self.pending = (float(x), float(y))
        self.sigDragged.emit(float(x), float(y))

    def release(self) -> None:
        """The end of a drag: ⊕ goes to the last position asked for, as a plain move."""
        target, self.pending = self.pending, None
        self.moving = False
        if target is not None:
            self.setPos(*target)
        self.sigPositionChangeFinished.emit(self)

    def place(self, x: float, y: float) -> None:
        """Draw ⊕ at (x, y) without reporting a move (the point whose decoding is now on show)."""
        self.placing = True
        try:
            self.setPos(float(x), float(y))
        finally:
            self.placing = False
