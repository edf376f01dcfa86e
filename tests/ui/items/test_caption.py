"""A caption whose text changes without a relayout of what holds it, growing only when it needs more lines."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QLabel, QTabWidget, QVBoxLayout, QWidget

from vaeviz.ui.items.caption import Caption


class LayoutRequests(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.LayoutRequest:
            self.count += 1
        return False


def _page(qtbot, caption: QWidget):
    tabs = QTabWidget()
    qtbot.addWidget(tabs)
    page = QWidget()
    column = QVBoxLayout(page)
    column.addWidget(caption)
    column.addWidget(QWidget(), 1)
    tabs.addTab(page, "figure")
    tabs.resize(500, 300)
    with qtbot.waitExposed(tabs):
        tabs.show()
    return tabs, page


def test_a_new_text_of_the_same_height_asks_nothing_of_the_layouts(qtbot):
    caption = Caption()
    caption.setText("<b>KDE (h = 0.300) of two moons</b>")
    tabs, page = _page(qtbot, caption)
    requests = LayoutRequests()
    page.installEventFilter(requests)
    height = caption.height()
    for h in ("0.301", "0.35", "0.4172"):
        caption.setText(f"<b>KDE (h = {h}) of two moons</b>")
        QApplication.processEvents()  # (posted layout requests are delivered)
        assert caption.text() == f"<b>KDE (h = {h}) of two moons</b>"
    assert requests.count == 0 and caption.height() == height
    assert caption.label.width() == caption.width() > 400  # as wide as its layout makes it


def test_a_label_would_relayout_at_every_change(qtbot):
    # (what the caption avoids: the premise of the test above, so it cannot pass for a wrong reason)
    label = QLabel("<b>KDE (h = 0.300)</b>")
    label.setWordWrap(True)
    tabs, page = _page(qtbot, label)
    requests = LayoutRequests()
    page.installEventFilter(requests)
    label.setText("<b>KDE (h = 0.301)</b>")
    qtbot.waitUntil(lambda: requests.count > 0)


def test_a_longer_text_grows_the_caption_and_a_wider_window_shrinks_it_back(qtbot):
    caption = Caption()
    caption.setText("short")
    tabs, _page_widget = _page(qtbot, caption)
    one_line = caption.height()
    caption.setText(" ".join(["a long caption that wraps"] * 12))
    qtbot.waitUntil(lambda: caption.height() > 1.5 * one_line)
    assert caption.label.height() == caption.height()
    tabs.resize(3000, 300)
    qtbot.waitUntil(lambda: caption.height() == one_line)  # one line again
