"""The Qt-free side of a compute job.

A job is a *generator factory*: a callable taking a :class:`JobContext` and returning an iterator of
snapshots. The compute worker calls the factory in its own thread (so torch work happens there) and
advances the iterator in short slices. The same factories drive the GUI, the export CLI, benchmarks
and tests, which can simply iterate them.

A job may also yield ``None``: a pure preemption point, not a snapshot. The worker can serve waiting
requests there (see :attr:`JobContext.urgent`), but ``None`` is never reported as progress nor taken
as the job's last snapshot or result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

JobKind = Literal["long", "latest"]
ProgressMode = Literal["latest", "every"]


def _never() -> bool:
    return False


@dataclass(frozen=True)
class JobContext:
    """What a running job may know about where it runs.

    Parameters
    ----------
    job_id
        The worker's id for this job (monotonic, never reused).
    device
        Name of the torch device chosen for the job (``"cpu"``, ``"cuda"``, ``"mps"``).
    urgent
        Returns true while a latency-critical request (e.g. a drag's decode) is waiting for the
        compute thread, or requests are arriving (one came in the last quarter second): a long job
        should then work in small pieces and yield between them, if need be ``None`` (a preemption
        point without a snapshot). Cheap to call; always false outside the worker.
    """

    job_id: int
    device: str = "cpu"
    urgent: Callable[[], bool] = field(default=_never, compare=False, repr=False)
    retry: bool = False  # this run is the CPU retry after a backend failure on the chosen device

    def torch_device(self):
        """Return ``torch.device(self.device)``; torch is imported lazily, in the calling thread."""
        import torch

        return torch.device(self.device)


JobFactory = Callable[[JobContext], Iterator[Any]]


@dataclass(frozen=True)
class Progress:
    """A generic snapshot for jobs that only report how far they are.

    Jobs may yield any object; the status bar reads an optional ``fraction`` attribute in [0, 1]
    (and an optional ``message``) to show a progress bar and an ETA.
    """

    fraction: float
    message: str = ""
    value: Any = None


@dataclass(frozen=True)
class JobSpec:
    """A job as submitted: what to run and how the worker should schedule and report it."""

    factory: JobFactory
    name: str
    kind: JobKind = "long"
    key: str | None = None  # latest-wins requests with the same key replace each other
    progress: ProgressMode = "latest"
    extra: dict = field(default_factory=dict)


def drain(gen: Iterator[Any], on_progress: Callable[[Any], object] | None = None) -> tuple[Any, Any]:
    """Advance a job's generator to its end in the calling thread.

    Returns ``(return_value, last_snapshot)``; ``on_progress`` gets every snapshot. ``None`` yields are
    preemption points, not snapshots, and are skipped.
    """
    last = None
    while True:
        try:
            snapshot = next(gen)
        except StopIteration as stop:
            return stop.value, last
        if snapshot is not None:
            last = snapshot
            if on_progress is not None:
                on_progress(snapshot)


def run_to_end(factory: JobFactory, context: JobContext | None = None) -> Any:
    """Run a job synchronously (CLI, tests) and return its result.

    The result is the generator's return value when it returns one, else the last snapshot (``None``
    preemption points are not snapshots).
    """
    value, last = drain(factory(context or JobContext(job_id=0)))
    return value if value is not None else last


def single(fn: Callable[[JobContext], Any]) -> JobFactory:
    """Wrap a plain function of the context as a one-shot job (for latest-wins requests)."""

    def factory(ctx: JobContext) -> Iterator[Any]:
        if False:  # a generator with no snapshots: its return value is the result
            yield None
        return fn(ctx)

    return factory
