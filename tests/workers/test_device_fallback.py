"""The start-up device probe and the CPU retry of a job that fails on a device for a backend reason.

The devices are stubs: torch is told an MPS device exists and the probe is replaced, so the scheduler
chooses "mps" (or passes over it) on any machine; the jobs raise MPS's errors themselves when their
context names "mps". Driven in a plain thread with a recording Emitter (see scheduler_harness.py).
"""

from __future__ import annotations

import threading

import pytest
import torch
from scheduler_harness import long, req, running_scheduler

from vaeviz.core import device as device_mod
from vaeviz.core.device import DeviceCheck, DeviceInfo
from vaeviz.core.jobs import single

MPS_LACKS = "The operator 'aten::foo' is not currently implemented for the MPS device."


@pytest.fixture
def stub_devices(monkeypatch):
    """Return ``use(failing=(), preference="mps")``: MPS present, no CUDA, the probe failing on
    ``failing``; records the probe's threads in ``use.threads``. Then start a scheduler with ``start``."""
    threads: list[int] = []

    def stub_probe(name: str) -> str | None:
        threads.append(threading.get_ident())
        return "RuntimeError: stub device failed" if name in use.failing else None

    def use(failing=()):
        use.failing = set(failing)

    use.failing, use.threads = set(), threads
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    monkeypatch.setattr(device_mod, "probe", stub_probe)
    return use


@pytest.fixture
def start(stub_devices):
    """``start(preference)``: a running scheduler (``h``, as in scheduler_harness), stopped and checked
    at teardown."""
    running = []

    def start_scheduler(preference: str):
        running.append(running_scheduler(preference))
        return next(running[-1])

    yield start_scheduler
    for gen in running:
        next(gen, None)  # the harness's teardown: stop, join, check the events


@pytest.fixture
def on_mps(start):
    """A running scheduler whose device is the stub "mps" (it passed the stub probe)."""
    return start("mps")


def _retrying_job(attempts: list[str], fail_on: tuple[str, ...] = ("mps",), error=None, n_before: int = 3):
    """A long job yielding (device, i) for i < 5; on a device in ``fail_on`` it raises after ``n_before``
    snapshots. Records the device of each attempt in ``attempts``."""
    error = error or (lambda: NotImplementedError(MPS_LACKS))

    def factory(ctx):
        attempts.append(ctx.device)
        for i in range(5):
            if ctx.device in fail_on and i == n_before:
                raise error()
            yield (ctx.device, i)
        return "done"

    return factory


def _notices(h):
    return [e for e in h.rec.snapshot() if e[0] == "notice"]


# ----- the probe at start ----------------------------------------------------------------------
FAILED = "RuntimeError: stub device failed"


def test_start_reports_the_probed_devices_before_choosing(stub_devices, start):
    """The devices event (every device, probed, in the scheduler's thread) comes after the runtime and
    before the device, which is one that passed."""
    stub_devices(failing=("mps",))
    h = start("auto")
    kinds = [e[0] for e in h.rec.snapshot()]
    assert kinds.index("runtime") < kinds.index("devices") < kinds.index("device")
    checks = next(e[1] for e in h.rec.snapshot() if e[0] == "devices")
    assert checks == (DeviceCheck("cuda", False), DeviceCheck("mps", True, FAILED), DeviceCheck("cpu", True))
    info = next(e[1] for e in h.rec.snapshot() if e[0] == "device")
    assert info == DeviceInfo("cpu", "cpu", f"mps failed a test computation ({FAILED}); using cpu")
    assert set(stub_devices.threads) == {h.thread.ident}  # probed in the compute thread, not the caller's


def test_choosing_a_failed_device_later_falls_back(stub_devices, start):
    """set_device("mps") after start uses the start-up checks: mps failed, so the cpu, with the reason."""
    stub_devices(failing=("mps",))
    h = start("cpu")
    h.s.set_device("mps")
    events = h.rec.wait_for(lambda ev: sum(e[0] == "device" for e in ev) == 2)
    info = [e[1] for e in events if e[0] == "device"][-1]
    assert info.name == "cpu" and info.note.startswith("mps failed a test computation")
    assert len(stub_devices.threads) == 2  # mps and cpu were probed once, at start, not again


def test_a_passing_device_is_chosen(on_mps):
    info = next(e[1] for e in on_mps.rec.snapshot() if e[0] == "device")
    assert info == DeviceInfo("mps", "mps: Apple GPU", "")


# ----- the retry on the CPU --------------------------------------------------------------------
def test_long_job_failing_on_the_device_is_retried_once_on_the_cpu(on_mps):
    """One started, one notice, the first attempt's snapshots reported once (the retry replays them
    silently), then the CPU's; the job finishes with the CPU attempt's result."""
    h, attempts = on_mps, []
    job_id = h.s.submit(long(_retrying_job(attempts), name="train", progress="every"))
    assert h.rec.terminal(job_id) == ("finished", job_id, "done")
    assert attempts == ["mps", "cpu"]
    assert h.rec.progress_of(job_id) == [("mps", 0), ("mps", 1), ("mps", 2), ("cpu", 3), ("cpu", 4)]
    assert [e[0] for e in h.rec.of(job_id)].count("started") == 1
    assert _notices(h) == [("notice", job_id, f"train failed on mps (NotImplementedError: {MPS_LACKS}); "
                                              "retried on the CPU")]


