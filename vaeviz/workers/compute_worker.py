"""The one long-lived compute thread: it owns torch and the device.

Its signals are emitted from the compute thread. Connect them only to bound ``@Slot`` methods of
QObjects living in the GUI thread (see :class:`vaeviz.workers.bridge.WorkerBridge`): in PySide6 a
plain function or lambda connected to them would run in the compute thread.
"""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import QThread, Signal

from vaeviz.core.device import DeviceCheck, DeviceInfo
from vaeviz.core.jobs import JobFactory, JobSpec, ProgressMode
from vaeviz.workers.scheduler import Scheduler


class ComputeWorker(QThread):
    """A QThread running :class:`Scheduler`; every public method is safe to call from any thread."""

    job_started = Signal(int, str)
    job_progress = Signal(int, object)
    job_finished = Signal(int, object)
    job_failed = Signal(int, str, str)  # id (0: the worker itself), message, traceback
    job_cancelled = Signal(int)
    state_changed = Signal(str)
    device_changed = Signal(str, str, str)  # name, description, note
    devices_checked = Signal(object)  # tuple[DeviceCheck, ...]: every device, best first, probed at start
    job_notice = Signal(int, str)  # id, message: e.g. the job failed on the GPU and was retried on the CPU
    runtime_info = Signal(dict)

    def __init__(self, device: str = "auto", slice_s: float = 0.010, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("vaeviz-compute")
        self._watched: dict[int, threading.Event] = {}
        self._watch_lock = threading.Lock()
        self._scheduler = Scheduler(_SignalEmitter(self), slice_s=slice_s, device=device)

    def run(self) -> None:  # compute thread
        self._scheduler.run()

    def submit(self, factory: JobFactory, name: str, *, progress: ProgressMode = "latest",
               job_id: int | None = None) -> int:
        """Queue a long job (advanced in slices); return its id."""
        return self._scheduler.submit(JobSpec(factory, name, "long", progress=progress), job_id)

    def request(self, key: str, factory: JobFactory, *, name: str | None = None,
                job_id: int | None = None, interactive: bool = False) -> int:
        """Queue a latest-wins request: only the newest pending request per key is computed.
        ``interactive``: one of a stream the user makes (see Scheduler.request)."""
        return self._scheduler.request(JobSpec(factory, name or key, "latest", key=key), job_id, interactive)

    def new_id(self) -> int:
        """Reserve a job id before submitting (so callers can register handlers first)."""
        return self._scheduler.new_id()

    def watch(self, job_id: int) -> threading.Event:
        """An event set (from the compute thread) once the job's last signal has been emitted; register it
        before queuing the job. For a caller that waits a moment for a result (see WorkerBridge.request)."""
        event = threading.Event()
        with self._watch_lock:
            self._watched[job_id] = event
        return event

    def unwatch(self, job_id: int) -> None:
        with self._watch_lock:
            self._watched.pop(job_id, None)

    def _ended(self, job_id: int) -> None:  # compute thread, after the terminal signal
        with self._watch_lock:
            event = self._watched.pop(job_id, None)
        if event is not None:
            event.set()

    def cancel(self, job_id: int) -> None:
        self._scheduler.cancel(job_id)

    def cancel_all(self) -> None:
        self._scheduler.cancel_all()

    def pause(self, job_id: int | None = None) -> None:
        self._scheduler.pause(job_id)

    def resume(self, job_id: int | None = None) -> None:
        self._scheduler.resume(job_id)

    def set_device(self, preference: str) -> None:
        self._scheduler.set_device(preference)

    def shutdown(self, timeout_s: float = 2.0) -> bool:
        """Cancel everything, stop the loop and wait; return whether the thread ended in time."""
        self._scheduler.stop()
        if not self.isRunning():
            return True
        return self.wait(int(timeout_s * 1000))


class _SignalEmitter:
    """Forwards scheduler events to the worker's signals (called in the compute thread)."""

    def __init__(self, worker: ComputeWorker) -> None:
        self._w = worker

    def started(self, job_id: int, name: str) -> None:
        self._w.job_started.emit(job_id, name)

    def progress(self, job_id: int, snapshot: Any) -> None:
        self._w.job_progress.emit(job_id, snapshot)

    def finished(self, job_id: int, result: Any) -> None:
        self._w.job_finished.emit(job_id, result)
        self._w._ended(job_id)

    def failed(self, job_id: int, message: str, details: str) -> None:
        self._w.job_failed.emit(job_id, message, details)
        self._w._ended(job_id)

    def cancelled(self, job_id: int) -> None:
        self._w.job_cancelled.emit(job_id)
        self._w._ended(job_id)

    def state(self, text: str) -> None:
        self._w.state_changed.emit(text)

    def device(self, info: DeviceInfo) -> None:
        self._w.device_changed.emit(info.name, info.description, info.note)

    def devices(self, checks: tuple[DeviceCheck, ...]) -> None:
        self._w.devices_checked.emit(checks)

    def notice(self, job_id: int, message: str) -> None:
        self._w.job_notice.emit(job_id, message)

    def runtime(self, info: dict) -> None:
        self._w.runtime_info.emit(info)
