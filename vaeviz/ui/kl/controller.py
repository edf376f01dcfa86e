"""The KL lab's controller: the one part of its UI that talks to the compute worker.

Channels ``"kl:fit"`` (both fits in lockstep), ``"kl:vi"`` (the ELBO fit) and ``"kl:starts"`` (several
starts); latest-wins requests ``"kl:heat"`` (p's heatmap), ``"kl:grid"`` (KL values by quadrature) and
``"kl:check"`` (the "q = p" numbers); the drag of p's means and covariances streams ``"kl:drag"`` (p's
heatmap and the table's values in one answer), a key of its own so a drag's preview never supersedes what
a committed state asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject

from vaeviz.ui.lab.controller import LabController
from vaeviz.ui.lab.message_bar import MessageBar

LAB_ID = "kl"


class KlController(LabController):
    """:class:`~vaeviz.ui.lab.controller.LabController` of the KL dock."""

    def __init__(self, compute: Any, messages: MessageBar, parent: QObject | None = None) -> None:
        super().__init__(compute, LAB_ID, messages, parent)

    def fit_channel(self, on_progress: Callable, on_finished: Callable, on_failed: Callable):
        """The channel of the fits (frames arrive one by one: ``progress="every"`` on submit)."""
        return self.channel("fit", on_progress=on_progress, on_finished=on_finished, on_failed=on_failed)
