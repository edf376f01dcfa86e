"""The Qt-free scheduling loop, driven in a plain thread with a recording Emitter.

Synchronisation is by threading primitives only: jobs that must stay busy block on Events the test
controls, and "fence" requests (run in the scheduler thread between slices) read job state there.
"""

from __future__ import annotations

import itertools
import os
import sys
import threading
import time
from types import SimpleNamespace

import pytest
import torch

from vaeviz.core.jobs import JobSpec, single
from vaeviz.workers.scheduler import Scheduler, describe_error

TERMINAL = ("finished", "failed", "cancelled")
JOB_EVENTS = ("started", "progress") + TERMINAL
_keys = itertools.count()


class Recorder:
    """An Emitter recording every call with the calling thread; tests wait on its condition."""

    def __init__(self) -> None:
        self.events: list[tuple] = []
        self.threads: set[int] = set()
        self._cond = threading.Condition()

    def _add(self, *event) -> None:
        with self._cond:
            self.events.append(event)
            self.threads.add(threading.get_ident())
            self._cond.notify_all()

    def started(self, job_id, name): self._add("started", job_id, name)
    def progress(self, job_id, snapshot): self._add("progress", job_id, snapshot)
    def finished(self, job_id, result): self._add("finished", job_id, result)
    def failed(self, job_id, message, details): self._add("failed", job_id, message, details)
    def cancelled(self, job_id): self._add("cancelled", job_id)
    def state(self, text): self._add("state", text)
    def device(self, info): self._add("device", info)
    def runtime(self, info): self._add("runtime", info)

    def snapshot(self) -> list[tuple]:
        with self._cond:
            return list(self.events)

    def wait_for(self, predicate, timeout: float = 10.0) -> list[tuple]:
        with self._cond:
            ok = self._cond.wait_for(lambda: predicate(self.events), timeout)
            assert ok, f"timed out; last events: {self.events[-15:]}"
            return list(self.events)

    def of(self, job_id) -> list[tuple]:
        return [e for e in self.snapshot() if e[0] in JOB_EVENTS and e[1] == job_id]

    def terminal(self, job_id, timeout: float = 10.0) -> tuple:
        events = self.wait_for(lambda ev: any(e[0] in TERMINAL and e[1] == job_id for e in ev), timeout)
        return next(e for e in events if e[0] in TERMINAL and e[1] == job_id)

    def progress_of(self, job_id) -> list:
        return [e[2] for e in self.of(job_id) if e[0] == "progress"]

    def wait_progress(self, job_id, predicate=lambda snap: True) -> None:
        self.wait_for(lambda ev: any(e[0] == "progress" and e[1] == job_id and predicate(e[2]) for e in ev))


def assert_well_formed(events) -> None:
    """Per job: at most one started, first; exactly one terminal event, last."""
    by_job: dict[int, list[str]] = {}
    for e in events:
        if e[0] in JOB_EVENTS and e[1] != 0:
            by_job.setdefault(e[1], []).append(e[0])
    for job_id, kinds in by_job.items():
        assert kinds.count("started") <= 1 and ("started" not in kinds or kinds[0] == "started"), (job_id, kinds)
        assert sum(k in TERMINAL for k in kinds) == 1 and kinds[-1] in TERMINAL, (job_id, kinds)


@pytest.fixture
def h():
    """A running Scheduler in a plain thread; ``h.gate()`` makes Events that teardown releases."""
    rec = Recorder()
    s = Scheduler(rec, slice_s=0.005, device="cpu")
    thread = threading.Thread(target=s.run, name="test-scheduler", daemon=True)
    gates: list[threading.Event] = []

    def gate() -> threading.Event:
        gates.append(threading.Event())
        return gates[-1]

    thread.start()
    rec.wait_for(lambda ev: any(e[0] == "device" for e in ev), timeout=30)
    yield SimpleNamespace(s=s, rec=rec, thread=thread, gate=gate)
    for g in gates:
        g.set()
    s.stop()
    thread.join(5)
    assert not thread.is_alive(), "scheduler did not stop"
    assert rec.threads == {thread.ident}, "emitter called from a thread other than the scheduler's"
    assert_well_formed(rec.snapshot())


def long(factory, name="job", progress="latest"):
    return JobSpec(factory, name, "long", progress=progress)


def req(fn, key=None, name="req"):
    return JobSpec(single(fn), name, "latest", key=key)


def fence(h, fn=lambda ctx: None):
    """Run fn(ctx) in the scheduler thread as a request (between slices) and return its result."""
    job_id = h.s.request(req(fn, key=f"fence-{next(_keys)}", name="fence"))
    event = h.rec.terminal(job_id)
    assert event[0] == "finished", event
    return event[2]


def endless(counter: list | None = None, closed: threading.Event | None = None, where: list | None = None):
    """A job that never ends; counts its snapshots; sets ``closed`` (and records the thread) on close."""

    def factory(ctx):
        try:
            for i in itertools.count():
                if counter is not None:
                    counter[0] = i + 1
                yield i
        finally:
            if where is not None:
                where.append(threading.get_ident())
            if closed is not None:
                closed.set()

    return factory


