"""The Qt-free scheduling loop: cancel, pause/resume, runtime information, stop and round-robin.

Driven in a plain thread with a recording Emitter (see scheduler_harness.py).
"""

from __future__ import annotations

import os
import sys
import threading

import pytest
import torch
from scheduler_harness import (
    Recorder,
    blocker,
    endless,
    fence,
    long,
    req,
)

from vaeviz.workers.scheduler import Scheduler, describe_error


# ----- cancel ------------------------------------------------------------------------------------
def test_cancel_running_job_closes_generator(h):
    """cancel(id) closes the generator in the scheduler thread (finally runs) and emits cancelled,
    nothing else."""
    closed, where = threading.Event(), []
    job_id = h.s.submit(long(endless(closed=closed, where=where)))
    h.rec.wait_progress(job_id)
    h.s.cancel(job_id)
    assert h.rec.terminal(job_id) == ("cancelled", job_id)
    assert closed.is_set() and where == [h.thread.ident]
    fence(h)
    assert h.rec.of(job_id)[-1] == ("cancelled", job_id)


def test_cancel_unknown_or_finished_is_harmless(h):
    """Cancelling a finished or unknown id emits nothing and the scheduler keeps working."""
    job_id = h.s.submit(long(lambda ctx: iter([1])))
    h.rec.terminal(job_id)
    h.s.cancel(job_id)
    h.s.cancel(10_000)
    h.s.cancel(0)
    assert fence(h, lambda ctx: 42) == 42
    assert not [e for e in h.rec.snapshot() if e[0] == "cancelled"]


def test_cancel_before_start(h):
    """A queued job or pending request cancelled before it runs never starts; its factory is never called."""
    called = []
    gate = blocker(h, threading.Event())
    job_id = h.s.submit(long(lambda ctx: called.append("job") or iter([1])))
    req_id = h.s.request(req(lambda ctx: called.append("req"), key="k"))
    h.s.cancel(job_id)
    h.s.cancel(req_id)
    gate.set()
    assert h.rec.terminal(job_id) == ("cancelled", job_id)
    assert h.rec.terminal(req_id) == ("cancelled", req_id)
    fence(h)
    assert called == [] and h.rec.of(job_id) == [("cancelled", job_id)]


def test_cancel_all(h):
    """cancel_all cancels every long job (closing it) and every pending request; serving continues."""
    closed_a, closed_b, entered, ran = threading.Event(), threading.Event(), threading.Event(), []
    gate = h.gate()

    def holding(ctx):
        try:
            entered.set()
            gate.wait(10)
            yield from endless()(ctx)
        finally:
            closed_b.set()

    a = h.s.submit(long(endless(closed=closed_a)))
    h.rec.wait_progress(a)
    b = h.s.submit(long(holding))
    assert entered.wait(10)
    r = h.s.request(req(lambda ctx: ran.append(1), key="r"))
    h.s.cancel_all()
    gate.set()
    assert [h.rec.terminal(i) for i in (a, b, r)] == [("cancelled", a), ("cancelled", b), ("cancelled", r)]
    assert closed_a.is_set() and closed_b.is_set() and ran == []
    assert fence(h, lambda ctx: "ok") == "ok"


def test_generator_refusing_to_close(h):
    """A job that yields from its finally (close() raises RuntimeError) is still cancelled cleanly."""
    def stubborn(ctx):
        while True:
            try:
                yield 1
            except GeneratorExit:
                yield "no"

    job_id = h.s.submit(long(stubborn))
    h.rec.wait_progress(job_id)
    h.s.cancel(job_id)
    assert h.rec.terminal(job_id) == ("cancelled", job_id)
    assert fence(h, lambda ctx: 1) == 1


# ----- pause / resume ----------------------------------------------------------------------------
def test_pause_one_job(h):
    """A paused job makes no progress while another keeps running; requests are served; resume restarts it."""
    ca, cb = [0], [0]
    a = h.s.submit(long(endless(ca)))
    b = h.s.submit(long(endless(cb)))
    h.rec.wait_progress(a)
    h.rec.wait_progress(b)
    h.s.pause(a)
    a1, b1 = fence(h, lambda ctx: (ca[0], cb[0]))
    # three of b's slices (one 'latest' progress each): round-robin would have given a turns in between
    h.rec.wait_for(lambda ev: sum(e[0] == "progress" and e[1] == b and e[2] >= b1 for e in ev) >= 3)
    a2, _ = fence(h, lambda ctx: (ca[0], cb[0]))
    assert a2 == a1
    h.s.resume(a)
    h.rec.wait_progress(a, lambda n: n >= a1)
    h.s.cancel_all()


