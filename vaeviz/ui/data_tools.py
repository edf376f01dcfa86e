"""Editing the app-wide data set, shared by the labs that draw on it (GMM & EM, Density): the data tools.

Every edit goes through the :class:`~vaeviz.core.data.pointset.PointSet`, so it is undoable and the other
lab sees it. Sampling a preset, parsing a CSV file and writing one are O(N) and N may be a million, so
they run as worker requests through the lab's controller; a CSV error names the line and leaves the data
unchanged (the file is parsed completely before anything is replaced). Which presets exist is the lab's:
it passes a ``sampler`` (name, n, seed → data with ``points`` and, optionally, ``labels``) and the
presets' default sizes.

:class:`DataEditViewBox` is the scatter's view box that edits the data instead of panning while a data
tool (add, spray, erase) is chosen.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, Signal

from vaeviz.core.data.pointset import PointSet
from vaeviz.core.data.pointset_io import CsvError, export_csv, import_csv
from vaeviz.core.jobs import single

SPRAY_PER_EVENT = 6
CSV_FILTER = "CSV files (*.csv *.txt);;All files (*)"
TOOLS = ("select", "add", "spray", "erase")


class DataTools(QObject):
    """The data side of a lab; ``message(kind, text)`` reports problems and results to the message bar.

    Parameters
    ----------
    points
        The app-wide point set.
    compute
        The lab's :class:`~vaeviz.ui.lab.controller.LabController` (request keys "<lab>:data", "<lab>:csv",
        "<lab>:csv-out").
    owner
        Has ``ask_open_path`` / ``ask_save_path`` (monkeypatched in tests).
    sampler
        ``sampler(name, n, seed)``: a preset's sample, with ``points`` and optionally ``labels``; run in
        the worker.
    default_n
        ``default_n(name)``: the preset's own size, used when no N is given.
    """

    message = Signal(str, str)

    def __init__(self, points: PointSet, compute, owner, sampler: Callable[[str, int, int], Any],
                 default_n: Callable[[str], int]) -> None:
        super().__init__()
        self.points = points
        self.compute = compute
        self.owner = owner
        self.sampler = sampler
        self.default_n = default_n
        self.rng = np.random.default_rng(12345)

    # ----- drawing on the scatter ----------------------------------------------------------
    def edit(self, tool: str, pos, stage: str, radius: float) -> None:
        """Apply one mouse event of a data tool; errors (limits) go to the message bar, not to a traceback."""
        try:
            if tool == "add" and stage in ("click", "start", "move"):
                self.points.add([pos])
            elif tool == "spray" and stage != "finish":
                self.points.spray(pos, radius, SPRAY_PER_EVENT, self.rng)
            elif tool == "erase" and stage != "finish":
                self.points.erase_near(pos, radius)
        except ValueError as exc:
            self.message.emit("io", str(exc))

    def undo(self) -> bool:
        return self.points.undo()

    def redo(self) -> bool:
        return self.points.redo()

    # ----- presets ---------------------------------------------------------------------------
    def load_preset(self, name: str, n: int | None = None, seed: int = 0, on_done=None) -> None:
        """Sample preset ``name`` (in the worker) and load it as one undoable step."""
        count = self.default_n(name) if n is None else int(n)

        def loaded(data) -> None:
            self.points.replace(data.points, getattr(data, "labels", None), text=f"load preset {name}")
            if on_done is not None:
                on_done(data)

        self.compute.request("data", single(lambda ctx: self.sampler(name, count, seed)), loaded,
                             on_failed=lambda message, details: self.message.emit("io", message))

    # ----- CSV -------------------------------------------------------------------------------
    def import_dialog(self) -> None:
        path = self.owner.ask_open_path("Import points", CSV_FILTER)
        if path:
            self.import_file(path)

    def import_file(self, path: str) -> None:
        name = Path(path).name

        def parse(ctx):
            try:
                return import_csv(path, self.points.max_points)
            except CsvError as exc:
                return exc
            except OSError as exc:
                return CsvError(f"cannot read the file ({exc.strerror or exc})")

        def done(result) -> None:
            if isinstance(result, CsvError):
                self.message.emit("io", f"Could not import {name}: {result}. The data are unchanged.")
                return
            points, labels = result
            self.points.replace(points, labels, text=f"import {name}")
            self.message.emit("io", "")
            self.message.emit("info", f"Imported {len(points):,} points from {name}.")

        self.compute.request("csv", single(parse), done,
                             on_failed=lambda message, details: self.message.emit("io", message))

    def export_dialog(self) -> None:
        path = self.owner.ask_save_path("Export points", CSV_FILTER, "points.csv")
        if path:
            self.export_file(path if Path(path).suffix else path + ".csv")

    def export_file(self, path: str) -> None:
        points = self.points.points
        labels = self.points.labels

        def write(ctx):
            try:
                export_csv(path, points, labels)
            except OSError as exc:
                return f"Could not write {path}: {exc.strerror or exc}"
            return ""

        def done(error: str) -> None:
            self.message.emit("io", error)
            if not error:
                self.message.emit("info", f"Wrote {len(points):,} points to {Path(path).name}.")

        self.compute.request("csv-out", single(write), done,
                             on_failed=lambda message, details: self.message.emit("io", message))



class DataEditViewBox(pg.ViewBox):
    """A view box that edits the data instead of panning while a data tool is chosen.

    ``data_edit(tool, (x, y), stage)`` with stage "click" | "start" | "move" | "finish"; in the "select"
    tool clicks and drags pan and zoom as usual.
    """

    data_edit = Signal(str, object, str)

    def __init__(self) -> None:
        super().__init__()
        self.tool = "select"

    def _data_pos(self, scene_pos) -> tuple[float, float]:
        p = self.mapSceneToView(scene_pos)
        return (p.x(), p.y())

    def mouseClickEvent(self, ev) -> None:  # noqa: N802 (pyqtgraph's name)
        if ev.button() == Qt.MouseButton.LeftButton and self.tool != "select":
            ev.accept()
            self.data_edit.emit(self.tool, self._data_pos(ev.scenePos()), "click")
            return
        super().mouseClickEvent(ev)

    def mouseDragEvent(self, ev, axis=None) -> None:  # noqa: N802 (pyqtgraph's name)
        if self.tool in ("spray", "erase", "add") and ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            stage = "start" if ev.isStart() else "finish" if ev.isFinish() else "move"
            self.data_edit.emit(self.tool, self._data_pos(ev.scenePos()), stage)
            return
        super().mouseDragEvent(ev, axis)
