"""Small widgets of the latent dock: spin boxes set up in a safe order, and the message bar."""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QDoubleSpinBox, QHBoxLayout, QLabel, QSpinBox, QToolButton, QWidget


def spin(name: str, low: int, high: int, value: int, step: int = 1) -> QSpinBox:
    box = QSpinBox(objectName=name)
    box.setRange(low, high)  # the range before the value, or the value would be clamped to 0..99
    box.setSingleStep(step)
    box.setValue(value)
    return box


def dspin(name: str, low: float, high: float, value: float, step: float, decimals: int) -> QDoubleSpinBox:
    box = QDoubleSpinBox(objectName=name)
    box.setDecimals(decimals)  # first: the range and value are rounded to the decimals in force
    box.setRange(low, high)
    box.setSingleStep(step)
    box.setValue(value)
    return box


LEVEL_STYLES = {
    "info": "background: rgba(60, 130, 220, 40); border: 1px solid rgba(60, 130, 220, 140);",
    "error": "background: rgba(220, 60, 60, 45); border: 1px solid rgba(220, 60, 60, 170);",
}


class MessageBar(QWidget):
    """A dismissable line above the figure: what went wrong (and that nothing was lost), or a note."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("latentMessage")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 4)
        self.label = QLabel("", objectName="latentMessageText")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setMargin(6)
        self.close_button = QToolButton(text="✕", autoRaise=True)
        self.close_button.setToolTip("Dismiss")
        self.close_button.clicked.connect(self.dismiss)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.level = ""
        self.hide()

    def show_message(self, text: str, level: str = "info") -> None:
        self.level = level
        self.label.setText(text)
        self.label.setStyleSheet(LEVEL_STYLES.get(level, ""))
        self.show()

    @Slot(str, str)
    def on_message(self, level: str, text: str) -> None:
        """Slot for signals that send the level first (``LabSession.message``)."""
        self.show_message(text, level)

    def text(self) -> str:
        """The message shown, or "" once dismissed."""
        return self.label.text() if self.level else ""

    @Slot()
    def dismiss(self) -> None:
        self.level = ""
        self.label.setText("")
        self.hide()
