"""``vaeviz export``: render a dock preset offscreen, headless, and write the file.

Errors the user can fix (unknown dock, preset or format, bad size, unwritable path) print one clear
line on stderr and exit 2; nothing is written unless the whole render succeeded.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

USAGE_ERROR = 2
DEFAULT_SIZE = "1000x700"


def _fail(message: str, code: int = USAGE_ERROR) -> int:
    print(f"vaeviz export: {message}", file=sys.stderr)
    return code


def run_export(args: argparse.Namespace) -> int:
    os.environ["QT_QPA_PLATFORM"] = "offscreen"  # headless whatever the session has
    from vaeviz.ui.docks.registry import all_presets, dock_class, find_preset

    if args.list:
        for ref in all_presets():
            print(f"{ref.dock_id} {ref.name}")
        return 0
    missing = [flag for flag, value in (("--dock", args.dock), ("--preset", args.preset), ("--out", args.out))
               if not value]
    if missing:
        return _fail(f"missing {', '.join(missing)} (or use --list)")
    from vaeviz.app import make_application
    from vaeviz.ui.export import ExportError, export_widget, format_for, parse_size

    try:
        preset = find_preset(args.dock, args.preset)
        format_for(args.out)
        size = parse_size(args.size or DEFAULT_SIZE)
    except (KeyError, ExportError) as exc:
        return _fail(exc.args[0] if exc.args else str(exc))
    if args.steps is not None and not 0 <= args.steps <= preset.max_steps:
        return _fail(f"--steps must be from 0 to {preset.max_steps:,} for {args.dock}/{args.preset}")
    folder = Path(args.out).parent
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        return _fail(f"cannot write to {args.out}: folder {folder} is missing or not writable")

    make_application()
    from PySide6.QtWidgets import QApplication

    from vaeviz.workers.bridge import InlineRunner

    dock = dock_class(args.dock)(InlineRunner())
    dock.ensure_built()
    try:
        preset.apply(dock, args.steps)
    except Exception as exc:  # a preset bug is not a usage error
        return _fail(f"preset '{args.preset}' failed: {type(exc).__name__}: {exc}", 1)
    figure = dock.figure_widget()
    figure.setParent(None)  # render the figure alone, at exactly the asked size
    figure.resize(size)
    figure.show()
    QApplication.processEvents()
    try:
        export_widget(figure, args.out)
    except ExportError as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"cannot write to {args.out}: {exc.strerror or exc}")
    except Exception as exc:  # a render bug: say so in one line, write nothing
        return _fail(f"rendering failed: {type(exc).__name__}: {exc}", 1)
    finally:
        figure.close()
        dock.shutdown()
    print(f"wrote {args.out} ({args.dock} {args.preset}, {size.width()}x{size.height()})")
    return 0
