"""The table of KL values: both divergences of each fitted q (the asymmetry in numbers), the Monte Carlo
estimate ± its standard error beside the grid quadrature, and the analytic optima where they are known."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from vaeviz.core.kl.fit import KLEstimate
from vaeviz.core.kl.targets import Gaussian

# q's parameters are in each row's tooltip and the Explain pane: the table keeps to the numbers compared
COLUMNS = ("KL(p‖q) MC ± se", "grid", "KL(q‖p) MC ± se", "grid")


def fmt(value: float, digits: int = 3) -> str:
    """A number for the user: "—" for a missing one (NaN) and ∞ for an infinite one, never "nan"."""
    if value is None or math.isnan(value):
        return "—"
    if math.isinf(value):
        return "+∞" if value > 0 else "−∞"
    text = f"{value:.{digits}f}"
    return text.lstrip("-") if float(text) == 0 else text  # a KL of −1e-17 is 0, not "−0.000"


def estimate_text(estimate: KLEstimate | None) -> str:
    if estimate is None or math.isnan(estimate.value):
        return "—"
    if estimate.stderr == 0:
        return f"{fmt(estimate.value)} (exact)"
    return f"{fmt(estimate.value)} ± {fmt(estimate.stderr)}"


@dataclass(frozen=True)
class Row:
    """One fitted (or optimal) q and what is known about its two KL values."""

    label: str
    q: Gaussian | None
    forward: KLEstimate | None  # KL(p‖q), Monte Carlo (or exact)
    reverse: KLEstimate | None  # KL(q‖p)


def q_text(q: Gaussian | None) -> str:
    if q is None:
        return ""
    sd = np.sqrt(np.diag(q.cov))
    mean = ", ".join(f"{m:.2f}" for m in q.mean)
    spread = ", ".join(f"{s:.2f}" for s in sd)
    return f"({mean}); ({spread})"


class KLTable(QTableWidget):
    def __init__(self) -> None:
        super().__init__(0, len(COLUMNS))
        self.setHorizontalHeaderLabels(COLUMNS)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.verticalHeader().setVisible(True)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)  # a stretched last column pushes its numbers far right
        self.setObjectName("klTable")
        self.rows: list[Row] = []
        self.grid: list[tuple[float, float]] = []

    def set_rows(self, rows: list[Row]) -> None:
        """The rows' labels, q's and Monte Carlo values; grid values stay until :meth:`set_grid`."""
        if [r.label for r in rows] != [r.label for r in self.rows]:
            self.setRowCount(len(rows))
            self.setVerticalHeaderLabels([r.label for r in rows])
            self.grid = [(math.nan, math.nan)] * len(rows)
        self.rows = rows
        for i, row in enumerate(rows):
            self.verticalHeaderItem(i).setToolTip(f"q: μ; σ = {q_text(row.q)}")
            self._set(i, 0, estimate_text(row.forward))
            self._set(i, 2, estimate_text(row.reverse))
        self._show_grid()

    def set_grid(self, forward: tuple[float, ...], reverse: tuple[float, ...]) -> None:
        self.grid = list(zip(forward, reverse, strict=False))[: len(self.rows)]
        self.grid += [(math.nan, math.nan)] * (len(self.rows) - len(self.grid))
        self._show_grid()

    def _show_grid(self) -> None:
        for i, (forward, reverse) in enumerate(self.grid):
            self._set(i, 1, fmt(forward))
            self._set(i, 3, fmt(reverse))

    def value(self, row: int, column: int) -> str:
        item = self.item(row, column)
        return item.text() if item is not None else ""

    def _set(self, row: int, column: int, text: str,
             align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignRight) -> None:
        item = self.item(row, column)
        if item is None:
            item = QTableWidgetItem()
            item.setTextAlignment(align | Qt.AlignmentFlag.AlignVCenter)
            self.setItem(row, column, item)
        if item.text() != text:
            item.setText(text)
