"""The lab's self-check (``vaeviz --self-test``), through the lab's own path: a small state applied with
``apply_state``, a short fit in the worker (through the controller), then the frames read.

Nothing waits in a nested event loop: the check answers ``done(problems)`` from a ``when_idle`` callback
(at once under inline compute).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from vaeviz.core.kl.state import FitSettings, KLLabState
from vaeviz.core.kl.targets import Gaussian

CHECK_STATE = KLLabState(fit=FitSettings(samples=100, max_steps=20, steps_per_frame=5))


def check_lab(lab, done: Callable[[list[str]], None]) -> None:
    lab.runner.pause()
    if not lab.apply_state(CHECK_STATE, restart=False):
        done(["kl: the check's state was refused"])
        return
    lab.restart()
    lab.controller.when_idle(lambda: done(lab_problems(lab)))


def lab_problems(lab) -> list[str]:
    frames = lab.runner.frames
    if not frames or not frames[-1].done or frames[-1].step != CHECK_STATE.fit.max_steps:
        return [f"kl: the fit did not reach step {CHECK_STATE.fit.max_steps} "
                f"({lab.messages.text() or 'no message'})"]
    last = frames[-1]
    problems = []
    for name, fit in (("forward", last.forward), ("reverse", last.reverse)):
        q: Gaussian = fit.q
        values = (*q.mean, *q.cov.ravel(), fit.forward.value, fit.reverse.value)
        if not all(math.isfinite(v) for v in values):
            problems.append(f"kl: the {name} fit is not finite")
        elif fit.forward.value < -0.05 or fit.reverse.value < -0.05:
            problems.append(f"kl: the {name} fit has a negative KL")
    if frames[0].reverse.reverse.value < last.reverse.reverse.value - 0.05:
        problems.append("kl: the reverse fit made KL(q‖p) larger")
    if lab.figure.plots["forward"].heat.image is None:
        problems.append("kl: p's heatmap was not drawn")
    return problems
