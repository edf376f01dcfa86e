"""core/jobs.py: run_to_end, single(), the job dataclasses; and that core stays Qt- and torch-free."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from vaeviz.core.jobs import JobContext, JobSpec, Progress, run_to_end, single


def counting(n, result=None):
    def factory(ctx):
        for i in range(n):
            yield Progress((i + 1) / n, f"step {i}", value=i)
        return result

    return factory


def test_run_to_end_returns_generator_return_value():
    """A generator's return value is the result, not its last snapshot."""
    assert run_to_end(counting(3, result="done")) == "done"


def test_run_to_end_falls_back_to_last_snapshot():
    """Without a return value the last snapshot is the result."""
    result = run_to_end(counting(4))
    assert result == Progress(1.0, "step 3", value=3)


@pytest.mark.parametrize("value", [0, False, "", [], 0.0])
def test_falsy_return_value_is_kept(value):
    """Only None means 'no return value': falsy results are returned as they are."""
    assert run_to_end(counting(2, result=value)) == value
    assert type(run_to_end(counting(2, result=value))) is type(value)


def test_empty_generator_gives_none():
    """No snapshots and no return value -> None."""
    assert run_to_end(counting(0)) is None


def test_run_to_end_default_and_given_context():
    """The factory gets JobContext(0, 'cpu') by default, or the given context."""
    seen = []

    def factory(ctx):
        seen.append(ctx)
        yield 1

    run_to_end(factory)
    run_to_end(factory, JobContext(7, "cuda"))
    assert seen == [JobContext(0, "cpu"), JobContext(7, "cuda")]


def test_run_to_end_accepts_plain_iterators():
    """A factory may return any iterator; the last item is the result."""
    assert run_to_end(lambda ctx: iter([1, 2, 3])) == 3


def test_run_to_end_propagates_errors_and_runs_finally():
    """A job's exception reaches the caller after the job's cleanup ran."""
    cleaned = []

    def factory(ctx):
        try:
            yield 1
            raise RuntimeError("diverged")
        finally:
            cleaned.append(True)

    with pytest.raises(RuntimeError, match="diverged"):
        run_to_end(factory)
    assert cleaned == [True]


def test_single_result_and_context():
    """single(fn) is a job with no snapshots whose result is fn(ctx)."""
    job = single(lambda ctx: ("result", ctx.job_id, ctx.device))
    assert run_to_end(job, JobContext(5, "mps")) == ("result", 5, "mps")
    assert list(job(JobContext(1))) == []  # no snapshots at all


def test_single_is_lazy():
    """Building the generator does not call fn; the first next() does (in the worker thread)."""
    calls = []
    gen = single(lambda ctx: calls.append(ctx) or 1)(JobContext(3))
    assert calls == []
    with pytest.raises(StopIteration) as stop:
        next(gen)
    assert stop.value.value == 1
    assert calls == [JobContext(3)]


def test_single_none_result():
    """fn returning None gives None (there is no snapshot to fall back to)."""
    assert run_to_end(single(lambda ctx: None)) is None


def test_single_propagates_errors():
    """An exception in fn surfaces from the job."""

    def boom(ctx):
        raise KeyError("x")

    with pytest.raises(KeyError):
        run_to_end(single(boom))


def test_job_spec_defaults():
    """JobSpec defaults: a long job reporting the latest progress, no key; extra dicts are not shared."""
    a, b = JobSpec(single(lambda c: 1), "a"), JobSpec(single(lambda c: 1), "b")
    assert (a.kind, a.key, a.progress, a.extra) == ("long", None, "latest", {})
    assert a.extra is not b.extra


def test_none_is_a_preemption_point_not_a_snapshot():
    """run_to_end skips None yields: the last real snapshot is the result, even when None comes last."""
    def factory(ctx):
        yield None
        yield "a"
        yield None
        yield "b"
        yield None

    assert run_to_end(factory) == "b"
    assert run_to_end(lambda ctx: iter([None, None])) is None


def test_context_urgent_defaults_to_false():
    """JobContext(job_id, device) still works; urgent defaults to a function returning False."""
    ctx = JobContext(3, "cpu")
    assert ctx.urgent() is False
    flag = [True]
    hot = JobContext(3, "cpu", lambda: flag[0])
    assert hot.urgent() is True and hot == ctx  # urgent takes no part in equality
    with pytest.raises(dataclasses.FrozenInstanceError):
        hot.urgent = lambda: False


def test_dataclasses_are_frozen():
    """Context, spec and progress are immutable (shared between threads)."""
    for obj, field in ((JobContext(1), "job_id"), (Progress(0.5), "fraction"),
                       (JobSpec(lambda c: iter(()), "x"), "name")):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(obj, field, None)


def test_progress_defaults():
    """Progress has an empty message and no value by default."""
    assert Progress(0.25) == Progress(0.25, "", None)


def test_core_imports_neither_qt_nor_torch():
    """Importing every core module in a fresh interpreter pulls in no Qt and no torch."""
    code = (
        "import sys\n"
        "import vaeviz.core.atomic, vaeviz.core.device, vaeviz.core.eta, vaeviz.core.jobs\n"
        "import vaeviz.core.resources, vaeviz.core.session\n"
        "bad = sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'torch', 'shiboken6'))\n"
        "assert not bad, bad\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
