"""Small widgets of the latent dock: spin boxes set up in a safe order (the message bar is the shared
:class:`~vaeviz.ui.lab.message_bar.MessageBar`)."""

from __future__ import annotations

from PySide6.QtWidgets import QDoubleSpinBox, QSpinBox


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
