"""The one message bar every lab dock shows above its figure: what went wrong (and that nothing was lost),
why the lab cannot go on, or a note.

A lab may have several things to say at once (the data has duplicates, *and* a component collapsed),
so messages are kept per *topic*; the bar shows every topic's text, the most urgent first, and takes the
error style while any error is shown. A message may clear itself after a while (passing notes).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from vaeviz.core.limits import bounded_message

LEVELS = ("error", "info")  # most urgent first
LEVEL_STYLES = {
    "info": "background: rgba(60, 130, 220, 40); border: 1px solid rgba(60, 130, 220, 140);",
    "error": "background: rgba(220, 60, 60, 45); border: 1px solid rgba(220, 60, 60, 170);",
}
MESSAGE = "message"  # the topic of show_message: the latest thing that happened


class MessageBar(QWidget):
    """A dismissable bar of rich-text messages, one per topic, errors first."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("labMessages")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 4)
        self.label = QLabel("", objectName="labMessagesText")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setMargin(6)
        self.close_button = QToolButton(text="✕", autoRaise=True)
        self.close_button.setToolTip("Dismiss")
        self.close_button.clicked.connect(self.dismiss)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self._topics: dict[str, tuple[str, str]] = {}  # topic -> (level, text), in the order first set
        self._timers: dict[str, QTimer] = {}
        self._style = ""
        self.hide()

    # ----- what labs call ------------------------------------------------------------------------
    def set(self, topic: str, text: str, level: str = "info", timeout_ms: int = 0) -> None:
        """Show ``text`` for ``topic`` (replacing its previous text); an empty text clears the topic.

        ``timeout_ms`` > 0 clears the topic after that long (a passing note).
        """
        if level not in LEVEL_STYLES:
            raise ValueError(f"unknown message level {level!r}")
        if text:  # bounded: a message quoting a file must not make the label lay out megabytes
            self._topics[topic] = (level, bounded_message(text))
        else:
            self._topics.pop(topic, None)
        timer = self._timers.get(topic)
        if timer is not None:
            timer.stop()
        if text and timeout_ms > 0:
            if timer is None:
                timer = self._timers[topic] = QTimer(self, singleShot=True)
                timer.timeout.connect(lambda t=topic: self.set(t, ""))
            timer.start(timeout_ms)
        self._render()

    def clear(self, topic: str) -> None:
        self.set(topic, "")

    def show_message(self, text: str, level: str = "info") -> None:
        """Say what just happened (one topic: each message replaces the previous one)."""
        self.set(MESSAGE, text, level)

    @Slot(str, str)
    def on_message(self, level: str, text: str) -> None:
        """Slot for signals that send the level first."""
        self.show_message(text, level)

    # ----- what it shows --------------------------------------------------------------------------
    def text(self) -> str:
        """Everything shown, one topic per line ("" when nothing is)."""
        return "<br>".join(text for _topic, _level, text in self._shown())

    def topic_text(self, topic: str) -> str:
        return self._topics.get(topic, ("", ""))[1]

    @property
    def level(self) -> str:
        """The style shown: "error" while any error is, "info" otherwise, "" when the bar is empty."""
        shown = self._shown()
        return shown[0][1] if shown else ""

    @Slot()
    def dismiss(self) -> None:
        """Clear every message (the user read them)."""
        for timer in self._timers.values():
            timer.stop()
        self._topics.clear()
        self._render()

    def _shown(self) -> list[tuple[str, str, str]]:
        return sorted(((topic, level, text) for topic, (level, text) in self._topics.items()),
                      key=lambda item: LEVELS.index(item[1]))

    def _render(self) -> None:
        text, level = self.text(), self.level
        style = LEVEL_STYLES.get(level, "")
        if style != self._style:  # a restyle costs ~0.2 ms, and some labs set messages every frame
            self._style = style
            self.label.setStyleSheet(style)
        if self.label.text() != text:
            self.label.setText(text)
        self.setVisible(bool(text))
