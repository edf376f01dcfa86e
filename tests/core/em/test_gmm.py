"""Gaussian mixture parameters: validation, densities against scipy, sampling, model-selection scores."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import multivariate_normal

from vaeviz.core.em.gmm import (
    COVARIANCE_TYPES,
    GaussianMixture,
    from_full,
    information_criteria,
    logsumexp_rows,
    to_full,
    validate_data,
)


def random_mixture(rng: np.random.Generator, k: int, d: int, covariance_type: str = "full"):
    weights = rng.dirichlet(np.ones(k) * 2)
    means = rng.normal(scale=3.0, size=(k, d))
    if covariance_type == "full":
        a = rng.normal(size=(k, d, d))
        cov = a @ a.transpose(0, 2, 1) + 0.3 * np.eye(d)
    elif covariance_type == "diag":
        cov = rng.uniform(0.2, 2.0, size=(k, d))
    elif covariance_type == "spherical":
        cov = rng.uniform(0.2, 2.0, size=k)
    else:
        a = rng.normal(size=(d, d))
        cov = a @ a.T + 0.3 * np.eye(d)
    return GaussianMixture.from_typed(weights, means, cov, covariance_type)


@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_log_prob_matches_scipy(d, covariance_type):
    rng = np.random.default_rng(d)
    gmm = random_mixture(rng, 4, d, covariance_type)
    x = rng.normal(scale=4.0, size=(200, d))
    per_component = np.stack(
        [np.log(w) + multivariate_normal(m, c).logpdf(x).reshape(-1)
         for w, m, c in zip(gmm.weights, gmm.means, gmm.covariances, strict=True)], axis=1)
    np.testing.assert_allclose(gmm.component_log_prob(x), per_component, rtol=1e-10, atol=1e-10)
    expected = np.log(np.exp(per_component).sum(axis=1))
    np.testing.assert_allclose(gmm.log_prob(x), expected, rtol=1e-10, atol=1e-10)


def test_one_dimensional_conveniences():
    gmm = GaussianMixture([0.3, 0.7], [-1.0, 2.0], [0.5, 2.0])
    assert gmm.means.shape == (2, 1) and gmm.covariances.shape == (2, 1, 1)
    x = np.linspace(-5, 5, 11)
    expected = np.log(0.3 * multivariate_normal(-1, 0.5).pdf(x) + 0.7 * multivariate_normal(2, 2.0).pdf(x))
    np.testing.assert_allclose(gmm.log_prob(x), expected, rtol=1e-12)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(1, 6), d=st.integers(1, 3),
       covariance_type=st.sampled_from(COVARIANCE_TYPES))
def test_responsibilities_are_a_distribution(seed, k, d, covariance_type):
    rng = np.random.default_rng(seed)
    gmm = random_mixture(rng, k, d, covariance_type)
    x = rng.normal(scale=20.0, size=(50, d))  # far-out points too: the shift by the row max keeps them finite
    resp = gmm.responsibilities(x)
    assert resp.shape == (50, k)
    assert np.all(np.isfinite(resp)) and np.all(resp >= 0)
    np.testing.assert_allclose(resp.sum(axis=1), 1.0, rtol=1e-12)


def test_zero_weight_component_gives_minus_inf_not_nan():
    gmm = GaussianMixture([1.0, 0.0], [[0.0, 0.0], [1.0, 1.0]], np.stack([np.eye(2)] * 2))
    lp = gmm.component_log_prob(np.zeros((3, 2)))
    assert np.all(lp[:, 1] == -np.inf) and np.all(np.isfinite(lp[:, 0]))
    np.testing.assert_array_equal(gmm.responsibilities(np.zeros((3, 2))), [[1.0, 0.0]] * 3)


def test_logsumexp_rows_of_minus_inf_is_minus_inf():
    out = logsumexp_rows(np.array([[-np.inf, -np.inf], [0.0, 0.0], [1000.0, 1000.0]]))
    np.testing.assert_allclose(out, [-np.inf, np.log(2), 1000 + np.log(2)])


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_sampling_matches_the_parameters(covariance_type):
    rng = np.random.default_rng(7)
    gmm = random_mixture(rng, 3, 2, covariance_type)
    n = 200_000
    z, x = gmm.sample(n, rng=1)
    assert z.shape == (n,) and x.shape == (n, 2)
    np.testing.assert_allclose(np.bincount(z, minlength=3) / n, gmm.weights, atol=5e-3)
    for k in range(3):
        xs = x[z == k]
        sd = np.sqrt(np.diag(gmm.covariances[k]))
        np.testing.assert_allclose(xs.mean(axis=0), gmm.means[k], atol=0.03 * sd.max())
        np.testing.assert_allclose(np.cov(xs, rowvar=False), gmm.covariances[k], atol=0.03 * sd.max() ** 2)
    mixture_mean = gmm.weights @ gmm.means
    np.testing.assert_allclose(x.mean(axis=0), mixture_mean, atol=0.03)


def test_sampling_is_reproducible_and_allows_zero():
    gmm = random_mixture(np.random.default_rng(0), 2, 2)
    z1, x1 = gmm.sample(10, rng=3)
    z2, x2 = gmm.sample(10, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(z1, z2)
    z0, x0 = gmm.sample(0, rng=0)
    assert z0.shape == (0,) and x0.shape == (0, 2)
    with pytest.raises(ValueError, match="non-negative"):
        gmm.sample(-1)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_parameter_count_bic_aic_match_sklearn(covariance_type):
    from sklearn.mixture import GaussianMixture as SkGMM

    rng = np.random.default_rng(1)
    x = np.concatenate([rng.normal(size=(150, 2)), rng.normal(size=(150, 2)) * 0.5 + 3])
    sk = SkGMM(3, covariance_type=covariance_type, random_state=0).fit(x)
    weights = sk.weights_ / sk.weights_.sum()
    gmm = GaussianMixture.from_typed(weights, sk.means_, sk.covariances_, covariance_type)
    assert gmm.n_parameters() == sk._n_parameters()
    np.testing.assert_allclose(gmm.log_prob(x), sk.score_samples(x), rtol=1e-10)
    np.testing.assert_allclose(gmm.bic(x), sk.bic(x), rtol=1e-10)
    np.testing.assert_allclose(gmm.aic(x), sk.aic(x), rtol=1e-10)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_information_criteria_from_a_log_likelihood_are_the_mixtures_bic_and_aic(covariance_type):
    rng = np.random.default_rng(3)
    gmm = random_mixture(rng, 3, 2, covariance_type)
    _z, x = gmm.sample(200, rng)
    ll = float(gmm.log_prob(x).sum())
    assert information_criteria(ll, gmm.n_parameters(), len(x)) == (gmm.bic(x), gmm.aic(x))
    assert information_criteria(np.inf, gmm.n_parameters(), len(x)) == (-np.inf, -np.inf)  # singular
    assert all(np.isnan(v) for v in information_criteria(ll, gmm.n_parameters(), 0))
    assert all(np.isnan(v) for v in information_criteria(np.nan, gmm.n_parameters(), len(x)))


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_to_full_from_full_round_trip(covariance_type):
    gmm = random_mixture(np.random.default_rng(2), 3, 2, covariance_type)
    typed = gmm.typed_covariances()
    expected_shape = {"full": (3, 2, 2), "diag": (3, 2), "spherical": (3,), "tied": (2, 2)}[covariance_type]
    assert typed.shape == expected_shape
    np.testing.assert_array_equal(to_full(typed, covariance_type, 3, 2), gmm.covariances)
    np.testing.assert_array_equal(from_full(gmm.covariances, covariance_type), typed)


def test_to_full_rejects_wrong_shape():
    with pytest.raises(ValueError, match=r"'diag' covariances must have shape \(3, 2\)"):
        to_full(np.ones((3, 3)), "diag", 3, 2)
    with pytest.raises(ValueError, match="covariance_type must be one of"):
        to_full(np.ones(3), "round", 3, 2)


def test_arrays_are_read_only_and_copies():
    means = np.zeros((2, 2))
    gmm = GaussianMixture([0.5, 0.5], means, np.stack([np.eye(2)] * 2))
    means[0, 0] = 5.0
    assert gmm.means[0, 0] == 0.0
    for arr in (gmm.weights, gmm.means, gmm.covariances, gmm.precision_cholesky):
        with pytest.raises(ValueError):
            arr[...] = 1.0
    with pytest.raises(AttributeError):
        gmm.weights = np.ones(2)  # type: ignore[misc]


EYE2 = np.stack([np.eye(2)] * 2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(weights=[0.5, 0.6], means=np.zeros((2, 2)), covariances=EYE2), "sum to 1"),
        (dict(weights=[1.5, -0.5], means=np.zeros((2, 2)), covariances=EYE2), "non-negative"),
        (dict(weights=[0.5, 0.5], means=np.zeros((3, 2)), covariances=EYE2), r"means must have shape"),
        (dict(weights=[0.5, 0.5], means=np.zeros((2, 2)), covariances=np.stack([np.eye(3)] * 2)), "shape"),
        (dict(weights=[0.5, 0.5], means=[[0, np.nan], [0, 0]], covariances=EYE2), "NaN"),
        (dict(weights=[0.5, 0.5], means=np.zeros((2, 2)), covariances=[[[1, 0.5], [0, 1]], np.eye(2)]),
         "not symmetric"),
        (dict(weights=[0.5, 0.5], means=np.zeros((2, 2)), covariances=[np.eye(2), [[1, 2], [2, 1]]]),
         "component 1 is not positive definite"),
        (dict(weights=[0.5, 0.5], means=np.zeros((2, 2)), covariances=[np.eye(2), np.zeros((2, 2))]),
         "not positive definite"),
        (dict(weights=[0.5, 0.5], means=np.zeros((2, 2)), covariances=[[[1, 0.5], [0.5, 1]], np.eye(2)],
              covariance_type="diag"), "diagonal"),
        (dict(weights=[0.5, 0.5], means=np.zeros((2, 2)), covariances=[np.diag([1, 2]), np.eye(2)],
              covariance_type="spherical"), "multiples of the identity"),
        (dict(weights=[0.5, 0.5], means=np.zeros((2, 2)), covariances=[np.eye(2), 2 * np.eye(2)],
              covariance_type="tied"), "shared"),
        (dict(weights=[1.0], means=np.zeros((1, 2)), covariances=[np.eye(2)], covariance_type="round"),
         "covariance_type must be one of"),
    ],
)
def test_invalid_parameters_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        GaussianMixture(**kwargs)


def test_points_of_the_wrong_dimension_are_rejected():
    gmm = random_mixture(np.random.default_rng(0), 2, 2)
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        gmm.log_prob(np.zeros((4, 3)))


@pytest.mark.parametrize(
    ("x", "k", "message"),
    [
        (np.zeros((0, 2)), None, "N=0"),
        (np.zeros(0), 1, "N=0"),
        ([[0.0, np.nan], [1.0, 1.0]], None, "NaN or infinite"),
        ([[0.0, np.inf]], None, "NaN or infinite"),
        (np.zeros((3, 2)), 4, "N=3 points cannot support K=4"),
        (np.zeros((30, 2)), 21, "K ≤ 20"),
        (np.zeros((3, 2)), 0, "positive integer"),
        (np.zeros((2, 2, 2)), None, "shape"),
        ([["a", "b"]], None, "numeric"),
    ],
)
def test_validate_data_errors(x, k, message):
    with pytest.raises(ValueError, match=message):
        validate_data(x, k)


def test_validate_data_accepts_1d_and_lists():
    assert validate_data([1.0, 2.0, 3.0]).shape == (3, 1)
    assert validate_data([[1, 2], [3, 4]], 2).dtype == np.float64


@pytest.mark.parametrize("k", [1, 2, 3, 7, 8, 12])
def test_row_sums_and_logsumexp_match_numpy_bit_for_bit(k):
    """The column-by-column sums equal numpy's reductions exactly (what keeps EM equal to scikit-learn)."""
    from vaeviz.core.em.log_rows import logsumexp_rows, row_sum

    rng = np.random.default_rng(k)
    a = rng.normal(0, 30, (500, k))
    assert np.array_equal(row_sum(a), a.sum(axis=1))
    a[3] = -np.inf  # a row no component explains
    m = a.max(axis=1, keepdims=True)
    m[~np.isfinite(m)] = 0.0
    with np.errstate(divide="ignore"):
        expected = np.log(np.sum(np.exp(a - m), axis=1)) + m[:, 0]
    assert np.array_equal(logsumexp_rows(a), expected)


