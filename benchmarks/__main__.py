"""``python -m benchmarks NAME [--json OUT]``: run ``benchmarks/<NAME>.py`` and record its figures.

The JSON written holds the benchmark's metrics, its goals (from :mod:`benchmarks.goals`) and whether
each was met, and the machine it ran on. A missed goal does not change the exit status (the table shows
it); only a benchmark that cannot run exits non-zero, so ``make bench`` still prints the table.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
from pathlib import Path

from vaeviz.runtime import configure_process

configure_process()  # as the app does, before numpy is imported
from benchmarks import available, machine_info  # noqa: E402
from benchmarks.goals import check, describe  # noqa: E402


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser; an unknown NAME is a usage error (exit status 2)."""
    names = available()
    parser = argparse.ArgumentParser(prog="python -m benchmarks",
                                     description="Run one of vaeviz's benchmarks and record its figures.")
    parser.add_argument("name", metavar="NAME", choices=names, help="benchmark to run: " + ", ".join(names))
    parser.add_argument("--json", metavar="OUT", type=Path, help="write the results to this JSON file")
    return parser


def _load_average() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):  # not available on Windows
        return None


def run_benchmark(name: str) -> dict:
    """Import ``benchmarks.<name>``, call its ``run()`` and wrap the metrics with goals and machine info.

    Parameters
    ----------
    name
        A name from :func:`benchmarks.available`.

    Returns
    -------
    dict
        ``benchmark``, ``metrics``, ``details``, ``goals``, ``all_goals_met``, ``machine``,
        ``load_average_1min`` (before and after), ``started_at`` (Unix time) and ``duration_s``.
    """
    module = importlib.import_module(f"benchmarks.{name}")  # by name, so a new file is a new benchmark
    load_before = _load_average()
    started = time.time()
    t0 = time.perf_counter()
    metrics = dict(module.run())
    duration = time.perf_counter() - t0
    details = metrics.pop("details", {})
    goals = check(name, metrics)
    return {
        "benchmark": name,
        "metrics": metrics,
        "details": details,
        "goals": goals,
        "all_goals_met": all(g["met"] for g in goals.values()),
        "machine": machine_info(),
        # Other processes competing for the cores skew every figure; the load average shows it.
        "load_average_1min": {"before": load_before, "after": _load_average()},
        "started_at": started,
        "duration_s": round(duration, 2),
    }


def summary(result: dict) -> str:
    """Return a few human-readable lines: every metric, then each goal with PASS or FAIL."""
    load = result["load_average_1min"]
    lines = [f"benchmark {result['benchmark']} ({result['duration_s']} s, "
             f"load average {load['before']} -> {load['after']} on {result['machine']['cpu_count']} CPUs)"]
    for key, value in result["metrics"].items():
        shown = f"{value:.4g}" if isinstance(value, float) else str(value)
        lines.append(f"  {key:<34} {shown}")
    for key, goal in result["goals"].items():
        verdict = "PASS" if goal["met"] else "FAIL"
        lines.append(f"  goal {key} {describe(goal)}: {verdict}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result = run_benchmark(args.name)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    print(summary(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
