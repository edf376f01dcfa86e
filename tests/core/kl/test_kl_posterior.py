"""The variational-inference view: log p(x) = ELBO + KL(q ‖ p(z|x)) on a toy model with an exact posterior."""

from __future__ import annotations

import numpy as np
import pytest

from vaeviz.core.kl.fit import fit_steps
from vaeviz.core.kl.posterior import EXTENT, ToyModel, elbo_by_quadrature, elbo_monte_carlo
from vaeviz.core.kl.quadrature import grid_kl, grid_points
from vaeviz.core.kl.targets import Gaussian, TargetError

MODEL = ToyModel()


def test_the_posterior_is_normalised_and_has_two_modes():
    post = MODEL.posterior()
    points, cell = grid_points(EXTENT, 800)
    density = np.exp(post.log_prob(points))
    assert density.sum() * cell == pytest.approx(1.0, abs=1e-4)
    swapped = points[:, ::-1]
    np.testing.assert_allclose(post.log_prob(points), post.log_prob(swapped), atol=1e-9)  # z₁ ↔ z₂


@pytest.mark.parametrize("q", [Gaussian([0.0, 0.0], np.eye(2)),
                               Gaussian([1.2, -0.6], [[0.3, 0.1], [0.1, 0.2]])])
def test_log_evidence_is_elbo_plus_kl(q):
    post = MODEL.posterior()
    elbo = elbo_by_quadrature(MODEL, q)
    kl = grid_kl(q, post, EXTENT, n=1200)
    assert elbo + kl == pytest.approx(post.log_evidence, abs=1e-3)
    mc, stderr = elbo_monte_carlo(MODEL, q, 200_000, np.random.default_rng(0))
    assert abs(mc - elbo) <= 4 * stderr


def test_fitting_q_raises_the_elbo_and_shrinks_the_kl():
    post = MODEL.posterior()
    steps = list(fit_steps(post, Gaussian([0.5, -0.2], np.eye(2)), "full", "reverse", lr=0.05,
                           n_samples=1000, steps=300, seed=0))
    first, last = steps[0], steps[-1]
    assert last.reverse.value < 0.5 * first.reverse.value
    assert (elbo_by_quadrature(MODEL, last.q) > elbo_by_quadrature(MODEL, first.q))
    # the reverse-KL fit sits on one of the two mirror-image modes, not between them
    assert abs(last.q.mean[0] - last.q.mean[1]) > 0.5


def test_bad_models_are_refused():
    with pytest.raises(TargetError, match="noise"):
        ToyModel(noise=0.0)
    with pytest.raises(TargetError, match="observation"):
        ToyModel(x=(np.nan, 0.0))
