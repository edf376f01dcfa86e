"""Robustness benchmark (issue #13): ~180 bad input files, each opened the way the app opens it.

Every reader gets the same special files — empty, random bytes, a FIFO (POSIX), ``/dev/zero`` and a
symlink to it, a folder named like the file, a missing file, sparse files just over and just under the
size limit — plus its own hostile ones (see :mod:`benchmarks._robustness_files`): CSV with a 1 MB field,
a 50 MB number, 1e300, NaN, 1,000,001 points; sessions nested 200,000 deep, with lists for objects,
1e30 seeds, 1,000,001 points, picks of 10**12, 5 MB dock names; IDX and NPZ decompression bombs and
lying headers; a 12000² PNG and other image-folder traps; checkpoints whose metadata claims huge
layers, and pickles named ``.safetensors``.

How each is opened (in a child process running the real main window, ``QT_QPA_PLATFORM=offscreen``,
settings in a temporary ``VAEVIZ_CONFIG_DIR``):

- sessions: ``window.files.load_session(path)`` as File > Open session does (read in the worker, checked
  and applied in the GUI thread);
- CSV: the GMM & EM dock's ``DataTools.import_file``, which parses in the compute worker;
- IDX, ``.npz``, image folders and checkpoints: the core readers the latent lab's jobs call
  (``load_files`` for data sources, ``read_idx``, ``load_checkpoint``), as a job in the compute worker.

A file is **clean** when opening it gives the reader's own error — a message (the dialog's or the
message bar's text) of at most 500 characters naming no Python internals (``Traceback``, any
``…Error``/``…Exception`` class name) — the app state is unchanged (every dock's ``state()``, the shared
points and their undo history, the last folder), and the process's peak RSS grew by at most 200 MB.

Measurements, and why they are honest:

- **memory**: on Linux, writing ``5`` to ``/proc/self/clear_refs`` resets the process's peak RSS
  (``VmHWM``) to its current RSS; ``VmHWM`` after a case minus ``VmRSS`` before it is that case's peak
  growth, whatever thread allocated (GUI or worker), transient or not. One reader call per kind is
  made first and not measured (imports and first-call caches are not a bad file's cost). Where
  ``clear_refs`` is missing the child falls back to the monotonic ``ru_maxrss`` and says so in
  ``details.memory_method`` (an underestimate: a case shows only growth beyond every earlier peak).
- **GUI stall**: a 2 ms ``PreciseTimer`` heartbeat runs in the GUI thread; a case's stall is the longest
  gap between the last beat before it and the first beat after it, minus the interval. A session is
  read in the GUI thread, so its whole read counts; worker jobs count by how long they keep the GIL.
- **hangs and crashes**: the parent reads the child's per-case events with a deadline. A worker job
  that does not answer within 10 s is reported (``timeout``) and the child exits; a child that dies or
  goes silent (a GUI-thread hang) is killed and reported against the case it had started. Either way a
  fresh child takes the remaining cases, so one bad reader cannot hide the others' figures.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._robustness_child import CASE_TIMEOUT_S, MARKER

ROOT = Path(__file__).resolve().parent.parent
CHILD = "benchmarks._robustness_child"
RSS_LIMIT_MB = 200.0  # the goal; also part of each case's "clean"
STARTUP_TIMEOUT_S = 120.0  # window, worker, torch and writing the files
SILENCE_TIMEOUT_S = CASE_TIMEOUT_S + 20.0  # no event for this long: the child's GUI thread is stuck
MAX_CHILDREN = 12


class _Child:
    """One child process and a line reader over its stdout with a deadline."""

    def __init__(self, folder: Path, start: int, quick: bool, env: dict) -> None:
        argv = [sys.executable, "-m", CHILD, str(folder), "--start", str(start),
                "--rss-limit-mb", str(RSS_LIMIT_MB)] + (["--quick"] if quick else [])
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=self.stderr)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.proc.stdout, selectors.EVENT_READ)
        self.buffer = b""

    def events(self, timeout_of):
        """Yield ``(kind, data)``; ``("silent", None)`` after ``timeout_of(last_kind)`` seconds without one,
        ``("exit", code)`` when the child ends."""
        last = "spawned"
        deadline = time.monotonic() + timeout_of(last)
        while True:
            while b"\n" in self.buffer:
                line, self.buffer = self.buffer.split(b"\n", 1)
                text = line.decode("utf-8", "replace")
                if text.startswith(MARKER):
                    event = json.loads(text[len(MARKER):])
                    last = event["event"]
                    deadline = time.monotonic() + timeout_of(last)
                    yield last, event["data"]
            left = deadline - time.monotonic()
            if left <= 0:
                yield "silent", None
                return
            if self.selector.select(min(left, 1.0)):
                chunk = os.read(self.proc.stdout.fileno(), 1 << 16)
                if not chunk:
                    yield "exit", self.proc.wait()
                    return
                self.buffer += chunk

    def stop(self) -> str:
        """Kill the child if it still runs; return the end of its stderr (for the report)."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.selector.close()
        self.proc.stdout.close()
        self.stderr.seek(0)
        tail = self.stderr.read().decode("utf-8", "replace")[-2000:]
        self.stderr.close()
        return tail


def _timeout_of(kind: str) -> float:
    return STARTUP_TIMEOUT_S if kind in ("spawned", "generated", "cases") else SILENCE_TIMEOUT_S


