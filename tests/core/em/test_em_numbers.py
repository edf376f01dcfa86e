"""The three numbers issue #11 found wrong, each against an independent reference.

1. The covariance floor holds in the data's units, and collapse detection does not depend on them
   (scikit-learn's ``reg_covar``; the same run in other units).
2. The fast float32 path reports the shown mixture's true log-likelihood to ≤ 1e-6 relative (float64
   ``log_prob``), or continues in float64 and says so.
3. ℓ_c matches the true classes to each snapshot's own components (brute force over permutations).
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

from vaeviz.core.em.algorithm import em_fast_steps, em_steps, find_collapse, init_random
from vaeviz.core.em.gmm import GaussianMixture

LL_RTOL = 1e-6


def sklearn_fit(x, init: GaussianMixture, reg: float, n_iter: int):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import GaussianMixture as SkGMM

    model = SkGMM(init.n_components, covariance_type="full", reg_covar=reg, max_iter=n_iter, tol=0,
                  weights_init=init.weights, means_init=init.means,
                  precisions_init=np.linalg.inv(init.covariances))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(x)


# ----- 1. the floor in data units; scale-free collapse detection --------------------------------------
def test_floor_holds_on_data_of_large_scale_as_in_scikit_learn():
    rng = np.random.default_rng(0)
    x = 1e4 * np.concatenate([rng.normal(size=(500, 2)), [[8.0, 8.0]]])
    init = GaussianMixture([0.998, 0.002], [[0, 0], x[-1]], [1e8 * np.eye(2), 1e-2 * np.eye(2)])
    last = list(em_steps(x, init, "full", reg=1e-6, max_iter=5))[-1]
    assert last.singular is None
    sk = sklearn_fit(x, init, 1e-6, 5)
    # Before the fix: ℓ = +∞ and "collapsed" although the floor was on. scikit-learn: -10600.08.
    assert last.log_likelihood == pytest.approx(sk.score(x) * len(x), rel=1e-9)
    np.testing.assert_allclose(last.gmm.covariances, sk.covariances_, rtol=1e-9)
    assert np.linalg.eigvalsh(last.gmm.covariances).min() >= 1e-6  # the floor, in the data's units


def _collapsing(unit: float):
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(size=(60, 2)), [[8.0, 8.0]]]) * unit
    init = GaussianMixture([0.5, 0.5], [[0.0, 0.0], [8.0 * unit, 8.0 * unit]],
                           [unit**2 * np.eye(2), 1e-8 * unit**2 * np.eye(2)])
    return x, init


@pytest.mark.parametrize("unit", [1e-6, 1.0, 1e6])
def test_collapse_is_found_the_same_way_in_any_units(unit):
    x, init = _collapsing(unit)
    last = list(em_steps(x, init, "full", reg=0.0, max_iter=20))[-1]
    assert last.singular is not None and last.iteration == 1 and last.singular.components == (1,)
    assert "onto a single point" in last.singular.reason and "(reg > 0) prevents this" in last.singular.reason
    # The floor, in the same units, holds the component: EM runs all 20 iterations.
    floored = list(em_steps(x, init, "full", reg=1e-3 * unit**2, max_iter=20))
    assert len(floored) == 41 and floored[-1].singular is None
    assert np.linalg.eigvalsh(floored[-1].gmm.covariances).min() >= 1e-3 * unit**2 * (1 - 1e-9)


def test_a_thin_axis_in_4d_is_no_collapse():
    # Variance 1e-6 along one axis, 1 along the others; scikit-learn converges, and so must we.
    rng = np.random.default_rng(3)
    thin = [1, 1, 1, 1e-3]
    x = np.concatenate([rng.normal(size=(400, 4)) * thin + c for c in ([0, 0, 0, 0], [5, 0, 0, 0])])
    init = init_random(x, 2, rng=1)
    for reg in (0.0, 1e-9):
        last = list(em_steps(x, init, "full", reg=reg, max_iter=30))[-1]
        assert last.singular is None
        sk = sklearn_fit(x, init, reg, 30)
        # Two tightly packed points along the thin axis make scikit-learn itself move by ~1e-9 under a
        # row permutation of the data, so compare at 1e-7 there; the log-likelihood is stable to 1e-9.
        np.testing.assert_allclose(last.gmm.means, sk.means_, rtol=1e-7, atol=1e-7)
        assert last.log_likelihood == pytest.approx(sk.score(x) * len(x), rel=1e-9)


def test_the_message_matches_the_floor_setting():
    scales = np.array([1e10, 1e10])
    flat = np.array([np.diag([1e20, 1e-7])])
    off = find_collapse(flat, scales, reg=0.0)
    assert off is not None and "A covariance floor (reg > 0) prevents this" in off.reason
    on = find_collapse(flat, scales, reg=1e-6)  # the floor was 1e-6 but float64 lost it at this scale
    assert on is not None and "prevents this" not in on.reason
    assert "reg = 1e-06" in on.reason and "raise it" in on.reason
    assert find_collapse(np.array([np.diag([1e20, 1e-6])]), scales, reg=1e-6) is None  # the floor held


# ----- 2. the fast path's log-likelihood ------------------------------------------------------------------
def _elongated(ratio: float, n: int = 12_000, offset: float = 0.0):
    rng = np.random.default_rng(0)
    parts, covs, means = [], [], []
    for j in range(3):
        c, s = np.cos(0.7 * j), np.sin(0.7 * j)
        turn = np.array([[c, -s], [s, c]])
        cov = turn @ np.diag([1.0, 1.0 / ratio]) @ turn.T
        mean = np.array([4.0 * j, 2.0 * (j % 2)]) + offset
        parts.append(rng.multivariate_normal(mean, cov, size=n // 3))
        covs.append(cov)
        means.append(mean)
    return np.concatenate(parts), GaussianMixture(np.full(3, 1 / 3), np.array(means) + 0.05,
                                                  np.array(covs) * 1.3)


def test_fast_path_reports_the_true_log_likelihood_of_a_narrow_outlier_component():
    rng = np.random.default_rng(0)
    x = 100 * np.concatenate([rng.normal(size=(60_000, 2)), [[25.0, -25.0]]])
    init = GaussianMixture([0.999, 0.001], [[0, 0], x[-1]], [1e4 * np.eye(2), 1e-2 * np.eye(2)])
    states = list(em_fast_steps(x, init, "full", reg=1e-6, max_iter=5))
    for s in states:
        if s.phase != "E":  # before the fix: -359,625 reported for a mixture whose ℓ is -723,030
            assert s.log_likelihood == pytest.approx(s.gmm.log_prob(x).sum(), rel=LL_RTOL)
        assert np.linalg.eigvalsh(s.gmm.covariances).min() >= 1e-6 * (1 - 1e-9)  # floor in data units
        assert "float64" in s.precision_note and "component 2" in s.precision_note


@pytest.mark.parametrize(("ratio", "offset"), [(1, 0.0), (30, 0.0), (300, 0.0), (3000, 0.0), (300, 1e3)])
def test_fast_path_log_likelihood_is_exact_to_the_goal_and_never_falls(ratio, offset):
    x, init = _elongated(ratio, offset=offset)
    # Without the floor, which makes the M-step maximise a slightly different function (it can then
    # lower ℓ by ~1e-10 relative, in float64 as in scikit-learn), EM never lowers ℓ. float32 moments make
    # each M-step inexact by ~1e-9 relative near convergence, where ℓ then wobbles at that level: far
    # below the precision goal, and invisible in the curves.
    lls = []
    for s in em_fast_steps(x, init, "full", reg=0.0, max_iter=12):
        if s.phase != "E":
            assert s.log_likelihood == pytest.approx(s.gmm.log_prob(x).sum(), rel=LL_RTOL)
            lls.append(s.log_likelihood)
    assert all(b >= a - 0.1 * LL_RTOL * abs(a) for a, b in zip(lls, lls[1:], strict=False))


def test_well_conditioned_data_stays_in_float32():
    x, init = _elongated(1)
    assert all(s.precision_note is None for s in em_fast_steps(x, init, max_iter=5))


def test_fast_path_switches_to_float64_mid_run_with_consistent_snapshots():
    x, init = _elongated(300)
    fast = list(em_fast_steps(x, init, "full", reg=1e-6, max_iter=6))
    ref = list(em_steps(x, init, "full", reg=1e-6, max_iter=6))
    assert [(s.iteration, s.phase) for s in fast] == [(s.iteration, s.phase) for s in ref]
    assert fast[-1].precision_note is not None and "float64" in fast[-1].precision_note


def test_floor_holds_in_data_units_when_float32_noise_makes_a_scatter_indefinite():
    from vaeviz.core.em.fast import _estimate_from_moments

    pairs = [(0, 0), (0, 1), (1, 1)]
    # One component's moments: N_k = 10, Σ r x = 0, Σ r x xᵀ slightly indefinite (rounding noise).
    mom = np.array([[10.0, 10.0 + 1e-6, 10.0, 0.0, 0.0, 10.0]])
    scale = np.array([100.0, 0.01])
    _, _, cov = _estimate_from_moments(mom, pairs, 2, "full", 1e-6, scale)
    in_data_units = cov * np.outer(scale, scale)
    assert np.linalg.eigvalsh(in_data_units).min() >= 1e-6 * (1 - 1e-9)


# ----- 3. ℓ_c with the labels matched to each snapshot ----------------------------------------------
def _by_brute_force(x, labels, gmm: GaussianMixture) -> float:
    """ℓ_c with the class→component matching of nearest means, found by trying every permutation."""
    k = gmm.n_components
    class_means = np.stack([x[labels == j].mean(axis=0) for j in range(k)])
    best = min(itertools.permutations(range(k)),
               key=lambda p: sum(((class_means[j] - gmm.means[p[j]]) ** 2).sum() for j in range(k)))
    log_joint = gmm.component_log_prob(x)
    return float(log_joint[np.arange(len(x)), np.asarray(best)[labels]].sum())


def _three_classes(n: int = 300):
    rng = np.random.default_rng(5)
    centres = np.array([[0.0, 0.0], [6.0, 0.0], [3.0, 5.0]])
    labels = rng.integers(3, size=n)
    return centres[labels] + rng.normal(size=(n, 2)), labels


@pytest.mark.parametrize("seed", range(8))
def test_complete_log_likelihood_matches_the_classes_to_every_snapshot(seed):
    x, labels = _three_classes()
    init = init_random(x, 3, rng=seed)  # components in arbitrary order relative to the classes
    for s in em_steps(x, init, "full", max_iter=15, z_true=labels):
        assert s.complete_log_likelihood == pytest.approx(_by_brute_force(x, labels, s.gmm), rel=1e-12)


def test_fast_path_complete_log_likelihood_matches_too():
    x, labels = _three_classes(6000)
    init = init_random(x, 3, rng=2)
    for s in em_fast_steps(x, init, "full", max_iter=8, z_true=labels):
        assert s.complete_log_likelihood == pytest.approx(_by_brute_force(x, labels, s.gmm), rel=1e-9)
