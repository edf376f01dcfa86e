import numpy as np
import pytest

pytest.importorskip("pyqtgraph")

from vaeviz.ui.em.point_raster import PointRaster  # noqa: E402


def test_recolour_writes_owner_colours():
    from PySide6.QtWidgets import QApplication

    QApplication.instance() or QApplication([])
    raster = PointRaster(size_px=6, alpha=200)
    points = np.array([[1.0, 1.0], [8.0, 8.0]])
    raster.set_points(points, (0.0, 0.0, 10.0, 10.0), 100, 100)
    assert raster.n_points == 2 and raster.covered_pixels > 0
    raster.recolour(np.array([[255, 0, 0], [0, 0, 255]], dtype=np.uint8))
    img = raster.item.image
    assert tuple(img[10, 10]) == (255, 0, 0, 200)  # row 10 ~ y = 1, column 10 ~ x = 1
    assert tuple(img[80, 80]) == (0, 0, 255, 200)
    assert tuple(img[50, 50]) == (0, 0, 0, 0)
    with pytest.raises(ValueError):
        raster.recolour(np.zeros((3, 3), dtype=np.uint8))
