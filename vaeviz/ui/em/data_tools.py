"""Editing the shared data set from the scatter, data presets and CSV import/export.

Every edit goes through the :class:`~vaeviz.core.data.pointset.PointSet`, so it is undoable and the other
lab sees it. Sampling a preset, parsing a CSV file and writing one are O(N) and N may be a million, so
they run as worker requests; a CSV error names the line and leaves the data unchanged (the file is
parsed completely before anything is replaced).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from vaeviz.core.data.pointset import PointSet
from vaeviz.core.data.pointset_io import CsvError, export_csv, import_csv
from vaeviz.core.data.pointset_presets import PRESETS
from vaeviz.core.jobs import single

SPRAY_PER_EVENT = 6
CSV_FILTER = "CSV files (*.csv *.txt);;All files (*)"


def _sample(name: str, n: int, seed: int):
    return PRESETS[name].make(n, seed)


class DataTools(QObject):
    """The data side of the lab; ``message(kind, text)`` reports problems and results to the message bar."""

    message = Signal(str, str)

    def __init__(self, points: PointSet, compute, owner) -> None:
        """``compute``: the lab's :class:`~vaeviz.ui.em.controller.EmController` (keys "em:data", ...)."""
        super().__init__()
        self.points = points
        self.compute = compute
        self.owner = owner  # has ask_open_path / ask_save_path (monkeypatched in tests)
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
        spec = PRESETS[name]
        count = spec.default_n if n is None else int(n)

        def loaded(data) -> None:
            self.points.replace(data.points, data.labels, text=f"load preset {name}")
            if on_done is not None:
                on_done(data)

        self.compute.request("data", single(lambda ctx: _sample(name, count, seed)), loaded,
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
