"""VAE benchmark: drag-to-decode through the compute worker, manifold grids, training speed, GUI stalls.

Everything that touches the model runs in the real :class:`ComputeWorker` thread (its torch thread
count), reached through the :class:`WorkerBridge` from this (GUI) thread's event loop, as the app does.
The model (the default: the shipped MLP VAE ``mnist10k-vae.safetensors``, 28x28, latent 2) is loaded by a
first request and then lives in the worker thread only. Constants, helpers and the worker-side jobs are in
:mod:`benchmarks._vae_jobs`.

1. ``drag_decode_hz`` / ``drag_decode_p99_ms``: on the real latent dock (:mod:`benchmarks._vae_dock`: a
   ``LatentDock`` on this worker, shown at 1280x760, the shipped model loaded as on launch), a drag
   simulated by a precise timer in the GUI thread moving the dock's ⊕ every ``INPUT_INTERVAL_MS`` (2 ms:
   as many mouse moves as the app accepts, ``vaeviz.ui.items.cheap_items.MOUSE_MOVES_PER_S``). The dock
   sends its own latest-wins decode requests and shows the images; Qt repaints the figure when it
   schedules it. ``drag_decode_hz`` is new decoded images painted per second; the
   latency of an update is the time from its move until the end of the first paint showing its own or a
   newer decoded image (an update superseded by a newer one is served by that one's paint), p99 over all
   updates of a 2 s session; best of 3 sessions (every session is in ``details``).
2. The same while the dock trains its model (its own training job, continuing the shipped model):
   ``drag_decode_hz_while_training`` / ``drag_decode_p99_ms_while_training``, best of 3 sessions too.
3. ``gui_max_stall_ms_while_training``: a 2 ms heartbeat timer in the GUI thread while the dock trains
   (its curves, progress bar and scatter snapshots updating).
   ``details["bare_image_item"]`` repeats 1–3 with the worker and a bare ``pg.ImageItem`` instead of the
   dock (the worker path alone): a request per update, the result set into the image and repainted.
4. ``manifold_grid_20x20_per_s``: ``decode_grid(model, n=20)`` (400 latent points → 400 images) calls per
   second, as a job in the worker, best of 3 one-second blocks; where the time goes is in ``details``.
5. ``train_samples_per_s_ratio_vs_reference``: ``train_steps`` samples/s over a pytorch/examples-style loop
   (``DataLoader(TensorDataset, shuffle=True)``, default ``torch.optim.Adam``, the same model and ELBO loss,
   ``loss.item()`` per batch) on the same data (the shipped MNIST test split, 10,000 images), batch 128, one
   epoch per run, in the worker thread (same thread count), runs alternating (after a warm-up pair), median
   of 3 each.
"""

from __future__ import annotations

import math
import os
import statistics
import time

import numpy as np

from benchmarks._dock_frames import close_dock
from benchmarks._vae_dock import DockDrag, heartbeat, open_dock, stop_training, train_in_dock
from benchmarks._vae_jobs import (
    CHECKPOINT,
    DRAG_S,
    DRAG_SESSIONS,
    DRAG_WARMUP_S,
    GRID_BLOCKS,
    GRID_S,
    GRID_VARIANT_S,
    HEARTBEAT_MS,
    HEARTBEAT_S,
    IDLE_HEARTBEAT_S,
    IMAGE_VIEW_PX,
    INPUT_INTERVAL_MS,
    RATIO_BATCH,
    RATIO_EPOCHS,
    RATIO_N,
    RATIO_WARMUP_ROUNDS,
    TIMEOUT_S,
    TRAIN_N,
    _call,
    _decode,
    _grid_breakdown,
    _grid_job,
    _importance_job,
    _load_model,
    _make_data,
    _ms_stats,
    _ratio_job,
    _run_job,
    _spin,
    _train_forever,
    _wait_s,
)
from vaeviz.core.jobs import single


# ----- GUI side -------------------------------------------------------------------------------------------
class ImageView:
    """A shown pyqtgraph view with one ImageItem: where decoded images are painted."""

    def __init__(self) -> None:
        import pyqtgraph as pg

        self.widget = pg.GraphicsView()
        self.box = pg.ViewBox(lockAspect=True, invertY=True, enableMouse=False)
        self.widget.setCentralItem(self.box)
        self.item = pg.ImageItem(axisOrder="row-major")
        self.box.addItem(self.item)
        self.widget.resize(IMAGE_VIEW_PX, IMAGE_VIEW_PX)
        self.widget.show()
        self.item.setImage(np.zeros((28, 28), np.float32), levels=(0.0, 1.0), autoLevels=False)
        self.box.setRange(xRange=(0, 28), yRange=(0, 28), padding=0)
        self.box.disableAutoRange()

    def show_image(self, image: np.ndarray) -> None:
        self.item.setImage(image, levels=(0.0, 1.0), autoLevels=False)
        self.widget.viewport().repaint()


