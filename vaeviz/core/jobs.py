"""The Qt-free side of a compute job.

A job is a *generator factory*: a callable taking a :class:`JobContext` and returning an iterator of
snapshots. The compute worker calls the factory in its own thread (so torch work happens there) and
advances the iterator in short slices. The same factories drive the GUI, the export CLI, benchmarks
and tests, which can simply iterate them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

JobKind = Literal["long", "latest"]
ProgressMode = Literal["latest", "every"]


@dataclass(frozen=True)
class JobContext:
    """What a running job may know about where it runs.

    Parameters
    ----------
    job_id
        The worker's id for this job (monotonic, never reused).
    device
        Name of the torch device chosen for the job (``"cpu"``, ``"cuda"``, ``"mps"``).
    """

    job_id: int
    device: str = "cpu"

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


def run_to_end(factory: JobFactory, context: JobContext | None = None) -> Any:
    """Run a job synchronously (CLI, tests) and return its result.

    The result is the generator's return value when it returns one, else the last snapshot.
    """
    gen = factory(context or JobContext(job_id=0))
    last = None
    while True:
        try:
            last = next(gen)
        except StopIteration as stop:
            return stop.value if stop.value is not None else last


def single(fn: Callable[[JobContext], Any]) -> JobFactory:
    """Wrap a plain function of the context as a one-shot job (for latest-wins requests)."""

    def factory(ctx: JobContext) -> Iterator[Any]:
        if False:  # a generator with no snapshots: its return value is the result
            yield None
        return fn(ctx)

    return factory
