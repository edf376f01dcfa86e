
import numpy as np
import pytest
from field_helpers import bumps

from vaeviz.core.contours import contour_segments, segments_to_xy


def _reference(field: np.ndarray, level: float) -> np.ndarray:
    """Textbook marching squares, one cell at a time: the crossings around the cell, paired."""
    corners = [(0, 0), (1, 0), (1, 1), (0, 1)]  # counter-clockwise; edge e joins corners e and e + 1
    segments = []
    for i in range(field.shape[0] - 1):
        for j in range(field.shape[1] - 1):
            v = [field[i + di, j + dj] for di, dj in corners]
            if not np.all(np.isfinite(v)):
                continue
            up = [x >= level for x in v]
            points = []
            for e in range(4):
                a, b = e, (e + 1) % 4
                if up[a] != up[b]:
                    t = (level - v[a]) / (v[b] - v[a])
                    points.append(tuple(np.add((i, j), corners[a]) + t * np.subtract(corners[b], corners[a])))
            if len(points) == 2:
                segments.append(points)
            elif len(points) == 4:  # saddle: the corners on the centre's side are joined through it
                if up[1] == (np.mean(v) >= level):  # cut off corners 0 and 2
                    segments += [[points[3], points[0]], [points[1], points[2]]]
                else:
                    segments += [[points[0], points[1]], [points[2], points[3]]]
    return np.array(segments, dtype=np.float64).reshape(-1, 2, 2)


def _canonical(segments: np.ndarray) -> np.ndarray:
    """Segments with their endpoints in lexicographic order, then sorted: order-free comparison.

    The keys are rounded first, so that last-bit differences between two computations do not reorder
    them, then the exact values break ties (near-zero-length segments)."""
    seg = np.asarray(segments, dtype=np.float64).reshape(-1, 2, 2).copy()
    key = np.concatenate([np.round(seg, 9), seg], axis=-1)  # (M, 2 endpoints, 4)
    differ = key[:, 0] != key[:, 1]
    first = differ.argmax(axis=1)
    rows = np.arange(len(seg))
    swap = differ.any(axis=1) & (key[rows, 0, first] > key[rows, 1, first])
    seg[swap], key[swap] = seg[swap, ::-1], key[swap, ::-1]
    flat = key.transpose(0, 2, 1).reshape(-1, 8)  # rounded (i0, i1, j0, j1), then exact
    order = np.lexsort(flat[:, [0, 2, 1, 3, 4, 6, 5, 7]].T[::-1])
    return seg[order]


def _intersect(p, q) -> bool:
    """Whether segments p and q cross or touch (collinear overlaps do not occur here)."""
    def orient(a, b, c):
        return np.sign((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]))
    return (orient(p[0], p[1], q[0]) != orient(p[0], p[1], q[1])
            and orient(q[0], q[1], p[0]) != orient(q[0], q[1], p[1]))


def _smooth_field(shape=(48, 37), seed=3) -> np.ndarray:
    return bumps(shape, seed)


@pytest.mark.parametrize("radius", [5.0, 9.3, 20.0])
def test_radial_field_gives_a_closed_circle(radius):
    ii, jj = np.mgrid[0:64, 0:60].astype(np.float64)
    centre = (31.3, 29.6)
    seg = contour_segments(np.hypot(ii - centre[0], jj - centre[1]), [radius])
    dist = np.hypot(seg[..., 0] - centre[0], seg[..., 1] - centre[1])
    # Linear interpolation of a distance along a unit edge is off by at most (1/8)·|f''| = 1/(8r).
    np.testing.assert_array_less(np.abs(dist - radius), 1.0 / (8 * radius))
    length = np.hypot(*(seg[:, 1] - seg[:, 0]).T).sum()
    assert abs(length - 2 * np.pi * radius) < 0.01 * 2 * np.pi * radius
    # Closed: every endpoint is shared by exactly two segments, bit for bit.
    _, counts = np.unique(seg.reshape(-1, 2), axis=0, return_counts=True)
    assert set(counts) == {2}


