"""Export figures and windows: PNG, SVG and PDF.

Export functions return the result (a QImage for PNG, bytes for SVG and PDF) and write a file only when
given a path, atomically, so callers and tests can check pixels without files and a failed write never
leaves half a file behind. PNG of a pyqtgraph view goes through pyqtgraph's ImageExporter; SVG and PDF
are painted with QPainter into QSvgGenerator and Qt's PDF writer.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QPoint, QRect, QRectF, QSize, QSizeF
from PySide6.QtGui import QImage, QPageLayout, QPageSize, QPainter, QPdfWriter
from PySide6.QtWidgets import QGraphicsView, QWidget

from vaeviz.core.atomic import write_bytes_atomic

FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


class ExportError(ValueError):
    """An export that cannot be done; the message is for the user."""


def format_for(path: str | os.PathLike) -> str:
    """Return "png", "svg" or "pdf" from a file name; :class:`ExportError` for anything else."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        known = ", ".join(FORMATS)
        raise ExportError(f"unsupported format '{suffix or Path(path).name}' (use {known})")
    return FORMATS[suffix]


def parse_size(text: str) -> QSize:
    """Parse ``WxH`` (e.g. ``1200x800``); :class:`ExportError` if malformed or out of range."""
    try:
        w, h = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise ExportError(f"size must look like 1200x800, not '{text}'") from None
    if not (16 <= w <= 10000 and 16 <= h <= 10000):
        raise ExportError(f"size {w}x{h} is out of range (16 to 10000 pixels a side)")
    return QSize(w, h)


def _is_pg_view(widget: QWidget) -> bool:
    try:
        import pyqtgraph as pg
    except ImportError:  # pragma: no cover - pyqtgraph is a dependency
        return False
    return isinstance(widget, pg.GraphicsView)


def _png(widget: QWidget) -> QImage:
    if _is_pg_view(widget):
        from pyqtgraph.exporters import ImageExporter

        exporter = ImageExporter(widget.scene())
        exporter.parameters()["width"] = max(1, widget.width())
        image = exporter.export(toBytes=True)
        if isinstance(image, QImage) and not image.isNull():
            return image
    return widget.grab().toImage()


def _vector_views(widget: QWidget) -> list[QGraphicsView]:
    """The graphics views a figure is made of: itself, or its visible descendants (panels of plots)."""
    if isinstance(widget, QGraphicsView):
        return [widget]
    return [v for v in widget.findChildren(QGraphicsView) if v.isVisibleTo(widget)]


def _export_mode(view: QGraphicsView, on: bool) -> None:
    # What pyqtgraph's own exporters do: items paint for export (scatter points as vector paths instead
    # of cached pixmap fragments, which SVG viewers render poorly).
    scene = view.scene()
    for item in scene.items() if scene is not None else []:
        if hasattr(item, "setExportMode"):
            item.setExportMode(on, {"antialias": True} if on else None)


def _paint(widget: QWidget, painter: QPainter) -> None:
    """Paint ``widget``'s plots as vectors with ``painter``.

    A single QGraphicsView renders itself. A panel of plots (e.g. the GMM & EM lab's figure) is painted
    view by view, each clipped to its place: QWidget.render would not clip child views in SVG and would
    rasterise parts of them.
    """
    views = _vector_views(widget)
    if not isinstance(widget, QGraphicsView):
        painter.fillRect(widget.rect(), widget.palette().window())
    for view in views:
        rect = QRect(view.mapTo(widget, QPoint(0, 0)), view.size()) if view is not widget else widget.rect()
        _export_mode(view, True)
        painter.save()
        try:
            painter.setClipRect(rect)
            view.render(painter, QRectF(rect), view.viewport().rect())
        finally:
            painter.restore()
            _export_mode(view, False)


def _svg(widget: QWidget) -> bytes:
    # Qt's SVG generator rather than pyqtgraph's SVGExporter, which raises in correctCoordinates()
    # on the path data this Qt writes; QGraphicsView still paints vectors, so the SVG stays sharp.
    from PySide6.QtSvg import QSvgGenerator

    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    generator = QSvgGenerator()
    generator.setOutputDevice(buffer)
    generator.setSize(widget.size())
    generator.setViewBox(QRect(0, 0, widget.width(), widget.height()))
    # The screen's resolution: pyqtgraph's axes replay cached QPictures, which Qt rescales when the
    # device's resolution differs from the screen's (the axes would shrink against their plots).
    generator.setResolution(widget.logicalDpiX())
    generator.setTitle("vaeviz figure")
    painter = QPainter(generator)
    _paint(widget, painter)
    painter.end()
    return bytes(buffer.data())


def _pdf(widget: QWidget) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setResolution(72)  # one widget pixel = one PDF point, so the page fits the figure
    writer.setPageSize(QPageSize(QSizeF(widget.width(), widget.height()), QPageSize.Unit.Point))
    writer.setPageMargins(QMarginsF(0, 0, 0, 0), QPageLayout.Unit.Point)
    writer.setTitle("vaeviz figure")
    painter = QPainter(writer)
    _paint(widget, painter)  # QGraphicsView paints vectors, so the PDF stays sharp
    painter.end()
    buffer.close()
    return bytes(data)


def render(widget: QWidget, fmt: str) -> QImage | bytes:
    """Render a widget in a format ("png" -> QImage, "svg"/"pdf" -> bytes)."""
    if fmt not in FORMATS.values():
        raise ExportError(f"unsupported format '{fmt}'")
    if widget.width() < 1 or widget.height() < 1:
        raise ExportError("the figure has no size yet (is its dock hidden?)")
    return {"png": _png, "svg": _svg, "pdf": _pdf}[fmt](widget)


def to_bytes(result: QImage | bytes) -> bytes:
    """Encode a render result as file content (PNG-encode images)."""
    if isinstance(result, QImage):
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        if not result.save(buffer, "PNG"):
            raise ExportError("could not encode the image as PNG")
        return bytes(data)
    return result


def export_widget(widget: QWidget, path: str | os.PathLike | None = None,
                  fmt: str | None = None) -> QImage | bytes:
    """Render ``widget``; when ``path`` is given also write it (format from the extension unless ``fmt``).

    Raises :class:`ExportError` for an unknown format and ``OSError`` for an unwritable path; in both
    cases nothing is written.
    """
    if fmt is None:
        fmt = format_for(path) if path is not None else "png"
    result = render(widget, fmt)
    if path is not None:
        write_bytes_atomic(path, to_bytes(result))
    return result


def export_window(window: QWidget, path: str | os.PathLike | None = None) -> QImage:
    """The whole window as a PNG image (written when ``path`` is given)."""
    image = window.grab().toImage()
    if path is not None:
        if format_for(path) != "png":
            raise ExportError("the whole window is exported as PNG only")
        write_bytes_atomic(path, to_bytes(image))
    return image


def is_blank(image: QImage) -> bool:
    """Whether an image has a single colour (a render that drew nothing)."""
    if image.isNull() or image.width() == 0 or image.height() == 0:
        return True
    small = image.scaled(64, 64).convertToFormat(QImage.Format.Format_RGB32)
    first = small.pixel(0, 0)
    return all(small.pixel(x, y) == first for y in range(small.height()) for x in range(small.width()))