def run_cases(folder: Path, quick: bool = False) -> dict:
    """Open every case in child processes (restarting after a hang or crash); return the raw results."""
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
           "VAEVIZ_CONFIG_DIR": str(folder / "config")}
    cases: list[dict] = []
    results: dict[int, dict] = {}
    info: dict = {"children": 0, "generate_s": None, "startup_s": [], "memory_method": None,
                  "idle_max_stall_ms": None, "worker_stopped_cleanly": None, "child_errors": []}
    start = 0
    while info["children"] < MAX_CHILDREN:
        child = _Child(folder, start, quick, env)
        info["children"] += 1
        current = None
        finished = False
        for kind, data in child.events(_timeout_of):
            if kind == "generated":
                info["generate_s"] = data["seconds"]
            elif kind == "cases":
                cases = data
            elif kind == "ready":
                info["startup_s"].append(data["startup_s"])
                info["memory_method"] = data["memory_method"]
            elif kind == "start":
                current = data["index"]
            elif kind == "result":
                results[data["index"]] = data
                current = None
            elif kind == "done":
                info.update(data)
                finished = True
            elif kind in ("silent", "exit") and not finished and current is not None:
                what = ("hung (no answer, process killed)" if kind == "silent"
                        else f"crashed the process (exit {data})")
                case = cases[current]
                results[current] = {"index": current, "id": case["id"], "reader": case["reader"],
                                    "outcome": "hang" if kind == "silent" else "crash", "message": what,
                                    "message_chars": 0, "clean": False, "problems": [what],
                                    "extra_rss_mb": None, "stall_ms": None, "open_ms": None}
        tail = child.stop()
        if finished:
            break
        opened = [i for i in results if i >= start]
        if not opened:  # died or hung before opening a file: not a bad input's doing
            raise RuntimeError(f"the robustness child failed before opening any file:\n{tail}")
        info["child_errors"].append(tail[-500:])
        start = max(opened) + 1
        if start >= len(cases):
            break
    return {"cases": cases, "results": [results[i] for i in sorted(results)], "info": info}


def summarise(raw: dict) -> dict:
    """The metrics (and details) from :func:`run_cases`' results."""
    results = raw["results"]
    info = raw["info"]
    unclean = [r for r in results if not r["clean"]]
    rss = [r["extra_rss_mb"] for r in results if r["extra_rss_mb"] is not None]
    stalls = [r["stall_ms"] for r in results if r["stall_ms"] is not None]
    by_reader: dict[str, dict] = {}
    for r in results:
        entry = by_reader.setdefault(r["reader"], {"tried": 0, "clean": 0, "max_extra_rss_mb": 0.0,
                                                   "max_stall_ms": 0.0})
        entry["tried"] += 1
        entry["clean"] += r["clean"]
        entry["max_extra_rss_mb"] = max(entry["max_extra_rss_mb"], r["extra_rss_mb"] or 0.0)
        entry["max_stall_ms"] = max(entry["max_stall_ms"], r["stall_ms"] or 0.0)
    worst = lambda key: max(results, key=lambda r: r[key] or 0.0)["id"] if results else None  # noqa: E731
    return {
        "bad_inputs_tried": len(results),
        "bad_inputs_clean": len(results) - len(unclean),
        "bad_inputs_expected": len(raw["cases"]),
        # A hung or crashed case has no figures: it is not clean, and the maxima below would be unknown.
        "max_extra_rss_mb": round(max(rss), 1) if rss else None,
        "max_gui_stall_ms": round(max(stalls), 2) if stalls else None,
        "idle_max_stall_ms": info.get("idle_max_stall_ms"),
        "max_message_chars": max((r["message_chars"] for r in results), default=0),
        "child_processes": info["children"],
        "details": {
            "memory_method": info["memory_method"], "rss_limit_mb": RSS_LIMIT_MB,
            "case_timeout_s": CASE_TIMEOUT_S, "generate_s": info["generate_s"],
            "startup_s": info["startup_s"], "worker_stopped_cleanly": info.get("worker_stopped_cleanly"),
            "child_errors": info["child_errors"],
            "worst_rss_case": worst("extra_rss_mb"), "worst_stall_case": worst("stall_ms"),
            "by_reader": by_reader,
            "unclean": [{k: r[k] for k in ("id", "reader", "outcome", "problems", "extra_rss_mb",
                                           "stall_ms", "message")} for r in unclean],
            "results": results,
        },
    }


def run(quick: bool = False) -> dict:
    """Write the bad inputs, open each in the app and measure what it costs.

    Parameters
    ----------
    quick
        Open ~25 light cases (every eighth and each reader's last, leaving out bombs, big files and the
        slow checkpoint): the smoke test.

    Returns
    -------
    dict
        ``bad_inputs_tried`` / ``bad_inputs_clean`` (goal: equal, ≥ 100 tried), ``max_extra_rss_mb``
        (peak RSS growth over all cases, goal ≤ 200), ``max_gui_stall_ms`` (goal ≤ 100), the idle
        heartbeat's ``idle_max_stall_ms`` for reference, and ``details`` with every case's result.
    """
    with tempfile.TemporaryDirectory(prefix="vaeviz-bench-robustness-") as folder:
        metrics = summarise(run_cases(Path(folder), quick))
    metrics["all_bad_inputs_clean"] = metrics["bad_inputs_clean"] == metrics["bad_inputs_tried"]
    return metrics
