"""The compute worker's scheduling loop, free of Qt so it can be read and tested on its own.

One thread runs :meth:`Scheduler.run`. Other threads only call the thread-safe command methods
(``submit``, ``request``, ``cancel``, ``pause``, ``resume``, ``set_device``, ``stop``); results leave
through the :class:`Emitter` callbacks, always from the scheduler's thread and in order, so a job's
``started`` always precedes its ``progress`` and exactly one terminal event (finished, failed or
cancelled) ends it.

Long jobs are advanced round-robin in slices of about ``slice_s`` seconds. Latest-wins requests are
kept one per key (a newer request replaces the pending one, which is reported cancelled) and are
served between slices; a slice ends early at the first yield after a request (or command) arrives.
Long jobs see that as ``JobContext.urgent`` and may yield ``None`` (a preemption point: not recorded,
not reported) to let it through sooner, so a drag stays responsive while training runs.

At start the loop probes every device (:func:`vaeviz.core.device.check_devices`, reported through
``Emitter.devices``) and chooses among those that passed. A job that fails on a device for a backend reason
(:func:`vaeviz.core.device.is_backend_error`) is run again once, from its factory, on the CPU, with a
``notice``; its ``started`` is not repeated, and as many snapshots as the first attempt yielded are replayed
silently. An EM run is a function of its inputs, so the CPU's first frames stand for those already reported
and none is appended twice; a job whose retry takes a shorter path (the VAE set-up finds the data its first
attempt loaded) may have later snapshots skipped too, but its result carries its final state.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass
from typing import Any, Protocol

from vaeviz.core.device import (
    DEVICE_NAMES,
    DeviceCheck,
    DeviceInfo,
    check_devices,
    error_reason,
    is_backend_error,
    select_device,
)
from vaeviz.core.jobs import JobContext, JobSpec
from vaeviz.core.limits import bounded_message
from vaeviz.log_file import log_failure
from vaeviz.runtime import compute_threads

# For INTERACTIVE_S after an interactive request (a drag's), long jobs work in small pieces, in slices of
# INTERACTIVE_SLICE_S taking INTERACTIVE_DUTY of the thread (the rest leaves the GIL and a core to the GUI
# thread), and an idle compute thread naps in INTERACTIVE_NAP_S steps (see Scheduler._interactive).
INTERACTIVE_S, INTERACTIVE_SLICE_S, INTERACTIVE_DUTY, INTERACTIVE_NAP_S = 0.25, 0.001, 0.25, 0.0002


class Emitter(Protocol):
    """Where the scheduler reports; the Qt worker forwards each call to a signal."""

    def started(self, job_id: int, name: str) -> None: ...
    def progress(self, job_id: int, snapshot: Any) -> None: ...
    def finished(self, job_id: int, result: Any) -> None: ...
    def failed(self, job_id: int, message: str, details: str) -> None: ...
    def cancelled(self, job_id: int) -> None: ...
    def state(self, text: str) -> None: ...
    def device(self, info: DeviceInfo) -> None: ...
    def devices(self, checks: tuple[DeviceCheck, ...]) -> None: ...
    def notice(self, job_id: int, message: str) -> None: ...
    def runtime(self, info: dict) -> None: ...


@dataclass
class _LongJob:
    job_id: int
    spec: JobSpec
    gen: Any = None
    started: bool = False
    paused: bool = False
    last: Any = None
    device: str = ""  # where the current attempt runs; set when its generator is made
    retried: bool = False  # the CPU retry after a backend failure has been made (there is only one)
    yielded: int = 0  # snapshots the current attempt yielded
    replayed: int = 0  # snapshots a retry yields without reporting: those the first attempt yielded


def describe_error(exc: BaseException) -> tuple[str, str]:
    """Return a one-line message and the full traceback of a job's exception, and log both.

    The message is bounded (an exception may quote a whole input); the log file keeps everything.
    """
    text = str(exc).strip().splitlines()
    message = f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
    details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    log_failure("job failed", message, details)
    return bounded_message(message), details


class Scheduler:
    """Owns the jobs; see the module docstring for the rules."""

    def __init__(self, emit: Emitter, *, slice_s: float = 0.010, device: str = "auto") -> None:
        self._emit = emit
        self.slice_s = slice_s
        self._cond = threading.Condition()
        self._ids = itertools.count(1)
        # Shared with command callers; guarded by self._cond.
        self._incoming: deque[_LongJob] = deque()
        self._requests: dict[str, tuple[int, JobSpec]] = {}
        self._commands: deque[tuple] = deque()
        self._stopping = False
        self._last_request_t = -math.inf
        self._next_slice_t = -math.inf
        self._device_pref = device
        # Owned by the scheduler thread only.
        self._jobs: list[_LongJob] = []
        self._turn = 0
        self._paused_all = False
        self._device = DeviceInfo("cpu", "cpu")
        self._checks: tuple[DeviceCheck, ...] | None = None
        self._state = ""

    # ----- commands: any thread -------------------------------------------------------------
    def new_id(self) -> int:
        """Reserve a job id (ids are never reused)."""
        with self._cond:
            return next(self._ids)

    def submit(self, spec: JobSpec, job_id: int | None = None) -> int:
        """Queue a long job; return its id."""
        with self._cond:
            job_id = job_id if job_id is not None else next(self._ids)
            self._incoming.append(_LongJob(job_id, spec))
            self._cond.notify()
        return job_id

    def request(self, spec: JobSpec, job_id: int | None = None, interactive: bool = False) -> int:
        """Queue a latest-wins request under ``spec.key``; a pending one with that key is replaced.

        ``interactive``: one of a stream the user is making (a drag's decodes): for INTERACTIVE_S long jobs
        give way (small pieces, a quarter of the thread). One-off requests (a view refreshed after a
        training snapshot) are only served between slices, without slowing long jobs down.
        """
        key = spec.key or spec.name
        with self._cond:
            job_id = job_id if job_id is not None else next(self._ids)
            old = self._requests.get(key)
            self._requests[key] = (job_id, spec)
            if interactive:
                self._last_request_t = time.perf_counter()
            if old is not None:
                self._commands.append(("superseded", old[0]))
            self._cond.notify()
        return job_id

    def cancel(self, job_id: int) -> None:
        """Cancel a job or pending request by id; unknown or finished ids are ignored."""
        self._command("cancel", job_id)

    def cancel_all(self) -> None:
        """Cancel every long job and pending request."""
        self._command("cancel_all")

    def pause(self, job_id: int | None = None) -> None:
        """Pause one long job, or all long jobs (requests are still served)."""
        self._command("pause", job_id)

    def resume(self, job_id: int | None = None) -> None:
        """Resume one long job, or lift a global pause."""
        self._command("resume", job_id)

    def set_device(self, preference: str) -> None:
        """Switch device ("auto", "cuda", "mps", "cpu"); jobs started afterwards use it."""
        self._command("device", preference)

    def stop(self) -> None:
        """Ask the loop to cancel everything and return."""
        with self._cond:
            self._stopping = True
            self._cond.notify()

    def _command(self, *cmd) -> None:
        with self._cond:
            self._commands.append(cmd)
            self._cond.notify()

    # ----- the loop: scheduler thread --------------------------------------------------------
    def run(self) -> None:
        """Serve jobs until :meth:`stop`; the caller's thread becomes the compute thread."""
        self._set_state("starting")
        self._start_runtime()
        while True:
            with self._cond:
                while not self._stopping and not self._has_work_locked():
                    self._set_state_locked_free()
                    if self._interactive():
                        # The next request of a drag is near: short naps keep this thread
                        # (and its core) awake.
                        # Waking from a long sleep took ~0.5 ms more per request on this VM.
                        self._cond.wait(timeout=INTERACTIVE_NAP_S)
                    else:
                        self._cond.wait()
                if self._stopping:
                    break
                incoming, self._incoming = list(self._incoming), deque()
                commands, self._commands = list(self._commands), deque()
                # Taken with the commands, so a request never overtakes a pause or cancel sent before it.
                keys = list(self._requests)
            self._jobs.extend(incoming)
            for cmd in commands:
                self._apply(cmd)
            self._serve_requests(keys)
            self._set_state(self._describe_state())
            job = self._next_runnable()
            if job is None:
                continue
            if not self._interactive():
                self._run_slice(job, self.slice_s)
                continue
            # Requests are streaming in (a drag): short slices, and between them the thread leaves the GIL
            # and the core to the GUI thread, waking at once for the next request.
            pause = self._next_slice_t - time.perf_counter()
            if pause > 0:
                with self._cond:
                    if not self._urgent():
                        self._cond.wait(timeout=pause)
                continue
            t0 = time.perf_counter()
            self._run_slice(job, INTERACTIVE_SLICE_S)
            now = time.perf_counter()
            self._next_slice_t = now + (now - t0) * (1.0 - INTERACTIVE_DUTY) / INTERACTIVE_DUTY
        self._shutdown()

    def _has_work_locked(self) -> bool:
        return bool(self._incoming or self._commands or self._requests or self._runnable())

    def _set_state_locked_free(self) -> None:
        # Called with the lock held just before sleeping; emitting is safe (queued to the GUI).
        self._set_state(self._describe_state())

    def _start_runtime(self) -> None:
        info: dict = {}
        try:
            t0 = time.perf_counter()
            import torch

            threads = compute_threads()
            torch.set_num_threads(threads)  # leave a core to the GUI thread
            info = {"torch": torch.__version__, "torch_threads": threads,
                    "torch_import_s": round(time.perf_counter() - t0, 3)}
        except Exception as exc:  # a broken torch must not take the worker down
            message, details = describe_error(exc)
            self._emit.failed(0, f"torch could not be loaded: {message}", details)
            info = {"torch": "unavailable"}
        self._emit.runtime(info)
        self._check_devices()
        self._choose_device(self._device_pref)

    def _check_devices(self) -> None:
        # In this thread, once: the probes cost ~0.1 ms on a CPU, a CUDA context's creation on a GPU (which
        # the first job would pay otherwise), and never delay the window.
        try:
            self._checks = check_devices()
        except Exception as exc:  # torch could not be loaded, or asking it about devices failed
            message, details = describe_error(exc)
            self._emit.failed(0, f"device check failed: {message}", details)
            self._checks = tuple(DeviceCheck(name, name == "cpu", error_reason(exc) if name == "cpu" else "")
                                 for name in DEVICE_NAMES)
        self._emit.devices(self._checks)

    def _choose_device(self, preference: str) -> None:
        try:
            self._device = select_device(preference, self._checks)
        except Exception as exc:
            message, details = describe_error(exc)
            self._emit.failed(0, f"device selection failed: {message}", details)
            self._device = DeviceInfo("cpu", "cpu", "device selection failed")
        self._emit.device(self._device)

    def _apply(self, cmd: tuple) -> None:
        kind = cmd[0]
        if kind == "superseded":
            self._emit.cancelled(cmd[1])
        elif kind == "cancel":
            self._cancel(cmd[1])
        elif kind == "cancel_all":
            for job in list(self._jobs):
                self._cancel(job.job_id)
            with self._cond:
                pending, self._requests = list(self._requests.values()), {}
            for job_id, _ in pending:
                self._emit.cancelled(job_id)
        elif kind in ("pause", "resume"):
            paused = kind == "pause"
            if cmd[1] is None:
                self._paused_all = paused
                if not paused:
                    for job in self._jobs:
                        job.paused = False
            else:
                for job in self._jobs:
                    if job.job_id == cmd[1]:
                        job.paused = paused
        elif kind == "device":
            self._choose_device(cmd[1])

    def _cancel(self, job_id: int) -> None:
        for job in self._jobs:
            if job.job_id == job_id:
                self._jobs.remove(job)
                self._close(job)
                self._emit.cancelled(job_id)
                return
        with self._cond:
            for key, (pending_id, _) in list(self._requests.items()):
                if pending_id == job_id:
                    del self._requests[key]
                    break
            else:
                return
        self._emit.cancelled(job_id)

    def _close(self, job: _LongJob) -> None:
        if job.gen is not None and hasattr(job.gen, "close"):
            try:
                job.gen.close()  # runs the job's finally blocks in this thread
            except Exception:
                pass

    def _serve_requests(self, keys: list[str]) -> None:
        # One round: the keys pending when the round began, each once. A steady stream of drag requests
        # arriving meanwhile waits for the next round, so long jobs still get their slices.
        for key in keys:
            with self._cond:
                if key not in self._requests:
                    continue
                job_id, spec = self._requests.pop(key)
            self._emit.started(job_id, spec.name)
            device = self._device.name
            while True:
                try:
                    result = _run_request(spec, JobContext(job_id, device, retry=device != self._device.name))
                except Exception as exc:
                    if is_backend_error(exc, device):  # never on the CPU: this loops at most twice
                        self._retry_notice(job_id, spec.name, device, exc)
                        device = "cpu"
                        continue
                    self._emit.failed(job_id, *describe_error(exc))
                else:
                    self._emit.finished(job_id, result)
                break

    def _runnable(self) -> list[_LongJob]:
        return [] if self._paused_all else [j for j in self._jobs if not j.paused]

    def _next_runnable(self) -> _LongJob | None:
        runnable = self._runnable()
        if not runnable:
            return None
        self._turn = (self._turn + 1) % len(runnable)
        return runnable[self._turn]

    def _urgent(self) -> bool:
        # Lock-free peeks (a dict's and a deque's truth are atomic under the GIL): a stale answer only
        # shifts the check to the next yield.
        return bool(self._requests or self._commands or self._stopping)

    def _interactive(self) -> bool:
        """Long jobs' JobContext.urgent: something waits, or interactive requests are arriving (a drag sends
        one every few ms). Asking only "does one wait now?" let a job start a whole training step (~13 ms)
        just before the next decode request came in; within INTERACTIVE_S of one, jobs keep to pieces."""
        return self._urgent() or time.perf_counter() - self._last_request_t < INTERACTIVE_S

    def _run_slice(self, job: _LongJob, slice_s: float) -> None:
        if not job.started:
            job.started = True
            self._emit.started(job.job_id, job.spec.name)
        if job.gen is None:
            job.device = job.device or self._device.name
            try:
                job.gen = iter(job.spec.factory(JobContext(job.job_id, job.device, self._interactive,
                                                           retry=job.retried)))
            except Exception as exc:
                self._job_failed(job, exc)
                return
        every = job.spec.progress == "every"
        deadline = time.perf_counter() + slice_s
        fresh = False
        while True:
            try:
                snapshot = next(job.gen)
            except StopIteration as stop:
                self._jobs.remove(job)
                if fresh:
                    self._emit.progress(job.job_id, job.last)
                self._emit.finished(job.job_id, stop.value if stop.value is not None else job.last)
                return
            except Exception as exc:
                self._job_failed(job, exc)
                return
            if snapshot is not None:  # None: a preemption point only (see vaeviz.core.jobs)
                job.last = snapshot
                job.yielded += 1
                if job.yielded <= job.replayed:
                    pass  # a retry catching up with what the first attempt reported
                elif every:
                    self._emit.progress(job.job_id, snapshot)
                else:
                    fresh = True
            if time.perf_counter() >= deadline or self._urgent():
                break
        if fresh:
            self._emit.progress(job.job_id, job.last)

    def _job_failed(self, job: _LongJob, exc: Exception) -> None:
        """End a long job with its failure, or, after its first backend failure on a device, restart it on
        the CPU (from its factory, on its next turn)."""
        if not job.retried and is_backend_error(exc, job.device):
            self._retry_notice(job.job_id, job.spec.name, job.device, exc)
            self._close(job)
            job.retried, job.gen, job.device = True, None, "cpu"
            job.replayed, job.yielded = job.yielded, 0
            return
        self._jobs.remove(job)
        self._emit.failed(job.job_id, *describe_error(exc))

    def _retry_notice(self, job_id: int, name: str, device: str, exc: Exception) -> None:
        message = f"{name} failed on {device} ({error_reason(exc)}); retried on the CPU"
        log_failure("job retried on the CPU", message,
                    "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
        self._emit.notice(job_id, bounded_message(message))

    def _describe_state(self) -> str:
        if not self._jobs:
            return "idle"
        runnable = self._runnable()
        if not runnable:
            return "paused"
        more = f" (+{len(self._jobs) - 1} more)" if len(self._jobs) > 1 else ""
        return f"running {runnable[0].spec.name}{more}"

    def _set_state(self, text: str) -> None:
        if text != self._state:
            self._state = text
            self._emit.state(text)

    def _shutdown(self) -> None:
        # Jobs submitted and requests superseded just before stop() have not been taken in yet;
        # they too end with 'cancelled' (every job gets exactly one terminal event).
        with self._cond:
            self._jobs.extend(self._incoming)
            self._incoming.clear()
            superseded = [cmd[1] for cmd in self._commands if cmd[0] == "superseded"]
            self._commands.clear()
        for job_id in superseded:
            self._emit.cancelled(job_id)
        for job in list(self._jobs):
            self._jobs.remove(job)
            self._close(job)
            self._emit.cancelled(job.job_id)
        with self._cond:
            pending, self._requests = list(self._requests.values()), {}
        for job_id, _ in pending:
            self._emit.cancelled(job_id)
        self._set_state("stopped")


def _run_request(spec: JobSpec, ctx: JobContext) -> Any:
    """Run a request's job to its end: its return value, else its last snapshot (``None`` yields are
    preemption points, not results)."""
    gen = spec.factory(ctx)
    result = None
    while True:
        try:
            snapshot = next(gen)
        except StopIteration as stop:
            return stop.value if stop.value is not None else result
        if snapshot is not None:
            result = snapshot
