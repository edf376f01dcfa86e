"""Playback of a fit: the frames the worker sent, which one is shown, and Step / Run / Pause.

A fit is one job that computes every frame up to ``max_steps`` (``progress="every"``, so none is
dropped); the runner keeps them and shows one at a time. Run shows the next frame on every tick of a
timer (as soon as it has arrived), Step shows the next one (or the next to arrive), Pause stops the
timer, and :meth:`goto_step` jumps (presets). So stepping back and forth never recomputes a fit, and a
frame arriving late is never lost.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

TICK_MS = 40  # one shown frame per tick while running: 25 frames a second


class FitRunner(QObject):
    """Frames of the current fit (``PairFrame`` or ``VIFrame``) and the one on show."""

    shown = Signal(object)  # the frame now on show
    playing_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.frames: list[Any] = []
        self.pos = -1
        self.playing = False
        self._step_pending = False
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)

    @property
    def frame(self) -> Any:
        return self.frames[self.pos] if 0 <= self.pos < len(self.frames) else None

    @property
    def at_end(self) -> bool:
        return bool(self.frames) and self.pos == len(self.frames) - 1 and self.frames[-1].done

    def clear(self) -> None:
        """A new fit starts: forget the frames (its step 0 comes first and is shown at once)."""
        self.frames = []
        self.pos = -1
        self._step_pending = False

    @Slot(object)
    def add(self, frame: Any) -> None:
        """A frame from the worker (channel progress)."""
        if not hasattr(frame, "done"):
            return  # a progress fraction, not a frame
        self.frames.append(frame)
        if self.pos < 0 or self._step_pending:
            self._step_pending = False
            self._show(len(self.frames) - 1 if self.pos < 0 else self.pos + 1)

    def step(self) -> None:
        self.pause()
        if self.pos + 1 < len(self.frames):
            self._show(self.pos + 1)
        elif not self.at_end:
            self._step_pending = True

    def run(self) -> None:
        if self.at_end:
            return
        self.playing = True
        self._timer.start()
        self.playing_changed.emit(True)

    def pause(self) -> None:
        self._step_pending = False
        if self.playing:
            self.playing = False
            self._timer.stop()
            self.playing_changed.emit(False)

    def goto_step(self, step: int) -> None:
        """Show the first frame at or after ``step`` (the last if the fit ended sooner)."""
        if not self.frames:
            return
        index = next((i for i, f in enumerate(self.frames) if f.step >= step), len(self.frames) - 1)
        self._show(index)

    def goto_index(self, index: int) -> None:
        """Show frame number ``index`` (animations, and putting the shown frame back after one)."""
        if 0 <= index < len(self.frames):
            self._show(index)

    def _show(self, index: int) -> None:
        self.pos = index
        self.shown.emit(self.frames[index])

    @Slot()
    def _tick(self) -> None:
        if self.pos + 1 < len(self.frames):
            self._show(self.pos + 1)
        if self.at_end:
            self.pause()
