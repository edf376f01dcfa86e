"""The Qt compute worker and its GUI-thread bridge: signal order, threads, staleness, shutdown."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QThread

from vaeviz.core.jobs import Progress, single
from vaeviz.workers.bridge import WorkerBridge
from vaeviz.workers.compute_worker import ComputeWorker


def counting(n, gate: threading.Event | None = None):
    """A long job yielding n progress snapshots; waits on ``gate`` first when given."""

    def factory(ctx):
        if gate is not None:
            assert gate.wait(10)
        for i in range(n):
            yield Progress((i + 1) / n, value=i)
        return "done"

    return factory


def endless(closed: threading.Event):
    def factory(ctx):
        try:
            i = 0
            while True:
                i += 1
                yield Progress(0.5, value=i)
        finally:
            closed.set()

    return factory


def test_signals_in_order_and_in_gui_thread(compute, qtbot):
    seen: list[tuple[str, bool]] = []
    gui = QThread.currentThread()

    def record(kind):
        return lambda *args: seen.append((kind, QThread.currentThread() is gui))

    b = compute.bridge
    for kind in ("job_started", "job_progress", "job_finished"):
        getattr(b, kind).connect(record(kind))
    with qtbot.waitSignal(b.job_finished, timeout=10000):
        job_id = b.submit(counting(5), "count", progress="every")
    assert seen[0] == ("job_started", True)
    assert [k for k, _ in seen] == ["job_started"] + ["job_progress"] * 5 + ["job_finished"]
    assert all(in_gui for _, in_gui in seen), "bridge signals must be delivered in the GUI thread"
    assert job_id > 0 and b.pending_handlers() == 0


def test_handlers_get_progress_then_result(compute, qtbot):
    got: list = []
    with qtbot.waitSignal(compute.bridge.job_finished, timeout=10000):
        compute.bridge.submit(counting(3), "count", progress="every",
                              on_progress=lambda s: got.append(s.value), on_finished=got.append)
    assert got == [0, 1, 2, "done"]


def test_failed_job_reports_and_worker_keeps_serving(compute, qtbot):
    def broken(ctx):
        yield Progress(0.1)
        raise ValueError("bad learning rate")

    failures: list = []
    with qtbot.waitSignal(compute.bridge.job_failed, timeout=10000) as blocker:
        compute.bridge.submit(broken, "broken", on_failed=lambda m, d: failures.append((m, d)))
    assert blocker.args[1] == "ValueError: bad learning rate"
    assert "Traceback" in failures[0][1] and "bad learning rate" in failures[0][1]
    results: list = []
    with qtbot.waitSignal(compute.bridge.job_finished, timeout=10000):
        compute.bridge.request("sum", single(lambda ctx: 1 + 1), on_result=results.append)
    assert results == [2]


def test_latest_wins_hundred_requests_only_last_delivered(compute, qtbot):
    """100 requests while the worker is busy: the last one is computed, at most one other in flight."""
    gate = threading.Event()
    entered = threading.Event()
    computed: list[int] = []
    delivered: list[int] = []

    def hold(ctx):
        entered.set()
        assert gate.wait(10)

    compute.bridge.request("hold", single(hold), on_result=lambda r: None)
    assert entered.wait(10)
    last = None
    for i in range(100):
        last = compute.bridge.request("decode", single(lambda ctx, i=i: computed.append(i) or i),
                                      on_result=delivered.append)
    gate.set()
    qtbot.waitUntil(lambda: delivered == [99], timeout=10000)
    qtbot.waitUntil(lambda: compute.bridge.pending_handlers() == 0, timeout=10000)
    assert computed == [99]
    assert last is not None


def test_latest_wins_streaming_drops_stale_results(compute, qtbot):
    """Requests arriving while one computes: results only ever move forward, the last always arrives."""
    computed: list[int] = []
    delivered: list[int] = []
    for i in range(100):
        compute.bridge.request("decode", single(lambda ctx, i=i: computed.append(i) or i),
                               on_result=delivered.append)
    qtbot.waitUntil(lambda: bool(delivered) and delivered[-1] == 99, timeout=10000)
    qtbot.waitUntil(lambda: compute.bridge.pending_handlers() == 0, timeout=10000)
    assert delivered == sorted(delivered) and len(set(delivered)) == len(delivered)
    assert computed[-1] == 99 and computed == sorted(computed)


def test_a_waiting_request_is_handled_before_request_returns(compute, qtbot):
    """wait_s: with the worker free the result is handled before request() returns (no event-loop pass);
    with the worker busy beyond the wait it arrives later, through the event loop, exactly once."""
    delivered: list[str] = []
    compute.bridge.request("warm", single(lambda ctx: "warm"), on_result=delivered.append)
    qtbot.waitUntil(lambda: delivered == ["warm"], timeout=10000)
    compute.bridge.request("decode", single(lambda ctx: "now"), on_result=delivered.append, wait_s=5.0)
    assert delivered == ["warm", "now"]

    gate, entered = threading.Event(), threading.Event()

    def hold(ctx):
        entered.set()
        assert gate.wait(10)

    compute.bridge.request("hold", single(hold), on_result=lambda r: None)
    assert entered.wait(10)
    compute.bridge.request("decode", single(lambda ctx: "later"), on_result=delivered.append, wait_s=0.01)
    assert delivered == ["warm", "now"]  # the worker was busy: request() returned after the wait
    gate.set()
    qtbot.waitUntil(lambda: delivered == ["warm", "now", "later"], timeout=10000)
    qtbot.waitUntil(lambda: compute.bridge.pending_handlers() == 0, timeout=10000)
    assert compute.worker._watched == {}  # nothing left registered


def test_cancel_stops_job_and_drops_queued_results(compute, qtbot):
    closed = threading.Event()
    progress: list = []
    finished: list = []
    job_id = compute.bridge.submit(endless(closed), "endless", on_progress=progress.append,
                                   on_finished=finished.append)
    qtbot.waitUntil(lambda: len(progress) > 0, timeout=10000)
    with qtbot.waitSignal(compute.bridge.job_cancelled, check_params_cb=lambda j: j == job_id, timeout=10000):
        compute.bridge.cancel(job_id)
        count_at_cancel = len(progress)
    assert closed.wait(5), "the job's generator was not closed"
    assert len(progress) == count_at_cancel, "progress of a cancelled job reached its handler"
    assert finished == []


def test_channel_cancels_before_replacing(compute, qtbot):
    channel = compute.bridge.channel("em")
    first_closed = threading.Event()
    finished: list = []
    channel.finished.connect(finished.append)
    first_progress: list = []
    channel.progress.connect(first_progress.append)
    first = channel.submit(endless(first_closed))
    qtbot.waitUntil(lambda: bool(first_progress), timeout=10000)  # running, so it has a generator to close
    channel.progress.disconnect(first_progress.append)
    with qtbot.waitSignal(channel.finished, timeout=10000):
        second = channel.submit(counting(3))
    assert first_closed.wait(5)
    assert finished == ["done"] and second != first and not channel.busy


def test_pause_and_resume_long_job(compute, qtbot):
    closed = threading.Event()
    values: list[int] = []
    job_id = compute.bridge.submit(endless(closed), "endless", on_progress=lambda s: values.append(s.value))
    qtbot.waitUntil(lambda: len(values) > 0, timeout=10000)
    with qtbot.waitSignal(compute.bridge.state_changed, check_params_cb=lambda s: s == "paused",
                          timeout=10000):
        compute.bridge.pause(job_id)
    # A request is served while paused; once its result is back no more progress may arrive.
    with qtbot.waitSignal(compute.bridge.job_finished, timeout=10000):
        compute.bridge.request("fence", single(lambda ctx: None), on_result=lambda r: None)
    frozen = len(values)
    with qtbot.waitSignal(compute.bridge.job_finished, timeout=10000):
        compute.bridge.request("fence", single(lambda ctx: None), on_result=lambda r: None)
    assert len(values) == frozen
    compute.bridge.resume(job_id)
    qtbot.waitUntil(lambda: len(values) > frozen, timeout=10000)
    compute.bridge.cancel(job_id)


def test_set_device_at_run_time(compute, qtbot):
    with qtbot.waitSignal(compute.bridge.device_changed, timeout=10000) as blocker:
        compute.worker.set_device("cpu")
    assert blocker.args[0] == "cpu"
    assert compute.bridge.device_name == "cpu"


def test_device_checks_reach_the_bridge_before_the_device(compute):
    """The start-up probe's results (the fixture waited for device_changed, which follows them)."""
    checks = compute.bridge.device_checks
    assert [c.name for c in checks] == ["cuda", "mps", "cpu"]
    assert checks[2].usable