class Drag:
    """Simulated drag: latest-wins decode requests at ``INPUT_INTERVAL_MS``, results painted on arrival."""

    def __init__(self, bridge, state: dict, view: ImageView) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.bridge = bridge
        self.state = state
        self.view = view
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(INPUT_INTERVAL_MS)
        self.timer.timeout.connect(self._move)
        self.events: list[float] = []  # request time of update number i
        self.paints: list[tuple[int, float]] = []  # (update number shown, time painted)
        self.decode_s: list[float] = []
        self.paint_s: list[float] = []
        self.failures: list[str] = []
        self._t0 = 0.0
        self._end = 0.0

    def _position(self, t: float) -> np.ndarray:
        # A looping stroke through the latent plane, about one turn per second.
        a = 2 * math.pi * t
        return np.array([2.2 * math.cos(a), 1.6 * math.sin(2 * a)], dtype=np.float32)

    def _move(self) -> None:
        now = time.perf_counter()
        if now >= self._end:
            self.timer.stop()
            return
        seq = len(self.events)
        self.events.append(now)
        self.bridge.request("decode", single(_decode(self.state, seq, self._position(now - self._t0))),
                            self._on_result, lambda m, d: self.failures.append(m))

    def _on_result(self, result) -> None:  # GUI thread, called by the bridge
        seq, image, decode_s = result
        t0 = time.perf_counter()
        self.view.show_image(image)
        now = time.perf_counter()
        self.paints.append((seq, now))
        self.decode_s.append(decode_s)
        self.paint_s.append(now - t0)

    @property
    def done(self) -> bool:
        return not self.timer.isActive() and bool(self.paints) and self.paints[-1][0] == len(self.events) - 1

    def run(self, seconds: float) -> dict:
        self._t0 = time.perf_counter()
        self._end = self._t0 + seconds
        self.timer.start()
        if not _spin(lambda: self.done or bool(self.failures), seconds + TIMEOUT_S):
            raise RuntimeError(f"drag did not finish: {len(self.paints)} paints for "
                               f"{len(self.events)} updates")
        if self.failures:
            raise RuntimeError(f"decode request failed: {self.failures[0]}")
        return self.figures()

    def figures(self) -> dict:
        events = np.array(self.events)
        seqs = np.array([s for s, _ in self.paints])
        painted = np.array([t for _, t in self.paints])
        first = np.searchsorted(seqs, np.arange(len(events)), side="left")  # first paint showing >= update i
        latency = painted[first] - events
        span = painted[-1] - events[0]
        own = painted - events[seqs]
        return {"hz": round(len(painted) / span, 1), "updates_per_s": round(len(events) / span, 1),
                **_ms_stats("event_to_paint_", list(latency)),
                **_ms_stats("painted_request_", list(own)),
                "decode_in_worker_p50_ms": round(statistics.median(self.decode_s) * 1000, 3),
                "set_image_and_paint_p50_ms": round(statistics.median(self.paint_s) * 1000, 3),
                "updates": len(events), "paints": len(painted), "seconds": round(span, 3)}


def _training_phase(bridge, state: dict, view: ImageView) -> tuple[dict, dict, dict]:
    """Start training in the worker; measure the GUI heartbeat, then a drag, while it runs; cancel it."""
    from PySide6.QtWidgets import QLabel

    label = QLabel()  # what a status bar would show
    reports: list = []

    def on_progress(report) -> None:
        reports.append((time.perf_counter(), report.step, report.samples_per_s))
        label.setText(report.message)

    cancelled = [False]
    failed: list[str] = []
    def on_failed(message: str, _details: str) -> None:
        failed.append(message)

    def on_cancelled() -> None:
        cancelled[0] = True

    job = bridge.submit(_train_forever(state), "bench-train", on_progress=on_progress, on_failed=on_failed,
                        on_cancelled=on_cancelled)
    try:
        if not _spin(lambda: len(reports) >= 3 or bool(failed)):
            raise RuntimeError("training did not start")
        if failed:
            raise RuntimeError(f"training failed: {failed[0]}")
        _wait_s(0.3)
        mark = len(reports)
        t0 = time.perf_counter()
        stall = heartbeat(HEARTBEAT_S)
        elapsed = time.perf_counter() - t0
        during = reports[mark:]
        steps = during[-1][1] - during[0][1] if len(during) > 1 else 0
        steps_per_s = round(steps / max(during[-1][0] - during[0][0], 1e-9), 1) if steps else 0.0
        training = {"progress_signals_per_s": round(len(during) / elapsed, 1),
                    "steps_per_s": steps_per_s,
                    "samples_per_s_p50": round(statistics.median(r[2] for r in during), 1) if during else 0.0}
        training["step_ms"] = round(1000 / training["steps_per_s"], 3) if training["steps_per_s"] else None
        drag = Drag(bridge, state, view)
        drag.run(DRAG_S)
        if failed:
            raise RuntimeError(f"training failed: {failed[0]}")
        drag_figures = drag.figures()
        return stall, drag_figures, training
    finally:
        bridge.cancel(job)
        _spin(lambda: cancelled[0] or bool(failed), 10)


