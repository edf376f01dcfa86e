"""Worker benchmark: latest-wins round trips and GUI responsiveness while the worker computes.

Everything goes through the real :class:`ComputeWorker` and :class:`WorkerBridge`, driven from this
(GUI) thread's event loop, exactly as a dock would use them:

1. ``latest_request_*``: sequential latest-wins requests with a tiny torch computation; each is timed
   from ``bridge.request`` to its result handler running in the GUI thread.
2. ``gui_*_stall_*``: a 2 ms heartbeat timer in the GUI thread records its gaps while the worker runs a
   CPU-heavy job (512x512 float32 matmuls for ~3 s). Any gap beyond the interval is time the GUI thread
   could not run: the GIL held too long by the worker, or too many signals to deliver.
3. ``latest_request_under_load_*``: round trips again while a heavy job runs (requests are served
   between the long job's snapshots), for information; no goal.

Handlers are plain functions passed to the bridge (they run in the GUI thread); nothing here connects
to a ComputeWorker signal directly, which in PySide6 would run the function in the compute thread.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from PySide6.QtCore import QEventLoop, Qt, QTimer

from benchmarks import percentile
from benchmarks._qt_wait import heartbeat_ticks
from vaeviz.core.jobs import JobContext, Progress, single
from vaeviz.workers.bridge import WorkerBridge
from vaeviz.workers.compute_worker import ComputeWorker

WARMUP_REQUESTS = 50
ROUND_TRIPS = 600
UNDER_LOAD_ROUND_TRIPS = 150
HEARTBEAT_MS = 2
IDLE_HEARTBEAT_S = 1.0
HEAVY_JOB_S = 3.0
MATMUL_SIZE = 512
TIMEOUT_S = 40.0  # a safety net per phase: a hung worker must fail the benchmark, not hang `make bench`


def _tiny(ctx: JobContext) -> float:
    # Small but real torch work, like a dock's "evaluate at the cursor" request.
    import torch

    return float(torch.arange(16, dtype=torch.float32).sum())


def _matmul_job(duration_s: float, size: int) -> Callable:
    """A long job of back-to-back ``size``x``size`` float32 matmuls for ``duration_s`` seconds."""

    def factory(ctx: JobContext):
        import torch

        gen = torch.Generator().manual_seed(0)
        a = torch.randn(size, size, generator=gen)
        b = torch.randn(size, size, generator=gen) / size**0.5  # keeps values bounded over iterations
        count, t0 = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - t0) < duration_s:
            a = torch.mm(a, b).tanh_()
            count += 1
            yield Progress(min(1.0, elapsed / duration_s), value=count)
        return {"matmuls": count, "elapsed_s": time.perf_counter() - t0,
                "torch_threads": torch.get_num_threads()}

    return factory


def _spin(done: Callable[[], bool], timeout_s: float = TIMEOUT_S) -> bool:
    """Run the GUI event loop until ``done()`` or the timeout; return whether ``done()`` became true."""
    loop = QEventLoop()
    poll = QTimer()
    poll.timeout.connect(lambda: loop.quit() if done() else None)
    poll.start(5)  # coarse: completion is only noticed here; samples are timed in the handlers
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    if not done():
        loop.exec()
    poll.stop()
    return done()


class RoundTrips:
    """Issue latest-wins requests one after another, each from the previous one's result handler.

    Parameters
    ----------
    bridge
        The GUI-thread bridge to the compute worker.
    count
        How many round trips to time.
    """

    def __init__(self, bridge: WorkerBridge, count: int) -> None:
        self.bridge = bridge
        self.count = count
        self.samples: list[float] = []
        self.failures: list[str] = []
        self._t0 = 0.0

    @property
    def done(self) -> bool:
        return len(self.samples) + len(self.failures) >= self.count

    def start(self) -> None:
        self._issue()

    def _issue(self) -> None:
        self._t0 = time.perf_counter()
        self.bridge.request("bench-latest", single(_tiny), self._on_result, self._on_failed)

    def _on_result(self, result: float) -> None:  # GUI thread, called by the bridge
        self.samples.append(time.perf_counter() - self._t0)
        if not self.done:
            self._issue()

    def _on_failed(self, message: str, details: str) -> None:
        self.failures.append(message)
        if not self.done:
            self._issue()


def _latency_stats(prefix: str, samples: list[float]) -> dict:
    ms = [s * 1000 for s in samples]
    return {f"{prefix}_p50_ms": round(percentile(ms, 50), 3),
            f"{prefix}_p99_ms": round(percentile(ms, 99), 3),
            f"{prefix}_max_ms": round(max(ms), 3), f"{prefix}_count": len(ms)}


def _measure_round_trips(bridge: WorkerBridge, count: int) -> RoundTrips:
    trips = RoundTrips(bridge, count)
    trips.start()
    if not _spin(lambda: trips.done):
        raise RuntimeError(f"latest-wins requests timed out after {len(trips.samples)} of {count}")
    if trips.failures:
        raise RuntimeError(f"latest-wins requests failed: {trips.failures[0]}")
    return trips


def _gaps_ms(ticks: list[float]) -> list[float]:
    return [(b - a) * 1000 for a, b in zip(ticks, ticks[1:], strict=False)]


def _stall_stats(prefix: str, gaps: list[float]) -> dict:
    # A stall is how much later than scheduled the heartbeat ran: the gap minus the interval.
    return {f"{prefix}_max_stall_ms": round(max(0.0, max(gaps) - HEARTBEAT_MS), 3),
            f"{prefix}_stall_p99_ms": round(max(0.0, percentile(gaps, 99) - HEARTBEAT_MS), 3),
            f"{prefix}_heartbeats": len(gaps) + 1}


def _run_heavy_job(bridge: WorkerBridge, duration_s: float) -> tuple[dict, dict]:
    """Run the matmul job with the heartbeat on; return (stall metrics, job result)."""
    ticks: list[float] = []
    heartbeat = QTimer()
    heartbeat.setTimerType(Qt.TimerType.PreciseTimer)  # the default coarse timer adds its own ~5% slack
    heartbeat.setInterval(HEARTBEAT_MS)
    heartbeat.timeout.connect(lambda: ticks.append(time.perf_counter()))
    outcome: dict = {}
    progress = [0]

    def on_progress(snapshot) -> None:
        progress[0] += 1

    heartbeat.start()
    bridge.submit(_matmul_job(duration_s, MATMUL_SIZE), "bench-matmul", on_progress=on_progress,
                  on_finished=lambda r: outcome.update(result=r),
                  on_failed=lambda m, d: outcome.update(error=m))
    finished = _spin(lambda: bool(outcome), duration_s + TIMEOUT_S)
    heartbeat.stop()
    if not finished or "error" in outcome:
        raise RuntimeError(f"heavy job did not finish: {outcome.get('error', 'timeout')}")
    result = dict(outcome["result"])
    result["progress_signals"] = progress[0]
    return _stall_stats("gui", _gaps_ms(ticks)), result


def _idle_heartbeat(seconds: float) -> dict:
    """Heartbeat gaps with an idle worker: the event loop's own jitter, to read the loaded figures against."""
    return _stall_stats("idle", _gaps_ms(heartbeat_ticks(seconds, HEARTBEAT_MS)))


