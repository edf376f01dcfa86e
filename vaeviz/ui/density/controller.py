"""The Density lab's controller: the one part of its UI that talks to the compute worker.

Channel ``"density:vae"`` (the point VAE's training and maps); latest-wins requests ``"density:heat"``
(the fitted density coloured, with marginals, conditional and samples), ``"density:table"`` (every
estimator's held-out log-likelihood), ``"density:oned"`` (the 1-D page), ``"density:slice"``,
``"density:data"``, ``"density:image"``, ``"density:csv"`` and ``"density:csv-out"``; a held slider
streams ``"density:heat:drag"`` and a dragged slice ``"density:slice:drag"``, keys of their own so a drag's
preview never supersedes a committed state's answer.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject

from vaeviz.ui.lab.controller import LabController
from vaeviz.ui.lab.message_bar import MessageBar

LAB_ID = "density"


class DensityController(LabController):
    """:class:`~vaeviz.ui.lab.controller.LabController` of the Density dock."""

    def __init__(self, compute: Any, messages: MessageBar, parent: QObject | None = None) -> None:
        super().__init__(compute, LAB_ID, messages, parent)
