"""Axis items for counts: ticks only at whole numbers (a step counter has no half-steps between steps)."""

from __future__ import annotations

import pyqtgraph as pg


class IntegerAxis(pg.AxisItem):
    """An axis whose ticks fall on integers only, labelled without decimals."""

    def tickSpacing(self, minVal: float, maxVal: float, size: float):  # noqa: N802, N803 (pyqtgraph's names)
        levels = [(spacing, offset) for spacing, offset in super().tickSpacing(minVal, maxVal, size)
                  if spacing >= 1 and float(spacing).is_integer()]
        return levels or [(1.0, 0.0)]

    def tickValues(self, minVal: float, maxVal: float, size: float):  # noqa: N802, N803
        # pyqtgraph places ticks at multiples of the spacing plus an offset: keep only whole values.
        return [(spacing, [v for v in values if float(v).is_integer()])
                for spacing, values in super().tickValues(minVal, maxVal, size)]

    def tickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph's name)
        return [f"{int(round(v * scale)):d}" for v in values]
