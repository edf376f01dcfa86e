"""Component alignment: our Hungarian algorithm against scipy's, and relabelling mixtures."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from vaeviz.core.em.align import align_components, linear_assignment, permute
from vaeviz.core.em.gmm import GaussianMixture


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 12), m=st.integers(1, 12))
def test_matches_scipy_on_random_costs(seed, n, m):
    cost = np.random.default_rng(seed).normal(size=(n, m)) * 10
    rows, cols = linear_assignment(cost)
    ref_rows, ref_cols = linear_sum_assignment(cost)
    # Continuous random costs have a unique optimum, so the assignment itself must agree.
    np.testing.assert_array_equal(rows, ref_rows)
    np.testing.assert_array_equal(cols, ref_cols)


@pytest.mark.parametrize("seed", range(20))
def test_optimal_cost_with_ties(seed):
    cost = np.random.default_rng(seed).integers(0, 4, size=(7, 7)).astype(float)  # many equal optima
    rows, cols = linear_assignment(cost)
    ref_rows, ref_cols = linear_sum_assignment(cost)
    assert cost[rows, cols].sum() == cost[ref_rows, ref_cols].sum()
    assert sorted(cols.tolist()) == list(range(7))


def test_linear_assignment_edge_cases():
    rows, cols = linear_assignment(np.array([[3.0]]))
    assert rows.tolist() == [0] and cols.tolist() == [0]
    with pytest.raises(ValueError, match="finite"):
        linear_assignment([[0.0, np.nan], [1.0, 2.0]])
    with pytest.raises(ValueError, match="2-D"):
        linear_assignment([1.0, 2.0])


def test_align_components_undoes_a_shuffle():
    rng = np.random.default_rng(0)
    reference = rng.normal(scale=5.0, size=(8, 2))
    shuffle = rng.permutation(8)
    moved = reference[shuffle] + rng.normal(scale=0.05, size=(8, 2))
    perm = align_components(reference, moved)
    np.testing.assert_array_equal(shuffle[perm], np.arange(8))
    np.testing.assert_allclose(moved[perm], reference, atol=0.3)


def test_align_minimises_the_total_not_each_greedily():
    # Greedy nearest matching would pair reference 0 with means 0 and force a long second pair.
    reference = np.array([[0.0], [1.0]])
    means = np.array([[0.6], [-1.0]])
    assert align_components(reference, means).tolist() == [1, 0]


def test_permute_reorders_all_parameters():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(3, 2, 2))
    gmm = GaussianMixture([0.2, 0.3, 0.5], rng.normal(size=(3, 2)), a @ a.transpose(0, 2, 1) + np.eye(2))
    out = permute(gmm, [2, 0, 1])
    np.testing.assert_array_equal(out.weights, [0.5, 0.2, 0.3])
    np.testing.assert_array_equal(out.means, gmm.means[[2, 0, 1]])
    np.testing.assert_array_equal(out.covariances, gmm.covariances[[2, 0, 1]])
    x = rng.normal(size=(10, 2))
    np.testing.assert_allclose(out.log_prob(x), gmm.log_prob(x), rtol=1e-12)  # same mixture
    with pytest.raises(ValueError, match="permutation"):
        permute(gmm, [0, 0, 1])
    with pytest.raises(ValueError, match="same shape"):
        align_components(np.zeros((3, 2)), np.zeros((2, 2)))


def test_align_has_no_runtime_scipy_import():
    import subprocess
    import sys

    code = ("import sys; "
            "import vaeviz.core.em.align, vaeviz.core.em.algorithm, vaeviz.core.em.kmeans; "
            "import vaeviz.core.em.gmm; "
            "bad = [m for m in ('scipy', 'torch', 'sklearn', 'PySide6') if m in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)
