"""vaeviz.core.contours against pyqtgraph's marching squares, which the EM dock used before.

``pg.functions.isocurve(data, level, connected=False)`` returns a list of [p, q] point pairs with
p = (i + 0.5 + interpolation, j + 0.5 + ...): grid point data[i, j] sits at (i + 0.5, j + 0.5), the
centre of its pixel, where :func:`contour_segments` puts it at (i, j). It marks corners "below" with
``data < level``, the same split as ``>=`` for "above". The two differ only in saddle cells, which
isocurve pairs by a fixed table: they are compared separately.
(This lives under tests/ui because importing pyqtgraph imports Qt; tests/core stays Qt-free.)
"""

import numpy as np
import pytest
from field_helpers import bumps

pg = pytest.importorskip("pyqtgraph")

from vaeviz.core.contours import contour_segments, segments_to_xy  # noqa: E402


def _isocurve(field: np.ndarray, level: float) -> np.ndarray:
    pairs = pg.functions.isocurve(field, level, connected=False)
    return np.array(pairs, dtype=np.float64).reshape(-1, 2, 2) - 0.5


def _canonical(segments: np.ndarray) -> np.ndarray:
    """Endpoints in lexicographic order within each segment, then segments sorted (keys rounded)."""
    seg = segments.copy()
    key = np.round(seg, 9)
    swap = (key[:, 0, 0] > key[:, 1, 0]) | ((key[:, 0, 0] == key[:, 1, 0]) & (key[:, 0, 1] > key[:, 1, 1]))
    seg[swap], key[swap] = seg[swap, ::-1], key[swap, ::-1]
    return seg[np.lexsort(key.reshape(-1, 4).T[::-1])]


def _saddles(field: np.ndarray, level: float) -> np.ndarray:
    """(i, j) of the cells whose diagonal corners are on the same side of the level, the others not."""
    up = field >= level
    c0, c1, c2, c3 = up[:-1, :-1], up[1:, :-1], up[1:, 1:], up[:-1, 1:]
    return np.argwhere((c0 == c2) & (c1 == c3) & (c0 != c1))


def _without_cells(segments: np.ndarray, cells: np.ndarray) -> np.ndarray:
    cell = np.floor(segments.mean(axis=1)).astype(int)
    drop = (cell[:, None, :] == cells[None, :, :]).all(axis=-1).any(axis=1)
    return segments[~drop]


def _gaussians(shape, seed) -> np.ndarray:
    return bumps(shape, seed, n=6, width=(4.0, 10.0))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_same_segments_as_isocurve_on_a_smooth_field(seed):
    field = _gaussians((64, 48), seed)  # not square: a swapped axis would show
    compared = 0
    for level in np.linspace(0.1, 0.9, 5) * field.max():
        ours, theirs = contour_segments(field, [level]), _isocurve(field, level)
        assert ours.shape == theirs.shape
        saddles = _saddles(field, level)
        ours, theirs = _without_cells(ours, saddles), _without_cells(theirs, saddles)
        assert len(ours) == len(theirs)
        np.testing.assert_allclose(_canonical(ours), _canonical(theirs), rtol=0, atol=1e-6)
        compared += len(ours)
    assert compared > 300


def test_saddles_differ_from_isocurve_only_where_expected():
    """Noise has many saddles: outside them the segments agree; in them both emit two segments, and
    isocurve's fixed pairing matches the centre rule in about half of them."""
    field = np.random.default_rng(5).normal(size=(30, 40))
    ours, theirs = contour_segments(field, [0.1]), _isocurve(field, 0.1)
    saddles = _saddles(field, 0.1)
    assert len(saddles) > 10 and ours.shape == theirs.shape
    np.testing.assert_allclose(_canonical(_without_cells(ours, saddles)),
                               _canonical(_without_cells(theirs, saddles)), rtol=0, atol=1e-6)
    same = 0
    for cell in saddles:
        mine = ours[(np.floor(ours.mean(axis=1)) == cell).all(axis=1)]
        other = theirs[(np.floor(theirs.mean(axis=1)) == cell).all(axis=1)]
        assert len(mine) == len(other) == 2
        same += np.allclose(_canonical(mine), _canonical(other), atol=1e-9)
    assert 0 < same < len(saddles)


def test_segments_to_xy_draws_where_the_dock_drew_isocurve():
    """The dock mapped isocurve's points with x0 + p * dx: the same place as segments_to_xy."""
    field = _gaussians((40, 30), 7)
    rect = (-2.0, 1.0, 6.0, 4.0)
    level = 0.4 * field.max()
    theirs = _canonical(_isocurve(field, level)) + 0.5
    x, y = segments_to_xy(_canonical(contour_segments(field, [level])), rect, field.shape)
    np.testing.assert_allclose(x, rect[0] + theirs[..., 0].ravel() * (rect[2] - rect[0]) / 40, atol=1e-9)
    np.testing.assert_allclose(y, rect[1] + theirs[..., 1].ravel() * (rect[3] - rect[1]) / 30, atol=1e-9)
