"""KL lab maths against closed forms, quadrature, Monte Carlo and the known optima (issue #15)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vaeviz.core.kl.fit import alpha_divergence, fit_steps, forward_kl, moment_match, reverse_kl
from vaeviz.core.kl.quadrature import grid_kl
from vaeviz.core.kl.targets import Banana, Gaussian, Mixture, Ring, TargetError, gaussian_kl

pytest.importorskip("torch")

P = Gaussian([0.5, -0.3], [[1.0, 0.8], [0.8, 1.0]])  # the lecture's Example 1: correlated p
Q = Gaussian([-0.2, 0.4], [[0.6, 0.0], [0.0, 1.7]])
BOX = ((-9.0, 9.0), (-9.0, 9.0))
TWO_MODES = Mixture.of([0.5, 0.5], [[-2.5, 0.0], [2.5, 0.0]], [0.5 * np.eye(2), 0.5 * np.eye(2)])  # Example 2


def test_closed_form_kl_equals_monte_carlo_and_quadrature():
    exact = gaussian_kl(P, Q)
    rng = np.random.default_rng(0)
    x = P.sample(200_000, rng)
    terms = P.log_prob(x) - Q.log_prob(x)
    mc, stderr = terms.mean(), terms.std(ddof=1) / math.sqrt(len(terms))
    assert abs(mc - exact) <= 3 * stderr
    assert grid_kl(P, Q, BOX, n=800) == pytest.approx(exact, abs=1e-3)
    assert gaussian_kl(P, P) == pytest.approx(0.0, abs=1e-12)  # D(p‖q) = 0 iff p = q
    assert gaussian_kl(P, Q) != pytest.approx(gaussian_kl(Q, P), abs=1e-3)  # not symmetric


def test_other_targets_are_normalised():
    for target in (Banana(), Ring(), TWO_MODES):
        assert target.log_prob(np.zeros((1, 2))).shape == (1,)
        from vaeviz.core.kl.quadrature import grid_points

        points, cell = grid_points(((-12.0, 12.0), (-30.0, 12.0)), 700)
        assert np.exp(target.log_prob(points)).sum() * cell == pytest.approx(1.0, abs=2e-3)


def _last(steps):
    *_, last = steps
    return last


def test_diagonal_q_reaches_the_known_optima_in_both_directions():
    start = Gaussian([0.0, 0.0], np.eye(2))
    precision = np.linalg.inv(P.cov)
    rough = _last(fit_steps(P, start, "diag", "reverse", lr=0.05, n_samples=2000, steps=400, seed=1))
    # Monte Carlo gradients keep a step of 0.05 jittering ~0.01 around the optimum: finish with a smaller one.
    reverse = _last(fit_steps(P, rough.q, "diag", "reverse", lr=0.005, n_samples=4000, steps=300, seed=2))
    # KL(q‖p): variances 1/Λ_ii, too narrow ("overconfident"); means at p's.
    np.testing.assert_allclose(np.diag(reverse.q.cov), 1 / np.diag(precision), atol=1e-2)
    np.testing.assert_allclose(reverse.q.mean, P.mean, atol=1e-2)
    forward = _last(fit_steps(P, start, "diag", "forward", lr=0.05, steps=600))
    # KL(p‖q): variances Σ_ii, too wide along the correlated direction.
    np.testing.assert_allclose(np.diag(forward.q.cov), np.diag(P.cov), atol=1e-2)
    np.testing.assert_allclose(forward.q.mean, P.mean, atol=1e-2)
    assert forward.forward.stderr == 0.0 and forward.forward.value < reverse.forward.value
    assert reverse.reverse.value < forward.reverse.value  # each fit wins its own direction


def test_forward_fit_to_a_mixture_matches_its_moments():
    mean, cov = TWO_MODES.moments()
    fit = _last(fit_steps(TWO_MODES, Gaussian([0.3, 0.3], np.eye(2)), "full", "forward", lr=0.05,
                          n_samples=4000, steps=800, seed=2))
    np.testing.assert_allclose(fit.q.mean, mean, atol=1e-2 * max(1.0, np.abs(mean).max()) + 2e-2)
    np.testing.assert_allclose(fit.q.cov, cov, atol=5e-2 * np.abs(cov).max())
    matched = moment_match(TWO_MODES)
    np.testing.assert_allclose(matched.cov, cov)


def test_reverse_fits_from_starts_near_each_mode_land_on_different_modes():
    ends = []
    for x0 in (-2.0, 2.0):
        fit = _last(fit_steps(TWO_MODES, Gaussian([x0, 0.3], np.eye(2)), "full", "reverse", lr=0.05,
                              n_samples=1000, steps=500, seed=3))
        ends.append(fit.q.mean[0])
    assert ends[0] == pytest.approx(-2.5, abs=0.1) and ends[1] == pytest.approx(2.5, abs=0.1)


def test_alpha_divergence_tends_to_both_kls_at_its_ends():
    q_samples = Q.sample(400_000, np.random.default_rng(4))
    near_zero = alpha_divergence(P, Q, q_samples, 1e-4)
    assert near_zero.value == pytest.approx(gaussian_kl(Q, P), abs=5 * near_zero.stderr + 1e-2)
    # Near α = 1 the estimate from samples of q is heavy-tailed; q wide enough keeps it tame.
    wide_q = Gaussian([0.2, 0.0], 3.0 * np.eye(2))
    wide_samples = wide_q.sample(400_000, np.random.default_rng(5))
    near_one = alpha_divergence(P, wide_q, wide_samples, 1 - 1e-4)
    assert near_one.value == pytest.approx(gaussian_kl(P, wide_q), abs=5 * near_one.stderr + 1e-2)


def test_estimates_for_non_gaussian_targets_agree_with_quadrature():
    q = Gaussian([0.0, 0.0], 2.0 * np.eye(2))
    rng = np.random.default_rng(6)
    fwd = forward_kl(TWO_MODES, q, TWO_MODES.sample(200_000, rng))
    rev = reverse_kl(TWO_MODES, q, q.sample(200_000, rng))
    assert fwd.value == pytest.approx(grid_kl(TWO_MODES, q, BOX), abs=3 * fwd.stderr + 1e-3)
    assert rev.value == pytest.approx(grid_kl(q, TWO_MODES, BOX), abs=3 * rev.stderr + 1e-3)


def test_a_learning_rate_that_diverges_stops_with_the_last_good_q():
    steps = list(fit_steps(Banana(a=1.5, b=3.0), Gaussian([0.0, 0.0], np.eye(2)), "full", "reverse",
                           lr=1e4, n_samples=200, steps=50, seed=0))
    last = steps[-1]
    assert last.stopped is not None and "learning rate" in last.stopped
    assert np.all(np.isfinite(last.q.cov)) and np.all(np.isfinite(last.q.mean))


@pytest.mark.parametrize(("make", "words"), [
    (lambda: Mixture.of([-1, 2], [[0, 0], [1, 1]], [np.eye(2)] * 2), "not negative"),
    (lambda: Mixture.of([0, 0], [[0, 0], [1, 1]], [np.eye(2)] * 2), "positive"),
    (lambda: Gaussian([0, 0], [[1, 2], [2, 1]]), "positive definite"),
    (lambda: Gaussian([0, np.nan], np.eye(2)), "finite"),
])
def test_bad_targets_are_refused_with_a_message(make, words):
    with pytest.raises(TargetError, match=words):
        make()


def test_bad_fit_settings_are_refused():
    with pytest.raises(ValueError, match="Monte Carlo samples"):
        next(fit_steps(P, Q, n_samples=0))
    with pytest.raises(ValueError, match="learning rate"):
        next(fit_steps(P, Q, lr=float("nan")))