def test_backend_failure_is_retried_on_the_cpu_with_a_notice(qtbot, monkeypatch):
    """On a stub "mps" (present, passing the stub probe) a job raising MPS's error is run again on the
    CPU: its handlers see the CPU's result, the bridge re-emits the worker's notice in the GUI thread."""
    import torch

    from vaeviz.core import device as device_mod

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    monkeypatch.setattr(device_mod, "probe", lambda name: None)
    worker = ComputeWorker(device="mps")
    bridge = WorkerBridge(worker)
    with qtbot.waitSignal(bridge.device_changed, timeout=30000):
        worker.start()
    assert bridge.device_name == "mps"
    results, failures, notice_threads = [], [], []
    bridge.job_notice.connect(lambda *_: notice_threads.append(threading.get_ident()))

    def step(ctx):
        if ctx.device == "mps":
            raise NotImplementedError("The operator 'aten::foo' is not currently implemented for the MPS "
                                      "device.")
        yield Progress(1.0, value=ctx.device)
        return ctx.device

    try:
        with qtbot.waitSignal(bridge.job_notice, timeout=10000) as notice, \
                qtbot.waitSignal(bridge.job_finished, timeout=10000):
            job_id = bridge.submit(step, "step", on_finished=results.append,
                                   on_failed=lambda *a: failures.append(a))
        assert notice.args == [job_id, "step failed on mps (NotImplementedError: The operator 'aten::foo' is "
                                       "not currently implemented for the MPS device.); retried on the CPU"]
        assert results == ["cpu"] and failures == []
        assert notice_threads == [threading.get_ident()]  # re-emitted by the bridge in the GUI thread
    finally:
        assert worker.shutdown(5.0)


