"""An image item that costs little per repaint: the EM scatters' density, Voronoi cells and point rasters.

pyqtgraph's ``ImageItem`` gives Qt a non-premultiplied RGBA image (or an indexed one through a lookup
table) and draws it through the view's y-flipping, slightly scaled transform, which takes Qt's slow
transformed-image path at every repaint even when nothing changed: ~0.5 ms for a point raster the size of
the plot, ~0.6 ms for the indexed Voronoi cells, measured in the EM dock. :class:`FastImage` draws

* an opaque image (``"rgb32"``, Qt's native ``0xffRRGGBB``) scaled into its rectangle: ~0.1 ms at 256²;
* a raster made at the view's own pixel size 1:1 at a whole device pixel (a plain blit, ~0.1 ms), its
  rows stored top-down as the screen shows them; any other transform (zoom before the raster is
  rebuilt, an export at another size) falls back to a scaled draw.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QImage

FORMATS = {"rgb32": QImage.Format.Format_RGB32, "rgba8888": QImage.Format.Format_RGBA8888}


class FastImage(pg.GraphicsObject):
    """``pixels`` shown in the data rectangle ``rect`` = (x0, y0, x1, y1), row 0 at the top (y1).

    ``pixels`` is (H, W) uint32 for "rgb32" (see :func:`vaeviz.ui.items.pixels.pack_rgb32`) or (H, W, 4)
    uint8 RGBA for "rgba8888". The item keeps the
    array and draws from its memory: after changing it in place, call :meth:`changed`.
    """

    def __init__(self) -> None:
        super().__init__()
        self._pixels: np.ndarray | None = None
        self._qimage: QImage | None = None
        self._rect = QRectF()

    @property
    def image(self) -> np.ndarray | None:
        return self._pixels

    def set_image(self, pixels: np.ndarray, rect: tuple[float, float, float, float],
                  fmt: str = "rgb32", pixel_ratio: float = 1.0) -> None:
        x0, y0, x1, y1 = rect
        if fmt not in FORMATS:
            raise ValueError(f"unknown image format {fmt!r}: expected one of {sorted(FORMATS)}")
        wanted = (np.uint32, 2) if fmt == "rgb32" else (np.uint8, 3)
        if pixels.dtype != wanted[0] or pixels.ndim != wanted[1]:
            raise ValueError(f"{fmt} wants a {wanted[1]}-D {np.dtype(wanted[0]).name} array, "
                             f"got {pixels.ndim}-D {pixels.dtype}")
        self._pixels = np.ascontiguousarray(pixels)
        h, w = self._pixels.shape[:2]
        self._qimage = QImage(self._pixels.data, w, h, self._pixels.strides[0], FORMATS[fmt])
        self._qimage.setDevicePixelRatio(pixel_ratio)
        new = QRectF(x0, y0, x1 - x0, y1 - y0)
        if new != self._rect:
            self.prepareGeometryChange()
            self._rect = new
        self.update()

    def changed(self) -> None:
        """The pixels were changed in place: repaint."""
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt's name)
        return QRectF(self._rect)

    def paint(self, painter, *args) -> None:
        image = self._qimage
        if image is None or self._rect.isEmpty():
            return
        transform = painter.transform()
        target = transform.mapRect(self._rect)  # in the painter's (logical) pixels
        ratio = image.devicePixelRatio()
        one_to_one = (not transform.isRotating() and transform.m11() > 0 > transform.m22()
                      and not self._exportOpts
                      and abs(target.width() * ratio - image.width()) < 1.0
                      and abs(target.height() * ratio - image.height()) < 1.0)
        painter.save()
        # a blit: no scaling, no flip (the view's y axis points up, the rows down), whole pixels
        if one_to_one:
            painter.resetTransform()
            painter.drawImage(QPointF(round(target.left() * ratio) / ratio,
                                      round(target.top() * ratio) / ratio),
                              image)
        else:  # row 0 at y1: flip about the rectangle's middle
            painter.translate(0.0, self._rect.top() + self._rect.bottom())
            painter.scale(1.0, -1.0)
            painter.drawImage(self._rect, image)
        painter.restore()
