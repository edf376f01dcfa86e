"""The Density lab's jobs: finite snapshots for every estimator, the held-out table's ranking, 1-D mode, the
VAE job's maps (ELBO below log p(x)) and degenerate data explained."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from vaeviz.core.data.density_presets import DensityInputError, make_density_preset
from vaeviz.core.density.lab import (
    conditional_of,
    fit_job,
    fit_layer,
    grid_conditional,
    grid_marginals,
    held_out_table,
    oned_layer,
    plot_rect,
    split,
    vae_job,
)
from vaeviz.core.density.presets import preset
from vaeviz.core.density.state import DataChoice, DensityLabState, EstimatorSettings, ViewChoice
from vaeviz.core.jobs import JobContext


def run(factory):
    gen = factory(JobContext(1))
    items = []
    while True:
        try:
            items.append(next(gen))
        except StopIteration as stop:
            return stop.value, items


@pytest.fixture(scope="module")
def moons():
    state = DensityLabState(data=DataChoice("two moons", 600, 0))
    pts = make_density_preset("two moons", 600, 0).points
    train, held = split(pts, state)
    return state, train, held, plot_rect(pts)


@pytest.mark.parametrize("estimator", ["histogram", "kde", "gmm", "autoregressive"])
def test_every_estimator_gives_a_finite_normalised_snapshot(moons, estimator):
    state, train, held, rect = moons
    state = replace(state, estimator=estimator, view=ViewChoice(slice_at=0.5, samples=200))
    snap, _ = run(fit_job(state, train, held, rect, res=120))
    assert snap.log_density.shape == (120, 120) and not np.isnan(snap.log_density).any()
    cell = (rect[2] - rect[0]) * (rect[3] - rect[1]) / 120 ** 2
    assert abs(np.exp(snap.log_density).sum() * cell - 1.0) < 0.02
    dx = (rect[2] - rect[0]) / 120
    for marginal in (snap.marginal_x, snap.marginal_y):
        assert np.isfinite(marginal).all() and abs(marginal.sum() * dx - 1.0) < 0.02
    assert np.isfinite(snap.conditional).all() and abs(snap.conditional.sum() * dx - 1.0) < 0.05
    assert snap.samples.shape == (200, 2) and np.isfinite(snap.samples).all()
    assert math.isfinite(snap.train_ll) and not math.isnan(snap.held_ll)
    assert snap.log_density.flags.writeable is False


def test_the_conditional_follows_the_slice(moons):
    state, train, held, rect = moons
    snap = fit_layer(replace(state, view=ViewChoice(slice_at=-1.0)), train, held, rect, 100)
    moved = conditional_of(snap, 1.0)
    assert not np.allclose(moved, snap.conditional)


def test_live_frames_leave_the_numbers_out_and_draw_the_kde_within_a_colour_step(moons):
    state, train, held, rect = moons
    state = replace(state, estimator="kde")
    snap = fit_layer(state, train, held, rect, 64, live=True)
    assert math.isnan(snap.train_ll) and math.isnan(snap.held_ll)
    final = fit_layer(state, train, held, rect, 64)
    assert math.isfinite(final.train_ll)
    # the drag's coarser binning is off by less than one of 256 colour steps of the peak, everywhere
    p_live, p_final = np.exp(snap.log_density), np.exp(final.log_density)
    assert np.abs(p_live - p_final).max() < p_final.max() / 256
    assert not np.array_equal(p_live, p_final)  # (and it is the draft that was drawn)
    for live, fine in ((snap.marginal_x, final.marginal_x), (snap.conditional, final.conditional)):
        assert np.abs(live - fine).max() < fine.max() / 256


def test_held_out_table_ranks_small_and_large_bandwidths_below_scott(moons):
    state, train, held, rect = moons
    state = replace(state, view=replace(state.view, compare_bandwidths=(0.01, 10.0)))
    table = held_out_table(state, train, held)
    held_ll = {r.key: r.held for r in table.rows}
    train_ll = {r.key: r.train for r in table.rows}
    assert held_ll["kde-0.01"] < held_ll["kde"] and held_ll["kde-10"] < held_ll["kde"]
    assert train_ll["kde-0.01"] > train_ll["kde"]  # overfitting: better on the training points
    assert {"histogram", "gmm", "autoregressive"} <= set(held_ll)


def test_the_table_says_why_an_estimator_cannot_fit():
    pts = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.5]])
    state = DensityLabState(settings=EstimatorSettings(components=5))
    table = held_out_table(state, pts[:2], pts[2:])
    gmm = table.row("gmm")
    assert "K = 5" in gmm.problem and math.isnan(gmm.held)


@pytest.mark.parametrize("points, words", [
    (np.empty((0, 2)), "N = 0"),
    (np.array([[1.0, 2.0]]), "at least 2 points"),
])
def test_too_few_points_are_explained(points, words):
    with pytest.raises(DensityInputError, match=words):
        split(points, DensityLabState())


def test_identical_points_are_explained():
    pts = np.ones((50, 2))
    state = DensityLabState(estimator="kde")
    train, held = split(pts, state)
    with pytest.raises(DensityInputError, match="identical"):
        fit_layer(state, train, held, plot_rect(pts), 32)


def test_oned_layer_draws_three_fits_over_the_truth():
    state = preset("lecture-1d-density").state
    snap = oned_layer(state, res=300)
    assert set(snap.curves) == {"histogram", "kde", "gmm"}
    for curve in (*snap.curves.values(), snap.truth):
        assert np.isfinite(curve).all() and curve.shape == (300,)
    dx = snap.xs[1] - snap.xs[0]
    assert abs(snap.truth.sum() * dx - 1.0) < 1e-3
    assert snap.xs[0] < -10 < 10 < snap.xs[-1]
    truth = snap.table.row("truth")
    assert math.isfinite(truth.held) and snap.table.row("gmm").held > snap.table.row("kde").held - 0.5


def test_grid_helpers_normalise():
    rect = (-1.0, -1.0, 1.0, 1.0)
    log_p = np.zeros((20, 20))
    mx, my = grid_marginals(log_p, rect)
    assert np.allclose(mx, 0.5) and np.allclose(my, 0.5)
    assert np.allclose(grid_conditional(log_p, rect, 0.3), 0.5)
    assert not grid_conditional(log_p, rect, 5.0).any()


def test_vae_job_trains_and_maps_with_the_elbo_below_log_px(moons):
    state, train, held, rect = moons
    state = replace(state, estimator="vae", settings=EstimatorSettings(vae_steps=400, vae_k=64),
                    view=ViewChoice(samples=50))
    snap, progress = run(vae_job(state, train, held, rect, res=24))
    fractions = [p.fraction for p in progress if p is not None]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)
    d = snap.density
    assert d.log_density.shape == (24, 24) and np.isfinite(d.log_density).all()
    # below in expectation (not draw by draw): where the data are, and on average over the plot
    near = d.log_density > d.log_density.max() - 8.0
    assert snap.elbo[near].mean() <= d.log_density[near].mean()
    assert snap.elbo.mean() < d.log_density.mean()
    assert snap.held_elbo <= d.held_ll + 0.02  # (in expectation: K samples give some noise)
    assert d.samples.shape == (50, 2) and np.isfinite(d.conditional).all()
