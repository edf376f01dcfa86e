"""Degenerate input to the Density lab's estimators: a DensityInputError with a message, or a fit with a
note; never NaN, never another exception."""

from __future__ import annotations

import numpy as np
import pytest

from vaeviz.core.density.autoregressive import AutoregressiveSettings
from vaeviz.core.density.estimators import DensityInputError, split_held_out
from vaeviz.core.density.histogram import HistogramSettings
from vaeviz.core.density.kde import KdeSettings
from vaeviz.core.density.mixture import GmmSettings

RECT = (-3.0, -3.0, 3.0, 3.0)
ONE = np.array([[0.5, -0.25]])
IDENTICAL = np.tile([[1.0, 2.0]], (40, 1))
SPREAD = np.random.default_rng(0).normal(size=(200, 2))


def _all_finite_or_neginf(values):
    values = np.asarray(values)
    assert not np.isnan(values).any()
    assert not np.isposinf(values).any()


def _check_outputs(fitted):
    """Everything the lab asks of a fitted density: no NaN."""
    if fitted.dim == 2:
        _all_finite_or_neginf(fitted.log_density_grid(RECT, 32))
        for m in fitted.marginals(RECT, 32):
            assert np.isfinite(m).all()
        assert np.isfinite(fitted.conditional(0.5, np.linspace(-3, 3, 40))).all()
        assert np.isfinite(fitted.conditional(100.0, np.linspace(-3, 3, 40))).all()
    else:
        _all_finite_or_neginf(fitted.log_density_line(-3, 3, 32))
    _all_finite_or_neginf(fitted.log_density(np.zeros((3, fitted.dim))))
    assert np.isfinite(fitted.sample(20, 0)).all()


@pytest.mark.parametrize("settings", [HistogramSettings(), KdeSettings(), KdeSettings(0.5), GmmSettings(1),
                                      AutoregressiveSettings()],
                         ids=["histogram", "kde", "kde 0.5", "gmm", "autoregressive"])
@pytest.mark.parametrize("points", [np.zeros((0, 2)), np.zeros(0), [[np.nan, 1.0]], [[np.inf, 0.0]],
                                    "text", np.zeros((4, 3))],
                         ids=["N=0", "N=0 1-D", "NaN", "inf", "not numbers", "3-D"])
def test_density_unusable_points_are_refused_with_a_message(settings, points):
    with pytest.raises(DensityInputError) as err:
        settings.fit(points)
    assert str(err.value)


@pytest.mark.parametrize("bandwidth", [0, 0.0, -1.0, float("nan"), float("inf"), (0.5, 0.0), "wide", None])
def test_density_bad_bandwidths_are_refused(bandwidth):
    with pytest.raises(DensityInputError, match="bandwidth"):
        KdeSettings(bandwidth).fit(SPREAD)


@pytest.mark.parametrize("bins", [0, -3, 1.5, True, 10**6])
def test_density_bad_bins_are_refused(bins):
    with pytest.raises(DensityInputError, match="bins"):
        HistogramSettings(bins=bins).fit(SPREAD)
    with pytest.raises(DensityInputError, match="bins"):
        AutoregressiveSettings(bins=bins).fit(SPREAD)


@pytest.mark.parametrize("points", [ONE, IDENTICAL], ids=["N=1", "identical"])
def test_density_rules_without_spread_say_so(points):
    for rule in ("scott", "silverman", "held-out"):
        with pytest.raises(DensityInputError) as err:
            KdeSettings(rule).fit(points)
        assert "bandwidth" in str(err.value) or "points" in str(err.value)
    with pytest.raises(DensityInputError, match="identical|K ="):
        GmmSettings(1).fit(points)
    with pytest.raises(DensityInputError):
        AutoregressiveSettings("kde", "kde").fit(points)


@pytest.mark.parametrize("points", [ONE, IDENTICAL, IDENTICAL[:, :1]], ids=["N=1", "identical", "1-D"])
def test_density_estimators_that_can_fit_without_spread_do_with_a_note(points):
    hist = HistogramSettings(bins=5).fit(points)
    assert "widened" in hist.note
    _check_outputs(hist)
    kde = KdeSettings(0.3).fit(points)  # a bandwidth by hand needs no spread
    _check_outputs(kde)
    if points.shape[1] == 2:
        ar = AutoregressiveSettings(bins=4).fit(points)
        assert "widened" in ar.note
        _check_outputs(ar)


def test_density_an_all_equal_axis_is_widened_and_named():
    points = np.stack([np.linspace(-1, 1, 50), np.full(50, 0.3)], axis=1)
    hist = HistogramSettings(bins=8).fit(points)
    assert "same y" in hist.note
    _check_outputs(hist)
    with pytest.raises(DensityInputError, match="same y"):
        KdeSettings("scott", diagonal=True).fit(points)
    _check_outputs(KdeSettings("scott").fit(points))  # isotropic: the mean variance is > 0


