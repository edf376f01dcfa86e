"""``python -m benchmarks.table FILE...``: one table of every benchmark's figures against its goals.

Goals are re-checked against :mod:`benchmarks.goals` (not only read from the files), so editing a goal
re-judges old results without re-running them. ``--strict`` makes a missed goal exit with status 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from benchmarks.goals import check, describe

HEADERS = ("benchmark", "key", "value", "goal", "pass/fail")


def _unit(key: str, goal: dict | None) -> str:
    # Goals name their unit; other metrics follow the naming convention of a unit suffix.
    if goal is not None:
        return goal["unit"]
    for suffix, unit in (("_per_s", "/s"), ("_ms", "ms"), ("_s", "s"), ("_gflops", "GFLOP/s")):
        if key.endswith(suffix):
            return unit
    return ""


def _format(value, unit: str) -> str:
    if isinstance(value, float):
        text = f"{value:.3f}" if abs(value) < 1000 else f"{value:.0f}"
    else:
        text = str(value)
    return f"{text} {unit}".strip()


def rows_for(result: dict) -> list[tuple[str, str, str, str, str]]:
    """Return the table rows of one benchmark's JSON result: goal keys first, then the other metrics.

    Parameters
    ----------
    result
        A dict as written by ``python -m benchmarks NAME --json OUT``.

    Returns
    -------
    list of tuple
        ``(benchmark, key, value, goal, verdict)`` strings; goal and verdict are empty for plain metrics.
    """
    name = result.get("benchmark", "?")
    metrics = result.get("metrics", {})
    goals = check(name, metrics)
    rows = []
    for key, goal in goals.items():
        verdict = "PASS" if goal["met"] else ("FAIL" if goal["met"] is False else "MISSING")
        rows.append((name, key, _format(goal["value"], goal["unit"]), describe(goal), verdict))
    for key, value in metrics.items():
        if key not in goals:
            rows.append((name, key, _format(value, _unit(key, None)), "", ""))
    return rows


def render(rows: list[tuple[str, ...]]) -> str:
    """Render rows as an aligned plain-text table with a header line."""
    widths = [max(len(r[i]) for r in [HEADERS, *rows]) for i in range(len(HEADERS))]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(h.ljust(w) for h, w in zip(HEADERS, widths, strict=True)), line]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.table",
                                     description="Print benchmark results against their goals.")
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE",
                        help="JSON files from python -m benchmarks")
    parser.add_argument("--strict", action="store_true", help="exit with status 1 if any goal is missed")
    args = parser.parse_args(argv)
    rows: list[tuple[str, ...]] = []
    for path in args.files:
        try:
            result = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            print(f"{path}: cannot read benchmark results: {exc}", file=sys.stderr)
            return 1
        if not isinstance(result, dict) or "metrics" not in result:
            print(f"{path}: not a benchmark result (no 'metrics')", file=sys.stderr)
            return 1
        rows += rows_for(result)
    print(render(rows))
    missed = sum(1 for r in rows if r[4] in ("FAIL", "MISSING"))
    goals = sum(1 for r in rows if r[4])
    print(f"\n{goals - missed}/{goals} goals met")
    return 1 if (args.strict and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
