"""The EM curves' ranges: they contain the data and move in steps, not at every frame."""

from __future__ import annotations

import numpy as np

from vaeviz.ui.em.curves import CurvesView


def test_curve_ranges_contain_the_data_and_change_only_now_and_then(qtbot):
    view = CurvesView()
    qtbot.addWidget(view)
    ll_all = -2000 + 500 * (1 - np.exp(-np.arange(60) / 6.0))  # a typical rising log-likelihood
    ranges = []
    for n in range(2, 61):
        ll = ll_all[:n]
        nan = np.full(n, np.nan)
        view.set_history(ll, nan, -2 * ll, -2 * ll + 5, nan, np.arange(n) % 2 == 0)
        (x0, x1), (y0, y1) = view.ll.getViewBox().viewRange()
        assert x0 <= 0 and x1 >= n - 1 and y0 <= ll.min() and y1 >= ll.max()  # all of it on show
        assert x1 <= 2.5 * max(n - 1, 3.0) + 1e-9  # and not lost in a huge range
        ranges.append((x1, y0, y1))
    changes = sum(a != b for a, b in zip(ranges, ranges[1:], strict=False))
    assert changes < len(ranges) / 3  # auto-range changed it (and redrew the axes) at every frame
    x_changes = sum(a[0] != b[0] for a, b in zip(ranges, ranges[1:], strict=False))
    assert x_changes <= 5  # 4 → 7.5 → 15 → 30 → 50 → 75: the x range grows by half again or more


def test_curves_draw_the_finite_values_and_the_complete_one_on_demand(qtbot):
    view = CurvesView()
    qtbot.addWidget(view)
    ll = np.array([-50.0, -40.0, -35.0, np.inf])  # singular at the end: the curve stops
    cll = ll - 3.0
    km = np.array([9.0, 7.0, np.nan, np.nan])
    view.set_history(ll, cll, -2 * ll, -2 * ll + 1, km, np.array([False, False, True, False]))
    assert np.array_equal(view.curve("ll"), [[0, -50], [1, -40], [2, -35]])
    assert np.array_equal(view.curve("km"), [[0, 9], [1, 7]])
    assert len(view.ll_lines._lines) == 3 and len(view.ic_lines._lines) == 2  # ℓ, its rise, ℓc; BIC, AIC
    assert view.inf_text.isVisible()
    view.show_complete(False)
    assert view.curve("cll").size == 0 and len(view.ll_lines._lines) == 2
    view.show_complete(True)
    assert np.array_equal(view.curve("cll"), [[0, -53], [1, -43], [2, -38]])
    view.apply_theme(True)  # the k-means curve takes the theme's foreground
    assert view.km_lines._lines[0][1].color().name() == "#d8d8d8"


def test_a_curve_without_values_shows_a_plain_frame(qtbot):
    """Before k-means' first step its objective has no value: the plot showed pyqtgraph's range of no
    data, with ticks like "-1e-163"."""
    view = CurvesView()
    qtbot.addWidget(view)
    nan = np.full(1, np.nan)
    view.set_history(np.array([-2808.4]), nan, np.array([5700.0]), np.array([5690.0]), nan, np.array([False]))
    (x0, x1), (y0, y1) = view.km.getViewBox().viewRange()
    assert (x0, x1, y0, y1) == (0.0, 4.0, 0.0, 1.0)


def test_a_singular_frame_rises_to_plus_infinity_at_the_top(qtbot):
    """Problem ③ with the floor off: ℓ = +∞ at the collapse. The curve sat flat at its last finite value;
    it must go up to the top edge, with an arrow and "+∞" there."""
    view = CurvesView()
    qtbot.addWidget(view)
    ll = np.array([-2100.0, -2080.0, -2070.0, np.inf])
    nan = np.full(4, np.nan)
    view.set_history(ll, nan, -2 * ll, -2 * ll + 1, nan, np.array([False, False, True, False]))
    (_x0, _x1), (_y0, y1) = view.ll.getViewBox().viewRange()
    rise = view.curve("inf")
    assert np.array_equal(rise[0], [2, -2070.0]) and rise[-1][0] == 3 and rise[-1][1] == y1
    assert y1 > -2070.0 + 10  # room above the last finite value: the rise is visible
    assert view.inf_arrow.isVisible() and view.inf_arrow.pos().y() >= y1 - 0.02 * (y1 - _y0)
    assert "+∞" in view.inf_text.toPlainText()


