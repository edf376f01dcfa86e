"""About, keyboard shortcuts and error-details dialogs."""

from __future__ import annotations

import html
import platform

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QUrl, qVersion
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QMessageBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

import vaeviz
from vaeviz.core.limits import bounded_message
from vaeviz.log_file import log_failure, log_path


def versions(bridge) -> dict[str, str]:
    """Versions shown in Help > About; torch's comes from the worker, which is the one to import it."""
    try:
        import pyqtgraph

        pg_version = pyqtgraph.__version__
    except ImportError:  # pragma: no cover
        pg_version = "missing"
    return {
        "vaeviz": vaeviz.__version__,
        "Qt": qVersion(),
        "PySide6": pyside_version,
        "pyqtgraph": pg_version,
        "torch": bridge.runtime.get("torch", "loading…"),
        "device": bridge.device_description or "starting…",
        "Python": platform.python_version(),
    }


def about_text(bridge) -> str:
    from vaeviz.core.data.datasets.shipped import SHIPPED_MNIST_CREDIT  # numpy: not at start-up

    rows = "".join(f"<tr><td><b>{k}</b></td><td>{html.escape(v)}</td></tr>"
                   for k, v in versions(bridge).items())
    return (
        "<h3>vaeviz</h3><p>An interactive lab for the ideas behind Variational Auto-Encoders: density "
        "estimation, Gaussian mixtures and EM, KL divergence, autoencoders and VAEs.</p>"
        f"<table cellspacing='6'>{rows}</table>"
        f"<p>Shipped data: {html.escape(SHIPPED_MNIST_CREDIT)} "
        "(<a href='https://creativecommons.org/licenses/by-sa/3.0/'>CC BY-SA 3.0</a>; "
        "<a href='http://yann.lecun.com/exdb/mnist/'>source</a>).</p>"
    )


def show_about(parent: QWidget, bridge) -> None:
    QMessageBox.about(parent, "About vaeviz", about_text(bridge))


def shortcut_rows(actions: list[QAction]) -> list[tuple[str, str]]:
    """(what, keys) for every action with a shortcut, mnemonics removed."""
    rows = []
    for action in actions:
        keys = ", ".join(s.toString() for s in action.shortcuts() if not s.isEmpty())
        if keys:
            rows.append((action.text().replace("&&", "\0").replace("&", "").replace("\0", "&"), keys))
    return rows


class ShortcutsDialog(QDialog):
    """A table of every keyboard shortcut in the window and its docks."""

    def __init__(self, actions: list[QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows = shortcut_rows(actions)
        self.table = QTableWidget(len(rows), 2)
        self.table.setHorizontalHeaderLabels(["Action", "Shortcut"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for r, (what, keys) in enumerate(rows):
            self.table.setItem(r, 0, QTableWidgetItem(what))
            self.table.setItem(r, 1, QTableWidgetItem(keys))
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(420, 420)


MAX_DETAILS_CHARS = 20_000  # a traceback is a few thousand characters


def error_box(parent: QWidget, title: str, message: str, details: str = "") -> QMessageBox:
    """A non-blocking warning with optional details (traceback) behind 'Show Details…'.

    Both texts are cut to a bounded length: a message that quotes a file's content must not make Qt lay
    out megabytes of text. The full details go to the log file, which an "Open log" button shows.
    """
    if details:
        log_failure(title, message, details)
    box = QMessageBox(QMessageBox.Icon.Warning, title, bounded_message(message),
                      QMessageBox.StandardButton.Ok, parent)
    if details:
        box.setDetailedText(bounded_message(details, MAX_DETAILS_CHARS))
    if log_path().exists():
        open_log = box.addButton("Open log", QMessageBox.ButtonRole.ActionRole)
        open_log.setToolTip(str(log_path()))
        open_log.clicked.connect(open_log_file)
    box.setModal(False)
    box.show()
    return box


def open_log_file() -> bool:
    """Show the log file in the system's text viewer; return whether one could be asked to."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(log_path())))
