"""The lab's self-check (``vaeviz --self-test``), through the lab's own path: a small state applied with
``apply_state`` (its data sampled in the worker, a KDE fitted and coloured there), then the picture and the
held-out table read.

Nothing waits in a nested event loop: the check answers ``done(problems)`` from a ``when_idle`` callback
(at once under inline compute).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from vaeviz.core.density.state import DataChoice, DensityLabState

CHECK_STATE = DensityLabState(estimator="kde", data=DataChoice("blobs", 400, 1))


def check_lab(lab, done: Callable[[list[str]], None]) -> None:
    if not lab.apply_state(CHECK_STATE, reload_data=True):
        done(["density: the check's state was refused"])
        return
    lab.controller.when_idle(lambda: done(lab_problems(lab)))


def lab_problems(lab) -> list[str]:
    if lab.heat is None:
        return [f"density: no density was drawn ({lab.messages.text() or 'no message'})"]
    problems = []
    snap = lab.heat.snapshot
    if np.isnan(snap.log_density).any() or not np.isfinite(snap.log_density).any():
        problems.append("density: the KDE's log-density has NaN or no finite value")
    cell = (snap.rect[2] - snap.rect[0]) * (snap.rect[3] - snap.rect[1]) / snap.res ** 2
    mass = float(np.exp(snap.log_density).sum() * cell)
    if not 0.9 < mass < 1.01:
        problems.append(f"density: the KDE's mass on the plot is {mass:.3f}, not about 1")
    if lab.figure.main.heat.image is None:
        problems.append("density: the heatmap was not drawn")
    table = lab.table
    if table is None or not any(r.key == "kde" and math.isfinite(r.held) for r in table.rows):
        problems.append("density: the held-out table has no KDE row")
    return problems
