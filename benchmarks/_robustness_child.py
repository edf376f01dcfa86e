"""The child process of :mod:`benchmarks.robustness`: opens each bad input the way the app does.

``python -m benchmarks._robustness_child FOLDER [--start N] [--quick]``, with ``QT_QPA_PLATFORM`` and
``VAEVIZ_CONFIG_DIR`` set by the parent. Builds the real main window (docks built, compute worker
running), writes the bad inputs into ``FOLDER`` (once: later children read ``FOLDER/cases.json``), then
opens cases ``N``, ``N + 1``... printing one ``MARKER`` line per event on stdout:

- ``cases``: the case list; ``start``: a case is about to be opened (so the parent knows which one hung
  or crashed the process); ``result``: what opening it did; ``done``: the idle heartbeat, at the end.

A case whose worker job does not finish within ``CASE_TIMEOUT_S`` is reported as ``timeout`` and this
process then exits (code 5) without waiting for the stuck worker: the parent starts a new child for the
remaining cases.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

MARKER = "@@robustness "
CASE_TIMEOUT_S = 10.0  # the slowest clean case (a 256 MB bomb) takes ~1 s
HEARTBEAT_MS = 2
SETTLE_S = 0.01  # event-loop time before and after each case, so the heartbeat brackets it
# A clear message: the reader's own words, short, naming no Python internals.
SHORT_MESSAGE_CHARS = 500  # the bounded 400-character reason plus the dialog's own sentence
INTERNAL = re.compile(r"Traceback|File \"|\b[A-Z]\w*(?:Error|Exception)\b|\bstruct\.error\b|\bzlib\.error\b"
                      r"|<[\w.]+ object at 0x")  # a Python object's repr is no message for a user


def emit(kind: str, payload) -> None:
    print(MARKER + json.dumps({"event": kind, "data": payload}), flush=True)


# ----- memory: the process's peak RSS, reset before each case ------------------------------------------
def _status_kb() -> dict[str, int]:
    values = {}
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
    return values


class PeakMemory:
    """Per-case peak RSS growth of this whole process (GUI and compute threads).

    Linux: ``/proc/self/clear_refs`` ← ``5`` resets the peak (``VmHWM``) to the current RSS, so
    ``VmHWM`` after a case minus ``VmRSS`` before it is that case's peak growth. Elsewhere only the
    monotonic ``ru_maxrss`` exists: a case then shows growth only beyond every earlier peak (an
    underestimate, said in the results' ``memory_method``).
    """

    def __init__(self) -> None:
        self.method = "ru_maxrss (monotonic: an underestimate)"
        try:
            self._reset()
            _status_kb()
            self.method = "VmHWM reset by /proc/self/clear_refs"
        except OSError:
            pass

    @staticmethod
    def _reset() -> None:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")

    def _now_and_peak(self) -> tuple[float, float]:
        if self.method.startswith("VmHWM"):
            kb = _status_kb()
            return kb["VmRSS"] / 1024, kb["VmHWM"] / 1024
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return peak, peak

    def start(self) -> float:
        if self.method.startswith("VmHWM"):
            self._reset()
        self.before = self._now_and_peak()[0]
        return self.before

    def extra_mb(self) -> float:
        return max(0.0, self._now_and_peak()[1] - self.before)


# ----- the app ------------------------------------------------------------------------------------------
class Harness:
    """The real main window, and the ways the app opens each kind of file."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        from benchmarks._qt_wait import spin
        from vaeviz.app import make_application
        from vaeviz.ui.main_window import MainWindow

        self.spin = spin
        self.app = make_application()
        t0 = time.perf_counter()
        self.window = MainWindow()
        built = []
        self.window.docks_built.connect(lambda: built.append(True))
        self.window.show()
        if not spin(lambda: bool(built) and bool(self.window.bridge.device_name), 90):
            raise RuntimeError("the main window's docks or compute worker did not start")
        self.startup_s = time.perf_counter() - t0
        for dock in self.window.docks.values():
            dock.ensure_built()
        self.em = self.window.docks["em"].lab
        self.messages: list[tuple[str, str]] = []
        self.em.tools.message.connect(lambda kind, text: self.messages.append((kind, text)))
        self.ticks: list[float] = []
        self.heartbeat = QTimer()
        self.heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
        self.heartbeat.setInterval(HEARTBEAT_MS)
        self.heartbeat.timeout.connect(lambda: self.ticks.append(time.perf_counter()))

    # what the app would change: every dock's state and the shared points (with their undo history)
    def snapshot(self) -> tuple:
        points = self.em.points
        return ({dock_id: dock.state() for dock_id, dock in self.window.docks.items()},
                points.points.tobytes(), None if points.labels is None else points.labels.tobytes(),
                points.version, points.undo_text, self.window.settings.last_folder)

    def open_session(self, case: dict) -> tuple[str, str]:
        files = self.window.files
        files.last_dialog = None
        answer: list[bool] = []
        files.load_session(case["path"], answer.append)  # read in the worker, applied in the GUI thread
        if not self.spin(lambda: bool(answer), CASE_TIMEOUT_S):
            return "timeout", f"no answer within {CASE_TIMEOUT_S:g} s"
        accepted = answer[0]
        box = files.last_dialog
        message = box.text() if box is not None else ""
        if box is not None:
            message += ("\n" + box.detailedText()) if box.detailedText() else ""
            box.close()
            box.deleteLater()
            files.last_dialog = None
        if accepted:
            return "accepted", message
        if "could not be applied" in message:
            return "rolled back", message
        return "error", message

    def import_csv(self, case: dict) -> tuple[str, str]:
        self.messages.clear()
        name = Path(case["path"]).name
        self.em.tools.import_file(case["path"])

        def answer() -> tuple[str, str] | None:
            for kind, text in self.messages:
                if kind == "io" and text:
                    clear = text.startswith(f"Could not import {name}:") and "data are unchanged" in text
                    return ("error" if clear else "failed"), text
                if kind == "info" and text.startswith("Imported"):
                    return "accepted", text
            return None

        if not self.spin(lambda: answer() is not None, CASE_TIMEOUT_S):
            return "timeout", f"no answer within {CASE_TIMEOUT_S:g} s"
        return answer()

    def in_worker(self, case: dict) -> tuple[str, str]:
        from vaeviz.core.jobs import single

        outcome: dict = {}
        self.window.bridge.submit(single(lambda ctx: _read_in_worker(case)), f"robustness {case['id']}",
                                  on_finished=lambda result: outcome.update(result=result),
                                  on_failed=lambda message, details: outcome.update(
                                      failed=(message, details)))
        if not self.spin(lambda: bool(outcome), CASE_TIMEOUT_S):
            return "timeout", f"no answer within {CASE_TIMEOUT_S:g} s"
        if "failed" in outcome:
            message, details = outcome["failed"]
            return "failed", f"{message}\n{details.strip().splitlines()[-1] if details.strip() else ''}"
        return tuple(outcome["result"])

    def open(self, case: dict) -> tuple[str, str]:
        if case["reader"] == "session":
            return self.open_session(case)
        if case["reader"] == "csv":
            return self.import_csv(case)
        return self.in_worker(case)

    def settle(self, seconds: float = SETTLE_S) -> None:
        end = time.perf_counter() + seconds
        self.spin(lambda: time.perf_counter() >= end, seconds + 5)

    def shutdown(self) -> bool:
        self.heartbeat.stop()
        stopped = bool(self.window.shutdown(5.0))
        self.window.close()
        self.app.processEvents()
        return stopped


def _read_in_worker(case: dict) -> tuple[str, str]:
    """Compute thread: open the file with the reader the latent lab uses; the reader's own error is the
    expected answer (anything else escapes to the bridge's ``on_failed``)."""
    from vaeviz.core.data.datasets import DatasetError, read_idx
    from vaeviz.core.vae.checkpoint import CheckpointError, load_checkpoint
    from vaeviz.core.vae.lab_data import DataSource, load_files

    reader = case["reader"]
    try:
        if reader == "idx":
            value = read_idx(case["path"])
        elif reader == "checkpoint":
            value = load_checkpoint(case["path"])[1].config.describe()
        else:  # the lab's set-up job loads folders, .npz files and IDX pairs through load_files
            kind = {"idx-pair": "idx", "folder": "folder", "npz": "npz"}[reader]
            value = load_files(DataSource(kind, tuple(case["paths"] or [case["path"]])))
    except (DatasetError, CheckpointError) as exc:
        return "error", str(exc)
    shape = getattr(value, "shape", None) or getattr(getattr(value, "images", None), "shape", None)
    return "accepted", str(shape or value)


def _warm_up(harness: Harness, folder: Path) -> None:
    """Open one file per reader first (not measured): imports and first-call caches are not a bad file's
    cost."""
    import numpy as np

    from benchmarks import _robustness_files as files

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "images").mkdir(exist_ok=True)
    (folder / "images" / "a.png").write_bytes(files._png(6, 5))
    (folder / "images.npz").write_bytes(files._npz_bytes(images=np.zeros((2, 4, 4), np.uint8)))
    (folder / "images-idx3-ubyte").write_bytes(files._idx_bytes(np.zeros((2, 4, 4), np.uint8)))
    (folder / "m.safetensors").write_bytes(files._checkpoint_bytes(folder))
    (folder / "bad.json").write_text("{ not json", encoding="utf-8")
    (folder / "bad.csv").write_text("x,y\n1,abc\n", encoding="utf-8")
    for reader, path in (("folder", "images"), ("npz", "images.npz"), ("idx", "images-idx3-ubyte"),
                         ("checkpoint", "m.safetensors"), ("session", "bad.json"), ("csv", "bad.csv")):
        harness.open({"id": f"warm-up {reader}", "reader": reader, "path": str(folder / path), "paths": []})
    harness.settle(0.2)