def test_linear_field_gives_one_straight_line_across_the_grid():
    a, b, c = 0.3, -0.7, 2.0
    ii, jj = np.mgrid[0:20, 0:30].astype(np.float64)
    field = a * ii + b * jj + c
    for level in (-5.0, -1.2345, 0.5):
        seg = contour_segments(field, [level])
        assert len(seg) > 5
        np.testing.assert_allclose(a * seg[..., 0] + b * seg[..., 1] + c, level, atol=1e-9)
        # Straight and without gaps or overlaps: the pieces add up to the distance between the extremes,
        # which lie on the border of the grid.
        pts = seg.reshape(-1, 2)
        along = pts @ np.array([b, -a])  # coordinate along the line's direction
        ends = pts[[along.argmin(), along.argmax()]]
        pieces = np.hypot(*(seg[:, 1] - seg[:, 0]).T).sum()
        assert pieces == pytest.approx(np.hypot(*(ends[1] - ends[0])), rel=1e-12)
        on_border = np.isclose(ends[:, 0], 0) | np.isclose(ends[:, 0], 19) | np.isclose(ends[:, 1], 0) \
            | np.isclose(ends[:, 1], 29)
        assert on_border.all()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_endpoints_lie_on_the_edges_of_their_cell(seed):
    field = np.random.default_rng(seed).normal(size=(17, 23))  # noise: every case, many saddles
    seg = contour_segments(field, [-0.5, 0.0, 0.7])
    assert len(seg) > 50
    integral = seg == np.round(seg)
    assert integral.any(axis=-1).all()
    assert (seg >= 0).all() and (seg[..., 0] <= 16).all() and (seg[..., 1] <= 22).all()
    cell = np.floor(seg.mean(axis=1))  # both endpoints on the boundary of the cell of the midpoint
    assert ((seg >= cell[:, None, :]) & (seg <= cell[:, None, :] + 1)).all()


@pytest.mark.parametrize("seed", [0, 1])
def test_matches_a_cell_by_cell_reference(seed):
    rng = np.random.default_rng(seed)
    for field in (_smooth_field(seed=seed), rng.normal(size=(15, 21))):
        for level in (-0.3, 0.2, 0.5, 1.1):
            got = contour_segments(field, [level])
            want = _reference(field, level)
            assert got.shape == want.shape
            np.testing.assert_allclose(_canonical(got), _canonical(want), rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    ("field", "level", "cut"),
    [
        ([[1.0, 0.0], [0.0, 1.0]], 0.5, {(1, 0), (0, 1)}),  # centre 0.5 >= level: the high corners join
        ([[1.0, 0.0], [0.0, 1.0]], 0.4, {(1, 0), (0, 1)}),
        ([[1.0, 0.0], [0.0, 1.0]], 0.6, {(0, 0), (1, 1)}),  # centre below: the low corners join
        ([[0.0, 1.0], [1.0, 0.0]], 0.5, {(0, 0), (1, 1)}),
        ([[0.0, 1.0], [1.0, 0.0]], 0.6, {(0, 1), (1, 0)}),
    ],
)
def test_saddle_is_resolved_by_the_centre(field, level, cut):
    seg = contour_segments(np.array(field), [level])
    assert seg.shape == (2, 2, 2)
    assert not _intersect(seg[0], seg[1])
    # Each segment runs between the two edges that meet at the corner it cuts off.
    corners = set()
    for s in seg:
        i_edge = s[s[:, 0] == np.round(s[:, 0])][0, 0]
        j_edge = s[s[:, 1] == np.round(s[:, 1])][-1, 1]
        corners.add((int(i_edge), int(j_edge)))
    assert corners == cut


