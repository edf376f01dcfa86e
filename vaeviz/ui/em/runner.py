"""The history of EM half-steps and the jobs that extend it; the scrubber's model.

Frames come from one :class:`~vaeviz.workers.bridge.JobChannel` ("em:run": starting, stepping and
running all cancel the previous job before submitting). Edits of the parameters go through a latest-wins
stream ("em:eval"), so a fast drag computes only the newest state. The GUI thread only stores frames
and says which one to show.

Stepping asks for a *target* (the next E frame, the next M frame, an index, the end): when the frame
already exists it is shown at once, otherwise a short job computes it and the target is met when it
arrives. Running plays the frames at the chosen speed with a timer while a long job computes ahead,
so a slow large-N run and a fast small-N run look the same.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal, Slot

from vaeviz.core.em.gmm import GaussianMixture, information_criteria
from vaeviz.core.em.lab import (
    MAX_ITER,
    Blocked,
    Frame,
    LabData,
    RunEnd,
    RunProgress,
    evaluate_job,
    run_job,
    start_job,
)
from vaeviz.core.em.state import LabSettings
from vaeviz.ui.em.controller import EmController

SERIES = ("ll", "cll", "bic", "aic", "km", "m")
# The history keeps at most this many half-steps (issue #13: 20,000 Steps grew memory by 130 MB). 2,000 is
# over three runs of 2 × MAX_ITER half-steps, so playback never loses the frame it shows, and a frame's
# colour keys (≤ 20,000 drawn points) keep the worst case near 100 MB. The oldest are dropped in blocks of
# DROP_BLOCK, so dropping costs O(1) amortised per frame; numbering stays absolute (``first``).
MAX_HISTORY_FRAMES = 2_000
DROP_BLOCK = 200


class EmRunner(QObject):
    """Frames, the shown index and the computing behind them."""

    shown = Signal(int)  # index of the frame to show
    history_changed = Signal()
    blocked = Signal(str)  # why EM cannot run ('' once it can)
    preview = Signal(object)  # a Frame for parameters being dragged (not in the history)
    status = Signal(str)
    failed = Signal(str)
    playing_changed = Signal(bool)

    def __init__(self, controller: EmController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        # Handlers given to channel(): a job's end is handled (maybe by submitting the next job towards
        # the target) before the controller checks whether the lab is idle.
        self.channel = controller.channel("run", on_progress=self._on_progress, on_finished=self._on_finished,
                                          on_failed=self._on_failed)
        self.frames: list[Frame] = []
        self.first = 0  # the absolute half-step number of frames[0] (older ones were dropped)
        self.pos = 0  # the shown half-step's absolute number
        self.data: LabData | None = None
        self.settings = LabSettings()
        self.target: tuple | None = None
        self.end: RunEnd | None = None  # how the last job ended (None: one is running or none ran)
        self.playing = False
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._on_tick)
        self.set_speed(8)
        self._series: dict[str, list[float]] = {name: [] for name in SERIES}
        self._generation = 0  # bumped when the history starts again: older edit results are dropped

    # ----- state -----------------------------------------------------------------------------
    @property
    def frame(self) -> Frame | None:
        return self.frames[self.pos - self.first] if self.frames else None

    @property
    def last(self) -> int:
        """The absolute number of the newest frame."""
        return self.first + len(self.frames) - 1

    def frame_at(self, index: int) -> Frame:
        return self.frames[index - self.first]

    def series(self) -> dict[str, np.ndarray]:
        """Per-frame curves: marginal and complete log-likelihood, BIC, AIC, k-means objective and the
        M-step mask."""
        out = {name: np.array(values, dtype=np.float64) for name, values in self._series.items()}
        out["m"] = out["m"].astype(bool)
        return out

    def _append(self, frame: Frame) -> None:
        if len(self.frames) >= MAX_HISTORY_FRAMES:
            block = min(DROP_BLOCK, MAX_HISTORY_FRAMES // 2)  # (a block, not one: amortised O(1) a frame)
            self._drop_oldest(max(block, len(self.frames) - MAX_HISTORY_FRAMES + 1))
        self.frames.append(frame)
        em, km = frame.em, frame.km
        cll = em.complete_log_likelihood
        self._series["ll"].append(em.log_likelihood)
        self._series["cll"].append(math.nan if cll is None else cll)
        bic, aic = information_criteria(em.log_likelihood, frame.gmm.n_parameters(),
                                        0 if self.data is None else self.data.n)
        self._series["bic"].append(bic)
        self._series["aic"].append(aic)
        self._series["km"].append(math.nan if km is None or km.objective is None else km.objective)
        self._series["m"].append(1.0 if em.phase == "M" else 0.0)

    def _drop_oldest(self, count: int) -> None:
        """Forget the ``count`` oldest frames; the shown one moves to the oldest kept if it was dropped."""
        del self.frames[:count]
        for values in self._series.values():
            del values[:count]
        self.first += count
        if self.pos < self.first:
            self.pos = self.first
            if self.frames:
                self.shown.emit(self.pos)

    def _truncate(self, length: int) -> None:
        del self.frames[length:]
        for values in self._series.values():
            del values[length:]

    def next_m_frame(self) -> Frame | None:
        """The frame of the M-step at or after the shown one, if computed (for the Explain pane)."""
        i = self.pos - self.first
        for frame in self.frames[i:i + 2]:
            if frame.phase == "M":
                return frame
        return None

    # ----- starting ----------------------------------------------------------------------------
    def restart(self, data: LabData, settings: LabSettings, user_means=None, n_half: int = 0) -> None:
        """Forget the history and start from the settings' initialisation."""
        self.pause()
        self.data = data
        self.settings = settings
        self._truncate(0)
        self.first = self.pos = 0
        self.end = None
        self._generation += 1
        self.target = ("index", n_half) if n_half else None
        self.history_changed.emit()
        self._submit(start_job(data, settings, n_half, user_means))  # (in place of a running job)

    def replace_with(self, frame: Frame) -> None:
        """Start the history again from one given frame (a restored session)."""
        self.pause()
        self.channel.cancel()
        self._generation += 1
        self._truncate(0)
        self.first = 0
        self._append(frame)
        self.pos = 0
        self.end = None
        self.target = None
        self.history_changed.emit()
        self.shown.emit(0)

    def set_settings(self, settings: LabSettings) -> None:
        """New floor settings for the steps to come: frames after the shown one are recomputed.

        A singular frame cannot be continued, so the one before it becomes the shown frame.
        """
        self.settings = settings
        self.channel.cancel()
        if self.frames and self.frame.terminal and self.pos > self.first:
            self.pos -= 1
        if self.last > self.pos:
            self._truncate(self.pos - self.first + 1)
            self.history_changed.emit()
            self.shown.emit(self.pos)
        self.end = None

    # ----- stepping ----------------------------------------------------------------------------
    def step(self, kind: str) -> None:
        """Go to the next "E", "M" or full "step" (the next M frame), computing it if needed."""
        self.pause()
        self._seek(("phase", "M") if kind == "step" else ("phase", kind))

    def goto(self, index: int) -> None:
        """Show half-step ``index`` (absolute), computing up to it if needed (presets' ``steps``)."""
        self._seek(("index", index))

    def _find(self, target: tuple) -> int | None:
        kind, value = target
        if kind == "index":
            return max(value, self.first) if value <= self.last else None
        if kind == "phase":
            return next((j for j in range(self.pos + 1, self.last + 1) if self.frame_at(j).phase == value),
                        None)
        return None

    def _seek(self, target: tuple) -> None:
        if not self.frames:
            if self.channel.busy:  # the first frame is still being computed: aim for it afterwards
                self.target = target
            return
        found = self._find(target)
        if found is not None:
            self.show(found)
            return
        if self.frames[-1].terminal:
            self.show(self.last)
            self.status.emit("EM stopped: a component collapsed. Turn the covariance floor on, or step back.")
            return
        self.target = target
        need = target[1] - self.last if target[0] == "index" else 2
        if not self.channel.busy:
            self._compute(max(need, 1))

    def _compute(self, n_half: int) -> None:
        if self.data is None or not self.frames or self.frames[-1].terminal:
            return
        resume = self.end.resume if self.end is not None else None  # used once: the job moves it on
        self.end = None
        self._submit(run_job(self.data, self.settings, self.frames[-1], n_half, resume=resume))

    def _submit(self, factory) -> None:
        self.controller.replace_job(self.channel, factory, progress="every")

    def show(self, index: int) -> None:
        if not self.frames:
            return
        self.pos = int(min(max(index, self.first), self.last))
        self.shown.emit(self.pos)

    def scrub(self, index: int) -> None:
        self.pause()
        self.show(index)

    # ----- running -----------------------------------------------------------------------------
    def set_speed(self, half_steps_per_s: int) -> None:
        self.timer.setInterval(max(16, int(1000 / max(half_steps_per_s, 1))))

    def play(self) -> None:
        if not self.frames or (self.frames[-1].terminal and self.pos == self.last):
            return
        self.playing = True
        self.timer.start()
        self.playing_changed.emit(True)
        if not self.channel.busy and (self.end is None or self.end.reason == "steps"):
            self._compute(2 * MAX_ITER)

    def pause(self) -> None:
        was = self.playing
        self.playing = False
        self.timer.stop()
        if was:
            self.playing_changed.emit(False)

    @Slot()
    def _on_tick(self) -> None:
        if self.pos < self.last:
            self.show(self.pos + 1)
        elif self.channel.busy:
            return  # the worker is behind the playback: wait for the next frame
        elif self.end is not None and self.end.reason == "steps" and not self.frames[-1].terminal:
            self._compute(2 * MAX_ITER)
        else:
            self.pause()
            self.status.emit(self._end_text())

    def _end_text(self) -> str:
        last = self.frames[-1] if self.frames else None
        if last is None:
            return ""
        if last.terminal:
            return "EM stopped: the likelihood is +∞ (a component collapsed)."
        if self.end is not None and self.end.reason == "converged":
            return f"Converged after {last.em.iteration} iterations."
        return f"Stopped after {last.em.iteration} iterations."

    # ----- edits -------------------------------------------------------------------------------
    def edit(self, gmm: GaussianMixture, finished: bool) -> None:
        """Parameters changed by hand: preview while dragging; on release the edit becomes a frame and
        the history after the shown frame is replaced (EM continues from the edit)."""
        if self.data is None or not self.frames:
            return
        self.pause()
        base = self.frame
        generation = self._generation

        def on_result(frame: Frame) -> None:
            if generation != self._generation:
                return  # the history started again meanwhile (new data, reset)
            if not finished:
                self.preview.emit(frame)
                return
            self.channel.cancel()
            self._truncate(self.pos - self.first + 1)
            self._append(frame)
            self.end = None
            self.history_changed.emit()
            self.show(self.last)
            # the controller runs the idle callbacks once this request has settled

        def on_failed(message: str, details: str) -> None:
            self.failed.emit(message)

        # Separate keys: a preview of the next drag must not supersede (drop) this drag's commit.
        job = evaluate_job(self.data, gmm, base)
        if finished:
            self.controller.request("commit", job, on_result, on_failed=on_failed)
        else:
            self.controller.stream("eval", job, on_result, on_failed=on_failed)

    # ----- job events --------------------------------------------------------------------------
    @Slot(object)
    def _on_progress(self, progress: RunProgress) -> None:
        self._append(progress.frame)
        self.history_changed.emit()
        if self.last == 0:
            self.blocked.emit("")
            self.show(0)
        if self.target is not None and self._find(self.target) is not None:
            found = self._find(self.target)
            self.target = None
            self.show(found)

    @Slot(object)
    def _on_finished(self, result) -> None:
        if isinstance(result, Blocked):
            self.blocked.emit(result.message)
            return
        if isinstance(result, RunEnd):
            self.end = result
        if self.target is not None and self.frames:
            more = isinstance(result, RunEnd) and result.reason == "steps" and not self.frames[-1].terminal
            if more and self._find(self.target) is None:
                self._seek(self.target)  # the job was shorter than the target (e.g. the start job)
                return
            self.target = None  # the run ended before the target (converged, collapsed)
            self.show(self.last)
            if self.frames and self.frames[-1].terminal:
                self.status.emit(self._end_text())

    @Slot(str, str)
    def _on_failed(self, message: str, details: str) -> None:
        self.pause()
        self.target = None
        self.failed.emit(message)

    def shutdown(self) -> None:
        self.pause()
        self.channel.cancel()