def test_notice_comes_before_the_retrys_snapshots(on_mps):
    h, attempts = on_mps, []
    job_id = h.s.submit(long(_retrying_job(attempts, n_before=0), progress="every"))
    h.rec.terminal(job_id)
    kinds = [e[0] for e in h.rec.snapshot() if e[0] in ("notice", "progress", "finished") and e[1] == job_id]
    assert kinds == ["notice"] + ["progress"] * 5 + ["finished"]


def test_a_second_failure_is_a_normal_failure(on_mps):
    """Failing on the CPU too ends the job with the CPU attempt's error; there is no third attempt."""
    h, attempts = on_mps, []
    job = _retrying_job(attempts, fail_on=("mps", "cpu"), error=lambda: RuntimeError("out of memory"))
    job_id = h.s.submit(long(job, name="run"))
    event = h.rec.terminal(job_id)
    assert event[0] == "failed" and event[2] == "RuntimeError: out of memory"
    assert attempts == ["mps", "cpu"]
    assert len(_notices(h)) == 1


def test_a_jobs_own_error_is_not_retried(on_mps):
    h, attempts = on_mps, []
    job_id = h.s.submit(long(_retrying_job(attempts, error=lambda: ValueError("mps: bad input"))))
    event = h.rec.terminal(job_id)
    assert event[0] == "failed" and event[2] == "ValueError: mps: bad input"
    assert attempts == ["mps"] and _notices(h) == []


def test_a_factory_failing_on_the_device_is_retried(on_mps):
    """A factory that raises before returning a generator (it computed something on the device)."""
    h, attempts = on_mps, []

    def factory(ctx):
        attempts.append(ctx.device)
        if ctx.device == "mps":
            raise TypeError("Cannot convert a MPS Tensor to float64 dtype")
        return iter([1, 2])

    job_id = h.s.submit(long(factory))
    assert h.rec.terminal(job_id) == ("finished", job_id, 2)
    assert attempts == ["mps", "cpu"] and len(_notices(h)) == 1


def test_a_request_failing_on_the_device_is_retried_on_the_cpu(on_mps):
    h, devices = on_mps, []

    def compute(ctx):
        devices.append((ctx.device, ctx.retry))
        if ctx.device == "mps":
            raise RuntimeError("MPS backend out of memory")
        return 42

    job_id = h.s.request(req(compute, key="decode", name="decode"))
    assert h.rec.terminal(job_id) == ("finished", job_id, 42)
    assert devices == [("mps", False), ("cpu", True)]  # the retry knows it is one (views move the models)
    assert _notices(h) == [("notice", job_id, "decode failed on mps (RuntimeError: MPS backend out of "
                                              "memory); retried on the CPU")]


def test_a_request_failing_twice_fails(on_mps):
    h = on_mps
    job_id = h.s.request(req(lambda ctx: (_ for _ in ()).throw(RuntimeError("MPS backend out of memory")),
                             key="decode"))
    event = h.rec.terminal(job_id)
    assert event[0] == "failed" and len(_notices(h)) == 1


def test_on_the_cpu_nothing_is_retried(start):
    """A backend-looking error on the CPU is a plain failure: there is nowhere to fall back to."""
    h, attempts = start("cpu"), []
    job = _retrying_job(attempts, fail_on=("cpu",), error=lambda: RuntimeError("CUDA out of memory"))
    job_id = h.s.submit(long(job))
    assert h.rec.terminal(job_id)[0] == "failed"
    assert attempts == ["cpu"] and _notices(h) == []


def test_a_retrying_job_can_be_cancelled(on_mps):
    """The retry is a job like any other: cancelled while on the CPU, it ends cancelled (and closed)."""
    h, attempts, gate = on_mps, [], on_mps.gate()
    on_cpu, closed = threading.Event(), threading.Event()

    def factory(ctx):
        attempts.append(ctx.device)
        if ctx.device == "mps":
            raise RuntimeError("MPS backend out of memory")
        try:
            on_cpu.set()
            gate.wait(10)  # holds the CPU attempt's first step until the cancel has been sent
            yield 1
            yield 2
        finally:
            closed.set()

    job_id = h.s.submit(long(factory))
    assert on_cpu.wait(10)
    h.s.cancel(job_id)
    gate.set()
    assert h.rec.terminal(job_id) == ("cancelled", job_id)
    assert attempts == ["mps", "cpu"] and closed.wait(10)


def test_single_jobs_have_no_snapshots_to_replay(on_mps):
    """A one-shot long job (single) retried: its result is the CPU attempt's return value."""
    h = on_mps

    def compute(ctx):
        if ctx.device == "mps":
            raise NotImplementedError(MPS_LACKS)
        return ctx.device

    job_id = h.s.submit(long(single(compute)))
    assert h.rec.terminal(job_id) == ("finished", job_id, "cpu")
