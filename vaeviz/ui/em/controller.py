"""The GMM & EM lab's controller: the one part of its UI that talks to the compute worker.

Every channel and request of the lab goes through one :class:`EmController` (channels ``"em:run"`` and
``"em:seeds"``, requests ``"em:eval"``, ``"em:commit"``, ``"em:heat"``, ``"em:cells"``, ``"em:data"``, ...),
so :meth:`~vaeviz.ui.lab.controller.LabController.when_idle` waits for all of them.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject

from vaeviz.ui.lab.controller import LabController
from vaeviz.ui.lab.message_bar import MessageBar

LAB_ID = "em"


class EmController(LabController):
    """:class:`~vaeviz.ui.lab.controller.LabController` of the GMM & EM dock.

    Besides the base class's channels and requests, the lab is busy while a run job's end has not been
    handled by :class:`~vaeviz.ui.em.runner.EmRunner` yet (it may go on with another job to reach its
    target), see :attr:`run_open`.
    """

    def __init__(self, compute: Any, messages: MessageBar, parent: QObject | None = None) -> None:
        super().__init__(compute, LAB_ID, messages, parent)
        self.run_open = False  # a run job was submitted and the runner has not handled its end yet

    def extra_busy(self) -> bool:
        return self.run_open

    def run_handled(self) -> None:
        """The runner has handled the end of its run job (and submitted none after it)."""
        self.run_open = False
        self._check_idle()

    def drop_idle_callbacks(self) -> None:
        """Forget the waiting callbacks (EM is blocked: there is nothing to continue from)."""
        self._idle_callbacks.clear()
