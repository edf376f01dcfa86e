"""The hidden-data problems the GMM & EM lab demonstrates, and the lecture's 1-D mixture, Qt-free.

1. The marginal log-likelihood log Σ_z p(x, z) does not factorise over components (the complete-data one
   does): :mod:`vaeviz.core.em.lab` computes both per frame.
2. Identifiability: EM from several seeds finds the same mixture with its components permuted, at equal
   likelihood; :func:`seeds_job` runs them and aligns them to a reference fit.
3. Singularities: see :func:`vaeviz.core.em.edit.snap_and_shrink`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from vaeviz.core.em.algorithm import em_steps
from vaeviz.core.em.align import align_components, permute
from vaeviz.core.em.gmm import GaussianMixture
from vaeviz.core.em.initialise import init_random
from vaeviz.core.jobs import JobContext, JobFactory, Progress

SEEDS = (1, 2, 3, 4)


@dataclass(frozen=True, eq=False)
class SeedRun:
    """EM run to convergence from one random start: the fit as found and as aligned to the reference."""

    seed: int
    gmm: GaussianMixture
    log_likelihood: float
    perm: np.ndarray  # aligned component i is found component perm[i]
    aligned: GaussianMixture
    singular: bool = False


def seeds_job(x: np.ndarray, k: int, covariance_type: str, reg: float, seeds=SEEDS,
              max_iter: int = 200, reference=None) -> JobFactory:
    """Job: EM from random starts with each seed; returns a list of :class:`SeedRun`.

    Starts are random data points (not k-means++), so the runs visibly number the clusters differently.
    Runs are aligned to ``reference`` means (K, d) when given (the fit the user is looking at), else to
    the first run.
    """

    def factory(ctx: JobContext):
        fits: list[tuple[int, GaussianMixture, float, bool]] = []
        for i, seed in enumerate(seeds):
            init = init_random(x, k, np.random.default_rng(seed), covariance_type, reg)
            # Keep only the last state: every state holds an (N, K) array of responsibilities.
            last = deque(em_steps(x, init, covariance_type, reg, max_iter=max_iter, tol=1e-8), maxlen=1)[0]
            fits.append((seed, last.gmm, float(last.log_likelihood), last.singular is not None))
            yield Progress((i + 1) / len(seeds), f"EM from seed {seed}")
        ref = fits[0][1].means if reference is None else np.asarray(reference, dtype=np.float64)
        runs = []
        for seed, gmm, ll, singular in fits:
            perm = align_components(ref, gmm.means)
            runs.append(SeedRun(seed, gmm, ll, perm, permute(gmm, perm), singular))
        return runs

    return factory


# ----- the lecture's 1-D example (its values: vaeviz.core.em.choices) ----------------------------
def normal_pdf(x: np.ndarray, mean: float, sigma: float) -> np.ndarray:
    return np.exp(-0.5 * ((x - mean) / sigma) ** 2) / (sigma * np.sqrt(2.0 * np.pi))


@dataclass(frozen=True, eq=False)
class Curves1D:
    """p(x|z=k) (K, n), π_k p(x|z=k) (K, n), the marginal Σ_k π_k p(x|z=k) (n,) and P(z=k|x) (K, n)."""

    x: np.ndarray
    components: np.ndarray
    weighted: np.ndarray
    marginal: np.ndarray
    posterior: np.ndarray


def curves_1d(x: np.ndarray, weights, means, sigmas) -> Curves1D:
    """The four curves of the lecture's 1-D mixture figure on the grid ``x``.

    The posterior is computed in log space, so it stays defined (no 0/0) far in the tails.
    """
    w = np.asarray(weights, dtype=np.float64)
    w = w / w.sum()
    mu = np.asarray(means, dtype=np.float64)
    sd = np.asarray(sigmas, dtype=np.float64)
    comps = np.stack([normal_pdf(x, m, s) for m, s in zip(mu, sd, strict=True)])
    weighted = w[:, None] * comps
    with np.errstate(divide="ignore"):
        log_joint = np.log(w)[:, None] - 0.5 * ((x[None, :] - mu[:, None]) / sd[:, None]) ** 2 \
            - np.log(sd * np.sqrt(2.0 * np.pi))[:, None]
    top = log_joint.max(axis=0)
    post = np.exp(log_joint - top)
    post /= post.sum(axis=0)
    return Curves1D(x, comps, weighted, weighted.sum(axis=0), post)


def crossover(weights, means, sigmas) -> float | None:
    """Where P(z=0|x) = 1/2 between the two means for equal σ (None otherwise): the decision boundary.

    For equal σ the log-odds are linear in x, so the boundary moves towards the lighter component as
    its weight drops: x* = (μ0+μ1)/2 + σ² log(π0/π1) / (μ1-μ0).
    """
    w0, w1 = weights
    m0, m1 = means
    s0, s1 = sigmas
    if len(weights) != 2 or abs(s0 - s1) > 1e-12 or m0 == m1:
        return None
    return float((m0 + m1) / 2 + s0**2 * np.log(w0 / w1) / (m1 - m0))
