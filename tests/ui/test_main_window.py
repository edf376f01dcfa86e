"""The main window: docks and View menu, layout persistence, status bar, theme, device, help."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from vaeviz.core.jobs import Progress
from vaeviz.log_file import close_logging, configure_logging
from vaeviz.ui.dialogs import about_text
from vaeviz.ui.settings import LAYOUT_VERSION, AppSettings

DOCK_IDS = ["density", "em", "kl", "latent"]

OBJECT_NAMES = {"density": "DensityDock", "em": "EmDock", "kl": "KlDock", "latent": "LatentDock"}


def _view_menu(window):
    menus = {a.text().replace("&", ""): a.menu() for a in window.menuBar().actions()}
    return menus["View"]


def _hidden(window) -> set[str]:
    return {dock_id for dock_id, dock in window.docks.items() if dock.isHidden()}


def test_compute_thread_starts_once_the_window_is_on_screen(make_window, qtbot, monkeypatch):
    """torch's import (the compute thread's first act) must not hold the GIL while the window first paints."""
    window = make_window(show=False)
    exposed_at_start = []
    real_start = window.worker.start
    monkeypatch.setattr(window.worker, "start", lambda: (exposed_at_start.append(
        window.windowHandle().isExposed()), real_start()))
    with qtbot.waitSignal(window.docks_built, timeout=30000):
        window.show()
    qtbot.waitUntil(lambda: window.bridge.device_name != "", timeout=60000)
    assert exposed_at_start == [True]


# ----- docks and View menu -----------------------------------------------------------------
def test_four_docks_registered_with_object_names_and_view_toggles(window):
    assert list(window.docks) == DOCK_IDS
    view_actions = _view_menu(window).actions()
    for n, (dock_id, dock) in enumerate(window.docks.items(), start=1):
        assert dock.objectName() == OBJECT_NAMES[dock_id]
        assert dock.built
        toggle = dock.toggleViewAction()
        assert toggle in view_actions
        assert toggle.shortcut().toString() == f"Ctrl+{n}"
        figure = dock.figure_widget()  # one plot, or a panel of plots (the GMM & EM lab)
        assert isinstance(figure, pg.GraphicsView) or figure.findChildren(pg.GraphicsView)


def test_view_toggle_hides_and_shows_a_dock(window, qtbot):
    dock = window.docks["kl"]
    toggle = dock.toggleViewAction()
    assert toggle.isChecked() and not dock.isHidden()
    toggle.trigger()
    assert dock.isHidden() and not toggle.isChecked()
    toggle.trigger()
    assert not dock.isHidden() and toggle.isChecked()
    qtbot.waitUntil(dock.isVisible)  # re-shown docks are raised as a tab


def test_reset_layout_shows_every_dock_again(window):
    for dock_id in ("density", "latent"):
        window.docks[dock_id].toggleViewAction().trigger()
    assert _hidden(window) == {"density", "latent"}
    window.reset_layout_action.trigger()
    assert _hidden(window) == set()
    assert all(d.toggleViewAction().isChecked() for d in window.docks.values())
    assert window.settings.window_state() == (None, None)


def test_layout_saved_on_close_and_restored_by_next_window(make_window):
    first = make_window()
    first.docks["em"].toggleViewAction().trigger()
    assert _hidden(first) == {"em"}
    first.close()
    assert not first.worker.isRunning()
    second = make_window()
    assert _hidden(second) == {"em"}
    assert not second.docks["em"].toggleViewAction().isChecked()


@pytest.mark.parametrize("stale", ["layout_version key", "state version"])
def test_layout_of_another_layout_version_is_ignored(make_window, isolated_settings, stale):
    first = make_window()
    first.docks["em"].toggleViewAction().trigger()
    first.close()
    raw = QSettings(str(isolated_settings / "vaeviz.ini"), QSettings.Format.IniFormat)
    if stale == "layout_version key":
        raw.setValue("window/layout_version", str(LAYOUT_VERSION + 1))
    else:  # the key matches but the state itself was saved for another version
        raw.setValue("window/state", first.saveState(LAYOUT_VERSION + 1))
    raw.sync()
    second = make_window(show=False)
    assert _hidden(second) == set()
    if stale == "state version":
        assert "could not be restored" in second.status.currentMessage()


# ----- status bar ----------------------------------------------------------------------------
def test_status_bar_shows_device_and_idle_worker(window, qtbot):
    qtbot.waitUntil(lambda: window.status.device_label.text() == "device: cpu")
    qtbot.waitUntil(lambda: window.status.state_label.text() == "worker: idle")
    assert window.status.device_label.isVisible()
    assert not window.status.error_button.isVisible()


def _failing(ctx):
    yield Progress(fraction=0.1)
    raise RuntimeError("boom in the job")


def _answer(ctx):
    yield Progress(fraction=0.5)
    return 42


@pytest.fixture
def log_file():
    """The app's log file, written for the test's duration (into the test's settings folder)."""
    path = configure_logging()
    yield path
    close_logging()


def test_failing_job_shows_error_and_worker_keeps_working(window, qtbot, log_file):
    failures = []
    with qtbot.waitSignal(window.bridge.job_failed, timeout=10000):
        window.bridge.submit(_failing, "failing", on_failed=lambda m, d: failures.append(m))
    assert failures == ["RuntimeError: boom in the job"]
    button = window.status.error_button
    assert button.isVisible()
    # An internal error: plain words on the button, the exception's name and text behind it and in the log.
    assert "internal error" in button.text() and "RuntimeError" not in button.text()
    message, details = window.status.last_error()
    assert message == "RuntimeError: boom in the job"
    assert "Traceback (most recent call last)" in details and "_failing" in details
    logged = log_file.read_text(encoding="utf-8")
    assert "RuntimeError: boom in the job" in logged and "_failing" in logged
    button.click()
    box = window._error_dialog
    assert "boom in the job" in box.text() and "_failing" in box.detailedText()
    assert any(b.text() == "Open log" for b in box.buttons())
    box.close()

    results = []
    window.bridge.submit(_answer, "answer", on_finished=results.append)
    qtbot.waitUntil(lambda: results == [42], timeout=10000)
    qtbot.waitUntil(lambda: window.status.state_label.text() == "worker: idle")


def test_long_job_shows_progress_bar_eta_and_state(window, qtbot):
    release = threading.Event()

    def long_job(ctx):
        start, n = time.monotonic(), 0
        while not release.is_set() and time.monotonic() - start < 30:
            n += 1
            yield Progress(fraction=min(0.9, n / 200_000))

    status = window.status
    assert not status.progress.isVisible()
    done = []
    window.bridge.submit(long_job, "long demo", on_finished=done.append)
    try:
        qtbot.waitUntil(lambda: status.progress.isVisible() and status.eta_label.text().startswith("ETA"),
                        timeout=10000)
        assert status.eta_label.isVisible()
        assert 0 < status.progress.value() <= 900
        qtbot.waitUntil(lambda: status.state_label.text() == "worker: running long demo")
    finally:
        release.set()
    qtbot.waitUntil(lambda: len(done) == 1, timeout=10000)
    assert not status.progress.isVisible() and not status.eta_label.isVisible()


# ----- theme and device ------------------------------------------------------------------------
def _window_lightness() -> int:
    return QApplication.instance().palette().color(QPalette.ColorRole.Window).lightness()


def test_theme_override_changes_palette_and_is_remembered(window):
    window.theme_actions["dark"].trigger()
    assert window.dark and _window_lightness() < 100
    assert window.theme_actions["dark"].isChecked()
    window.settings.sync()
    assert AppSettings().theme == "dark"

    window.theme_actions["light"].trigger()
    assert not window.dark and _window_lightness() > 150
    window.settings.sync()
    assert AppSettings().theme == "light"
    window.set_theme("system")


def test_device_menu_switch_persists_and_emits_device_changed(window, qtbot):
    assert window.settings.device == "auto"
    with qtbot.waitSignal(window.bridge.device_changed, timeout=10000) as blocker:
        window.device_actions["cpu"].trigger()
    assert blocker.args[0] == "cpu"
    assert window.device_actions["cpu"].isChecked() and not window.device_actions["auto"].isChecked()
    window.settings.sync()
    assert AppSettings().device == "cpu"


# ----- help ------------------------------------------------------------------------------------
def test_shortcuts_dialog_lists_dock_toggle_and_save(window):
    window.shortcuts_action.trigger()
    dialog = window._shortcuts_dialog
    try:
        table = dialog.table
        rows = {(table.item(r, 0).text(), table.item(r, 1).text()) for r in range(table.rowCount())}
        assert ("Density", "Ctrl+1") in rows
        assert ("Save session…", "Ctrl+S") in rows
        assert dialog.isVisible() and not dialog.isModal()
    finally:
        dialog.close()


def test_about_text_lists_versions_and_device(window):
    import PySide6
    import torch
    from PySide6.QtCore import qVersion

    text = about_text(window.bridge)
    for name, version in [("Qt", qVersion()), ("PySide6", PySide6.__version__),
                          ("pyqtgraph", pg.__version__), ("torch", torch.__version__), ("device", "cpu")]:
        assert f"<b>{name}</b></td><td>{version}<" in text


# ----- start-up imports (subprocesses: this process has imported torch already) ----------------
def _run_python(code: str, tmp_path) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", VAEVIZ_CONFIG_DIR=str(tmp_path))
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True,
                          text=True, timeout=60, cwd=os.getcwd())


@pytest.mark.slow
def test_gui_modules_do_not_import_torch_or_pyqtgraph(tmp_path):
    result = _run_python("""
        import sys
        import vaeviz.app, vaeviz.ui.main_window
        assert "torch" not in sys.modules, "torch"
        assert "pyqtgraph" not in sys.modules, "pyqtgraph"
        print("clean")
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "clean"


@pytest.mark.slow
def test_showing_the_window_does_not_import_torch(tmp_path):
    result = _run_python("""
        import sys
        from vaeviz.app import start_gui
        app, window = start_gui()
        assert window.isVisible()
        assert "torch" not in sys.modules, "torch imported by the first show"
        assert "pyqtgraph" not in sys.modules, "pyqtgraph imported by the first show"
        window.close()
        assert window.shutdown(5.0)
        print("clean")
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "clean"
