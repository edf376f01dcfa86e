"""Export every registered preset to PNG, light and dark: the figures a lecturer would put on slides.

    python tools/preset_gallery.py OUT_DIR [--size 1000x700] [--only DOCK[/PRESET] ...]

Writes ``OUT_DIR/<dock>-<preset>-<theme>.png`` for each preset and theme, rendered headless the way
``vaeviz export`` does (inline compute, the figure alone at the given size). Used to compare figures
before and after a change (``tools/compare_pngs.py``) and to look at every preset a change touched.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def export_all(out: Path, size: str, only: list[str]) -> int:
    from PySide6.QtWidgets import QApplication

    from vaeviz.app import make_application
    from vaeviz.ui.docks.registry import all_presets, dock_class, find_preset
    from vaeviz.ui.export import export_widget, parse_size
    from vaeviz.ui.theme import apply_theme
    from vaeviz.workers.bridge import InlineRunner

    app = make_application()
    qsize = parse_size(size)
    failures = 0
    for ref in all_presets():
        if only and ref.dock_id not in only and f"{ref.dock_id}/{ref.name}" not in only:
            continue
        for theme in ("light", "dark"):
            start = time.monotonic()
            dark = apply_theme(app, theme)
            dock = dock_class(ref.dock_id)(InlineRunner())
            dock.apply_theme(dark)
            dock.ensure_built()
            path = out / f"{ref.dock_id}-{ref.name}-{theme}.png"
            try:
                find_preset(ref.dock_id, ref.name).apply(dock, None)
                figure = dock.figure_widget()
                figure.setParent(None)
                figure.resize(qsize)
                figure.show()
                QApplication.processEvents()
                export_widget(figure, path)
                figure.close()
                print(f"{path.name}: {time.monotonic() - start:.1f} s", flush=True)
            except Exception as exc:  # noqa: BLE001 - report and go on with the next preset
                failures += 1
                print(f"{path.name}: FAILED {type(exc).__name__}: {exc}", flush=True)
            finally:
                dock.shutdown()
                dock.deleteLater()
                QApplication.processEvents()
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--size", default="1000x700")
    parser.add_argument("--only", nargs="*", default=[], help="DOCK or DOCK/PRESET to export")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    code = export_all(args.out, args.size, args.only)
    sys.stdout.flush()
    os._exit(code)  # pyqtgraph items torn down at interpreter exit can crash; nothing is left to save


if __name__ == "__main__":
    raise SystemExit(main())
