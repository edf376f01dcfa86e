import numpy as np

from vaeviz.core.em_lab import key_rgb
from vaeviz.core.em_render import density_lut, grid_density, keys_packed, keys_rgb, pack_rgb32
from vaeviz.core.gmm import GaussianMixture


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


def test_lut_and_keys():
    assert density_lut().shape == (256, 4)
    keys = np.array([0x000, 0x888, 0xF3A, 0xFFF], dtype=np.uint16)
    assert [tuple(c) for c in keys_rgb(keys)] == [key_rgb(int(k)) for k in keys]
    rgb = keys_rgb(keys).astype(np.uint32)
    assert np.array_equal(keys_packed(keys), rgb[:, 0] | (rgb[:, 1] << 8) | (rgb[:, 2] << 16))
    assert pack_rgb32(np.array([[1, 2, 3]]))[0] == 0xFF010203