def test_complete_ll_diving_far_below_is_marked_off_scale_not_squashing_ll(qtbot):
    """ℓ_c at −1e14 made the y range 1e14 high: ℓ and ℓ_c were two flat lines at the top."""
    view = CurvesView()
    qtbot.addWidget(view)
    ll = np.array([-2100.0, -2080.0, -2070.0, -2065.0, np.inf])
    cll = np.array([-2150.0, -2120.0, -2110.0, -1.2e14, np.nan])
    nan = np.full(5, np.nan)
    view.set_history(ll, cll, -2 * ll, -2 * ll + 1, nan, np.arange(5) % 2 == 0)
    (_x0, _x1), (y0, y1) = view.ll.getViewBox().viewRange()
    assert y1 - y0 < 1000 and y0 <= -2150.0  # ℓ and the in-scale ℓ_c are readable
    off = view.curve("off")
    assert np.array_equal(off, [[3, y0]])  # the −1.2e14 on the bottom edge …
    assert view.off_text.isVisible() and "1.2e+14" in view.off_text.toPlainText()  # … and said
    assert view.off_marks.isVisible()


def test_the_gap_between_complete_and_marginal_has_its_own_plot_and_the_caption_says_how(qtbot):
    view = CurvesView()
    qtbot.addWidget(view)
    ll = np.array([-2100.0, -2080.0, -2070.0])
    cll = ll - np.array([60.0, 30.0, 20.0])
    nan = np.full(3, np.nan)
    view.set_history(ll, nan, -2 * ll, -2 * ll, nan, np.array([False, False, True]))
    assert "gap" not in view.columns and "matched" not in view.caption_text()
    view.set_history(ll, cll, -2 * ll, -2 * ll, nan, np.array([False, False, True]))
    assert view.columns == ["ll", "gap", "ic", "w", "km"]
    assert np.allclose(view.curve("gap"), [[0, -60], [1, -30], [2, -20]])
    (_x0, _x1), (y0, y1) = view.gap.getViewBox().viewRange()
    assert y0 <= -60 and y1 >= -20 and y1 - y0 < 200  # the gap fills its plot: readable
    assert "matched to the components by their means at every step" in view.caption_text()
    view.show_kmeans(False)
    assert view.columns == ["ll", "gap", "ic", "w"]


def test_half_step_axes_tick_whole_numbers_and_an_empty_plot_shows_no_values(qtbot):
    """At half-step 0 the ℓ axes showed 0.2, 0.4, … and the empty k-means axis ticks like 5e-144."""
    view = CurvesView()
    qtbot.addWidget(view)
    nan = np.full(1, np.nan)
    view.set_history(np.array([-2808.4]), nan, np.array([5700.0]), np.array([5690.0]), nan, np.array([False]))
    for plot in (view.ll, view.ic, view.km):
        (x0, x1), _ = plot.getViewBox().viewRange()
        ticks = [v for _spacing, values in plot.getAxis("bottom").tickValues(x0, x1, 200) for v in values]
        assert ticks and all(float(v).is_integer() for v in ticks)
    assert not view.km.getAxis("left").style["showValues"] and view.km_empty.isVisible()
    assert view.ll.getAxis("left").style["showValues"]
    assert len(view.ll_dots.positions) == 1  # the lone init value is drawn (one point makes no line)
    view.set_history(np.array([-2808.4, -2500.0]), np.array([np.nan] * 2), np.array([5700.0, 5000.0]),
                     np.array([5690.0, 4990.0]), np.array([np.nan, 900.0]), np.array([False, False]))
    assert view.km.getAxis("left").style["showValues"] and not view.km_empty.isVisible()
