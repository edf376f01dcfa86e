"""The Qt-free scheduling loop: job life cycle, snapshots and latest-wins requests.

Driven in a plain thread with a recording Emitter (see scheduler_harness.py).
"""

from __future__ import annotations

import itertools
import threading
import time

import pytest
from scheduler_harness import (
    blocker,
    fence,
    long,
    req,
)

from vaeviz.core.jobs import JobSpec


# ----- lifecycle ---------------------------------------------------------------------------------
def test_long_job_lifecycle(h):
    """started -> every progress -> finished, each with the job id, from the scheduler thread;
    state returns to idle."""
    def job(ctx):
        for i in range(3):
            yield ("snap", ctx.job_id, i)
        return "result"

    job_id = h.s.submit(long(job, "train", progress="every"))
    assert h.rec.terminal(job_id) == ("finished", job_id, "result")
    assert h.rec.of(job_id) == ([("started", job_id, "train")]
                                + [("progress", job_id, ("snap", job_id, i)) for i in range(3)]
                                + [("finished", job_id, "result")])
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
    assert (details.startswith("Traceback (most recent call last)") and "in bad" in details
            and "second line" in details)
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


def test_long_jobs_keep_to_pieces_for_a_while_after_a_request(h, monkeypatch):
    """Interactive requests come in streams (a drag): for INTERACTIVE_S after one, ctx.urgent stays true
    although nothing waits, so a job does not start a long step just before the next request; later it is
    false. A one-off request does not do that."""
    from vaeviz.workers import scheduler

    monkeypatch.setattr(scheduler, "INTERACTIVE_S", 0.5)
    phase = {"now": "start"}
    seen: dict[str, list[bool]] = {"one-off": [], "drag": []}
    enough = {name: threading.Event() for name in seen}
    calm_again = threading.Event()

    def job(ctx):
        while True:
            urgent = ctx.urgent()
            record = seen.get(phase["now"])
            if record is not None:
                record.append(urgent)
                if len(record) >= 20:
                    enough[phase["now"]].set()
                if phase["now"] == "drag" and not urgent:
                    calm_again.set()
            yield None

    job_id = h.s.submit(long(job))
    h.rec.wait_for(lambda ev: any(e[0] == "started" and e[1] == job_id for e in ev))
    one_off = h.s.request(req(lambda ctx: None, key="one-off"))
    assert h.rec.terminal(one_off)[0] == "finished"
    phase["now"] = "one-off"
    assert enough["one-off"].wait(10) and not any(seen["one-off"])  # a one-off request: no giving way
    drag = h.s.request(req(lambda ctx: None, key="drag"), interactive=True)
    assert h.rec.terminal(drag)[0] == "finished"  # served: nothing waits any more
    phase["now"] = "drag"
    assert enough["drag"].wait(10) or calm_again.wait(10)
    assert seen["drag"][0] is True  # still told to keep to pieces: the next request is likely near
    assert calm_again.wait(10)  # the stream has stopped: whole steps again
    h.s.cancel(job_id)
    assert h.rec.terminal(job_id)[0] == "cancelled"


def test_urgent_is_seen_by_long_jobs_and_requests_served_at_none(h):
    """ctx.urgent turns true when a request waits; the request is served at the job's next None yield."""
    order = []

    def job(ctx):
        for i in itertools.count():
            if ctx.urgent():  # only None is ever yielded, and only when something waits
                order.append(("job", i))
                yield None
            else:
                busy_until = time.perf_counter() + 1e-4  # "computing" without yielding
                while time.perf_counter() < busy_until:
                    pass

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
    """progress='latest' emits one snapshot per slice: fewer than produced, increasing,
    ending with the last."""
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
    assert [h.rec.terminal(i) for i in (a, b, n1, n2)] == [("finished", a, "a"), ("finished", b, "b"),
                                                           ("cancelled", n1), ("finished", n2, "n2")]
