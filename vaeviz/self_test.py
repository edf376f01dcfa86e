"""``vaeviz --self-test``: a quick end-to-end check of an installed or frozen vaeviz.

It shows the window, does a worker round trip with a small torch computation on the chosen device,
exports every dock to PNG in a temporary folder, runs each dock's own self-check, prints one summary
line and returns 0 (all passed) or 1 (naming what failed). Settings go to a temporary folder.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

SELF_CHECK_TIMEOUT_S = 180.0  # a dock's self-check may first train a quick model on a slow machine


def _torch_round_trip(ctx):
    """Runs in the compute thread: a matrix product on the device, checked against numpy."""
    import numpy as np
    import torch

    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((64, 32)), rng.standard_normal((32, 16))
    device = ctx.torch_device()
    product = (torch.tensor(a, device=device) @ torch.tensor(b, device=device)).cpu().numpy()
    if False:
        yield None
    return float(np.abs(product - a @ b).max())


def _wait(app, predicate: Callable[[], bool], timeout_s: float) -> bool:
    from vaeviz.ui.waiting import process_events_until

    return process_events_until(predicate, timeout_s)


def run_self_test() -> int:
    tmp = tempfile.TemporaryDirectory(prefix="vaeviz-self-test-")
    os.environ.setdefault("VAEVIZ_CONFIG_DIR", str(Path(tmp.name) / "settings"))
    from vaeviz.log_file import configure_logging

    configure_logging()  # into the temporary settings folder too
    from vaeviz.app import make_application
    from vaeviz.ui.export import export_widget, is_blank
    from vaeviz.ui.main_window import MainWindow

    app = make_application()
    window = MainWindow()
    window.show()
    failures: list[str] = []
    passed = 0

    def check(name: str, ok: bool, why: str = "") -> None:
        nonlocal passed
        if ok:
            passed += 1
        else:
            failures.append(f"{name} ({why})" if why else name)

    check("window shown", _wait(app, lambda: window.isVisible(), 10), "not visible after 10 s")
    check("worker started", _wait(app, lambda: bool(window.bridge.device_name), 60), "no device after 60 s")
    check("docks built", _wait(app, lambda: all(d.built for d in window.docks.values()), 30), "timeout")

    result: dict = {}
    window.bridge.request("self-test", _torch_round_trip, on_result=lambda r: result.setdefault("ok", r),
                          on_failed=lambda m, d: result.setdefault("error", m))
    _wait(app, lambda: bool(result), 60)
    if "ok" in result:
        check("worker round trip", result["ok"] < 1e-6, f"torch differs from numpy by {result['ok']:.2e}")
    else:
        check("worker round trip", False, result.get("error", "no answer after 60 s"))

    for dock in window.docks.values():
        dock.show()
        dock.raise_()
        app.processEvents()
        path = Path(tmp.name) / f"{dock.dock_id}.png"
        try:
            image = export_widget(dock.figure_widget(), path)
            check(f"export {dock.dock_id}", path.stat().st_size > 0 and not is_blank(image), "blank image")
        except Exception as exc:
            check(f"export {dock.dock_id}", False, f"{type(exc).__name__}: {exc}")
        answer: list[list[str]] = []
        try:
            dock.self_check(answer.append)
        except Exception as exc:
            answer.append([f"{type(exc).__name__}: {exc}"])
        if _wait(app, lambda answer=answer: bool(answer), SELF_CHECK_TIMEOUT_S):
            check(f"{dock.dock_id} self-check", not answer[0], "; ".join(answer[0]))
        else:
            check(f"{dock.dock_id} self-check", False, f"no answer after {SELF_CHECK_TIMEOUT_S:g} s")

    device = window.bridge.device_description or "?"
    torch_version = window.bridge.runtime.get("torch", "?")
    window.close()
    stopped = window.shutdown(2.0)
    check("worker shutdown", stopped, "still running after 2 s")
    tmp.cleanup()
    if failures:
        print(f"vaeviz self-test: FAILED {len(failures)} of {passed + len(failures)}: {', '.join(failures)}")
        return 1
    print(f"vaeviz self-test: OK, {passed} checks passed (device {device}, torch {torch_version})")
    return 0
