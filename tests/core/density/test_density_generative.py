"""The Density lab's generative process (z ~ Cat(π), x | z ~ N(μ_z, Σ_z)): deterministic draws, Monte Carlo
agreement with the mixture, the running histogram against ``np.histogram2d``, the distance to p(x), and
bad input refused with a message."""

from __future__ import annotations

import numpy as np
import pytest

from vaeviz.core.data.density_presets import DensityInputError
from vaeviz.core.density.generative import GenerativeStream, cell_probabilities, check_mixture

WEIGHTS = [0.5, 0.3, 0.2]
MEANS = [[-2.0, 0.0], [2.0, 1.0], [0.0, -2.5]]
COVS = [[[1.0, 0.5], [0.5, 1.0]], [[0.5, 0.0], [0.0, 0.8]], [[1.5, -0.3], [-0.3, 0.4]]]


def _stream(**kwargs) -> GenerativeStream:
    return GenerativeStream(WEIGHTS, MEANS, COVS, **kwargs)


def test_same_seed_same_draws_however_batched():
    whole = _stream(seed=7).draw(1000)
    batched = _stream(seed=7)
    for n in (1, 9, 90, 400, 500):
        last = batched.draw(n)
    np.testing.assert_array_equal(last.z, whole.z)
    np.testing.assert_array_equal(last.x, whole.x)
    np.testing.assert_array_equal(last.counts, whole.counts)
    other = _stream(seed=8).draw(1000)
    assert not np.array_equal(other.x, whole.x)


def test_reset_and_draw_until_replay_the_stream():
    stream = _stream(seed=3)
    first = stream.draw(250)
    stream.draw(100)
    again = stream.draw_until(250)  # fewer than drawn: starts again, same draws
    np.testing.assert_array_equal(again.x, first.x)
    assert stream.reset().n_draws == 0
    assert stream.snapshot().tv is None and stream.snapshot().last_z == -1


def test_frequencies_means_and_covariances_match_the_mixture():
    n = 200_000
    snap = _stream(seed=1).draw(n)
    freq = snap.component_counts / n
    # binomial standard error sqrt(π(1-π)/n) ≤ 0.0012: 5 of them
    np.testing.assert_allclose(freq, WEIGHTS, atol=0.006)
    np.testing.assert_array_equal(np.bincount(snap.z, minlength=3), snap.component_counts)
    for k in range(3):
        xs = snap.x[snap.z == k]
        # the mean's standard error is sqrt(Σ_ii / n_k) ≤ 0.006 for n_k ≥ 40,000; the covariance's ≈ 1.5 %
        np.testing.assert_allclose(xs.mean(axis=0), MEANS[k], atol=0.03)
        np.testing.assert_allclose(np.cov(xs.T), COVS[k], atol=0.04)


def test_zero_weight_component_is_never_drawn():
    snap = GenerativeStream([0.0, 1.0, 0.0], MEANS, COVS, seed=0).draw(5000)
    assert set(np.unique(snap.z)) == {1}


def test_last_draw_and_the_batch_start():
    stream = _stream(seed=2)
    one = stream.draw(1)
    assert one.n_draws == 1 and one.batch_start == 0
    assert one.last_z == one.z[0] and np.array_equal(one.last_x, one.x[0])
    more = stream.draw(5)
    assert more.batch_start == 1 and more.n_draws == 6 and more.last_z == more.z[-1]
    assert one.n_stored == 1  # an earlier snapshot does not change


def test_running_histogram_equals_histogram2d():
    stream = _stream(seed=4, bins=(30, 20), rect=(-4.0, -3.0, 3.5, 2.5))  # a rectangle that cuts tails off
    for n in (1, 50, 1000, 20_000):
        snap = stream.draw(n)
    expected, _, _ = np.histogram2d(snap.x[:, 0], snap.x[:, 1], bins=(stream.edges_x, stream.edges_y))
    np.testing.assert_array_equal(snap.counts, expected)
    assert snap.outside == snap.n_draws - int(expected.sum()) > 0


def test_histogram_edge_values_follow_numpy():
    stream = _stream(bins=4, rect=(0.0, 0.0, 4.0, 4.0))
    x = np.array([[0.0, 0.0], [4.0, 4.0], [1.0, 3.0], [4.0000001, 1.0], [-1e-12, 2.0], [2.0, 4.0]])
    stream._count(np.zeros(len(x), dtype=np.int64), x)
    expected, _, _ = np.histogram2d(x[:, 0], x[:, 1], bins=(stream.edges_x, stream.edges_y))
    np.testing.assert_array_equal(stream._counts.reshape(4, 4), expected)


