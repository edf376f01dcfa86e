"""The one place where benchmark goals live, and the code that checks figures against them.

``GOALS[benchmark][key] = Goal(comparison, threshold, unit)``. Goals are grouped by benchmark so two
benchmarks may both report e.g. ``ratio`` without their goals clashing.
"""

from __future__ import annotations

import operator
from typing import NamedTuple


class Goal(NamedTuple):
    """A target for one metric: ``value <comparison> threshold`` (in ``unit``) must hold."""

    comparison: str  # one of "<=", "<", ">=", ">", "=="
    threshold: float | bool
    unit: str = ""


GOALS: dict[str, dict[str, Goal]] = {
    "startup": {
        # Process start -> main window exposed, fresh interpreter, torch deferred to the worker thread.
        "window_visible_s": Goal("<=", 0.6, "s"),
        # window_visible_s / eager_torch_window_visible_s: deferring torch must at least halve start-up.
        "ratio": Goal("<=", 0.5, ""),
        # The GUI path must not import torch before the window is on screen.
        "torch_imported_before_window": Goal("==", False, ""),
    },
    "worker": {
        "latest_request_p99_ms": Goal("<=", 2.0, "ms"),
        "gui_max_stall_ms": Goal("<=", 30.0, "ms"),
    },
}

_OPS = {"<=": operator.le, "<": operator.lt, ">=": operator.ge, ">": operator.gt, "==": operator.eq}


def check(benchmark: str, metrics: dict) -> dict[str, dict]:
    """Check a benchmark's metrics against its goals.

    Parameters
    ----------
    benchmark
        The benchmark's name, e.g. ``"worker"``.
    metrics
        The flat ``key -> value`` figures returned by the benchmark's ``run()``.

    Returns
    -------
    dict
        ``key -> {"comparison", "threshold", "unit", "value", "met"}`` for every goal of the benchmark;
        ``met`` is ``None`` when the metric is missing or not a number (it counts as not met).
    """
    report = {}
    for key, goal in GOALS.get(benchmark, {}).items():
        value = metrics.get(key)
        met = None
        if isinstance(value, (bool, int, float)) and value == value:  # value == value rules out NaN
            met = bool(_OPS[goal.comparison](value, goal.threshold))
        report[key] = {"comparison": goal.comparison, "threshold": goal.threshold, "unit": goal.unit,
                       "value": value, "met": met}
    return report


def describe(goal: dict) -> str:
    """Format a goal entry of :func:`check` as text, e.g. ``"<= 2 ms"``."""
    threshold = goal["threshold"]
    text = str(threshold) if isinstance(threshold, bool) else f"{threshold:g}"
    return f"{goal['comparison']} {text} {goal['unit']}".strip()
