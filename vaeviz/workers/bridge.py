"""The GUI thread's side of the compute worker.

:class:`WorkerBridge` lives in the GUI thread and receives the worker's signals in bound slots
(queued across threads), then calls per-job handlers and re-emits app-wide signals *in the GUI
thread*, where docks may connect anything, lambdas included.

Stale results never reach a view:

- a job cancelled by its client is marked stale at once; its queued progress and result are dropped;
- a latest-wins result is delivered only if it is newer than the last one delivered for its key;
- a :class:`JobChannel` holds one live job and cancels it before submitting its replacement.

:class:`InlineRunner` offers the same interface but runs jobs synchronously in the caller's thread,
for the headless export CLI and for tests of docks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Signal, Slot

from vaeviz.core.jobs import JobContext, JobFactory, ProgressMode, drain
from vaeviz.workers.scheduler import describe_error


@dataclass
class _Handlers:
    on_progress: Callable[[Any], None] | None = None
    on_finished: Callable[[Any], None] | None = None
    on_failed: Callable[[str, str], None] | None = None
    on_cancelled: Callable[[], None] | None = None
    key: str | None = None  # set for latest-wins requests
    stale: bool = False
    on_settled: Callable[[], None] | None = None  # called once the job is over, however it ended


class WorkerBridge(QObject):
    """Routes worker events to the handlers of the job they belong to, in the GUI thread."""

    job_started = Signal(int, str)
    job_progress = Signal(int, object)
    job_finished = Signal(int, object)
    job_failed = Signal(int, str, str)
    job_cancelled = Signal(int)
    state_changed = Signal(str)
    device_changed = Signal(str, str, str)
    devices_checked = Signal(object)  # tuple[DeviceCheck, ...]
    job_notice = Signal(int, str)
    runtime_info = Signal(dict)

    def __init__(self, worker, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self._handlers: dict[int, _Handlers] = {}
        self._delivered: dict[str, int] = {}
        self.device_name = ""
        self.device_description = ""
        self.device_checks: tuple = ()  # DeviceChecks, once the worker has probed the devices
        self.runtime: dict = {}
        self.state = "starting"
        worker.job_started.connect(self._on_started)
        worker.job_progress.connect(self._on_progress)
        worker.job_finished.connect(self._on_finished)
        worker.job_failed.connect(self._on_failed)
        worker.job_cancelled.connect(self._on_cancelled)
        worker.state_changed.connect(self._on_state)
        worker.device_changed.connect(self._on_device)
        worker.devices_checked.connect(self._on_devices_checked)
        worker.job_notice.connect(self._on_notice)
        worker.runtime_info.connect(self._on_runtime)

    # ----- what clients call ---------------------------------------------------------------
    def submit(self, factory: JobFactory, name: str, *, progress: ProgressMode = "latest",
               on_progress=None, on_finished=None, on_failed=None, on_cancelled=None) -> int:
        """Run a long job in slices; handlers are called in the GUI thread. Returns the job id."""
        job_id = self.worker.new_id()
        self._handlers[job_id] = _Handlers(on_progress, on_finished, on_failed, on_cancelled)
        self.worker.submit(factory, name, progress=progress, job_id=job_id)
        return job_id

    def request(self, key: str, factory: JobFactory, on_result, on_failed=None, name: str | None = None,
                wait_s: float = 0.0, on_settled=None) -> int:
        """Latest-wins request: only the newest pending one per key is computed.

        ``wait_s`` > 0 (latency-critical requests, a drag's decode): this thread waits up to that long for the
        result and, if it came, handles it before returning. The wait releases the GIL, which the compute
        thread needs: a decode that took 0.5–2.5 ms while the GUI thread went on painting takes ~0.2 ms.
        Otherwise the result arrives later, as for any request. Such requests also count as interactive:
        long jobs give way to the stream they belong to (see Scheduler.request).
        ``on_settled`` is called once the request is over: answered, dropped as stale, failed or superseded.
        """
        job_id = self.worker.new_id()
        self._handlers[job_id] = _Handlers(None, on_result, on_failed, None, key=key, on_settled=on_settled)
        watched = self.worker.watch(job_id) if wait_s > 0 else None
        self.worker.request(key, factory, name=name, job_id=job_id, interactive=wait_s > 0)
        if watched is not None:
            if watched.wait(wait_s):
                # the worker's signals for it are queued to this object: deliver them now
                QCoreApplication.sendPostedEvents(self, QEvent.Type.MetaCall.value)
            else:
                self.worker.unwatch(job_id)
        return job_id

    def cancel(self, job_id: int) -> None:
        """Cancel a job; from now on none of its results reach its handlers."""
        handlers = self._handlers.get(job_id)
        if handlers is not None:
            handlers.stale = True
        self.worker.cancel(job_id)

    def pause(self, job_id: int | None = None) -> None:
        self.worker.pause(job_id)

    def resume(self, job_id: int | None = None) -> None:
        self.worker.resume(job_id)

    def channel(self, name: str) -> JobChannel:
        return JobChannel(self, name)

    def pending_handlers(self) -> int:
        """How many jobs still await a terminal event (for tests and diagnostics)."""
        return len(self._handlers)

    # ----- slots: GUI thread ---------------------------------------------------------------
    @Slot(int, str)
    def _on_started(self, job_id: int, name: str) -> None:
        self.job_started.emit(job_id, name)

    @Slot(int, object)
    def _on_progress(self, job_id: int, snapshot: Any) -> None:
        h = self._handlers.get(job_id)
        if h is not None and not h.stale and h.on_progress is not None:
            h.on_progress(snapshot)
        self.job_progress.emit(job_id, snapshot)

    @Slot(int, object)
    def _on_finished(self, job_id: int, result: Any) -> None:
        h = self._handlers.pop(job_id, None)
        if h is not None and not h.stale and h.on_finished is not None:
            if h.key is None or job_id > self._delivered.get(h.key, 0):
                if h.key is not None:
                    self._delivered[h.key] = job_id
                h.on_finished(result)
        _settle(h)
        self.job_finished.emit(job_id, result)

    @Slot(int, str, str)
    def _on_failed(self, job_id: int, message: str, details: str) -> None:
        h = self._handlers.pop(job_id, None)
        if h is not None and not h.stale and h.on_failed is not None:
            h.on_failed(message, details)
        _settle(h)
        self.job_failed.emit(job_id, message, details)

    @Slot(int)
    def _on_cancelled(self, job_id: int) -> None:
        h = self._handlers.pop(job_id, None)
        if h is not None and h.on_cancelled is not None:
            h.on_cancelled()
        _settle(h)
        self.job_cancelled.emit(job_id)

    @Slot(str)
    def _on_state(self, text: str) -> None:
        self.state = text
        self.state_changed.emit(text)

    @Slot(str, str, str)
    def _on_device(self, name: str, description: str, note: str) -> None:
        self.device_name, self.device_description = name, description
        self.device_changed.emit(name, description, note)

    @Slot(object)
    def _on_devices_checked(self, checks: tuple) -> None:
        self.device_checks = tuple(checks)
        self.devices_checked.emit(self.device_checks)

    @Slot(int, str)
    def _on_notice(self, job_id: int, message: str) -> None:
        self.job_notice.emit(job_id, message)

    @Slot(dict)
    def _on_runtime(self, info: dict) -> None:
        self.runtime = dict(info)
        self.runtime_info.emit(info)


def _settle(handlers: _Handlers | None) -> None:
    if handlers is not None and handlers.on_settled is not None:
        handlers.on_settled()


class JobChannel(QObject):
    """One live long job at a time: submitting cancels the previous job first.

    Signals are emitted in the GUI thread and only for the current job.
    """

    progress = Signal(object)
    finished = Signal(object)
    failed = Signal(str, str)
    cancelled = Signal()

    def __init__(self, client, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._client = client
        self.name = name
        self.job_id: int | None = None

    @property
    def busy(self) -> bool:
        return self.job_id is not None

    def submit(self, factory: JobFactory, *, progress: ProgressMode = "latest") -> int:
        self.cancel()
        job_id = -1  # the inline runner may call back before submit returns

        def current() -> bool:
            return self.job_id in (job_id, -1)

        def done() -> None:
            if current():
                self.job_id = None

        def on_progress(snapshot):
            if current():
                self.progress.emit(snapshot)

        def on_finished(result):
            if current():
                done()
                self.finished.emit(result)

        def on_failed(message, details):
            if current():
                done()
                self.failed.emit(message, details)

        self.job_id = -1
        job_id = self._client.submit(factory, self.name, progress=progress, on_progress=on_progress,
                                     on_finished=on_finished, on_failed=on_failed)
        if self.job_id == -1:
            self.job_id = job_id
        return job_id

    def cancel(self) -> None:
        if self.job_id is not None and self.job_id != -1:
            self._client.cancel(self.job_id)
            self.job_id = None
            self.cancelled.emit()

    def pause(self) -> None:
        if self.job_id is not None:
            self._client.pause(self.job_id)

    def resume(self) -> None:
        if self.job_id is not None:
            self._client.resume(self.job_id)


class InlineRunner:
    """Runs jobs at once in the calling thread, with the bridge's interface (CLI export, tests)."""

    def __init__(self, device: str = "cpu") -> None:
        self.device_name = device
        self.device_description = device
        self.runtime: dict = {}
        self._next = 0

    def _context(self) -> JobContext:
        self._next += 1
        return JobContext(self._next, self.device_name)

    def submit(self, factory: JobFactory, name: str, *, progress: ProgressMode = "latest",
               on_progress=None, on_finished=None, on_failed=None, on_cancelled=None) -> int:
        ctx = self._context()
        try:
            value, last = drain(factory(ctx), on_progress)
            result = value if value is not None else last
        except Exception as exc:
            if on_failed is not None:
                on_failed(*describe_error(exc))
            return ctx.job_id
        if on_finished is not None:
            on_finished(result)
        return ctx.job_id

    def request(self, key: str, factory: JobFactory, on_result, on_failed=None, name: str | None = None,
                wait_s: float = 0.0, on_settled=None) -> int:
        job_id = self.submit(factory, name or key, on_finished=on_result, on_failed=on_failed)
        if on_settled is not None:
            on_settled()
        return job_id

    def cancel(self, job_id: int) -> None:
        """Inline jobs are finished by the time anyone could cancel them."""

    def pause(self, job_id: int | None = None) -> None:
        """Nothing runs in the background, so there is nothing to pause."""

    def resume(self, job_id: int | None = None) -> None:
        """See :meth:`pause`."""

    def channel(self, name: str) -> JobChannel:
        return JobChannel(self, name)
