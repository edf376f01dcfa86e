"""Lloyd's k-means: equal to scikit-learn from the same start, monotone objective, seeding, edge cases."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vaeviz.core.em.kmeans import (
    KMeansState,
    assign_labels,
    inertia,
    kmeans_steps,
    kmeanspp_init,
    update_centres,
)


def blobs(seed: int, d: int = 2) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-6, 6, size=(4, d))
    return np.concatenate([c + rng.normal(scale=1.3, size=(80, d)) for c in centres])


def after(states: list[KMeansState], n_iter: int) -> np.ndarray:
    """Centres after n_iter Lloyd iterations (or at convergence, if that came first)."""
    centres = states[0].centres
    for s in states:
        if s.iteration > n_iter:
            break
        if s.phase == "update" or s.converged:
            centres = s.centres
    return centres


@pytest.mark.parametrize(("seed", "d", "k"), [(0, 2, 4), (1, 2, 3), (2, 2, 6), (3, 1, 3), (4, 3, 4)])
def test_equals_sklearn_lloyd(seed, d, k):
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    x = blobs(seed, d)
    init = kmeanspp_init(x, k, rng=seed)
    states = list(kmeans_steps(x, init, max_iter=30))
    assert not any(s.empty for s in states)  # sklearn relocates empty clusters; these data have none
    for n_iter in range(1, 16):
        with threadpool_limits(1):  # OpenMP start-up on a busy machine costs far more than these tiny fits
            sk = KMeans(n_clusters=k, init=init, n_init=1, algorithm="lloyd", max_iter=n_iter, tol=0).fit(x)
        centres = after(states, n_iter)
        np.testing.assert_allclose(centres, sk.cluster_centers_, rtol=1e-9, atol=1e-9)
        labels = assign_labels(x, centres)
        np.testing.assert_array_equal(labels, sk.labels_)
        np.testing.assert_allclose(inertia(x, centres, labels), sk.inertia_, rtol=1e-9)


def test_state_sequence():
    x = blobs(0)
    states = list(kmeans_steps(x, x[:4], max_iter=100))
    assert states[0].phase == "init" and states[0].labels is None and states[0].objective is None
    phases = [s.phase for s in states[1:]]
    assert phases[::2] == ["assign"] * len(phases[::2]) and phases[1::2] == ["update"] * len(phases[1::2])
    assert states[-1].converged and states[-1].phase == "assign"
    assert not any(s.converged for s in states[:-1])
    for s in states[1:]:
        assert s.objective == pytest.approx(inertia(x, s.centres, s.labels))
        if s.phase == "assign":
            np.testing.assert_array_equal(s.labels, assign_labels(x, s.centres))
    with pytest.raises(ValueError):
        states[1].labels[0] = 3
    with pytest.raises(ValueError):
        states[1].centres[0, 0] = 3.0


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(1, 6), d=st.integers(1, 3))
def test_objective_never_increases(seed, k, d):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(60, d)) + rng.integers(0, 3, size=(60, 1)) * 3.0
    objectives = [s.objective for s in kmeans_steps(x, kmeanspp_init(x, k, rng), max_iter=20) if s.iteration]
    for before, now in zip(objectives, objectives[1:], strict=False):
        assert now <= before + 1e-9 * max(1.0, before)


def test_empty_cluster_keeps_its_centre():
    x = np.array([[0.0, 0.0], [0.2, 0.0], [5.0, 5.0], [5.2, 5.0]])
    far = [100.0, 100.0]
    states = list(kmeans_steps(x, [[0.0, 0.0], [5.0, 5.0], far], max_iter=5))
    update = next(s for s in states if s.phase == "update")
    assert update.empty == (2,)
    np.testing.assert_array_equal(update.centres[2], far)
    np.testing.assert_allclose(update.centres[:2], [[0.1, 0.0], [5.1, 5.0]])
    new, empty = update_centres(x, [0, 0, 1, 1], np.zeros((3, 2)))
    assert empty == (2,) and np.array_equal(new[2], [0.0, 0.0])


def test_kmeanspp_picks_distinct_data_points_and_is_reproducible():
    x = blobs(5)
    c1 = kmeanspp_init(x, 5, rng=11)
    np.testing.assert_array_equal(c1, kmeanspp_init(x, 5, rng=np.random.default_rng(11)))
    assert c1.shape == (5, 2)
    assert len({tuple(c) for c in c1}) == 5
    assert all(any(np.array_equal(c, p) for p in x) for c in c1)


def test_kmeanspp_spreads_the_seeds():
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0], [50, 0], [0, 50]])
    x = np.concatenate([c + rng.normal(scale=0.5, size=(100, 2)) for c in centres])
    seeds = kmeanspp_init(x, 3, rng=1)
    assert len(set(assign_labels(seeds, centres))) == 3  # one seed in each far-apart blob


def test_duplicated_and_identical_points():
    same = np.ones((10, 2))
    seeds = kmeanspp_init(same, 3, rng=0)
    np.testing.assert_array_equal(seeds, np.ones((3, 2)))
    states = list(kmeans_steps(same, seeds, max_iter=5))
    assert states[-1].converged and states[-1].objective == 0.0


@pytest.mark.parametrize(
    ("x", "centres", "message"),
    [
        (np.zeros((0, 2)), np.zeros((1, 2)), "N=0"),
        (np.zeros((2, 2)), np.zeros((3, 2)), "N=2 points cannot support K=3"),
        (np.zeros((30, 2)), np.zeros((21, 2)), "K ≤ 20"),
        ([[0.0, np.inf], [1.0, 1.0]], np.zeros((1, 2)), "NaN or infinite"),
        (np.zeros((5, 2)), np.zeros((2, 3)), r"shape \(K, 2\)"),
    ],
)
def test_errors(x, centres, message):
    with pytest.raises(ValueError, match=message):
        next(kmeans_steps(x, centres))


def test_kmeanspp_errors():
    with pytest.raises(ValueError, match="K ≤ 20"):
        kmeanspp_init(np.zeros((40, 2)), 21)
    with pytest.raises(ValueError, match="cannot support"):
        kmeanspp_init(np.zeros((2, 2)), 3)


def test_nearest_centre_ties_go_to_the_lowest_index():
    from vaeviz.core.em.kmeans import _nearest

    dist = np.array([[1.0, 1.0, 2.0], [3.0, 2.0, 2.0], [0.5, 0.7, 0.1]])
    assert _nearest(dist).tolist() == [0, 1, 2]
    rng = np.random.default_rng(0)
    for k in (2, 5, 9):
        d = rng.integers(0, 4, size=(300, k)).astype(float)  # many ties
        assert np.array_equal(_nearest(d), np.argmin(d, axis=1))
        assert np.array_equal(_nearest(np.asfortranarray(d)), np.argmin(d, axis=1))