@pytest.mark.parametrize("busy_in", ["python", "torch"])
def test_shutdown_mid_job_within_two_seconds(qtbot, busy_in):
    worker = ComputeWorker(device="cpu")
    bridge = WorkerBridge(worker)
    with qtbot.waitSignal(bridge.device_changed, timeout=30000):
        worker.start()
    closed = threading.Event()

    def heavy(ctx):
        import torch

        a = torch.randn(256, 256)
        try:
            while True:
                a = a @ a / 256 if busy_in == "torch" else a
                yield Progress(0.5)
        finally:
            closed.set()

    progress: list = []
    bridge.submit(heavy, "heavy", on_progress=progress.append)
    qtbot.waitUntil(lambda: bool(progress), timeout=10000)
    assert worker.shutdown(2.0), "the worker did not stop within 2 s"
    assert not worker.isRunning()
    assert closed.is_set(), "shutdown did not close the running job"


def test_inline_runner_skips_none_preemption_points():
    """InlineRunner: None yields reach neither on_progress nor the result; its contexts are never urgent."""
    from vaeviz.workers.bridge import InlineRunner

    urgent, progress, results = [], [], []

    def factory(ctx):
        urgent.append(ctx.urgent())
        yield None
        yield 1
        yield None
        yield 2
        yield None

    InlineRunner().submit(factory, "inline", on_progress=progress.append, on_finished=results.append)
    assert progress == [1, 2] and results == [2] and urgent == [False]
