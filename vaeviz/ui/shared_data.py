"""The app-wide data set: one :class:`~vaeviz.core.data.pointset.PointSet` per main window.

The Density and GMM & EM docks call :func:`shared_pointset` with themselves and get the same PointSet,
so points sprayed in one lab are the data of the other. The set is keyed by the dock's root widget (the
main window, also for a floating dock, whose parent stays the window); a dock without a parent (the
headless export CLI, tests) gets one of its own. Keys are weak: the set goes with its window.
"""

from __future__ import annotations

import weakref

from PySide6.QtWidgets import QWidget

from vaeviz.core.data.pointset import PointSet

_SETS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _root(widget: QWidget) -> QWidget:
    while widget.parentWidget() is not None:
        widget = widget.parentWidget()
    return widget


def shared_pointset(widget: QWidget) -> PointSet:
    """The PointSet of ``widget``'s window (created empty on first use)."""
    root = _root(widget)
    points = _SETS.get(root)
    if points is None:
        points = _SETS[root] = PointSet()
    return points