def test_density_components_beyond_the_points_are_refused():
    with pytest.raises(DensityInputError, match="K = 5"):
        GmmSettings(5).fit(SPREAD[:3])
    with pytest.raises(DensityInputError, match="distinct"):
        GmmSettings(3).fit(np.array([[0.0, 0.0]] * 5 + [[1.0, 1.0]] * 5))
    for k in (0, -1, 21, 2.5, True):
        with pytest.raises(DensityInputError, match="components"):
            GmmSettings(k).fit(SPREAD)
    with pytest.raises(DensityInputError, match="covariance type"):
        GmmSettings(2, "round").fit(SPREAD)
    with pytest.raises(DensityInputError, match="floor"):
        GmmSettings(2, reg=0.0).fit(SPREAD)


def test_density_histogram_range_without_points_is_refused_and_partial_is_noted():
    with pytest.raises(DensityInputError, match="none of the"):
        HistogramSettings(bounds=(10.0, 10.0, 11.0, 11.0)).fit(SPREAD)
    hist = HistogramSettings(bounds=(-1.0, -1.0, 1.0, 1.0)).fit(SPREAD)
    assert "outside the range" in hist.note
    assert np.exp(hist.log_density_grid((-1.0, -1.0, 1.0, 1.0), 60)).sum() * (2 / 60) ** 2 == \
        pytest.approx(1.0)
    for bounds in [(1.0, 0.0, 0.0, 1.0), (0.0, 0.0, np.nan, 1.0)]:
        with pytest.raises(DensityInputError, match="rectangle"):
            HistogramSettings(bounds=bounds).fit(SPREAD)


def test_density_histogram_empty_bins_are_minus_infinity_not_nan():
    points = np.array([[0.1, 0.1], [0.9, 0.9]])
    hist = HistogramSettings(bins=4, bounds=(0.0, 0.0, 1.0, 1.0)).fit(points)
    grid = hist.log_density_grid((-1.0, -1.0, 2.0, 2.0), 30)
    assert np.isneginf(grid).any() and np.isfinite(grid).any() and not np.isnan(grid).any()
    assert np.array_equal(hist.conditional(0.5, [0.1, 0.5]), [0.0, 0.0])  # an empty column
    assert np.array_equal(hist.conditional(5.0, [0.1]), [0.0])  # outside the range


def test_density_held_out_needs_enough_points():
    with pytest.raises(DensityInputError, match="at least 5"):
        KdeSettings("held-out").fit(SPREAD[:4])
    with pytest.raises(DensityInputError, match="at least 2"):
        split_held_out(ONE)
    with pytest.raises(DensityInputError, match="fraction"):
        split_held_out(SPREAD, 1.5)


def test_density_2d_questions_of_a_1d_density_are_refused():
    fitted = KdeSettings(0.5).fit(SPREAD[:, 0])
    for call in (lambda: fitted.log_density_grid(RECT, 10), lambda: fitted.conditional(0.0, [0.0]),
                 lambda: fitted.marginals(RECT, 10)):
        with pytest.raises(DensityInputError):
            call()
    with pytest.raises(DensityInputError, match="1-D"):
        KdeSettings(0.5).fit(SPREAD).log_density_line(0, 1, 10)
    with pytest.raises(DensityInputError, match="coordinate"):
        fitted.log_density(SPREAD)


@pytest.mark.parametrize("res", [0, -1, 10**5, 2.5])
def test_density_bad_grid_sizes_are_refused(res):
    with pytest.raises(DensityInputError, match="cells"):
        KdeSettings(0.5).fit(SPREAD).log_density_grid(RECT, res)


def test_density_bad_sample_counts_and_conditioning_values_are_refused():
    fitted = GmmSettings(2).fit(SPREAD)
    for n in (-1, 2.5):
        with pytest.raises(DensityInputError, match="samples"):
            fitted.sample(n, 0)
    with pytest.raises(DensityInputError, match="conditioning"):
        fitted.conditional(np.nan, [0.0])
    with pytest.raises(DensityInputError, match="finite"):
        fitted.conditional(0.0, [np.inf])


def test_density_autoregressive_options_are_checked():
    with pytest.raises(DensityInputError, match="marginal"):
        AutoregressiveSettings(marginal="gmm").fit(SPREAD)
    with pytest.raises(DensityInputError, match="held-out"):
        AutoregressiveSettings("kde", "kde", bandwidth="held-out").fit(SPREAD)
    with pytest.raises(DensityInputError, match="2"):
        AutoregressiveSettings().fit(SPREAD[:, 0])


def test_density_tiny_and_huge_bandwidths_stay_finite_on_the_grid():
    for h in (1e-4, 1e4):
        fitted = KdeSettings(h).fit(SPREAD)
        grid = fitted.log_density_grid(RECT, 64)
        assert np.isfinite(grid).all()
        assert np.isfinite(fitted.marginals(RECT, 64)[0]).all()
        assert np.isfinite(fitted.log_density(SPREAD[:5])).all()
