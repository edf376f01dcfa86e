"""Float64 EM: equal to scikit-learn per iteration, monotone, singularities reported, edge cases."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vaeviz.core.em.algorithm import (
    EMState,
    SingularCovarianceError,
    e_step,
    em_steps,
    init_from_kmeans,
    init_kmeanspp,
    init_random,
    init_user,
    m_step,
)
from vaeviz.core.em.gmm import COVARIANCE_TYPES, GaussianMixture, from_full
from vaeviz.core.em.kmeans import kmeans_steps


def make_data(name: str, seed: int = 0) -> tuple[np.ndarray, int]:
    rng = np.random.default_rng(seed)
    if name == "blobs":
        centres = np.array([[0.0, 0.0], [5.0, 1.0], [1.0, 6.0]])
        return np.concatenate([c + rng.normal(size=(120, 2)) for c in centres]), 3
    if name == "anisotropic":
        x = np.concatenate([c + rng.normal(size=(120, 2)) for c in ([0, 0], [4, 4], [8, 0])])
        return x @ np.array([[0.6, -0.6], [-0.4, 0.8]]), 3
    if name == "overlapping":
        return np.concatenate([rng.normal(size=(150, 2)) * 1.5, rng.normal(size=(150, 2)) + [1.0, 0.5],
                               rng.normal(size=(100, 2)) * 0.7 + [-1.0, 1.0]]), 3
    if name == "1d":
        x = np.concatenate([rng.normal(-2, 0.7, 150), rng.normal(1, 1.2, 200), rng.normal(4, 0.5, 80)])
        return x[:, None], 3
    raise KeyError(name)


def sklearn_model(init: GaussianMixture, covariance_type: str, n_iter: int, warm_start: bool = False):
    from sklearn.mixture import GaussianMixture as SkGMM

    return SkGMM(init.n_components, covariance_type=covariance_type, reg_covar=1e-6, max_iter=n_iter, tol=0,
                 weights_init=init.weights, means_init=init.means,
                 precisions_init=from_full(np.linalg.inv(init.covariances), covariance_type),
                 init_params="random", warm_start=warm_start)


def quiet_fit(model, x):
    from sklearn.exceptions import ConvergenceWarning
    from threadpoolctl import threadpool_limits

    with warnings.catch_warnings(), threadpool_limits(1):  # threads only slow these tiny fits down
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(x)


def assert_same(ours: GaussianMixture, sk) -> None:
    np.testing.assert_allclose(ours.weights, sk.weights_, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(ours.means, sk.means_, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(ours.typed_covariances(), sk.covariances_, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("data", ["blobs", "anisotropic", "overlapping", "1d"])
def test_equals_sklearn_every_iteration(data, covariance_type):
    x, k = make_data(data)
    init = init_random(x, k, rng=3, covariance_type=covariance_type)
    m_states = [s for s in em_steps(x, init, covariance_type, max_iter=20) if s.phase == "M"]
    assert len(m_states) == 20
    # A warm-started model with max_iter=1 continues from its own parameters: after its n-th fit it is
    # exactly GaussianMixture(max_iter=n) fitted from the start (checked for n = 20 below), at 1/10 the cost.
    warm = sklearn_model(init, covariance_type, 1, warm_start=True)
    for n_iter in range(1, 21):
        quiet_fit(warm, x)
        assert_same(m_states[n_iter - 1].gmm, warm)
    fresh = quiet_fit(sklearn_model(init, covariance_type, 20), x)
    assert_same(m_states[-1].gmm, fresh)
    for n_iter in (1, 2, 7):
        assert_same(m_states[n_iter - 1].gmm, quiet_fit(sklearn_model(init, covariance_type, n_iter), x))
    # scikit-learn's lower bound after n iterations is the mean log-likelihood of the parameters of n - 1.
    np.testing.assert_allclose(m_states[-2].mean_log_likelihood, fresh.lower_bound_, rtol=1e-9)


def test_state_sequence_and_contents():
    x, k = make_data("blobs")
    z = np.repeat(np.arange(3), 120)
    init = init_random(x, k, rng=0)
    states = list(em_steps(x, init, "full", max_iter=3, z_true=z))
    assert [(s.iteration, s.phase) for s in states] == [(0, "init"), (1, "E"), (1, "M"), (2, "E"), (2, "M"),
                                                       (3, "E"), (3, "M")]
    assert states[0].gmm is init and states[0].responsibilities is None
    for prev, s in zip(states, states[1:], strict=False):
        if s.phase == "E":
            assert s.gmm is prev.gmm
            np.testing.assert_allclose(s.responsibilities, s.gmm.responsibilities(x), rtol=1e-12)
        else:
            assert s.responsibilities is prev.responsibilities  # the ones the M-step used
        np.testing.assert_allclose(s.log_likelihood, s.gmm.log_prob(x).sum(), rtol=1e-12)
        assert s.mean_log_likelihood == pytest.approx(s.log_likelihood / len(x))
        expected_cll = s.gmm.component_log_prob(x)[np.arange(len(x)), z].sum()
        assert s.complete_log_likelihood == pytest.approx(expected_cll, rel=1e-12)
        assert s.singular is None and not s.converged
    with pytest.raises(ValueError):
        states[1].responsibilities[0, 0] = 0.5
    with pytest.raises(AttributeError):
        states[1].phase = "M"  # type: ignore[misc]
    assert list(em_steps(x, init, max_iter=0))[0].phase == "init"


def test_standalone_steps_agree_with_the_generator():
    x, k = make_data("overlapping")
    init = init_random(x, k, rng=1, covariance_type="diag")
    states = list(em_steps(x, init, "diag", max_iter=1))
    resp, log_prob = e_step(x, init)
    np.testing.assert_array_equal(resp, states[1].responsibilities)
    assert log_prob.sum() == pytest.approx(states[1].log_likelihood)
    gmm = m_step(x, resp, "diag")
    np.testing.assert_array_equal(gmm.covariances, states[2].gmm.covariances)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(1, 5), d=st.integers(1, 3),
       covariance_type=st.sampled_from(COVARIANCE_TYPES))
def test_log_likelihood_never_decreases(seed, k, d, covariance_type):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=3.0, size=(k, d))
    x = centres[rng.integers(k, size=80)] + rng.normal(size=(80, d))
    init = init_random(x, k, rng=rng, covariance_type=covariance_type)
    states = em_steps(x, init, covariance_type, reg=1e-6, max_iter=15)
    lls = [s.log_likelihood for s in states if s.phase != "E"]  # init, then after every M-step
    for before, after in zip(lls, lls[1:], strict=False):
        assert after >= before - 1e-9 * max(1.0, abs(before))


def test_tol_stops_at_convergence():
    x, k = make_data("blobs")
    states = list(em_steps(x, init_random(x, k, rng=0), max_iter=500, tol=1e-8))
    assert states[-1].converged and states[-1].phase == "M"
    assert states[-1].iteration < 500
    assert not any(s.converged for s in states[:-1])


def collapse_setup():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(size=(60, 2)), [[8.0, 8.0]]])  # one far-away point
    init = GaussianMixture([0.5, 0.5], [[0.0, 0.0], [8.0, 8.0]], [np.eye(2), 1e-8 * np.eye(2)])
    return x, init


def test_collapse_without_floor_is_reported_and_ends_the_run():
    x, init = collapse_setup()
    z = np.r_[np.zeros(60, int), 1]
    states = list(em_steps(x, init, "full", reg=0.0, max_iter=50, z_true=z))
    last = states[-1]
    assert last.phase == "M" and last.iteration == 1 and len(states) == 3
    assert last.singular is not None and last.singular.component == 1 and last.singular.components == (1,)
    assert "component 2 collapsed onto a single point" in last.singular.reason  # numbered from 1 for users
    assert "likelihood runs to +∞" in last.singular.reason
    assert last.log_likelihood == np.inf and last.mean_log_likelihood == np.inf
    for s in states:
        for arr in (s.gmm.weights, s.gmm.means, s.gmm.covariances, s.responsibilities):
            assert arr is None or not np.any(np.isnan(arr))
        assert not np.isnan(s.log_likelihood) and not np.isnan(s.complete_log_likelihood)
    np.testing.assert_allclose(last.gmm.means[1], [8.0, 8.0])
    with pytest.raises(SingularCovarianceError, match="component 2 collapsed") as info:
        m_step(x, states[1].responsibilities, "full", reg=0.0)
    assert info.value.singularity.component == 1


def test_collapse_onto_a_line_is_named():
    rng = np.random.default_rng(1)
    line = np.c_[np.linspace(10, 12, 5), np.full(5, 10.0)]
    x = np.concatenate([rng.normal(size=(60, 2)), line])
    init = GaussianMixture([0.5, 0.5], [[0.0, 0.0], [11.0, 10.0]], [np.eye(2), np.diag([1.0, 1e-8])])
    last = list(em_steps(x, init, "full", reg=0.0, max_iter=20))[-1]
    assert last.singular is not None and "collapsed onto a line" in last.singular.reason


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_floor_keeps_the_same_start_finite(covariance_type):
    x, init = collapse_setup()
    states = list(em_steps(x, init, covariance_type, reg=1e-3, max_iter=20))
    assert len(states) == 41 and all(s.singular is None for s in states)
    assert all(np.isfinite(s.log_likelihood) for s in states)
    assert all(np.all(np.isfinite(s.gmm.covariances)) for s in states)


def test_identical_and_duplicated_points_do_not_crash():
    same = np.full((30, 2), 3.0)
    inits = (init_random(same, 3, rng=0), init_kmeanspp(same, 3, rng=0), init_user(same, [[3, 3], [2, 2]]))
    for init in inits:
        states = list(em_steps(same, init, reg=1e-6, max_iter=5))
        assert states[-1].singular is None
        assert np.all(np.isfinite(states[-1].gmm.covariances)) and np.isfinite(states[-1].log_likelihood)
    dup = np.repeat(np.random.default_rng(0).normal(size=(4, 2)), 10, axis=0)
    states = list(em_steps(dup, init_kmeanspp(dup, 6, rng=0), reg=1e-6, max_iter=10))
    assert all(s.singular is None and np.isfinite(s.log_likelihood) for s in states)
    # Without the floor, identical points are an immediate collapse, reported rather than raised.
    assert list(em_steps(same, init_random(same, 2, rng=0), reg=0.0, max_iter=5))[-1].singular is not None


@pytest.mark.parametrize(
    ("x", "k", "message"),
    [
        (np.zeros((0, 2)), 2, "N=0"),
        (np.zeros((3, 2)), 4, "N=3 points cannot support K=4"),
        (np.zeros((50, 2)), 21, "K ≤ 20"),
        (np.array([[0.0, 1.0], [np.nan, 2.0], [1.0, 1.0]]), 2, "NaN or infinite"),
    ],
)
def test_bad_data_raise_clear_errors(x, k, message):
    with pytest.raises(ValueError, match=message):
        init_random(x, k, rng=0)
    init = GaussianMixture(np.full(k, 1 / k), np.zeros((k, 2)), np.stack([np.eye(2)] * k))
    with pytest.raises(ValueError, match=message):
        next(em_steps(x, init, max_iter=1))


def test_bad_arguments_raise():
    x, k = make_data("blobs")
    init = init_random(x, k, rng=0)
    with pytest.raises(ValueError, match="d=1 coordinates"):
        next(em_steps(x[:, :1], init))
    with pytest.raises(ValueError, match="reg"):
        next(em_steps(x, init, reg=-1.0))
    with pytest.raises(ValueError, match="z_true"):
        next(em_steps(x, init, z_true=np.zeros(5, int)))
    with pytest.raises(ValueError, match="covariance_type"):
        next(em_steps(x, init, "round"))


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_initialisations(covariance_type):
    x, k = make_data("anisotropic")
    for gmm in (init_random(x, k, rng=0, covariance_type=covariance_type),
                init_kmeanspp(x, k, rng=0, covariance_type=covariance_type)):
        assert gmm.covariance_type == covariance_type
        np.testing.assert_allclose(gmm.weights, 1 / k)
        assert all(any(np.array_equal(m, p) for p in x) for m in gmm.means)  # means are data points
    user = init_user(x, [[0, 0], [1, 1]], covariance_type)
    np.testing.assert_array_equal(user.means, [[0, 0], [1, 1]])
    states = list(kmeans_steps(x, x[:3], max_iter=20))
    km = init_from_kmeans(x, states[-1].centres, states[-1].labels, covariance_type)
    np.testing.assert_allclose(km.weights, np.bincount(states[-1].labels) / len(x))
    np.testing.assert_array_equal(km.means, states[-1].centres)


def test_init_from_kmeans_survives_empty_and_single_point_clusters():
    x = np.array([[0.0, 0.0], [0.1, 0.0], [0.0, 0.1], [5.0, 5.0], [9.0, 9.0]])
    for reg in (0.0, 1e-6):
        gmm = init_from_kmeans(x, [[0, 0], [5, 5], [20, 20], [9, 9]], [0, 0, 0, 1, 3], "full", reg=reg)
        assert np.all(gmm.weights > 0) and gmm.weights.sum() == pytest.approx(1.0)
        # the empty cluster 2 and the one-point cluster 3 get the data's spread, not a dot
        np.testing.assert_allclose(gmm.covariances[2], np.cov(x.T, bias=True) + reg * np.eye(2))
        np.testing.assert_allclose(gmm.covariances[3], gmm.covariances[2])
        assert np.all(np.linalg.eigvalsh(gmm.covariances) > 0)


def test_states_are_em_states():
    x, k = make_data("1d")
    assert all(isinstance(s, EMState) for s in em_steps(x[:, 0], init_random(x, k, rng=0), max_iter=2))
