"""Command-line entry: ``vaeviz`` (the app), ``vaeviz --self-test`` and ``vaeviz export …``.

Only argparse and the standard library are imported before the arguments are read, so ``--help`` and
usage errors are instant and a missing display is reported in one line instead of a Qt plugin trace.
"""

from __future__ import annotations

import argparse
import os
import sys

import vaeviz
from vaeviz.log_file import configure_logging
from vaeviz.runtime import configure_process


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vaeviz", description="An interactive lab for the ideas behind Variational Auto-Encoders.")
    parser.add_argument("--version", action="version", version=f"vaeviz {vaeviz.__version__}")
    parser.add_argument("--self-test", action="store_true",
                        help="show the window, check the worker, export every dock, print one line, exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    export = sub.add_parser("export", help="render a dock preset to a file, headless",
                            description="Render a dock preset offscreen and write it "
                                        "(format from the extension).")
    export.add_argument("--list", action="store_true",
                        help="print one 'DOCK PRESET' line per registered preset")
    export.add_argument("--dock", help="dock name, e.g. em")
    export.add_argument("--preset", help="preset name, e.g. overview")
    export.add_argument("--out", help="output file: .png, .svg or .pdf")
    export.add_argument("--steps", type=int,
                        help="iterations to run before rendering (preset default if omitted)")
    export.add_argument("--size", help="figure size in pixels, WxH (default 1000x700)")
    return parser


def display_problem() -> str:
    """A one-line explanation when no display is reachable on Linux, else an empty string."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return ""
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return ""
    return ("vaeviz: no display found (DISPLAY and WAYLAND_DISPLAY are not set). Run it on a virtual screen "
            "with `xvfb-run -a make run`, or headless with QT_QPA_PLATFORM=offscreen.")


# Harmless warnings of Qt's offscreen platform, printed once per window; they would bury real output.
_QUIET_QT_MESSAGES = ("This plugin does not support propagateSizeHints()",)


def _quiet_qt_messages() -> None:
    from PySide6.QtCore import qInstallMessageHandler

    previous = None

    def handler(mode, context, message):
        if message in _QUIET_QT_MESSAGES:
            return
        if previous is not None:
            previous(mode, context, message)
        else:
            print(message, file=sys.stderr)

    previous = qInstallMessageHandler(handler)


GARBAGE_COLLECTOR_NAME = "vaeviz-garbage-collector"


def make_application(argv: list[str] | None = None):
    """Return the QApplication, creating it (with vaeviz's names) if needed, with garbage collection moved
    to the GUI thread's event loop (:mod:`vaeviz.ui.garbage_collection`)."""
    from PySide6.QtCore import QObject
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        _quiet_qt_messages()
        app = QApplication([sys.argv[0], *(argv or [])])
        app.setApplicationName("vaeviz")
        app.setOrganizationName("vaeviz")
        app.setApplicationVersion(vaeviz.__version__)
        app.setDesktopFileName("vaeviz")
    if app.findChild(QObject, GARBAGE_COLLECTOR_NAME) is None:
        from vaeviz.ui.garbage_collection import GuiThreadGarbageCollector

        collector = GuiThreadGarbageCollector(app)
        collector.setObjectName(GARBAGE_COLLECTOR_NAME)
    return app


def start_gui(argv: list[str] | None = None):
    """Create the application and the main window, show it, and return ``(app, window)``.

    The compute worker starts (and imports torch) right after the first show.
    """
    app = make_application(argv)
    from vaeviz.ui.main_window import MainWindow

    window = MainWindow()
    window.show()
    return app, window


def _close_on_signals(app, window) -> None:
    """Ctrl+C or SIGTERM close the window the normal way (layout saved, worker stopped)."""
    import signal

    from PySide6.QtCore import QTimer

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: window.close())
    # Python runs signal handlers only when it gets control; a cheap timer hands it control.
    timer = QTimer(app)
    timer.timeout.connect(lambda: None)
    timer.start(200)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)  # unknown flags: usage on stderr, exit 2
    configure_process()  # before anything imports numpy
    configure_logging()
    if args.command == "export":
        from vaeviz.export_cli import run_export

        return run_export(args)
    problem = display_problem()  # the self-test shows the window too: same one-line message
    if problem:
        print(problem, file=sys.stderr)
        return 1
    if args.self_test:
        from vaeviz.self_test import run_self_test

        return run_self_test()
    app, window = start_gui()
    _close_on_signals(app, window)
    code = app.exec()
    if not window.shutdown(2.0):
        # A job stuck inside one long computation: destroying its running QThread would abort, so leave
        # without running destructors; settings were saved when the window closed.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code
