"""The Density lab's estimators against references: scikit-learn's KDE, the exact sum, normalisation,
held-out likelihood, the autoregressive factorisation, and determinism."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.neighbors import KernelDensity

from vaeviz.core.data.density_presets import make_density_preset
from vaeviz.core.density.autoregressive import AutoregressiveSettings, FittedAutoregressive
from vaeviz.core.density.estimators import line_centres, split_held_out
from vaeviz.core.density.histogram import HistogramSettings
from vaeviz.core.density.kde import KdeSettings, held_out_bandwidth_steps
from vaeviz.core.density.mixture import GmmFitProgress, GmmSettings, gmm_fit_steps
from vaeviz.core.grid import cell_centres

RECT = (-9.0, -8.0, 9.0, 10.0)  # wide around the blobs preset (means at ±3, σ = 0.8)
LINE = (-30.0, 30.0)  # wide around the 1-D mixture (±10, σ 2 and 3)


@pytest.fixture(scope="module")
def blobs():
    return make_density_preset("blobs", 3000, seed=0).points


@pytest.fixture(scope="module")
def line_points():
    return make_density_preset("1-D mixture", 800, seed=0).points


def _grid_points(rect, res):
    xs, ys = cell_centres(rect, res)
    gx, gy = np.meshgrid(xs, ys)
    return np.stack([gx.ravel(), gy.ravel()], axis=1)


def _cell_area(rect, res):
    return (rect[2] - rect[0]) * (rect[3] - rect[1]) / res**2


# --- KDE against references -------------------------------------------------------------------------

@pytest.mark.parametrize("bandwidth", ["scott", 0.15, 1.5, (0.4, 0.9)])
def test_density_binned_fft_kde_equals_the_direct_sum_on_the_grid(blobs, bandwidth):
    # Tolerance: 1e-3 of the peak density (linear binning is second order in spacing / bandwidth);
    # covers the FFT path (narrow kernels), the matrix path (1.5: reaches beyond the rectangle) and a
    # diagonal bandwidth.
    kde = KdeSettings(bandwidth).fit(blobs)
    res = 200
    binned = np.exp(kde.log_density_grid(RECT, res))
    exact = np.exp(kde.log_density(_grid_points(RECT, res))).reshape(res, res)
    assert np.abs(binned - exact).max() <= 1e-3 * exact.max()


@pytest.mark.parametrize("bandwidth", [0.15, 0.4, (0.2, 0.6)])
def test_density_draft_kde_is_within_a_colour_step_of_the_direct_sum(blobs, bandwidth):
    # A drag's frames: coarser nodes (h/3), off by less than one of 256 colour steps of the peak; its
    # values at points stay the exact sums.
    kde = KdeSettings(bandwidth).fit(blobs)
    draft = kde.draft()
    res = 128
    exact = np.exp(kde.log_density(_grid_points(RECT, res))).reshape(res, res)
    binned = np.exp(draft.log_density_grid(RECT, res))
    assert np.abs(binned - exact).max() <= exact.max() / 256
    np.testing.assert_array_equal(draft.log_density(blobs[:50]), kde.log_density(blobs[:50]))


def test_density_kde_grids_do_not_depend_on_the_work_arrays_kept_between_calls(blobs):
    # the binning keeps its work arrays per thread: grids of KDEs of other sizes, computed in between in
    # this thread or at the same time in another, change nothing
    import threading

    big, small = KdeSettings(0.3).fit(blobs), KdeSettings(0.5).fit(blobs[:700])
    first_big, first_small = big.log_density_grid(RECT, 96), small.log_density_grid(RECT, 64)
    other_thread = []

    def elsewhere() -> None:
        for _ in range(20):
            other_thread.append(KdeSettings(0.2).fit(blobs[::2]).log_density_grid(RECT, 80))

    worker = threading.Thread(target=elsewhere)
    worker.start()
    for _ in range(20):
        np.testing.assert_array_equal(small.log_density_grid(RECT, 64), first_small)
        np.testing.assert_array_equal(big.log_density_grid(RECT, 96), first_big)
    worker.join()
    assert all(np.array_equal(g, other_thread[0]) for g in other_thread)


def test_density_binned_kde_rows_are_y_and_columns_x(blobs):
    kde = KdeSettings(0.3).fit(blobs)
    rect, res = (-6.0, -4.0, 2.0, 6.0), 64  # not square, so a transpose would show
    xs, ys = cell_centres(rect, res)
    grid = kde.log_density_grid(rect, res)
    hits = 0
    for iy in range(0, res, 3):
        for ix in range(0, res, 5):
            exact = kde.log_density(np.array([[xs[ix], ys[iy]]]))[0]
            if exact > grid.max() - 5:  # where the density is within e^-5 of the peak: 1e-3 is ≤ 0.15 in log
                hits += 1
                assert grid[iy, ix] == pytest.approx(exact, abs=0.15)
    assert hits > 20


def test_density_binned_kde_line_equals_the_direct_sum(line_points):
    kde = KdeSettings("silverman").fit(line_points)
    binned = np.exp(kde.log_density_line(*LINE, 600))
    exact = np.exp(kde.log_density(line_centres(*LINE, 600)))
    assert np.abs(binned - exact).max() <= 1e-3 * exact.max()


@pytest.mark.parametrize("h", [0.05, 0.4, 2.0])
def test_density_scalar_bandwidth_kde_matches_sklearn(blobs, h):
    held_out = make_density_preset("blobs", 400, seed=7).points
    held_out = np.concatenate([held_out, [[40.0, -35.0]]])  # far out: a log-density of about -2000/h²
    ours = KdeSettings(h).fit(blobs).log_density(held_out)
    theirs = KernelDensity(kernel="gaussian", bandwidth=h).fit(blobs).score_samples(held_out)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-9 * max(1.0, np.abs(theirs).max() / 1e3))
    assert ours.dtype == np.float64


def test_density_scalar_bandwidth_kde_matches_sklearn_in_1d(line_points):
    held_out = make_density_preset("1-D mixture", 300, seed=3).points
    ours = KdeSettings(1.2).fit(line_points).log_density(held_out)
    theirs = KernelDensity(kernel="gaussian", bandwidth=1.2).fit(line_points).score_samples(held_out)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-9)


def test_density_kde_exact_sum_is_chunked_without_changing_it(blobs, monkeypatch):
    from vaeviz.core.density import kde as kde_module

    kde = KdeSettings(0.5).fit(blobs)
    query = _grid_points(RECT, 40)
    whole = kde.log_density(query)
    monkeypatch.setattr(kde_module, "CHUNK_ELEMENTS", 5000)  # a single row per chunk
    np.testing.assert_allclose(kde.log_density(query), whole, rtol=0, atol=1e-12)


def test_density_bandwidth_rules_match_their_formulas(blobs):
    n, d = blobs.shape
    sigma = np.sqrt(blobs.var(axis=0, ddof=1).mean())
    assert KdeSettings("scott").fit(blobs).bandwidth == pytest.approx([sigma * n ** (-1 / 6)] * 2)
    silverman = sigma * (n * (d + 2) / 4) ** (-1 / 6)
    assert KdeSettings("silverman").fit(blobs).bandwidth == pytest.approx([silverman] * 2)
    diagonal = KdeSettings("scott", diagonal=True).fit(blobs).bandwidth
    assert diagonal == pytest.approx(blobs.std(axis=0, ddof=1) * n ** (-1 / 6))


# --- normalisation ----------------------------------------------------------------------------------

def _estimators_2d():
    return [
        ("histogram", HistogramSettings(bins=36, bounds=RECT), 180),  # grid cells inside the bins
        ("kde", KdeSettings("scott"), 256),
        ("kde diagonal", KdeSettings("silverman", diagonal=True), 256),
        ("gmm full", GmmSettings(3, "full"), 256),
        ("gmm tied", GmmSettings(3, "tied"), 256),
        ("gmm diag", GmmSettings(2, "diag"), 256),
        ("gmm spherical", GmmSettings(4, "spherical"), 256),
        ("ar hist-hist", AutoregressiveSettings("histogram", "histogram", bins=18, bounds=RECT), 180),
        ("ar kde-kde", AutoregressiveSettings("kde", "kde", bins=15), 256),
        ("ar kde-hist", AutoregressiveSettings("kde", "histogram", bins=18, bounds=RECT), 180),
    ]


@pytest.mark.parametrize("name,settings,res", _estimators_2d(), ids=[e[0] for e in _estimators_2d()])
def test_density_every_2d_estimator_integrates_to_one_on_its_grid(blobs, name, settings, res):
    fitted = settings.fit(blobs)
    grid = fitted.log_density_grid(RECT, res)
    assert grid.shape == (res, res) and not np.isnan(grid).any()
    assert np.exp(grid).sum() * _cell_area(RECT, res) == pytest.approx(1.0, abs=1e-3)
    px, py = fitted.marginals(RECT, res)
    assert px.sum() * (RECT[2] - RECT[0]) / res == pytest.approx(1.0, abs=1e-3)
    assert py.sum() * (RECT[3] - RECT[1]) / res == pytest.approx(1.0, abs=1e-3)
    ys = cell_centres(RECT, res)[1]
    for a in (-3.0, 0.1, 2.9):
        cond = fitted.conditional(a, ys)
        assert not np.isnan(cond).any() and (cond >= 0).all()
        assert cond.sum() * (RECT[3] - RECT[1]) / res == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize("settings", [HistogramSettings(bins=40, bounds=LINE), KdeSettings("scott"),
                                      KdeSettings(0.7), GmmSettings(2, "full")],
                         ids=["histogram", "kde scott", "kde 0.7", "gmm"])
def test_density_every_1d_estimator_integrates_to_one_on_its_line(line_points, settings):
    fitted = settings.fit(line_points)
    line = fitted.log_density_line(*LINE, 1200)
    assert line.shape == (1200,) and not np.isnan(line).any()
    assert np.exp(line).sum() * (LINE[1] - LINE[0]) / 1200 == pytest.approx(1.0, abs=1e-3)
    assert fitted.sample(5, 0).shape == (5, 1)


def test_density_gmm_grid_is_exact_where_every_component_underflows(blobs):
    # far from the mixture each π_k N(x | μ_k, Σ_k) underflows relative to the highest peak: those cells are
    # evaluated again by the log-sum-exp (log p ≈ -2e4 there, not -inf)
    fitted = GmmSettings(3, "full", seed=0).fit(blobs)
    rect, res = (-200.0, -5.0, 200.0, 8.0), 64
    grid = fitted.log_density_grid(rect, res)
    pointwise = fitted.log_density(_grid_points(rect, res)).reshape(res, res)
    assert np.isfinite(grid).all() and grid.min() < -2000
    np.testing.assert_allclose(grid, pointwise, rtol=1e-10)


def test_density_kde_grid_is_finite_far_from_the_data(blobs):
    kde = KdeSettings(0.2).fit(blobs)
    far = kde.log_density_grid((100.0, 100.0, 110.0, 110.0), 32)
    assert np.isfinite(far).all()
    assert np.isfinite(kde.log_density(np.array([[100.0, 100.0]]))).all()


# --- held-out likelihood ----------------------------------------------------------------------------

def test_density_held_out_likelihood_prefers_the_true_number_of_components(blobs):
    train, test = split_held_out(blobs, 0.3, seed=1)
    three = GmmSettings(3, "full", seed=0).fit(train).mean_log_likelihood(test)
    one = GmmSettings(1, "full").fit(train).mean_log_likelihood(test)
    assert three > one + 0.5


def test_density_held_out_likelihood_prefers_scott_to_extreme_bandwidths(blobs):
    train, test = split_held_out(blobs, 0.3, seed=1)
    scott = KdeSettings("scott").fit(train).mean_log_likelihood(test)
    for h in (0.01, 10.0):
        assert KdeSettings(h).fit(train).mean_log_likelihood(test) < scott - 0.3


def test_density_held_out_bandwidth_search_beats_the_extremes_and_is_deterministic(blobs):
    steps = list(held_out_bandwidth_steps(blobs, KdeSettings("held-out", seed=2)))
    scores = [s.mean_log_likelihood for s in steps]
    best = int(np.argmax(scores))
    assert 0 < best < len(scores) - 1  # an interior optimum on blobs
    assert steps[-1].best_factor == steps[best].factor
    a = KdeSettings("held-out", seed=2).fit(blobs)
    b = KdeSettings("held-out", seed=2).fit(blobs)
    assert np.array_equal(a.bandwidth, b.bandwidth)
    scott = KdeSettings("scott").fit(blobs).bandwidth
    assert a.bandwidth == pytest.approx(steps[best].factor * scott)
    assert "held-out" in a.note


# --- the GMM generator --------------------------------------------------------------------------------

def test_density_gmm_fit_is_a_generator_of_snapshots_and_deterministic(blobs):
    gen = gmm_fit_steps(blobs, GmmSettings(3, restarts=2, seed=5))
    snaps = []
    while True:
        try:
            snaps.append(next(gen))
        except StopIteration as stop:
            fitted = stop.value
            break
    assert snaps and all(isinstance(s, GmmFitProgress) for s in snaps)
    assert {s.restart for s in snaps} == {0, 1}
    again = GmmSettings(3, restarts=2, seed=5).fit(blobs)
    np.testing.assert_array_equal(fitted.gmm.means, again.gmm.means)
    assert fitted.mean_log_likelihood(blobs) == pytest.approx(max(s.mean_log_likelihood for s in snaps))


def test_density_gmm_conditional_matches_the_joint_slice(blobs):
    fitted = GmmSettings(3, "full").fit(blobs)
    a = 1.3
    ys = np.linspace(-8, 10, 2001)
    joint = np.exp(fitted.log_density(np.stack([np.full_like(ys, a), ys], axis=1)))
    expected = joint / (joint.sum() * (ys[1] - ys[0]))
    np.testing.assert_allclose(fitted.conditional(a, ys), expected, rtol=1e-6, atol=1e-12)


def test_density_kde_conditional_matches_the_joint_slice(blobs):
    fitted = KdeSettings((0.4, 0.6)).fit(blobs)
    a = -2.2
    ys = np.linspace(-8, 10, 3001)
    joint = np.exp(fitted.log_density(np.stack([np.full_like(ys, a), ys], axis=1)))
    expected = joint / (joint.sum() * (ys[1] - ys[0]))
    # evenly spaced values: the weighted binned KDE, to 1e-3 of the peak
    binned = fitted.conditional(a, ys)
    assert np.abs(binned - expected).max() <= 1e-3 * expected.max()
    # other values: the exact sum
    uneven = np.sort(np.random.default_rng(0).uniform(-8, 10, 500))
    joint = np.exp(fitted.log_density(np.stack([np.full_like(uneven, a), uneven], axis=1)))
    exact = fitted.conditional(a, uneven)
    # p(y | a) = p(a, y) / p(a): proportional to the joint slice, by the same factor 1 / p(a) everywhere
    u = (a - blobs[:, 0]) / 0.4
    p_a = float(np.mean(np.exp(-0.5 * u * u)) / (0.4 * np.sqrt(2 * np.pi)))  # the 1-D KDE of x₁ at a
    np.testing.assert_allclose(exact, joint / p_a, rtol=1e-6)


# --- the autoregressive model ----------------------------------------------------------------------

@pytest.mark.parametrize("marginal,conditional", [("histogram", "histogram"), ("kde", "kde"),
                                                  ("histogram", "kde")])
def test_density_autoregressive_joint_is_the_product_of_its_factors(blobs, marginal, conditional):
    fitted = AutoregressiveSettings(marginal, conditional, bins=12).fit(blobs)
    assert isinstance(fitted, FittedAutoregressive)
    res = 90
    xs, ys = cell_centres(RECT, res)
    grid = fitted.log_density_grid(RECT, res)
    p1 = fitted.p1.log_density(xs[:, None])
    with np.errstate(divide="ignore"):
        for ix in (3, 30, 45, 61, 88):
            if np.isneginf(p1[ix]):  # p(x₁) = 0 there (histogram): the whole column is 0
                assert np.isneginf(grid[:, ix]).all()
                continue
            product = p1[ix] + np.log(fitted.conditional(xs[ix], ys))
            # conditional() returns densities: below e^-700 their exp underflows towards subnormals
            shown = np.exp(grid[:, ix] - p1[ix]) > 1e-300
            np.testing.assert_allclose(grid[shown, ix], product[shown], rtol=1e-12, atol=1e-12)
            assert np.array_equal(np.isneginf(grid[:, ix]), np.isneginf(product))
    # and on points: log p(x₁) + log p(x₂ | x₁) exactly
    pts = make_density_preset("blobs", 50, seed=9).points
    logp = fitted.log_density(pts)
    with np.errstate(divide="ignore"):
        expected = [fitted.p1.log_density(p[:1][None])[0] + np.log(fitted.conditional(p[0], p[1:]))[0]
                    for p in pts]
    np.testing.assert_allclose(logp, expected, rtol=1e-12, atol=1e-12)


def test_density_autoregressive_sparse_slices_fall_back_to_the_marginal(blobs):
    fitted = AutoregressiveSettings("histogram", "histogram", bins=30, min_slice_points=40).fit(blobs)
    sparse = [s for s, est in enumerate(fitted.slices) if est is None]
    assert sparse and "marginal" in fitted.note
    s = sparse[0]
    a = 0.5 * (fitted.edges[s] + fitted.edges[s + 1])
    ys = np.linspace(-5, 6, 50)
    np.testing.assert_array_equal(fitted.conditional(a, ys), np.exp(fitted.p2.log_density(ys[:, None])))


# --- sampling ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("settings", [HistogramSettings(), KdeSettings(), GmmSettings(3),
                                      AutoregressiveSettings(), AutoregressiveSettings("kde", "kde")],
                         ids=["histogram", "kde", "gmm", "ar hist", "ar kde"])
def test_density_sampling_is_deterministic_and_follows_the_density(blobs, settings):
    fitted = settings.fit(blobs)
    a = fitted.sample(4000, 11)
    b = fitted.sample(4000, np.random.default_rng(11))
    np.testing.assert_array_equal(a, b)
    assert a.shape == (4000, 2) and a.dtype == np.float64 and not np.isnan(a).any()
    # the samples' mean and spread are the data's, within sampling and smoothing error
    assert a.mean(axis=0) == pytest.approx(blobs.mean(axis=0), abs=0.15)
    assert a.std(axis=0) == pytest.approx(blobs.std(axis=0), rel=0.1)
    assert fitted.sample(0, 1).shape == (0, 2)


@pytest.mark.parametrize("settings", [HistogramSettings(bins=17), GmmSettings(3, "full"),
                                      GmmSettings(2, "tied")], ids=["histogram", "gmm full", "gmm tied"])
def test_density_specialised_grids_equal_the_pointwise_log_density(blobs, settings):
    fitted = settings.fit(blobs)
    rect, res = (-7.0, -5.0, 6.0, 8.0), 73
    grid = fitted.log_density_grid(rect, res)
    pointwise = fitted.log_density(_grid_points(rect, res)).reshape(res, res)
    assert np.array_equal(np.isneginf(grid), np.isneginf(pointwise))
    finite = np.isfinite(pointwise)
    np.testing.assert_allclose(grid[finite], pointwise[finite], rtol=1e-10, atol=1e-10)