def _best(sessions: list[dict]) -> dict:
    return min(sessions, key=lambda f: f["event_to_paint_p99_ms"])


def _summaries(sessions: list[dict]) -> list[dict]:
    keys = ("hz", "event_to_paint_p50_ms", "event_to_paint_p99_ms", "event_to_paint_max_ms", "paint_p50_ms")
    return [{k: f[k] for k in keys} for f in sessions]


def run() -> dict:
    """Measure drag-to-decode, manifold grids, training speed and GUI stalls through the compute worker.

    Returns
    -------
    dict
        ``drag_decode_hz``, ``drag_decode_p99_ms``, their ``_while_training`` variants,
        ``gui_max_stall_ms_while_training``, ``manifold_grid_20x20_per_s``,
        ``train_samples_per_s_ratio_vs_reference``, supporting figures and ``details``.
    """
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from vaeviz.app import make_application
    from vaeviz.workers.bridge import WorkerBridge
    from vaeviz.workers.compute_worker import ComputeWorker

    app = make_application()  # as the app: its name, its garbage-collection policy
    metrics: dict = {}
    details: dict = {"input_interval_ms": INPUT_INTERVAL_MS, "drag_s": DRAG_S, "checkpoint": CHECKPOINT}
    state: dict = {}  # the worker's objects; only jobs running in the compute thread touch them
    worker = ComputeWorker(device="cpu")
    bridge = WorkerBridge(worker)
    view = ImageView()
    worker.start()
    try:
        if not _spin(lambda: bool(bridge.device_name)):
            raise RuntimeError("the compute worker did not report a device")
        details["model"] = _call(bridge, _load_model(state), "bench-load")
        details["runtime"] = dict(bridge.runtime)
        metrics["worker_torch_threads"] = details["model"]["torch_threads"]

        # 1–3 on the real dock: idle drags, then training in the dock (heartbeat, drags).
        dock = open_dock(bridge)
        try:
            DockDrag(dock).run(DRAG_WARMUP_S)
            sessions = [DockDrag(dock).run(DRAG_S) for _ in range(DRAG_SESSIONS)]
            idle = _best(sessions)
            metrics["drag_decode_hz"] = idle["hz"]
            metrics["drag_decode_p99_ms"] = idle["event_to_paint_p99_ms"]
            metrics["drag_decode_p50_ms"] = idle["event_to_paint_p50_ms"]
            details["drag_idle"] = {**idle, "sessions": _summaries(sessions)}
            metrics["gui_max_stall_ms_idle"] = heartbeat(IDLE_HEARTBEAT_S)["max_stall_ms"]
            train_in_dock(dock)
            stall = heartbeat(HEARTBEAT_S)
            busy_sessions = [DockDrag(dock).run(DRAG_S) for _ in range(DRAG_SESSIONS)]
            stop_training(dock)
        finally:
            close_dock(dock)
        busy = _best(busy_sessions)
        metrics["drag_decode_hz_while_training"] = busy["hz"]
        metrics["drag_decode_p99_ms_while_training"] = busy["event_to_paint_p99_ms"]
        metrics["gui_max_stall_ms_while_training"] = stall["max_stall_ms"]
        metrics["gui_stall_p99_ms_while_training"] = stall["stall_p99_ms"]
        details["drag_while_training"] = {**busy, "sessions": _summaries(busy_sessions)}
        details["heartbeat_while_training"] = {**stall, "heartbeat_ms": HEARTBEAT_MS, "seconds": HEARTBEAT_S}

        # The worker path alone: the same with a bare ImageItem (own requests to a model in the worker).
        bare: dict = {}
        Drag(bridge, state, view).run(DRAG_WARMUP_S)
        bare_idle = min((Drag(bridge, state, view).run(DRAG_S) for _ in range(DRAG_SESSIONS)),
                        key=lambda f: f["event_to_paint_p99_ms"])
        bare["drag_idle"] = bare_idle
        made = _call(bridge, _make_data(state, "train", TRAIN_N), "bench-data")
        details["load_mnist_4000_s"] = round(made, 3)
        bare_stall, bare_busy, training = _training_phase(bridge, state, view)
        bare["drag_while_training"] = bare_busy
        bare["heartbeat_while_training"] = bare_stall
        details["bare_image_item"] = bare
        metrics["train_step_ms_in_worker"] = training["step_ms"]
        details["training_job"] = {**training, "n_images": TRAIN_N, "batch": 128, "guard_every": 5}

        # log p(x) by importance sampling, K = 1000, one image (issue #12), in the worker.
        iw = _run_job(bridge, _importance_job(state), "bench-iw")
        metrics["iw_logpx_1000_ms"] = round(statistics.median(iw["times"]) * 1000, 3)
        details["iw_logpx_1000_ms_each"] = [round(t * 1000, 3) for t in iw["times"]]

        # 4. Manifold grids (after training; the weights' values do not change the cost).
        blocks = [_run_job(bridge, _grid_job(state, GRID_S), "bench-grid") for _ in range(GRID_BLOCKS)]
        grids = max(blocks, key=lambda b: len(b["times"]) / b["elapsed_s"])
        metrics["manifold_grid_20x20_per_s"] = round(len(grids["times"]) / grids["elapsed_s"], 1)
        metrics["manifold_grid_20x20_p50_ms"] = round(statistics.median(grids["times"]) * 1000, 3)
        bf16 = _run_job(bridge, _grid_job(state, GRID_VARIANT_S, "bfloat16_autocast"), "bench-grid-bf16")
        details["manifold_grid"] = {
            "grids": len(grids["times"]), "output_shape": grids["shape"],
            "torch_threads": grids["torch_threads"],
            "per_s_each_block": [round(len(b["times"]) / b["elapsed_s"], 1) for b in blocks],
            "p50_ms": round(statistics.median(grids["times"]) * 1000, 3),
            "min_ms": round(min(grids["times"]) * 1000, 3),
            "breakdown_ms": _call(bridge, _grid_breakdown(state), "bench-grid-breakdown"),
            "bfloat16_autocast_per_s": round(len(bf16["times"]) / bf16["elapsed_s"], 1),
            "bfloat16_autocast_p50_ms": round(statistics.median(bf16["times"]) * 1000, 3),
        }

        # 5. Training speed against a plain loop, in the worker thread.
        made = _call(bridge, _make_data(state, "ratio", RATIO_N), "bench-data")
        details["load_mnist_10000_s"] = round(made, 3)
        ratio = _run_job(bridge, _ratio_job(state), "bench-train-ratio", timeout_s=300)
        ours = statistics.median(ratio["rates"]["ours"])
        reference = statistics.median(ratio["rates"]["reference"])
        metrics["train_samples_per_s_ratio_vs_reference"] = round(ours / reference, 3)
        metrics["train_samples_per_s"] = round(ours, 1)
        metrics["reference_train_samples_per_s"] = round(reference, 1)
        details["train_ratio"] = {
            "ours_samples_per_s": [round(r, 1) for r in ratio["rates"]["ours"]],
            "reference_samples_per_s": [round(r, 1) for r in ratio["rates"]["reference"]],
            "torch_threads": ratio["torch_threads"], "n_images": RATIO_N, "batch": RATIO_BATCH,
            "epochs_per_run": RATIO_EPOCHS, "warmup_rounds": RATIO_WARMUP_ROUNDS,
            "ours": ("train_steps(TrainConfig(lr=1e-3, batch_size=128, guard_every=5)) "
                     "(as the app's train_job)"),
            "reference": ("DataLoader(TensorDataset, batch_size=128, shuffle=True), "
                          "torch.optim.Adam defaults, elbo_terms(model, x).loss, loss.item() per batch"),
        }
    finally:
        stopped = worker.shutdown(5.0)
        app.processEvents()  # deliver the last queued signals while the bridge still exists
        view.widget.close()
        view.widget.deleteLater()
        app.processEvents()
    metrics["worker_stopped_cleanly"] = stopped
    metrics["details"] = details
    return metrics
