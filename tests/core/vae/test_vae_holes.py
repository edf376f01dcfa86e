"""Holes in a latent plane: nearest-neighbour distances against brute force, and the figure's parts."""

from __future__ import annotations

import numpy as np
import pytest

from vaeviz.core.vae.holes import hole_fraction, nearest_distances
from vaeviz.core.vae.models import ModelConfig, build_model


def test_nearest_distances_equal_brute_force_with_and_without_self():
    rng = np.random.default_rng(0)
    refs, queries = rng.uniform(size=(40, 3, 3)), rng.uniform(size=(11, 3, 3))
    full = np.sqrt(((queries.reshape(11, 1, 9) - refs.reshape(1, 40, 9)) ** 2).sum(axis=2))
    # rtol 1e-6: the images are compared in float32, as the app holds them
    np.testing.assert_allclose(nearest_distances(queries, refs, batch=4), full.min(axis=1), rtol=1e-6)
    own = np.sqrt(((refs.reshape(40, 1, 9) - refs.reshape(1, 40, 9)) ** 2).sum(axis=2))
    np.fill_diagonal(own, np.inf)
    np.testing.assert_allclose(nearest_distances(refs, refs, exclude_self=True, batch=7), own.min(axis=1),
                               rtol=1e-6)  # images are float32, as the app holds them


def test_the_figure_spans_the_codes_and_counts_far_decodings():
    images = np.random.default_rng(1).uniform(size=(300, 8, 8)).astype(np.float32)
    model = build_model(ModelConfig(kind="mlp-ae", image_shape=(1, 8, 8), hidden=(16,)), seed=0)
    figure = hole_fraction(model, images, n=6, n_reference=200)
    assert figure.distances.shape == (36,) and 0.0 <= figure.fraction <= 1.0
    assert figure.fraction == np.mean(figure.distances > figure.threshold)
    assert 0.0 <= figure.prior_fraction <= 1.0 and figure.threshold > 0
    (x0, x1), (y0, y1) = figure.z_range
    assert x0 < x1 and y0 < y1


def test_only_a_plane_can_be_measured():
    model = build_model(ModelConfig(kind="mlp-vae", image_shape=(1, 8, 8), hidden=(16,), latent_dim=3),
                        seed=0)
    with pytest.raises(ValueError, match="2-D latent plane"):
        hole_fraction(model, np.zeros((20, 8, 8), np.float32))
