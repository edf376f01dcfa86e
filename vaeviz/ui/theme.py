"""Light and dark appearance: follow the system unless the user overrides it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

LIGHT_PLOT = {"background": "#ffffff", "foreground": "#202020"}
DARK_PLOT = {"background": "#1b1d21", "foreground": "#d8d8d8"}


def system_is_dark(app: QApplication) -> bool:
    """Whether the platform reports a dark colour scheme (unknown counts as light)."""
    return app.styleHints().colorScheme() == Qt.ColorScheme.Dark


def resolve_dark(app: QApplication, mode: str) -> bool:
    return mode == "dark" or (mode == "system" and system_is_dark(app))


def _dark_palette() -> QPalette:
    p = QPalette()
    base, window, text, mid = QColor("#1b1d21"), QColor("#26292e"), QColor("#e2e2e2"), QColor("#3a3e45")
    for role, colour in [
        (QPalette.ColorRole.Window, window), (QPalette.ColorRole.WindowText, text),
        (QPalette.ColorRole.Base, base), (QPalette.ColorRole.AlternateBase, window),
        (QPalette.ColorRole.ToolTipBase, window), (QPalette.ColorRole.ToolTipText, text),
        (QPalette.ColorRole.Text, text), (QPalette.ColorRole.Button, window),
        (QPalette.ColorRole.ButtonText, text), (QPalette.ColorRole.BrightText, QColor("#ff6b6b")),
        (QPalette.ColorRole.Highlight, QColor("#3d7bd9")),
        (QPalette.ColorRole.HighlightedText, QColor("#ffffff")),
        (QPalette.ColorRole.Link, QColor("#6ea8ff")), (QPalette.ColorRole.Mid, mid),
        (QPalette.ColorRole.PlaceholderText, QColor("#8a8f98")),
    ]:
        p.setColor(role, colour)
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7a7f88"))
    return p


def _dark_indicator_palette(palette: QPalette) -> QPalette:
    """The dark palette for check boxes and radio buttons. Fusion fills an indicator with Base and outlines
    it with Window darkened: on the dark Window that outline is black on a black box, and an unticked
    box could not be seen. A lighter Base and Window (used for nothing else in these widgets) make the
    box a grey square with a visible edge."""
    p = QPalette(palette)
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive, QPalette.ColorGroup.Disabled):
        p.setColor(group, QPalette.ColorRole.Base, QColor("#3c4048"))
        p.setColor(group, QPalette.ColorRole.Window, QColor("#b4b9c2"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Base, QColor("#2c2f35"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Window, QColor("#7a7f88"))
    return p


INDICATOR_CLASSES = ("QCheckBox", "QRadioButton")


def apply_theme(app: QApplication, mode: str) -> bool:
    """Apply ``mode`` ("system", "light" or "dark") to the application; return whether it is dark."""
    dark = resolve_dark(app, mode)
    app.setStyle("Fusion")  # the one style that honours a custom palette on every platform
    palette = _dark_palette() if dark else app.style().standardPalette()
    app.setPalette(palette)
    for name in INDICATOR_CLASSES:  # (class palettes stay until replaced: set them in both themes)
        app.setPalette(_dark_indicator_palette(palette) if dark else palette, name)
    return dark


def plot_colours(dark: bool) -> dict[str, str]:
    return DARK_PLOT if dark else LIGHT_PLOT


def rgb(hex_colour: str) -> tuple[int, int, int]:
    """"#rrggbb" → (r, g, b)."""
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
