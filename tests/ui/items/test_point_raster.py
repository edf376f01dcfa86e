import numpy as np
import pytest

pytest.importorskip("pyqtgraph")

from vaeviz.ui.items.point_raster import PointRaster  # noqa: E402


def test_recolour_writes_owner_colours():
    from PySide6.QtWidgets import QApplication

    QApplication.instance() or QApplication([])
    raster = PointRaster(size_px=6, alpha=200)
    points = np.array([[1.0, 1.0], [8.0, 8.0]])
    raster.set_points(points, (0.0, 0.0, 10.0, 10.0), 100, 100)
    assert raster.n_points == 2 and raster.covered_pixels > 0
    raster.recolour(np.array([[255, 0, 0], [0, 0, 255]], dtype=np.uint8))
    img = raster.item.image
    assert tuple(img[89, 10]) == (255, 0, 0, 200)  # rows top-down: row 89 ~ y = 1, column 10 ~ x = 1
    assert tuple(img[19, 80]) == (0, 0, 255, 200)
    assert tuple(img[50, 50]) == (0, 0, 0, 0)
    with pytest.raises(ValueError):
        raster.recolour(np.zeros((3, 3), dtype=np.uint8))
    raster.recolour_packed(np.array([0x00FF00, 0x0000FF], dtype=np.uint32))  # b << 16 | g << 8 | r
    assert tuple(img[89, 10]) == (0, 255, 0, 200) and tuple(img[19, 80]) == (255, 0, 0, 200)
    with pytest.raises(ValueError, match="expected 2 packed colours"):
        raster.recolour_packed(np.zeros(3, dtype=np.uint32))


def test_point_at_finds_the_point_drawn_under_a_position():
    from PySide6.QtWidgets import QApplication

    QApplication.instance() or QApplication([])
    raster = PointRaster(size_px=6, alpha=200)
    raster.set_points(np.array([[1.0, 1.0], [8.0, 8.0], [8.4, 8.0]]), (0.0, 0.0, 10.0, 10.0), 100, 100)
    assert raster.point_at(1.0, 1.0) == 0
    assert raster.point_at(1.2, 0.9) == 0  # within the 6-pixel disc (0.3 units)
    assert raster.point_at(7.95, 8.0) == 1 and raster.point_at(8.45, 8.0) == 2  # overlapping discs
    assert raster.point_at(8.2, 8.0) in (1, 2)
    assert raster.point_at(5.0, 5.0) is None and raster.point_at(-1.0, 1.0) is None
    assert raster.point_at(1.0, 10.5) is None
