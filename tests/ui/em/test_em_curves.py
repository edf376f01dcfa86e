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
    assert len(view.ll_lines._lines) == 2 and len(view.ic_lines._lines) == 2  # ℓ and ℓc; BIC and AIC
    assert view.inf_text.isVisible()
    view.show_complete(False)
    assert view.curve("cll").size == 0 and len(view.ll_lines._lines) == 1
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