def test_global_pause(h):
    """pause() freezes all long jobs (even ones submitted meanwhile) but requests are served;
    resume() lifts it."""
    counter = [0]
    a = h.s.submit(long(endless(counter)))
    h.rec.wait_progress(a)
    h.s.pause()
    late = h.s.submit(long(lambda ctx: iter(["late"])))
    first = fence(h, lambda ctx: counter[0])
    h.rec.wait_for(lambda ev: ("state", "paused") in ev)
    assert fence(h, lambda ctx: counter[0]) == first
    assert h.rec.of(late) == []
    h.s.resume()
    assert h.rec.terminal(late) == ("finished", late, "late")
    h.rec.wait_progress(a, lambda n: n >= first)
    h.s.cancel(a)


# ----- runtime, stop ---------------------------------------------------------------------------
def test_runtime_info(h):
    """The loop reports the torch version and thread count it set."""
    info = next(e[1] for e in h.rec.snapshot() if e[0] == "runtime")
    assert info["torch"] == torch.__version__
    assert info["torch_threads"] == int(os.environ["VAEVIZ_TORCH_THREADS"])
    # OpenMP thread counts are per calling thread: what matters is the count in the compute thread.
    assert fence(h, lambda ctx: torch.get_num_threads()) == info["torch_threads"]


def test_broken_torch_does_not_kill_the_loop(monkeypatch):
    """Without an importable torch the loop reports failures, picks cpu and still runs
    (synchronously here)."""
    monkeypatch.setitem(sys.modules, "torch", None)
    rec = Recorder()
    s = Scheduler(rec)
    s.stop()
    s.run()
    kinds = [e[0] for e in rec.events]
    assert kinds == ["state", "failed", "runtime", "failed", "devices", "device", "state"]
    assert rec.events[1][2].startswith("torch could not be loaded: ModuleNotFoundError")
    assert rec.events[2] == ("runtime", {"torch": "unavailable"})
    assert rec.events[3][2].startswith("device check failed: ModuleNotFoundError")
    assert [c.usable for c in rec.events[4][1]] == [False, False, False]  # the CPU too: torch is missing
    assert rec.events[5][1].name == "cpu" and rec.events[-1] == ("state", "stopped")


def test_stop_cancels_everything_queued():
    """Jobs and requests queued when stop() arrives get a terminal 'cancelled' too (none is left hanging)."""
    rec = Recorder()
    s = Scheduler(rec)
    job_id = s.submit(long(endless()))
    r1 = s.request(req(lambda ctx: 1, key="k"))
    r2 = s.request(req(lambda ctx: 2, key="k"))
    s.stop()
    s.run()
    assert sorted(e[1] for e in rec.events if e[0] == "cancelled") == [job_id, r1, r2]
    assert not [e for e in rec.events if e[0] in ("started", "finished")]
    assert rec.events[-1] == ("state", "stopped")


# ----- misc ---------------------------------------------------------------------------------------
def test_round_robin_and_state(h):
    """Two long jobs both advance before either ends; the state text counts the extra job."""
    a, b = h.s.submit(long(endless(), "alpha")), h.s.submit(long(endless(), "beta"))
    h.rec.wait_progress(a, lambda n: n > 5)
    h.rec.wait_progress(b, lambda n: n > 5)
    assert ("state", "running alpha (+1 more)") in h.rec.snapshot()
    h.s.cancel_all()
    h.rec.terminal(a), h.rec.terminal(b)
    h.rec.wait_for(lambda ev: ev[-1] == ("state", "idle"))


def test_ids_unique_across_threads():
    """new_id is monotonic and never hands out the same id twice, even from many threads."""
    s = Scheduler(Recorder())
    got: list[int] = []
    threads = [threading.Thread(target=lambda: got.extend(s.new_id() for _ in range(2000))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == list(range(1, 8001))
    assert s.submit(long(endless()), job_id=50_000) == 50_000 and s.request(req(lambda c: 1)) == 8001


@pytest.mark.parametrize(
    ("exc", "message"),
    [(ValueError("a\nb"), "ValueError: a"), (KeyError("k"), "KeyError: 'k'"),
     (RuntimeError(), "RuntimeError"), (OSError("  "), "OSError")],
)
def test_describe_error(exc, message):
    """One-line message: type and first line of the text; details hold the traceback."""
    try:
        raise exc
    except Exception as caught:
        text, details = describe_error(caught)
    assert text == message
    assert "Traceback" in details and type(exc).__name__ in details
