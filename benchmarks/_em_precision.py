"""Accuracy of the fast EM path's reported log-likelihood on ill-conditioned mixtures (issue #11).

``em_fast_ll_rel_error_max``: over a fixed set of cases chosen to be hard for float32 — components
elongated up to a variance ratio of 10⁴, data far from the origin, one narrow component on an outlier,
a thin axis in 4-D, a needle in 3-D — the largest relative difference between the log-likelihood a
snapshot reports and the float64 log-likelihood of the mixture it shows, over every snapshot of 15
iterations. Runs that switch to float64 count too (their notes are listed in ``details``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np

N_CASE = 60_000
ITERATIONS = 15


def _rotation(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s], [s, c]])


def _elongated(ratio: float, seed: int = 0, offset: float = 0.0, k: int = 3):
    """K elongated 2-D components (variances 1 and 1/ratio, turned), started near the truth."""
    from vaeviz.core.em.gmm import GaussianMixture

    rng = np.random.default_rng(seed)
    parts, covs, means = [], [], []
    for j in range(k):
        mean = np.array([4.0 * j, 2.0 * (j % 2)]) + offset
        turn = _rotation(0.7 * j)
        cov = turn @ np.diag([1.0, 1.0 / ratio]) @ turn.T
        parts.append(rng.multivariate_normal(mean, cov, size=N_CASE // k))
        covs.append(cov)
        means.append(mean)
    init = GaussianMixture(np.full(k, 1 / k), np.array(means) + 0.05, np.array(covs) * 1.3)
    return np.concatenate(parts), init


def ill_conditioned_cases() -> Iterator[tuple[str, np.ndarray, object]]:
    """(name, data, starting mixture) for every case of the benchmark."""
    from vaeviz.core.em.gmm import GaussianMixture
    from vaeviz.core.em.initialise import init_kmeanspp

    rng = np.random.default_rng(0)
    x = 100 * np.concatenate([rng.normal(size=(N_CASE, 2)), [[25.0, -25.0]]])
    yield "outlier-narrow", x, GaussianMixture([0.999, 0.001], [[0, 0], x[-1]],
                                               [1e4 * np.eye(2), 1e-2 * np.eye(2)])
    for ratio in (1, 30, 100, 300, 3000, 1e4):
        yield f"ratio-{ratio:g}", *_elongated(ratio)
    yield "ratio-300-offset-1e3", *_elongated(300, offset=1e3)
    yield "ratio-1000-seed-1", *_elongated(1000, seed=1)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(N_CASE, 4)) * np.array([1, 1, 1, 1e-3])
    yield "4d-thin-axis", x, init_kmeanspp(x, 3, rng=0, covariance_type="full", reg=1e-6)
    half = N_CASE // 2
    x = np.concatenate([rng.normal(size=(half, 3)) * [1, 0.05, 0.05], rng.normal(size=(half, 3)) + 5])
    yield "3d-needle", x, init_kmeanspp(x, 4, rng=0, covariance_type="full", reg=1e-6)


def run() -> tuple[dict, dict]:
    """Metrics and details of the precision benchmark."""
    from vaeviz.core.em.algorithm import em_fast_steps

    per_case = {}
    worst = 0.0
    for name, x, init in ill_conditioned_cases():
        t0 = time.perf_counter()
        errors, notes = [], set()
        for state in em_fast_steps(x, init, "full", reg=1e-6, max_iter=ITERATIONS):
            if state.precision_note:
                notes.add(state.precision_note)
            if state.phase != "E" and np.isfinite(state.log_likelihood):
                true = float(state.gmm.log_prob(x).sum())
                errors.append(abs(state.log_likelihood - true) / abs(true))
        worst = max(worst, max(errors))
        per_case[name] = {"rel_error_max": float(f"{max(errors):.3g}"), "float64_notes": sorted(notes),
                          "seconds": round(time.perf_counter() - t0, 2)}
    return {"em_fast_ll_rel_error_max": float(f"{worst:.3g}")}, {"fast_ll_precision": per_case}
