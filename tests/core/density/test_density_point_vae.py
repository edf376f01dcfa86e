"""The point VAE of the Density lab: importance-sampled log p(x) against the ELBO and against quadrature.

The reference throughout is :func:`exact_log_px_quadrature`: with a latent of size 1 or 2 the integral
p(x) = ∫ p(z) p(x|z) dz is computed on a grid of z, deterministically. It is also what checks that the
density integrates to 1: the quadrature density is a mixture of the decoder's Gaussians, so a fine grid
over x sums it to 1 up to the quadrature's weights, with no Monte Carlo noise, and no downward bias as
importance sampling with finite K has (Jensen), worst far from the data where q(z|x) misses the posterior.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import make_moons

from vaeviz.core.density.estimators import DensityInputError
from vaeviz.core.density.point_vae import (
    MapsProgress,
    PointVaeMaps,
    PointVaeModel,
    PointVaeProgress,
    PointVaeSettings,
    density_maps_job,
    exact_log_px_quadrature,
    exact_map_job,
    point_log_px,
    sample_point_vae,
    train_point_vae_job,
)
from vaeviz.core.grid import cell_centres
from vaeviz.core.jobs import JobContext, drain, run_to_end

STEPS = 300
WIDE_RECT = (-4.0, -3.5, 5.0, 4.0)  # the moons span about (−1, −0.5)–(2, 1): this holds all but ~1e-6


def train(points, **settings) -> tuple[PointVaeModel, list[PointVaeProgress]]:
    snapshots: list[PointVaeProgress] = []
    model, _ = drain(train_point_vae_job(points, PointVaeSettings(**settings))(JobContext(job_id=0)),
                     snapshots.append)
    return model, snapshots


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """One torch thread, as the compute worker has under tests/conftest.py: these networks are too small
    to gain from a second one, and with the cores busy its threads mostly wait for each other."""
    import torch

    threads, _ = torch.get_num_threads(), torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def moons() -> np.ndarray:
    return make_moons(500, noise=0.08, random_state=0)[0]


@pytest.fixture(scope="module")
def trained(moons):
    return train(moons, latent_size=1, steps=STEPS, batch_size=128, report_every=50)


@pytest.fixture(scope="module")
def model(trained) -> PointVaeModel:
    return trained[0]


@pytest.fixture(scope="module")
def model_2d(moons) -> PointVaeModel:
    return train(moons, latent_size=2, steps=STEPS, batch_size=128, report_every=STEPS)[0]


# ---------------------------------------------------------------------------------------------- training


def test_training_yields_fractions_returns_a_model_and_improves_the_elbo(trained):
    model, snapshots = trained
    assert isinstance(model, PointVaeModel) and model.steps == STEPS
    fractions = [s.fraction for s in snapshots]
    assert all(0.0 <= f <= 1.0 for f in fractions) and fractions == sorted(fractions) and fractions[-1] == 1.0
    assert [s.step for s in snapshots] == list(range(50, STEPS + 1, 50))
    assert all(s.stopped is None and np.isfinite(s.elbo) for s in snapshots)
    assert snapshots[-1].elbo > snapshots[0].elbo + 0.2  # nats per point
    assert np.isfinite(model.train_elbo)
    # safe to hand to another thread: host numpy, read-only
    assert all(isinstance(w, np.ndarray) and not w.flags.writeable for _, w in model.weights)


def test_the_same_seed_gives_the_same_weights(moons):
    first, second, other = (train(moons, steps=20, seed=seed)[0] for seed in (3, 3, 4))
    for (name, a), (_, b) in zip(first.weights, second.weights, strict=True):
        assert np.array_equal(a, b), name
    assert not all(np.array_equal(a, c) for (_, a), (_, c) in zip(first.weights, other.weights, strict=True))


def test_an_urgent_context_gets_preemption_points_and_the_same_model(moons):
    job = train_point_vae_job(moons, PointVaeSettings(steps=20, report_every=10))
    items = list(_iterate(job(JobContext(job_id=0, urgent=lambda: True))))
    assert items.count(None) == 18 and len([i for i in items if i is not None]) == 2
    calm = run_to_end(job)
    hurried = run_to_end(job, JobContext(job_id=1, urgent=lambda: True))
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(calm.weights, hurried.weights, strict=True))


def _iterate(gen):
    while True:
        try:
            yield next(gen)
        except StopIteration:
            return


# ---------------------------------------------------------------------------------------------- log p(x)


def test_importance_sampling_is_above_the_elbo(model, moons):
    points = moons[::5]
    log_px, se, elbo = point_log_px(model, points, k=1000, seed=1)
    exact = exact_log_px_quadrature(model, points)
    assert log_px.mean() > elbo.mean() and exact.mean() > elbo.mean()
    # per point, up to the Monte Carlo error of both (the ELBO's reconstruction term is an average too)
    assert np.all(log_px >= elbo - 4 * se - 0.02)


def test_importance_sampling_converges_to_the_quadrature(model, model_2d, moons):
    points = moons[::5]
    for vae in (model, model_2d):
        exact = exact_log_px_quadrature(vae, points)
        errors = {k: np.abs(point_log_px(vae, points, k=k, seed=2)[0] - exact).mean() for k in (1, 1000)}
        assert errors[1000] < 0.5 * errors[1]
        log_px, se, _ = point_log_px(vae, points, k=1000, seed=2)
        assert np.all(np.abs(log_px - exact) <= 4 * se + 1e-3)


def test_the_quadrature_has_converged(model, model_2d, moons):
    points = moons[::25]
    for vae in (model, model_2d):
        coarse = exact_log_px_quadrature(vae, points, nodes=101 if vae.latent_size == 2 else 1001)
        np.testing.assert_allclose(coarse, exact_log_px_quadrature(vae, points), atol=1e-4)


def test_importance_sampling_with_one_sample_has_the_elbo_as_its_expectation(model, moons):
    points = moons[:4]
    seeds = 300
    draws = np.array([point_log_px(model, points, k=1, seed=seed)[0] for seed in range(seeds)])
    _, _, elbo = point_log_px(model, points, k=50_000, seed=0)  # Monte Carlo error: < 1/10 of the mean's
    se = draws.std(axis=0, ddof=1) / np.sqrt(seeds)
    assert np.all(np.abs(draws.mean(axis=0) - elbo) <= 3 * se)


def test_the_density_integrates_to_one_in_data_units(model, model_2d):
    """Quadrature's density summed over a wide, fine grid.

    The quadrature density is a mixture of the decoder's Gaussians with weights Δz^L φ(z_j), which sum to 1
    even on a coarse grid of z (the trapezoid rule on a Gaussian); so a coarse z grid suffices here, and the
    sum checks the decoder's normalisation and the standardisation's log-Jacobian. The cells (~0.03) are
    near the decoder's smallest σ in data units, where the midpoint rule on a Gaussian is still exact to
    well below 1e-3.
    """
    res = 300
    for vae in (model, model_2d):
        nodes = 201 if vae.latent_size == 1 else 31
        log_px = run_to_end(exact_map_job(vae, WIDE_RECT, res, nodes=nodes))
        x0, y0, x1, y1 = WIDE_RECT
        assert np.exp(log_px).sum() * (x1 - x0) * (y1 - y0) / res**2 == pytest.approx(1.0, abs=1e-2)
    # the same networks on data 100 times larger: the log-Jacobian of the standardisation keeps it at 1
    scaled = dataclasses.replace(model, mean=model.mean * 100, scale=model.scale * 100)
    log_px = run_to_end(exact_map_job(scaled, tuple(100 * v for v in WIDE_RECT), res, nodes=201))
    assert np.exp(log_px).sum() * (100 * 9.0) * (100 * 7.5) / res**2 == pytest.approx(1.0, abs=1e-2)


# ---------------------------------------------------------------------------------------------- the maps


def test_the_maps_job_reports_progress_and_matches_the_points(model):
    rect, res = (-1.5, -1.0, 2.5, 1.5), 24
    snapshots: list[MapsProgress] = []
    maps, _ = drain(density_maps_job(model, rect, res, k_samples=256, seed=5)(JobContext(job_id=0)),
                    snapshots.append)
    assert isinstance(maps, PointVaeMaps)
    fractions = [s.fraction for s in snapshots]
    assert len(fractions) > 1 and all(0.0 < f <= 1.0 for f in fractions) and fractions[-1] == 1.0
    for grid in (maps.elbo, maps.elbo_se, maps.log_px, maps.log_px_se):
        assert grid.shape == (res, res) and grid.dtype == np.float64 and np.isfinite(grid).all()
    xs, ys = cell_centres(rect, res)
    row, col = 7, 19  # rows are y, columns x
    log_px, se, elbo = point_log_px(model, [[xs[col], ys[row]]], k=256, seed=5)
    np.testing.assert_allclose([maps.log_px[row, col], maps.log_px_se[row, col], maps.elbo[row, col]],
                               [log_px[0], se[0], elbo[0]], rtol=1e-5)  # float32 in other batches
    # deterministic, and the same in small chunks while a request waits
    urgent = JobContext(job_id=1, urgent=lambda: True)
    hurried = run_to_end(density_maps_job(model, rect, res, 256, 5), urgent)
    np.testing.assert_allclose(hurried.log_px, maps.log_px, rtol=1e-5)
    other = run_to_end(density_maps_job(model, rect, res, 256, 6))
    assert not np.array_equal(other.log_px, maps.log_px)


def test_the_elbo_map_lies_below_the_exact_log_px_map(model):
    rect, res = (-1.5, -1.0, 2.5, 1.5), 24
    maps = run_to_end(density_maps_job(model, rect, res, k_samples=256, seed=0))
    exact = run_to_end(exact_map_job(model, rect, res))
    assert np.all(exact >= maps.elbo - 4 * maps.elbo_se - 0.02)
    assert np.mean(maps.log_px - maps.elbo) > 0


# ---------------------------------------------------------------------------------------------- sampling


def test_samples_follow_the_data(model, moons):
    samples = sample_point_vae(model, 4000, seed=0)
    assert samples.shape == (4000, 2) and samples.dtype == np.float64
    np.testing.assert_array_equal(samples, sample_point_vae(model, 4000, seed=0))
    np.testing.assert_allclose(samples.mean(axis=0), moons.mean(axis=0), atol=0.15)
    np.testing.assert_allclose(samples.std(axis=0), moons.std(axis=0), rtol=0.25)


# ---------------------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("points, words", [
    (np.zeros((1, 2)), "at least 2"),
    (np.ones((10, 2)), "same point"),
    (np.zeros((10, 3)), "shape"),
    ([[0.0, 1.0], [np.nan, 2.0], [1.0, 1.0]], "not finite"),
    ([["a", "b"], ["c", "d"]], "not numbers"),
])
def test_bad_points_are_refused_with_a_clear_message(points, words):
    with pytest.raises(DensityInputError, match=words) as caught:
        train_point_vae_job(points)
    assert isinstance(caught.value, ValueError)


def test_bad_settings_and_arguments_are_refused(model):
    for bad in ({"latent_size": 3}, {"steps": 0}, {"lr": float("nan")}, {"batch_size": 1.5}):
        with pytest.raises(DensityInputError):
            PointVaeSettings(**bad)
    with pytest.raises(DensityInputError, match="K"):
        point_log_px(model, [[0.0, 0.0]], k=0)
    with pytest.raises(DensityInputError, match="rectangle"):
        density_maps_job(model, (1.0, 0.0, 0.0, 1.0), 8)
    with pytest.raises(DensityInputError, match="resolution"):
        density_maps_job(model, (0.0, 0.0, 1.0, 1.0), 0)


def test_points_on_a_line_train_without_nan():
    line = np.column_stack([np.linspace(0.0, 1.0, 50), np.full(50, 2.0)])
    model, snapshots = train(line, steps=20, report_every=10)
    assert all(np.isfinite(s.elbo) for s in snapshots) and np.isfinite(model.train_elbo)
    log_px, se, elbo = point_log_px(model, line[:5], k=16)
    assert np.isfinite(log_px).all() and np.isfinite(se).all() and np.isfinite(elbo).all()


def test_only_the_point_vae_imports_torch():
    """The rest of the Density lab's core stays usable (and quick to import) without torch."""
    code = ("import importlib, pkgutil, sys, vaeviz.core.density as d\n"
            "for m in pkgutil.iter_modules(d.__path__):\n"
            "    if m.name != 'point_vae':\n"
            "        importlib.import_module(f'vaeviz.core.density.{m.name}')\n"
            "print('torch' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
