"""Render resources/icons/vaeviz.svg to PNG(s) with Qt's SVG renderer (headless).

Usage (from the repository root):

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/render_icon.py            # vaeviz.png, 256x256
    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/render_icon.py --size 32 --out /tmp/icon32.png
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"


def render(svg: Path, out: Path, size: int) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])  # noqa: F841 (keeps Qt alive)
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"render_icon: cannot parse {svg}")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    if not image.save(str(out), "PNG"):
        raise SystemExit(f"render_icon: cannot write {out}")
    print(f"wrote {out} ({size}x{size})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--svg", type=Path, default=ICONS / "vaeviz.svg")
    parser.add_argument("--out", type=Path, default=ICONS / "vaeviz.png")
    parser.add_argument("--size", type=int, default=256)
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    render(args.svg, args.out, args.size)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