def blocker(h, entered: threading.Event):
    """A request that holds the scheduler thread until the returned gate is set."""
    gate = h.gate()
    h.s.request(req(lambda ctx: (entered.set(), gate.wait(10)), key="block"))
    assert entered.wait(10)
    return gate


# ----- lifecycle ---------------------------------------------------------------------------------
def test_long_job_lifecycle(h):
    """started -> every progress -> finished, each with the job id, from the scheduler thread; state returns to idle."""
    def job(ctx):
        for i in range(3):
            yield ("snap", ctx.job_id, i)
        return "result"

    job_id = h.s.submit(long(job, "train", progress="every"))
    assert h.rec.terminal(job_id) == ("finished", job_id, "result")
    assert h.rec.of(job_id) == [("started", job_id, "train")] + [("progress", job_id, ("snap", job_id, i)) for i in range(3)] + [("finished", job_id, "result")]
    events = h.rec.wait_for(lambda ev: ev[-1] == ("state", "idle"))
    states = [e[1] for e in events if e[0] == "state"]
    assert states[0] == "starting" and "running train" in states


def test_failed_job_then_worker_keeps_serving(h):
    """An exception -> failed(id, 'Type: first line', traceback); later jobs still run."""
    def bad(ctx):
        yield 1
        raise ValueError("bad input\nsecond line")

    bad_id = h.s.submit(long(bad, "bad"))
    kind, job_id, message, details = h.rec.terminal(bad_id)
    assert (kind, job_id, message) == ("failed", bad_id, "ValueError: bad input")
    assert details.startswith("Traceback (most recent call last)") and "in bad" in details and "second line" in details
    ok_id = h.s.submit(long(lambda ctx: iter([1, 2])))
    assert h.rec.terminal(ok_id) == ("finished", ok_id, 2)
    assert fence(h, lambda ctx: "still here") == "still here"


def test_factory_raising_before_first_snapshot(h):
    """A factory that raises when called fails the job (long job and request alike)."""
    def broken(ctx):
        raise TypeError("wrong argument")

    long_id = h.s.submit(long(broken))
    assert h.rec.terminal(long_id)[:3] == ("failed", long_id, "TypeError: wrong argument")
    req_id = h.s.request(JobSpec(broken, "r", "latest", key="r"))
    assert h.rec.terminal(req_id)[:3] == ("failed", req_id, "TypeError: wrong argument")


@pytest.mark.parametrize(("returns", "expected"), [("ret", "ret"), (None, 4), (0, 0)])
def test_result_is_return_value_else_last_snapshot(h, returns, expected):
    """finished carries the generator's return value, or the last snapshot when it returns None."""
    def job(ctx):
        yield from range(5)
        return returns

    job_id = h.s.submit(long(job))
    assert h.rec.terminal(job_id) == ("finished", job_id, expected)


def test_none_yields_are_preemption_points(h):
    """None is never emitted as progress nor taken as the last snapshot/result, in either mode."""
    def job(ctx):
        for i in range(200):
            yield None
            yield i
            yield None
        yield None

    every = h.s.submit(long(job, progress="every"))
    latest = h.s.submit(long(job))
    assert h.rec.terminal(every) == ("finished", every, 199)
    assert h.rec.terminal(latest) == ("finished", latest, 199)
    assert h.rec.progress_of(every) == list(range(200))
    assert None not in h.rec.progress_of(latest) and h.rec.progress_of(latest)[-1] == 199


def test_urgent_is_seen_by_long_jobs_and_requests_served_at_none(h):
    """ctx.urgent turns true when a request waits; the request is served at the job's next None yield."""
    order = []

    def job(ctx):
        for i in itertools.count():
            if ctx.urgent():  # only None is ever yielded, and only when something waits
                order.append(("job", i))
                yield None
            else:
                time.sleep(0.0001)  # "computing" without yielding

    job_id = h.s.submit(long(job))
    h.rec.wait_for(lambda ev: any(e[0] == "started" and e[1] == job_id for e in ev))
    assert fence(h, lambda ctx: ctx.urgent()) is False  # a request's own context is never urgent
    req_id = h.s.request(req(lambda ctx: order.append(("req",)) or "served", key="drag"))
    assert h.rec.terminal(req_id) == ("finished", req_id, "served")
    at = order.index(("req",))
    assert at > 0 and order[at - 1][0] == "job"  # served right after the None it called for
    assert h.rec.progress_of(job_id) == []


def test_every_delivers_all_in_order(h):
    """progress='every' emits every snapshot, in order, even with requests interleaved."""
    job_id = h.s.submit(long(lambda ctx: iter(range(3000)), progress="every"))
    for _ in range(5):
        fence(h)
    h.rec.terminal(job_id)
    assert h.rec.progress_of(job_id) == list(range(3000))