def test_nan_cells_give_no_segments():
    field = _smooth_field()
    clean = contour_segments(field, [0.4])
    cell = np.floor(clean.mean(axis=1)).astype(int)
    i, j = cell[len(cell) // 2] + 1  # a grid point that is a corner of a crossed cell
    holed = field.copy()
    holed[i, j] = np.nan
    got = contour_segments(holed, [0.4])
    touching = (np.abs(cell[:, 0] - i + 0.5) < 1) & (np.abs(cell[:, 1] - j + 0.5) < 1)
    assert 0 < touching.sum() <= 4
    np.testing.assert_array_equal(got, clean[~touching])
    assert len(contour_segments(np.full((5, 5), np.nan), [0.0])) == 0
    inf = field.copy()
    inf[i, j] = np.inf
    assert np.isfinite(contour_segments(inf, [0.4])).all()


def test_nothing_to_contour_gives_an_empty_array():
    for field, levels in [
        (np.full((6, 7), 3.0), [1.0, 3.0, 5.0]),  # a level equal to every value: all "above", no crossing
        (_smooth_field(), [10.0, -1.0, np.nan]),
        (_smooth_field(), []),
        (np.zeros((0, 0)), [0.0]),
        (np.arange(10.0)[None, :], [4.5]),
        (np.arange(10.0)[:, None], [4.5]),
    ]:
        got = contour_segments(field, levels)
        assert got.shape == (0, 2, 2) and got.dtype == np.float64
    with pytest.raises(ValueError, match="2-D"):
        contour_segments(np.arange(10.0), [4.5])


def test_levels_through_grid_points():
    ii, jj = np.mgrid[0:6, 0:5]
    field = ii + jj  # integers: the level 3 runs through the grid points i + j = 3
    seg = contour_segments(field, [3])
    assert np.isfinite(seg).all()
    np.testing.assert_array_equal(seg[..., 0] + seg[..., 1], 3.0)
    # Cells that only touch the line at a corner give zero-length segments; the rest cover it once.
    length = np.hypot(*(seg[:, 1] - seg[:, 0]).T).sum()
    assert length == pytest.approx(3 * np.sqrt(2))


def test_segments_are_grouped_by_level_in_the_given_order():
    field = _smooth_field()
    levels = [0.5, 0.2, 0.8, 0.2]
    got = contour_segments(field, levels)
    want = np.concatenate([contour_segments(field, [lv]) for lv in levels])
    np.testing.assert_array_equal(got, want)


def test_float32_and_transposed_fields_agree_with_float64():
    field = _smooth_field().astype(np.float32)
    level = float(field[20, 17])  # a value of the field itself: the ">=" tie must follow float64
    # Just above a float32 value, a level rounds down to it in float32: that value must stay "below".
    for lv in (level, np.nextafter(level, -np.inf), np.nextafter(level, np.inf), 0.1):
        want = contour_segments(field.astype(np.float64), [lv])
        np.testing.assert_array_equal(contour_segments(field, [lv]), want)
        # The transposed grid is walked in another order, with the same arithmetic per edge.
        np.testing.assert_array_equal(_canonical(contour_segments(np.asfortranarray(field), [lv])),
                                      _canonical(want))
        transposed = contour_segments(field.T, [lv])[..., ::-1]
        np.testing.assert_array_equal(_canonical(transposed), _canonical(want))
    ints = np.tile(np.arange(37), (48, 1))  # other dtypes are contoured as float64
    np.testing.assert_array_equal(contour_segments(ints, [10.5]), contour_segments(ints * 1.0, [10.5]))
    assert len(contour_segments(ints, [10.5])) == 47


def test_segments_to_xy_maps_grid_points_to_cell_centres():
    seg = np.array([[[0.0, 0.0], [3.0, 1.5]], [[2.0, 4.0], [0.5, 0.0]]])
    x, y = segments_to_xy(seg, (-1.0, 10.0, 3.0, 20.0), (4, 5))
    np.testing.assert_allclose(x, [-0.5, 2.5, 1.5, 0.0])  # cells 1 wide, centres at -0.5 .. 2.5
    np.testing.assert_allclose(y, [11.0, 14.0, 19.0, 11.0])  # cells 2 tall, centres at 11 .. 19
    x, y = segments_to_xy(np.zeros((0, 2, 2)), (0, 0, 1, 1), (3, 3))
    assert x.shape == y.shape == (0,)