def _under_load(bridge: WorkerBridge) -> dict:
    """Round trips while a heavy job runs; the job is cancelled once they are done."""
    cancelled = [False]
    job_id = bridge.submit(_matmul_job(TIMEOUT_S, MATMUL_SIZE), "bench-matmul-load",
                           on_cancelled=lambda: cancelled.__setitem__(0, True))
    started = time.perf_counter()
    _spin(lambda: time.perf_counter() - started > 0.2, 5)  # let the job get going first
    trips = _measure_round_trips(bridge, UNDER_LOAD_ROUND_TRIPS)
    bridge.cancel(job_id)
    _spin(lambda: cancelled[0], 10)
    return _latency_stats("latest_request_under_load", trips.samples)


def run() -> dict:
    """Measure latest-wins round trips and GUI stalls through the real compute worker.

    Returns
    -------
    dict
        ``latest_request_p50_ms``/``p99_ms`` (idle worker, 600 sequential round trips),
        ``gui_max_stall_ms``/``gui_stall_p99_ms`` (2 ms heartbeat during a ~3 s matmul job),
        ``idle_*`` heartbeat figures, the heavy job's ``matmul_per_s`` and ``matmul_gflops``,
        ``latest_request_under_load_*`` and a ``details`` dict with the worker's runtime info.
    """
    # Headless by default, like the start-up benchmark: no window is shown, only the event loop is used.
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from vaeviz.app import make_application

    app = make_application()  # as the app: its name, its garbage-collection policy
    worker = ComputeWorker(device="cpu")
    bridge = WorkerBridge(worker)
    t0 = time.perf_counter()
    worker.start()
    metrics: dict = {}
    try:
        if not _spin(lambda: bool(bridge.device_name)):
            raise RuntimeError("the compute worker did not report a device")
        metrics["worker_ready_s"] = round(time.perf_counter() - t0, 3)
        _measure_round_trips(bridge, WARMUP_REQUESTS)  # first calls pay for lazy imports and caches
        metrics.update(_latency_stats("latest_request", _measure_round_trips(bridge, ROUND_TRIPS).samples))
        metrics.update(_idle_heartbeat(IDLE_HEARTBEAT_S))
        stalls, job = _run_heavy_job(bridge, HEAVY_JOB_S)
        metrics.update(stalls)
        metrics["matmul_count"] = job["matmuls"]
        metrics["matmul_per_s"] = round(job["matmuls"] / job["elapsed_s"], 1)
        metrics["matmul_gflops"] = round(job["matmuls"] * 2 * MATMUL_SIZE**3 / job["elapsed_s"] / 1e9, 2)
        metrics["progress_signals_per_s"] = round(job["progress_signals"] / job["elapsed_s"], 1)
        metrics.update(_under_load(bridge))
        metrics["details"] = {"runtime": dict(bridge.runtime), "device": bridge.device_description,
                              "heartbeat_ms": HEARTBEAT_MS, "matmul_size": MATMUL_SIZE,
                              "heavy_job_s": HEAVY_JOB_S, "heavy_job_torch_threads": job["torch_threads"]}
    finally:
        stopped = worker.shutdown(5.0)
        app.processEvents()  # deliver the last queued signals while the bridge still exists
    metrics["worker_stopped_cleanly"] = stopped
    return metrics