def _changed(before: tuple, after: tuple) -> list[str]:
    """What differs between two :meth:`Harness.snapshot` results, e.g. ``["em.mixture", "points"]``."""
    changed = [f"{dock}.{key}" for dock, state in before[0].items()
               for key in sorted(set(state) | set(after[0].get(dock, {})))
               if state.get(key) != after[0].get(dock, {}).get(key)]
    names = ("points", "labels", "points version", "undo history", "last folder")
    return changed + [name for name, a, b in zip(names, before[1:], after[1:], strict=True) if a != b]


def _verdict(case: dict, outcome: str, message: str, unchanged: bool, extra_mb: float,
             limit_mb: float) -> list[str]:
    """Why a case is not clean (empty: it is)."""
    problems = []
    if outcome != "error":
        problems.append(f"outcome {outcome}")
    if not message.strip():
        problems.append("no message")
    if len(message) > SHORT_MESSAGE_CHARS:
        problems.append(f"message of {len(message):,} characters")
    internal = INTERNAL.search(message)
    if internal:
        problems.append(f"message names {internal.group(0)!r}")
    if not unchanged:
        problems.append("app state changed")
    if extra_mb > limit_mb:
        problems.append(f"peak RSS +{extra_mb:.0f} MB (limit {limit_mb:g} MB)")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rss-limit-mb", type=float, default=200.0)
    args = parser.parse_args(argv)

    from vaeviz.runtime import configure_process

    configure_process()
    harness = Harness()
    manifest = args.folder / "cases.json"
    if manifest.exists():
        cases = json.loads(manifest.read_text(encoding="utf-8"))
    else:
        from benchmarks._robustness_files import make_cases

        t0 = time.perf_counter()
        made = make_cases(args.folder / "files", harness.window.files.session_document(), quick=args.quick)
        cases = [c.to_dict() for c in made]
        if args.quick:  # the smoke test's subset: every eighth case, and each reader's last one
            last = {c["reader"]: i for i, c in enumerate(cases)}
            cases = [c for i, c in enumerate(cases) if i % 8 == 0 or last[c["reader"]] == i]
        manifest.write_text(json.dumps(cases), encoding="utf-8")
        emit("generated", {"seconds": round(time.perf_counter() - t0, 2)})
    emit("cases", cases)
    _warm_up(harness, args.folder / f"warm-up-{os.getpid()}")
    memory = PeakMemory()
    emit("ready", {"startup_s": round(harness.startup_s, 2), "memory_method": memory.method})
    harness.heartbeat.start()
    harness.settle(0.05)
    for index in range(args.start, len(cases)):
        case = cases[index]
        before = harness.snapshot()
        emit("start", {"index": index, "id": case["id"]})
        harness.settle()
        first_tick = len(harness.ticks) - 1
        memory.start()
        t0 = time.perf_counter()
        outcome, message = harness.open(case)
        duration = time.perf_counter() - t0
        after_end = time.perf_counter() + SETTLE_S
        harness.spin(lambda: harness.ticks[-1] > after_end, 5)  # noqa: B023 (the first beat after the case)
        extra = memory.extra_mb()
        ticks = harness.ticks[max(first_tick, 0):]
        gaps = [(b - a) * 1000 for a, b in zip(ticks, ticks[1:], strict=False)]
        stall = max(0.0, max(gaps, default=0.0) - HEARTBEAT_MS)
        after = before if outcome == "timeout" else harness.snapshot()
        changed = _changed(before, after)
        unchanged = not changed
        problems = _verdict(case, outcome, message, unchanged, extra, args.rss_limit_mb)
        emit("result", {"index": index, "id": case["id"], "reader": case["reader"], "outcome": outcome,
                        "message": message[:600], "message_chars": len(message), "clean": not problems,
                        "problems": problems, "changed": changed, "extra_rss_mb": round(extra, 1),
                        "stall_ms": round(stall, 2), "open_ms": round(duration * 1000, 2)})
        if outcome == "timeout":
            os._exit(5)  # the worker is stuck in that file: a fresh process takes the rest
        del harness.ticks[: max(first_tick, 0)]  # keep the list short
    from benchmarks._qt_wait import heartbeat_ticks

    idle = heartbeat_ticks(1.0, HEARTBEAT_MS)
    gaps = [(b - a) * 1000 for a, b in zip(idle, idle[1:], strict=False)]
    stopped = harness.shutdown()
    emit("done", {"idle_max_stall_ms": round(max(0.0, max(gaps) - HEARTBEAT_MS), 2),
                  "worker_stopped_cleanly": stopped})
    sys.stdout.flush()
    os._exit(0 if stopped else 3)  # no Qt/torch destructors at exit (a running QThread would abort)


if __name__ == "__main__":
    sys.exit(main())
