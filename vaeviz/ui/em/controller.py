"""The GMM & EM lab's controller: the one part of its UI that talks to the compute worker.

Every channel and request of the lab goes through one :class:`EmController` (channels ``"em:run"`` and
``"em:seeds"``, requests ``"em:eval"``, ``"em:commit"``, ``"em:heat"``, ``"em:cells"``, ``"em:data"``, ...),
so :meth:`~vaeviz.ui.lab.controller.LabController.when_idle` waits for all of them. The channels' handlers
are given to :meth:`~vaeviz.ui.lab.controller.LabController.channel`, so a job's end is handled (and the
next job submitted) before the idle check.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject

from vaeviz.ui.lab.controller import LabController
from vaeviz.ui.lab.message_bar import MessageBar

LAB_ID = "em"


class EmController(LabController):
    """:class:`~vaeviz.ui.lab.controller.LabController` of the GMM & EM dock."""

    def __init__(self, compute: Any, messages: MessageBar, parent: QObject | None = None) -> None:
        super().__init__(compute, LAB_ID, messages, parent)
