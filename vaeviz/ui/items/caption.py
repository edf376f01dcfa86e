"""A word-wrapped caption whose text can change every frame without re-laying out the window.

``QLabel.setText`` always calls ``updateGeometry``, and Qt passes that up through every enclosing layout
to the top (``QLayout.activate`` re-posts it "ideally only if sizeHint() has changed", but always does): a
``QTabWidget`` or ``QSplitter`` on the way re-lays out and repaints everything it holds. A caption showing a
dragged value (the Density lab's "h = 0.31") thus repainted the whole lab at every move of a slider.

:class:`Caption` holds its label in a widget without a layout, where that request ends. It sets its own
height to the label's height for its width, and so asks for a relayout only when the number of lines changes.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class Caption(QWidget):
    """A centred, word-wrapped rich-text caption as wide as its layout gives it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self._fit()

    def text(self) -> str:
        return self.label.text()

    def setText(self, text: str) -> None:  # noqa: N802 (QLabel's name: a drop-in for one)
        if text != self.label.text():
            self.label.setText(text)
            self._fit()

    def setStyleSheet(self, sheet: str) -> None:  # noqa: N802 (Qt's name)
        self.label.setStyleSheet(sheet)  # (padding and fonts change the label's height)
        self._fit()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        width = max(1, self.width())
        height = self.label.heightForWidth(width)
        if height < 0:  # (no text yet)
            height = max(0, self.label.sizeHint().height())
        self.label.setGeometry(0, 0, width, height)
        if self.height() != height or self.minimumHeight() != height:
            self.setFixedHeight(height)  # the one relayout: the caption needs more or fewer lines
