"""What every lab's UI side is built on: :class:`LabController`.

A lab's controller is the only part of its UI that talks to the compute worker. The base class gives
every lab the same mechanisms, so none is written twice:

- **job channels and request keys named after the dock id** (``"em:run"``, ``"latent:decode:vae"``), so
  the status bar and the worker's logs say whose job it is, and two labs can never supersede each
  other's requests;
- **interactive streams** (:meth:`stream`): requests made while the user drags, which wait up to
  :data:`INTERACTIVE_WAIT_S` for their answer so a drag costs one event-loop pass per mouse move, and
  make long jobs give way meanwhile;
- **waiting without nested event loops** (:meth:`when_idle`): presets, exports and self-checks chain
  callbacks that run once the lab's jobs and requests are over (at once under the export CLI's inline
  compute, where everything has finished when it returns);
- **one message bar** (:class:`~vaeviz.ui.lab.message_bar.MessageBar`): failures of requests and jobs
  are reported there unless the caller handles them.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from vaeviz.core.jobs import JobFactory
from vaeviz.core.user_errors import readable
from vaeviz.ui.lab.message_bar import MessageBar

# How long the GUI thread waits for the answer to an interactive request (a drag's decode or likelihood)
# before going on; it then arrives later. The wait releases the GIL the compute thread needs, and keeps a
# drag to one event-loop pass per move. Longer would only add to the rare moves that find the worker busy.
INTERACTIVE_WAIT_S = 0.003

def user_message(message: str) -> str:
    """A worker error for the message bar (rich text): readable (see :mod:`vaeviz.core.user_errors`),
    bounded and HTML-escaped."""
    return html.escape(readable(message), quote=False)


class LabController(QObject):
    """The base of every lab's controller: channels, requests, streams, idle callbacks and messages.

    Parameters
    ----------
    compute
        The :class:`~vaeviz.workers.bridge.WorkerBridge` in the app, an ``InlineRunner`` under the export
        CLI and in tests: both have ``channel`` and ``request``.
    lab_id
        The dock id; every channel and request key of the lab starts with it.
    messages
        The dock's message bar.
    """

    idle = Signal()  # the lab's jobs and requests are all over

    def __init__(self, compute: Any, lab_id: str, messages: MessageBar,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.compute = compute
        self.lab_id = lab_id
        self.messages = messages
        self.closed = False
        self._channels: list = []
        self._pending: set[int] = set()  # job ids of requests not yet over
        self._idle_callbacks: list[Callable[[], None]] = []
        self._next_local = 0

    # ----- naming ---------------------------------------------------------------------------------
    def key(self, *parts: str) -> str:
        """A request key or channel name of this lab: ``key("decode", "vae")`` → ``"latent:decode:vae"``."""
        return ":".join((self.lab_id, *parts))

    # ----- long jobs --------------------------------------------------------------------------------
    def channel(self, *name: str, on_progress: Callable[[Any], None] | None = None,
                on_finished: Callable[[Any], None] | None = None,
                on_failed: Callable[[str, str], None] | None = None,
                on_cancelled: Callable[[], None] | None = None):
        """A :class:`~vaeviz.workers.bridge.JobChannel` of this lab (one live job; submitting replaces it).

        The lab counts as busy while any of its channels runs a job; the channel ends with the lab. The
        handlers (bound slots of GUI-thread objects) are connected before the lab's idle check, so a job's
        end is taken by the lab before "when idle" callbacks run: a handler that submits the next job
        keeps the lab busy. A handler connected later runs after the idle check.
        """
        channel = self.compute.channel(self.key(*name))
        channel.setParent(self)
        for signal, handler in ((channel.progress, on_progress), (channel.finished, on_finished),
                                (channel.failed, on_failed), (channel.cancelled, on_cancelled)):
            if handler is not None:
                signal.connect(handler)
        for signal in (channel.finished, channel.failed, channel.cancelled):
            signal.connect(self._check_idle)
        self._channels.append(channel)
        return channel

    # ----- requests ------------------------------------------------------------------------------
    def request(self, name: str | tuple[str, ...], factory: JobFactory, on_result: Callable[[Any], None],
                on_failed: Callable[[str, str], None] | None = None, wait_s: float = 0.0) -> int:
        """A latest-wins request keyed ``key(*name)``: only the newest pending one per key is computed.

        Results arrive in the GUI thread, never after :meth:`shutdown`. Failures go to ``on_failed``, or to
        the message bar.
        """
        parts = (name,) if isinstance(name, str) else name
        local = self._next_local = self._next_local + 1
        self._pending.add(local)

        def done(result: Any) -> None:
            if not self.closed:
                on_result(result)

        def failed(message: str, details: str) -> None:
            if self.closed:
                return
            if on_failed is not None:
                on_failed(message, details)
            else:
                self.report(user_message(message))

        def settled() -> None:
            self._pending.discard(local)
            self._check_idle()

        return self.compute.request(self.key(*parts), factory, done, on_failed=failed, wait_s=wait_s,
                                    on_settled=settled)

    def stream(self, name: str | tuple[str, ...], factory: JobFactory, on_result: Callable[[Any], None],
               on_failed: Callable[[str, str], None] | None = None) -> int:
        """An interactive request (one of a stream the user makes by dragging): see the module notes."""
        return self.request(name, factory, on_result, on_failed, wait_s=INTERACTIVE_WAIT_S)

    @staticmethod
    def replace_job(channel, factory: JobFactory, progress: str = "latest") -> int:
        """Submit ``factory`` on ``channel`` in place of its running job.

        The running job is cancelled without its ``cancelled`` signal: that signal makes the lab check
        whether it is idle, and between the two jobs it would be, so "when idle" callbacks would run
        before the new job's results.
        """
        quiet = channel.blockSignals(True)
        try:
            channel.cancel()
        finally:
            channel.blockSignals(quiet)
        return channel.submit(factory, progress=progress)

    # ----- waiting without nested event loops ----------------------------------------------------
    @property
    def busy(self) -> bool:
        """Whether a job of one of the lab's channels, or one of its requests, is not over yet."""
        return bool(self._pending) or any(c.busy for c in self._channels) or self.extra_busy()

    def extra_busy(self) -> bool:
        """Subclasses: other work the lab waits for (e.g. a preset's next step). Default: none."""
        return False

    def when_idle(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once the lab is not :attr:`busy` (at once if it is not now)."""
        if self.busy:
            self._idle_callbacks.append(callback)
        else:
            callback()

    def _check_idle(self, *_args: Any) -> None:
        """Run the idle callbacks if nothing is left to wait for (subclasses call it when their own
        :meth:`extra_busy` work ends)."""
        if self.busy or self.closed:
            return
        callbacks, self._idle_callbacks = self._idle_callbacks, []
        for callback in callbacks:
            callback()
        if not self.busy:
            self.idle.emit()

    # ----- messages -----------------------------------------------------------------------------------
    def report(self, text: str, level: str = "error") -> None:
        """Say something in the lab's message bar."""
        if not self.closed:
            self.messages.show_message(text, level)

    # ----- end --------------------------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Cancel the lab's jobs; no result reaches the lab afterwards."""
        self.closed = True
        self._idle_callbacks.clear()
        for channel in self._channels:
            channel.cancel()
