"""The lab's self-check (``vaeviz --self-test``), through the lab's own path: a small state applied with
``apply_state``, three EM iterations run by the runner (in the worker in the app), then the results read.

Nothing waits in a nested event loop: the check goes on from ``when_idle`` callbacks and answers
``done(problems)`` (at once under inline compute).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from vaeviz.core.em.state import DataChoice, EmLabState, LabSettings

CHECK_STATE = EmLabState(data=DataChoice("blobs", 90), model=LabSettings(k=3))
ITERATIONS = 3


def check_lab(lab, done: Callable[[list[str]], None]) -> None:
    """Run EM on :data:`CHECK_STATE` in ``lab`` and call ``done`` with what is wrong (empty: nothing)."""

    def run() -> None:  # once the data request is over, loaded or not (then the check says so)
        if lab.data is not None and lab.data.n == CHECK_STATE.data.n:
            lab.restart(n_half=2 * ITERATIONS)
        lab.controller.when_idle(lambda: done(lab_problems(lab)))

    lab.transport.run.setChecked(False)
    lab.problems.clear()
    lab.apply_state(CHECK_STATE, restart=False)
    lab.load_data_preset(CHECK_STATE.data.preset, CHECK_STATE.data.n, 0)
    lab.controller.when_idle(run)


def lab_problems(lab) -> list[str]:
    """What is wrong with the lab's run and scatter after :func:`check_lab`'s EM iterations."""
    problems = []
    frames = lab.runner.frames
    half_steps = [f.phase for f in frames[1:]]
    lls = [f.em.log_likelihood for f in frames if f.phase in ("init", "M")]
    if half_steps[:2 * ITERATIONS] != ["E", "M"] * ITERATIONS or not all(math.isfinite(v) for v in lls):
        problems.append(f"em: EM did not produce {2 * ITERATIONS} finite half-steps")
    elif any(b < a - 1e-6 for a, b in zip(lls, lls[1:], strict=False)):
        problems.append("em: the log-likelihood decreased during EM")
    if lab.data is None or lab.data.n != CHECK_STATE.data.n:
        problems.append("em: the check's data did not load")
    elif not len(lab.figure.em_view.scatter.data):
        problems.append("em: the scatter shows no points")
    return problems
