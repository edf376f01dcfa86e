"""Harness for the Qt-free scheduler tests: a recording Emitter, a running Scheduler, job helpers.

Synchronisation is by threading primitives only: jobs that must stay busy block on Events the test
controls, and "fence" requests (run in the scheduler thread between slices) read job state there.
"""

from __future__ import annotations

import itertools
import threading
from types import SimpleNamespace

import pytest

from vaeviz.core.jobs import JobSpec, single
from vaeviz.workers.scheduler import Scheduler

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
    def devices(self, checks): self._add("devices", checks)
    def notice(self, job_id, message): self._add("notice", job_id, message)
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
        assert (kinds.count("started") <= 1
                and ("started" not in kinds or kinds[0] == "started")), (job_id, kinds)
        assert sum(k in TERMINAL for k in kinds) == 1 and kinds[-1] in TERMINAL, (job_id, kinds)


@pytest.fixture
def h():
    """A running Scheduler in a plain thread; ``h.gate()`` makes Events that teardown releases."""
    yield from running_scheduler("cpu")


def running_scheduler(device: str):
    """The body of the ``h`` fixture for a device preference (a generator: yield from it in a fixture)."""
    rec = Recorder()
    s = Scheduler(rec, slice_s=0.005, device=device)
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