def test_stored_draws_are_capped_with_a_note():
    stream = _stream(seed=0, max_stored=1000)
    snap = stream.draw(600)
    assert snap.note == ""
    snap = stream.draw(900)
    assert snap.n_stored == 1000 and snap.n_draws == 1500 and snap.batch_start == 600
    assert snap.counts.sum() + snap.outside == 1500  # the histogram has them all
    assert "1,000 of 1,500" in snap.note
    np.testing.assert_array_equal(snap.x, _stream(seed=0).draw(1000).x)  # the first ones


def test_distance_shrinks_as_n_grows():
    stream = _stream(seed=5, bins=32)
    tv = {n: stream.draw_until(n).tv for n in (100, 1000, 10_000, 100_000)}
    assert tv[100] > tv[1000] > tv[10_000] > tv[100_000]
    assert tv[100_000] < 0.06 and tv[100] > 0.3
    snap = stream.snapshot()
    assert snap.l1 == pytest.approx(2 * snap.tv)
    p_hat = snap.counts / snap.n_inside
    assert snap.l1 == pytest.approx(np.abs(p_hat - stream.true_cell_probabilities).sum())


def test_true_cell_probabilities_are_the_integral_of_the_density():
    stream = _stream(bins=16)
    p = stream.true_cell_probabilities
    assert p.shape == (16, 16) and p.sum() == pytest.approx(1.0)
    # a much finer midpoint rule gives nearly the same cells: TV 1e-3 for cells about σ wide, 1.3e-4 at
    # the default 48 bins (cells about σ / 3)
    fine = cell_probabilities(stream.weights, stream.means, stream.covariances, stream.rect, (16, 16), 32)
    assert 0.5 * np.abs(p - fine).sum() < 1.5e-3
    default = _stream()
    fine = cell_probabilities(default.weights, default.means, default.covariances, default.rect, (48, 48), 32)
    assert 0.5 * np.abs(default.true_cell_probabilities - fine).sum() < 3e-4
    # the density grid integrates to ≈ 1 over the default rectangle (3.5 σ around every mean)
    grid = stream.density_grid(200)
    area = (stream.rect[2] - stream.rect[0]) * (stream.rect[3] - stream.rect[1]) / 200**2
    assert grid.sum() * area == pytest.approx(1.0, abs=3e-3)


def test_weights_are_normalised():
    w, _, _ = check_mixture([2.0, 6.0], MEANS[:2], COVS[:2])
    np.testing.assert_allclose(w, [0.25, 0.75])


@pytest.mark.parametrize(("weights", "means", "covs", "message"), [
    ([-0.1, 0.6, 0.5], MEANS, COVS, "must be ≥ 0"),
    ([0.0, 0.0, 0.0], MEANS, COVS, "sum to 0"),
    ([], [], [], "K ≥ 1"),
    ([np.nan, 0.5, 0.5], MEANS, COVS, "NaN"),
    (WEIGHTS, MEANS[:2], COVS, "means μ"),
    (WEIGHTS, MEANS, COVS[:2], "covariances Σ"),
    (WEIGHTS, MEANS, [COVS[0], COVS[1], [[1.0, 2.0], [2.0, 1.0]]], "Σ_3 is not positive definite"),
    (WEIGHTS, MEANS, [COVS[0], [[0.0, 0.0], [0.0, 1.0]], COVS[2]], "Σ_2 is not positive definite"),
    (WEIGHTS, MEANS, [[[1.0, 0.2], [0.1, 1.0]], COVS[1], COVS[2]], "Σ_1 is not symmetric"),
    ("abc", MEANS, COVS, "must be numbers"),
])
def test_bad_mixtures_are_refused_with_a_message(weights, means, covs, message):
    with pytest.raises(DensityInputError, match=message):
        GenerativeStream(weights, means, covs)


def test_bad_grid_and_counts_are_refused():
    with pytest.raises(DensityInputError, match="bins"):
        _stream(bins=0)
    with pytest.raises(DensityInputError, match="rectangle"):
        _stream(rect=(1.0, 0.0, 0.0, 1.0))
    with pytest.raises(DensityInputError, match="none of the mixture's mass"):
        _stream(rect=(1e6, 1e6, 1e6 + 1, 1e6 + 1))
    with pytest.raises(DensityInputError, match="whole number"):
        _stream().draw(-1)
    with pytest.raises(DensityInputError, match="whole number"):
        _stream().draw(1.5)
    assert issubclass(DensityInputError, ValueError)
