"""The GMM & EM lab's data tools: the shared :class:`vaeviz.ui.data_tools.DataTools` with the point-set
presets (:mod:`vaeviz.core.data.pointset_presets`).

Editing, undo/redo and CSV import/export live in :mod:`vaeviz.ui.data_tools`, shared with the Density lab.
"""

from __future__ import annotations

from vaeviz.core.data.pointset import PointSet
from vaeviz.core.data.pointset_presets import PRESETS
from vaeviz.ui import data_tools as shared
from vaeviz.ui.data_tools import CSV_FILTER, SPRAY_PER_EVENT

__all__ = ["CSV_FILTER", "SPRAY_PER_EVENT", "DataTools"]


def _sample(name: str, n: int, seed: int):
    return PRESETS[name].make(n, seed)


class DataTools(shared.DataTools):
    """The shared data tools with the EM lab's presets."""

    def __init__(self, points: PointSet, compute, owner) -> None:
        """``compute``: the lab's :class:`~vaeviz.ui.em.controller.EmController` (keys "em:data", ...)."""
        # _sample is looked up when called, so a test may replace it
        super().__init__(points, compute, owner, sampler=lambda name, n, seed: _sample(name, n, seed),
                         default_n=lambda name: PRESETS[name].default_n)