@pytest.mark.parametrize("k", [1, 3, 7, 8, 12])
def test_column_sums_match_numpy(k):
    from vaeviz.core.em.log_rows import column_sums

    a = np.random.default_rng(k).normal(0, 30, (5000, k))
    np.testing.assert_allclose(column_sums(a), a.sum(axis=0), rtol=1e-13, atol=1e-9)
    assert column_sums(np.asfortranarray(a)).shape == (k,)


def test_validate_data_finds_bad_values_behind_an_overflowing_sum():
    # The quick check is one sum: huge finite values overflow it, and then each row is checked.
    huge = np.full((4, 2), 1e308)
    assert np.array_equal(validate_data(huge), huge)
    huge[2, 1] = np.nan
    with pytest.raises(ValueError, match="first at row 2"):
        validate_data(huge)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_component_log_prob_equals_a_direct_formula(covariance_type):
    rng = np.random.default_rng(3)
    gmm = random_mixture(rng, 4, 3, covariance_type)
    x = rng.normal(scale=3.0, size=(200, 3))
    expected = np.column_stack([
        np.log(gmm.weights[k]) + multivariate_normal(gmm.means[k], gmm.covariances[k]).logpdf(x)
        for k in range(4)])
    out = gmm.component_log_prob(x)
    assert out.shape == (200, 4)
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_unchecked_mixture_equals_the_checked_one(covariance_type):
    gmm = random_mixture(np.random.default_rng(9), 3, 2, covariance_type)
    fast = GaussianMixture.unchecked(gmm.weights, gmm.means, gmm.covariances, covariance_type)
    for name in ("weights", "means", "covariances", "precision_cholesky", "log_det_precision_cholesky"):
        np.testing.assert_allclose(getattr(fast, name), getattr(gmm, name), rtol=1e-14, atol=1e-14)
        assert not getattr(fast, name).flags.writeable
    assert fast.covariance_type == covariance_type
    x = np.random.default_rng(1).normal(size=(50, 2))
    np.testing.assert_allclose(fast.log_prob(x), gmm.log_prob(x), rtol=1e-13)


def test_unchecked_mixture_still_refuses_a_covariance_without_cholesky():
    with pytest.raises(ValueError, match="component 1 is not positive definite"):
        covariances = np.array([np.eye(2), -np.eye(2)])
        GaussianMixture.unchecked(np.array([0.5, 0.5]), np.zeros((2, 2)), covariances, "full")
