"""Float32 torch EM: agrees with the float64 path, same snapshot contract, collapses reported."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from vaeviz.core.em.algorithm import em_fast_steps, em_steps, init_random
from vaeviz.core.em.gmm import COVARIANCE_TYPES, GaussianMixture

pytest.importorskip("torch")


def data(n_per: int, seed: int = 0, offset=(0.0, 0.0)) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    parts = [rng.normal(size=(n_per, 2)) + [3, 0], rng.normal(size=(n_per, 2)) * 0.5,
             rng.normal(size=(n_per, 2)) @ [[1.0, 0.8], [0.0, 0.3]] + [0, 3]]
    return np.concatenate(parts) + offset, np.repeat(np.arange(3), n_per)


def assert_close_mixtures(fast: GaussianMixture, ref: GaussianMixture, rtol: float) -> None:
    spread = np.abs(ref.means).max() + np.sqrt(np.abs(ref.covariances).max())
    np.testing.assert_allclose(fast.weights, ref.weights, rtol=rtol, atol=rtol * 0.1)
    np.testing.assert_allclose(fast.means, ref.means, rtol=0, atol=rtol * spread)
    cov_scale = np.abs(ref.covariances).max()
    np.testing.assert_allclose(fast.covariances, ref.covariances, rtol=0, atol=rtol * cov_scale)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_agrees_with_float64_path(covariance_type):
    x, z = data(7000, offset=(100.0, -50.0))  # off-centre on purpose: the fast path standardises
    init = init_random(x, 3, rng=1, covariance_type=covariance_type)
    ref = list(em_steps(x, init, covariance_type, max_iter=12, z_true=z))
    fast = list(em_fast_steps(x, init, covariance_type, max_iter=12, z_true=z))
    assert [(s.iteration, s.phase) for s in fast] == [(s.iteration, s.phase) for s in ref]
    for f, r in zip(fast, ref, strict=True):
        assert f.gmm.covariance_type == covariance_type
        assert_close_mixtures(f.gmm, r.gmm, rtol=1e-4)
        assert f.log_likelihood == pytest.approx(r.log_likelihood, rel=1e-5)
        assert f.mean_log_likelihood == pytest.approx(r.mean_log_likelihood, rel=1e-5)
        assert f.complete_log_likelihood == pytest.approx(r.complete_log_likelihood, rel=1e-5)
        if r.responsibilities is None:
            assert f.responsibilities is None
        else:
            np.testing.assert_allclose(f.responsibilities, r.responsibilities, atol=1e-4)
            np.testing.assert_allclose(f.responsibilities.sum(axis=1), 1.0, atol=1e-5)
            assert not f.responsibilities.flags.writeable and f.responsibilities.dtype == np.float64


@pytest.mark.parametrize("d", [1, 3])
def test_other_dimensions(d):
    rng = np.random.default_rng(d)
    centres = rng.normal(scale=4.0, size=(4, d))
    x = centres[rng.integers(4, size=5000)] + rng.normal(size=(5000, d))
    init = init_random(x, 4, rng=0)
    ref = [s for s in em_steps(x, init, max_iter=8) if s.phase == "M"]
    fast = [s for s in em_fast_steps(x, init, max_iter=8) if s.phase == "M"]
    for f, r in zip(fast, ref, strict=True):
        assert_close_mixtures(f.gmm, r.gmm, rtol=1e-4)


@pytest.mark.parametrize("covariance_type", ["full", "spherical"])
def test_torch_only_operations_give_the_same_run(covariance_type):
    # The GPU path runs every operation through torch; on the CPU some go through numpy by default.
    x, z = data(6000, offset=(5.0, -2.0))
    init = init_random(x, 3, rng=3, covariance_type=covariance_type)
    default = list(em_fast_steps(x, init, covariance_type, max_iter=10, z_true=z))
    torch_only = list(em_fast_steps(x, init, covariance_type, max_iter=10, z_true=z, torch_ops_only=True))
    assert [(s.iteration, s.phase) for s in torch_only] == [(s.iteration, s.phase) for s in default]
    for a, b in zip(torch_only, default, strict=True):
        assert_close_mixtures(a.gmm, b.gmm, rtol=1e-5)
        assert a.log_likelihood == pytest.approx(b.log_likelihood, rel=1e-6)
        assert a.complete_log_likelihood == pytest.approx(b.complete_log_likelihood, rel=1e-6)
        if b.responsibilities is not None:
            np.testing.assert_allclose(a.responsibilities, b.responsibilities, atol=1e-4)


def test_chunking_and_padding_do_not_change_results():
    x, _ = data(3001)  # 9003 points: not a multiple of the 4096-point sub-blocks
    init = init_random(x, 3, rng=2)
    one = list(em_fast_steps(x, init, max_iter=5))[-1]
    chunked = list(em_fast_steps(x, init, max_iter=5, chunk_size=4096))[-1]
    assert_close_mixtures(chunked.gmm, one.gmm, rtol=1e-6)
    assert chunked.log_likelihood == pytest.approx(one.log_likelihood, rel=1e-6)


def test_responsibilities_are_dropped_above_the_limit():
    x, _ = data(1000)
    init = init_random(x, 3, rng=0)
    states = list(em_fast_steps(x, init, max_iter=2, responsibilities_limit=2999))
    assert all(s.responsibilities is None for s in states)
    states = list(em_fast_steps(x, init, max_iter=2, responsibilities_limit=3000))
    assert states[0].responsibilities is None and all(s.responsibilities is not None for s in states[1:])
    assert states[1].responsibilities.shape == (3000, 3)


def test_moments_from_scaled_features_equal_those_from_responsibilities():
    # Without kept responsibilities and with more components than features (K = 8 > F = 6), the
    # moments come from unnormalised joints and features divided by the per-point totals.
    rng = np.random.default_rng(5)
    x = rng.normal(size=(9000, 2)) * [3.0, 1.0] + rng.integers(0, 4, size=(9000, 1)) * 2.0
    init = init_random(x, 8, rng=1)
    kept = list(em_fast_steps(x, init, max_iter=6))
    dropped = list(em_fast_steps(x, init, max_iter=6, responsibilities_limit=0))
    assert dropped[-1].responsibilities is None and kept[-1].responsibilities is not None
    for a, b in zip(dropped, kept, strict=True):
        assert_close_mixtures(a.gmm, b.gmm, rtol=1e-5)
        assert a.log_likelihood == pytest.approx(b.log_likelihood, rel=1e-7)


def test_tol_and_convergence():
    x, _ = data(2000)
    states = list(em_fast_steps(x, init_random(x, 3, rng=0), max_iter=300, tol=1e-6))
    assert states[-1].converged and states[-1].iteration < 300


def test_collapse_without_floor_is_reported_without_nan():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(size=(3000, 2)), [[12.0, 12.0]]])
    init = GaussianMixture([0.5, 0.5], [[0.0, 0.0], [12.0, 12.0]], [np.eye(2), 0.01 * np.eye(2)])
    states = list(em_fast_steps(x, init, reg=0.0, max_iter=30))
    last = states[-1]
    assert last.singular is not None and last.singular.component == 1
    assert "collapsed onto a single point" in last.singular.reason
    assert last.log_likelihood == np.inf
    for s in states:
        for arr in (s.gmm.weights, s.gmm.means, s.gmm.covariances, s.responsibilities):
            assert arr is None or not np.any(np.isnan(arr))
    floored = list(em_fast_steps(x, init, reg=1e-3, max_iter=30))
    assert len(floored) == 61 and all(s.singular is None and np.isfinite(s.log_likelihood) for s in floored)


def test_identical_points_and_zero_weights_stay_finite():
    same = np.full((5000, 2), 2.0)
    states = list(em_fast_steps(same, init_random(same, 3, rng=0), max_iter=5))
    assert states[-1].singular is None and np.isfinite(states[-1].log_likelihood)
    x, _ = data(1000)
    init = GaussianMixture([1.0, 0.0], [[0.0, 0.0], [3.0, 0.0]], [np.eye(2), np.eye(2)])
    for s in em_fast_steps(x, init, max_iter=3):
        assert np.isfinite(s.log_likelihood) and not np.any(np.isnan(s.gmm.means))


def test_errors_are_the_same_as_the_float64_path():
    x, _ = data(100)
    init = init_random(x, 3, rng=0)
    with pytest.raises(ValueError, match="NaN or infinite"):
        next(em_fast_steps(np.r_[x, [[np.nan, 0.0]]], init))
    with pytest.raises(ValueError, match="cannot support"):
        next(em_fast_steps(x[:2], init))
    # A start float32 cannot evaluate is no error: the whole run is computed in float64, and says so.
    tiny = GaussianMixture([0.5, 0.5], [[0, 0], [1, 1]], [np.eye(2), 1e-40 * np.eye(2)])
    first = next(em_fast_steps(x, tiny, reg=0.0))
    assert "computed in float64" in first.precision_note and "component 2" in first.precision_note


def test_importing_core_does_not_import_torch():
    code = "import sys, vaeviz.core.em.algorithm, vaeviz.core.em.fast; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_tight_cluster_far_from_the_centre():
    # A tight cluster far from the data's centre: its covariance comes from E[xxᵀ] - μμᵀ, which cancels
    # in float32, and its log-densities span a wide range (the log-joints are shifted per point).
    rng = np.random.default_rng(7)
    x = np.concatenate([rng.normal(size=(6000, 2)), rng.normal(size=(3000, 2)) * [0.05, 0.03] + [9.0, 7.0],
                        rng.normal(size=(3000, 2)) * 0.5 + [-4.0, 5.0]])
    init = GaussianMixture([0.4, 0.3, 0.3], [[0.5, 0.0], [8.5, 6.5], [-3.0, 4.0]],
                           [np.eye(2), 0.5 * np.eye(2), np.eye(2)])
    ref = [s for s in em_steps(x, init, max_iter=15) if s.phase == "M"]
    for chunk in (None, 4096):
        fast = [s for s in em_fast_steps(x, init, max_iter=15, chunk_size=chunk) if s.phase == "M"]
        for f, r in zip(fast, ref, strict=True):
            assert_close_mixtures(f.gmm, r.gmm, rtol=1e-4)
            # The tight cluster's large positive log-densities cancel against the rest: 1e-4, not 1e-5.
            assert f.log_likelihood == pytest.approx(r.log_likelihood, rel=1e-4)
        tight_f, tight_r = fast[-1].gmm.covariances[1], ref[-1].gmm.covariances[1]
        np.testing.assert_allclose(tight_f, tight_r, rtol=0, atol=1e-2 * np.abs(tight_r).max())


def test_a_big_jump_in_the_densities_is_recomputed_exactly():
    # Narrow starting components: most points are far outside them, so the first M-step raises their
    # log-densities by hundreds of bits, far more than the per-point shift can absorb.
    x, _ = data(3000, offset=(5.0, 5.0))
    covariances = 0.01 * np.eye(2)[None].repeat(3, 0)
    init = GaussianMixture([1 / 3, 1 / 3, 1 / 3], [[8.0, 5.0], [5.0, 5.0], [5.0, 8.0]], covariances)
    ref = list(em_steps(x, init, max_iter=6))
    fast = list(em_fast_steps(x, init, max_iter=6))
    for f, r in zip(fast, ref, strict=True):
        assert f.log_likelihood == pytest.approx(r.log_likelihood, rel=1e-5)
        assert_close_mixtures(f.gmm, r.gmm, rtol=1e-4)
