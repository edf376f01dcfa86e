"""Titled images inside pyqtgraph layouts, and the PNG export of a strip of decodings."""

from __future__ import annotations

import os

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from vaeviz.ui.export import export_widget
from vaeviz.ui.items.cheap_items import FixedSizeLabel

# pixels of the exported strip per image pixel: 28-pixel decodings become 112-pixel tiles
STRIP_SCALE = 4


def display_rgba(array: np.ndarray) -> np.ndarray:
    """An image in [0, 1] (grey (H, W) or colour (H, W, 3)) as opaque (H, W, 4) uint8 RGBA.

    Qt draws a scaled RGBA image ~3× faster than a grey one (which it converts on every paint): about
    0.1 ms of each frame while dragging through the latent space.
    """
    a = np.asarray(array, dtype=np.float32)
    u8 = (np.clip(a, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    out = np.empty((*a.shape[:2], 4), np.uint8)
    out[..., :3] = u8[..., None] if a.ndim == 2 else u8[..., :3]
    out[..., 3] = 255
    return out


class ImageBox(pg.GraphicsLayout):
    """A title above a grey image in [0, 1] that keeps its aspect ratio (no mouse interaction)."""

    def __init__(self, title: str = "", title_size: str = "9pt", widest_title: str | None = None) -> None:
        """``widest_title``: for a title that changes often (coordinates while dragging), the longest it will
        be; the title is then sized once and changing it does not re-lay out the figure."""
        super().__init__()
        self.layout.setContentsMargins(2, 2, 2, 2)
        self.layout.setSpacing(0)
        self._size = title_size
        if widest_title is None:
            self.label = self.addLabel(title, row=0, col=0, size=title_size)
        else:
            self.label = FixedSizeLabel(widest_title, title, size=title_size)
            self.addItem(self.label, row=0, col=0)
        self.view = self.addViewBox(row=1, col=0, lockAspect=True, invertY=True, enableMouse=False)
        self.view.setMenuEnabled(False)
        self.view.setMouseEnabled(False, False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.view.addItem(self.image)
        self._shape: tuple[int, ...] | None = None

    def set_image(self, array: np.ndarray | None, title: str | None = None) -> None:
        if array is None:
            self.image.clear()
            self._shape = None
        else:
            self.image.setImage(display_rgba(array), levels=None, autoLevels=False)
            if array.shape != self._shape:  # re-fit only when the size changes: cheap while dragging
                self._shape = array.shape
                self.view.autoRange(padding=0.0)
        if title is not None:
            self.set_title(title)

    def set_title(self, text: str) -> None:
        self.label.setText(text, size=self._size)

    def has_image(self) -> bool:
        return self._shape is not None


def export_strip_png(image: np.ndarray, title: str, path: str | os.PathLike) -> QImage:
    """Write a strip of decodings as PNG through the export framework (an offscreen figure of its own).

    The strip alone, not the whole dock figure, so a slide gets just the row of images.
    """
    view = pg.GraphicsLayoutWidget()
    view.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
    view.setBackground("w")
    box = ImageBox(title, title_size="11pt")
    box.label.setAttr("color", "#202020")
    view.addItem(box)
    h, w = image.shape[:2]
    view.resize(w * STRIP_SCALE + 16, h * STRIP_SCALE + 44)
    view.show()  # a never-shown view has no layout yet; WA_DontShowOnScreen keeps it invisible
    box.set_image(image)
    try:
        return export_widget(view, path)
    finally:
        view.close()
        view.deleteLater()
