"""Targets evaluated on a grid (the heatmaps' and the quadrature's fast path) agree with point evaluation."""

from __future__ import annotations

import numpy as np
import pytest

from vaeviz.core.kl.posterior import ToyModel
from vaeviz.core.kl.quadrature import grid_axes, grid_points
from vaeviz.core.kl.targets import Banana, Gaussian, Mixture, Ring

EXTENT_2D = ((-4.0, 5.0), (-3.0, 3.5))

TARGETS_2D = [
    Gaussian([0.7, -0.4], [[1.3, 0.8], [0.8, 0.9]]),
    Gaussian([0.0, 0.0], [[0.04, -0.019], [-0.019, 0.01]]),  # narrow and nearly singular
    Mixture.of([0.2, 0.0, 0.8], [[-2, 0], [0, 0], [2, 1]], [np.eye(2), np.eye(2), [[0.5, 0.2], [0.2, 0.3]]]),
    Banana(1.5, 0.5),
    Ring(2.5, 0.3),
    ToyModel().posterior(200),
]


@pytest.mark.parametrize("target", TARGETS_2D, ids=lambda t: type(t).__name__)
def test_grid_evaluation_matches_points_in_2d(target):
    axes, cell = grid_axes(EXTENT_2D, 37)
    points, point_cell = grid_points(EXTENT_2D, 37)
    on_grid = target.log_prob_grid(axes)
    assert on_grid.shape == (37, 37)
    assert cell == point_cell
    # [i, j] is the point (x₁ᵢ, x₂ⱼ): the order grid_points lists them in
    np.testing.assert_allclose(on_grid.ravel(), target.log_prob(points), rtol=1e-10, atol=1e-9)


TARGETS_1D = [Gaussian([0.3], [[0.7]]), Mixture.of([0.4, 0.6], [[-1], [2]], [[[1]], [[0.2]]])]


@pytest.mark.parametrize("target", TARGETS_1D, ids=lambda t: type(t).__name__)
def test_grid_evaluation_matches_points_in_1d(target):
    axes, _ = grid_axes(((-5.0, 5.0),), 101)
    np.testing.assert_allclose(target.log_prob_grid(axes), target.log_prob(axes[0][:, None]), rtol=1e-10,
                               atol=1e-9)


def test_a_mixture_far_from_every_point_stays_finite_on_the_grid():
    far = Mixture.of([0.5, 0.5], [[40, 40], [-40, -40]], [np.eye(2) * 0.01, np.eye(2) * 0.01])
    axes, _ = grid_axes(EXTENT_2D, 20)
    values = far.log_prob_grid(axes)
    assert np.all(np.isfinite(values))
    np.testing.assert_allclose(values.ravel(), far.log_prob(grid_points(EXTENT_2D, 20)[0]), rtol=1e-10)


# ----- the torch log-densities the fits differentiate: the same numbers as the numpy ones ----------------
@pytest.mark.parametrize("target", [*TARGETS_2D[:5], *TARGETS_1D], ids=lambda t: f"{type(t).__name__}{t.dim}")
def test_torch_log_density_matches_numpy(target):
    import torch

    points = np.random.default_rng(0).normal(0.0, 2.0, size=(200, target.dim))
    values = target.log_prob_torch(torch.as_tensor(points, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(values, target.log_prob(points), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("family, dim", [("full", 2), ("full", 1), ("diag", 2), ("isotropic", 2)])
def test_a_familys_cholesky_factor_is_the_covariance_it_describes(family, dim):
    import torch

    from vaeviz.core.kl.families import GaussianFamily, initial_parameters

    start = Gaussian([0.3, -1.0][:dim], [[1.5, 0.6], [0.6, 0.8]] if dim == 2 else [[0.7]])
    fam = GaussianFamily(family, dim)
    params = torch.tensor(initial_parameters(start, family), dtype=torch.float64, requires_grad=True)
    chol = fam.cholesky(params)
    q = fam.to_gaussian(params)
    np.testing.assert_allclose((chol @ chol.T).detach().numpy(), q.cov, rtol=1e-12)
    assert torch.all(torch.triu(chol, 1) == 0)
    chol.sum().backward()  # differentiable in every parameter that enters L
    assert params.grad is not None and torch.all(params.grad[dim:] != 0)
    if family == "full":
        np.testing.assert_allclose(q.cov, start.cov, rtol=1e-12)
