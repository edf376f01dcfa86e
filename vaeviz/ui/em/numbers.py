"""The Numbers tab: log-likelihoods, BIC/AIC and a table of π, μ, Σ for the shown frame."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from vaeviz.core.em.gmm import information_criteria
from vaeviz.core.em.lab import Frame
from vaeviz.ui.em.colours import HEX
from vaeviz.ui.em.explain import fmt

# Status words on the pane's background: darker shades on light, lighter ones on dark (by "is it dark").
STATUS_COLOURS = {False: {"bad": "#b03a2e", "good": "#2a7a2a", "note": "#8a5a00"},
                  True: {"bad": "#ff7b6b", "good": "#6fcf6f", "note": "#f0b85a"}}
ROWS = ["π", "μ₁", "μ₂", "Σ₁₁", "Σ₁₂", "Σ₂₂", "Nₖ"]  # one column per component: K ≤ 4 fit a narrow pane


class NumbersPane(QWidget):
    """Labels on top, one table row per component below."""

    def __init__(self) -> None:
        super().__init__()
        col = QVBoxLayout(self)
        col.setContentsMargins(4, 4, 4, 4)
        self.summary = QLabel()
        self.summary.setObjectName("em-summary")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = QTableWidget(len(ROWS), 0)
        self.table.setVerticalHeaderLabels(ROWS)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectColumns)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setToolTip("Click a column to select that component (for Snap & shrink)")
        col.addWidget(self.summary)
        col.addWidget(self.table, 1)
        self._pending: tuple | None = None
        self._last: tuple | None = None

    def show_frame(self, frame: Frame | None, n: int, position: str) -> None:
        """Show a frame's numbers; while the pane is hidden (another tab) only the latest is kept, and drawn
        when it is shown: filling the table costs ~0.7 ms, a tenth of a live EM frame."""
        self._pending = self._last = (frame, n, position)
        if self.isVisible():
            self._render()

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self._last is not None:
            self.show_frame(*self._last)  # the status colours follow the theme

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self._render()

    def _render(self) -> None:
        if self._pending is None:
            return
        (frame, n, position), self._pending = self._pending, None
        if frame is None:
            self.summary.setText("<i>no mixture</i>")
            self.table.setColumnCount(0)
            return
        em = frame.em
        bic, aic = information_criteria(em.log_likelihood, frame.gmm.n_parameters(), n)
        per_point = fmt(em.mean_log_likelihood) if n else "—"
        lines = [f"<b>{position}</b>",
                 f"log-likelihood ℓ = <b>{fmt(em.log_likelihood)}</b> ({per_point} per point)"]
        if em.complete_log_likelihood is not None:
            lines.append(f"complete-data ℓ<sub>c</sub> = {fmt(em.complete_log_likelihood)}")
        lines.append(f"BIC = {fmt(bic)} &nbsp; AIC = {fmt(aic)} &nbsp; "
                     f"({frame.gmm.n_parameters()} parameters)")
        colours = STATUS_COLOURS[self.palette().color(QPalette.ColorRole.Window).lightness() < 128]
        precision = getattr(em, "precision_note", None)  # (set by the fast path when it fell back)
        if precision:
            lines.append(f"<span style='color:{colours['note']}'>precision: {escape(precision)}</span>")
        if em.singular is not None:
            lines.append(f"<span style='color:{colours['bad']}'>singular: ℓ → +∞</span>")
        elif em.converged:
            lines.append(f"<span style='color:{colours['good']}'>converged</span>")
        self.summary.setText("<br>".join(lines))
        gmm = frame.gmm
        k = gmm.n_components
        nk = gmm.weights * n if frame.nk is None else frame.nk
        self.table.setColumnCount(k)
        for j in range(k):
            header = QTableWidgetItem(f"■ {j + 1}")
            header.setForeground(QColor(HEX[j % len(HEX)]))
            self.table.setHorizontalHeaderItem(j, header)
            cov = gmm.covariances[j]
            mean = gmm.means[j]
            values = [gmm.weights[j], mean[0], mean[1], cov[0, 0], cov[0, 1], cov[1, 1], nk[j]]
            for r, v in enumerate(values):
                item = QTableWidgetItem(fmt(v, 4))
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, j, item)

    def texts(self) -> list[str]:
        """Every text shown (for tests: no 'nan' or 'inf' may appear)."""
        self._render()
        out = [self.summary.text()]
        columns = range(self.table.columnCount())
        for r in range(self.table.rowCount()):
            out += [self.table.item(r, c).text() for c in columns if self.table.item(r, c)]
        return out