def test_latest_delivers_fewer_but_always_the_last(h):
    """progress='latest' emits one snapshot per slice: fewer than produced, increasing, ending with the last."""
    n = 50_000
    job_id = h.s.submit(long(lambda ctx: iter(range(n))))
    assert h.rec.terminal(job_id) == ("finished", job_id, n - 1)
    seen = h.rec.progress_of(job_id)
    assert 0 < len(seen) < n
    assert seen == sorted(set(seen)) and seen[-1] == n - 1


# ----- latest-wins -------------------------------------------------------------------------------
def counted(tally, value, first_gate=None, entered=None):
    """A request body recording each execution (list.append is atomic); value 0 may wait on a gate."""

    def fn(ctx):
        tally.append(value)
        if first_gate is not None and value == 0:
            entered.set()
            assert first_gate.wait(10)
        return value

    return fn


def test_latest_wins_while_worker_is_held(h):
    """100 same-key requests while the thread is busy: only the last runs; the 99 others are cancelled."""
    tally = []
    gate = blocker(h, threading.Event())
    ids = [h.s.request(req(counted(tally, i), key="drag")) for i in range(100)]
    gate.set()
    assert h.rec.terminal(ids[-1]) == ("finished", ids[-1], 99)
    assert tally == [99]
    for job_id in ids[:-1]:
        assert h.rec.of(job_id) == [("cancelled", job_id)]


def test_latest_wins_with_one_in_flight(h):
    """A request already running completes; of 100 newer ones only the last runs."""
    tally, gate, entered = [], h.gate(), threading.Event()
    ids = [h.s.request(req(counted(tally, 0, gate, entered), key="drag"))]
    assert entered.wait(10)
    ids += [h.s.request(req(counted(tally, i), key="drag")) for i in range(1, 101)]
    gate.set()
    assert h.rec.terminal(ids[-1]) == ("finished", ids[-1], 100)
    assert tally == [0, 100]
    assert h.rec.terminal(ids[0]) == ("finished", ids[0], 0)
    assert all(h.rec.terminal(i) == ("cancelled", i) for i in ids[1:-1])


def test_latest_wins_while_long_job_mid_snapshot(h):
    """Requests issued while a long job blocks inside a snapshot: one execution, then the job completes."""
    tally, gate, entered = [], h.gate(), threading.Event()

    def slow(ctx):
        yield 1
        entered.set()
        gate.wait(10)
        yield 2
        return "trained"

    job_id = h.s.submit(long(slow))
    assert entered.wait(10)
    ids = [h.s.request(req(counted(tally, i), key="drag")) for i in range(100)]
    gate.set()
    assert h.rec.terminal(ids[-1]) == ("finished", ids[-1], 99)
    assert h.rec.terminal(job_id) == ("finished", job_id, "trained")
    assert tally == [99]


def test_keys_are_independent_and_default_to_name(h):
    """Different keys do not replace each other; without a key the name is the key."""
    gate = blocker(h, threading.Event())
    a = h.s.request(req(lambda ctx: "a", key="a"))
    b = h.s.request(req(lambda ctx: "b", key="b"))
    n1 = h.s.request(req(lambda ctx: "n1", name="plot"))
    n2 = h.s.request(req(lambda ctx: "n2", name="plot"))
    gate.set()
    assert [h.rec.terminal(i) for i in (a, b, n1, n2)] == [("finished", a, "a"), ("finished", b, "b"), ("cancelled", n1), ("finished", n2, "n2")]


# ----- cancel ------------------------------------------------------------------------------------
def test_cancel_running_job_closes_generator(h):
    """cancel(id) closes the generator in the scheduler thread (finally runs) and emits cancelled, nothing else."""
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
    """pause() freezes all long jobs (even ones submitted meanwhile) but requests are served; resume() lifts it."""
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
    """Without an importable torch the loop reports failures, picks cpu and still runs (synchronously here)."""
    monkeypatch.setitem(sys.modules, "torch", None)
    rec = Recorder()
    s = Scheduler(rec)
    s.stop()
    s.run()
    kinds = [e[0] for e in rec.events]
    assert kinds == ["state", "failed", "runtime", "failed", "device", "state"]
    assert rec.events[1][2].startswith("torch could not be loaded: ModuleNotFoundError")
    assert rec.events[2] == ("runtime", {"torch": "unavailable"})
    assert rec.events[4][1].name == "cpu" and rec.events[-1] == ("state", "stopped")


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
    [(ValueError("a\nb"), "ValueError: a"), (KeyError("k"), "KeyError: 'k'"), (RuntimeError(), "RuntimeError"), (OSError("  "), "OSError")],
)
def test_describe_error(exc, message):
    """One-line message: type and first line of the text; details hold the traceback."""
    try:
        raise exc
    except Exception as caught:
        text, details = describe_error(caught)
    assert text == message
    assert "Traceback" in details and type(exc).__name__ in details
