"""A small canvas to draw an image with the mouse, to encode it like a data point.

Strokes are painted white on black into a 280×280 image (smooth, anti-aliased lines) and downsampled
to the data's size (28×28 for the shapes and MNIST) with Qt's area-averaging scaler, the way MNIST's
digits were made from larger scans.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRect, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

RESOLUTION = 280  # drawing pixels per side, 10× the 28-pixel images
PEN_WIDTH = 24  # ~2.4 pixels at 28×28: MNIST's stroke width


class DrawCanvas(QWidget):
    """Mouse strokes → ``drawn`` with the image as a float32 array ``(H, W)`` in [0, 1]."""

    drawn = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("latentDrawCanvas")
        self.setFixedSize(168, 168)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Draw with the mouse; the drawing is encoded when you release the button")
        self.target_shape = (28, 28)
        self._image = QImage(RESOLUTION, RESOLUTION, QImage.Format.Format_Grayscale8)
        self._last: QPointF | None = None
        self.clear()

    # ----- drawing -------------------------------------------------------------------------------
    def _to_image(self, pos: QPointF) -> QPointF:
        return QPointF(pos.x() * RESOLUTION / self.width(), pos.y() * RESOLUTION / self.height())

    def _line(self, a: QPointF, b: QPointF) -> None:
        painter = QPainter(self._image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(255, 255, 255), PEN_WIDTH, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                            Qt.PenJoinStyle.RoundJoin))
        painter.drawLine(a, b)
        painter.end()
        self.update()

    def stroke(self, points: list[tuple[float, float]]) -> None:
        """Draw a polyline given in widget coordinates and emit ``drawn`` (what a mouse stroke does)."""
        pts = [self._to_image(QPointF(x, y)) for x, y in points]
        for a, b in zip(pts, pts[1:] or pts, strict=False):
            self._line(a, b)
        self.drawn.emit(self.array())

    def clear(self) -> None:
        self._image.fill(0)
        self.update()

    def is_empty(self) -> bool:
        return not self.array().any()

    def array(self) -> np.ndarray:
        """The drawing at ``target_shape``, float32 in [0, 1] (white strokes = 1, like the data)."""
        h, w = self.target_shape
        small = self._image.scaled(w, h, Qt.AspectRatioMode.IgnoreAspectRatio,
                                   Qt.TransformationMode.SmoothTransformation)
        small = small.convertToFormat(QImage.Format.Format_Grayscale8)
        stride = small.bytesPerLine()
        raw = np.frombuffer(small.constBits(), np.uint8, count=stride * h).reshape(h, stride)[:, :w]
        return raw.astype(np.float32) / 255.0

    # ----- Qt events ----------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._last = self._to_image(event.position())
            self._line(self._last, self._last)  # a click makes a dot

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._last is not None:
            point = self._to_image(event.position())
            self._line(self._last, point)
            self._last = point

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._last is not None and event.button() == Qt.MouseButton.LeftButton:
            self._last = None
            self.drawn.emit(self.array())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(QRect(0, 0, self.width(), self.height()), self._image)
        painter.setPen(QPen(self.palette().mid().color(), 1))
        painter.drawRect(0, 0, self.width() - 1, self.height() - 1)
        painter.end()
