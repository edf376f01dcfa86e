import numpy as np

from vaeviz.core.em.density_grid import grid_density
from vaeviz.core.em.gmm import GaussianMixture


def test_grid_density_matches_log_prob():
    gmm = GaussianMixture(weights=[0.3, 0.7], means=[[0.0, 0.0], [2.0, -1.0]],
                          covariances=[[[1.0, 0.3], [0.3, 0.5]], [[0.4, -0.1], [-0.1, 0.8]]])
    xs = np.linspace(-3, 5, 37)
    ys = np.linspace(-4, 3, 29)
    dens = grid_density(gmm, xs, ys)
    assert dens.shape == (29, 37) and dens.dtype == np.float32
    gx, gy = np.meshgrid(xs, ys)
    want = np.exp(gmm.log_prob(np.column_stack([gx.ravel(), gy.ravel()]))).reshape(29, 37)
    np.testing.assert_allclose(dens, want, rtol=1e-4, atol=1e-7)


def test_grid_density_of_a_zero_weight_component_is_zero_without_warnings():
    gmm = GaussianMixture(weights=[0.0, 1.0], means=[[0.0, 0.0], [2.0, -1.0]],
                          covariances=[np.eye(2), [[0.4, -0.1], [-0.1, 0.8]]])
    xs, ys = np.linspace(-3, 5, 20), np.linspace(-4, 3, 15)
    with np.errstate(all="raise"):
        dens = grid_density(gmm, xs, ys)
    gx, gy = np.meshgrid(xs, ys)
    want = np.exp(gmm.log_prob(np.column_stack([gx.ravel(), gy.ravel()]))).reshape(15, 20)
    np.testing.assert_allclose(dens, want, rtol=1e-4, atol=1e-7)
