"""Fit q to p by minimising KL(p‖q), KL(q‖p) or an α-divergence with Adam: a generator of snapshots.

* KL(q‖p) = E_q[log q − log p], the "easy" direction: the expectation is under q, which we can sample,
  so z = μ + L ε (ε ~ N(0, I), the reparameterisation trick) gives gradients; −E_q[log q] is q's entropy,
  in closed form. It is mode-seeking: q avoids places where p is small.
* KL(p‖q) = E_p[log p − log q], the "hard" direction in variational inference (it needs samples from p,
  or p's moments); here p is known, so it is estimated from samples of p (closed form when p is
  Gaussian). It is mass-covering: q must put mass wherever p has some.
* D_α(p‖q) = (1 − ∫ p^α q^(1−α) dx) / (α(1−α)) (Minka), estimated as E_q[(p/q)^α] from samples of q; α → 0
  gives KL(q‖p), α → 1 gives KL(p‖q).

Each step yields a :class:`FitStep` with the fitted q, the objective and *both* KL values of the current
q (so the asymmetry shows as numbers), each with its Monte Carlo standard error. The snapshots are
numpy and float64 on the host; the fitting runs in float32 on the given torch device.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from vaeviz.core.kl.families import GaussianFamily, initial_parameters
from vaeviz.core.kl.targets import Gaussian, Mixture, Target, gaussian_kl

OBJECTIVES = ("forward", "reverse", "alpha")
MIN_SAMPLES, MAX_SAMPLES = 1, 1_000_000
DIVERGED_OBJECTIVE = ("the fit diverged (the objective is not finite): lower the learning rate; the last "
                      "good q is kept")
DIVERGED_COVARIANCE = ("the fit diverged (q's covariance broke down): lower the learning rate; the last good "
                       "q is kept")


@dataclass(frozen=True)
class KLEstimate:
    value: float
    stderr: float  # 0 when exact (closed form)


@dataclass(frozen=True)
class FitStep:
    """One snapshot of a fit: ``q`` after ``step`` Adam steps."""

    step: int
    q: Gaussian
    objective: float
    forward: KLEstimate  # KL(p ‖ q)
    reverse: KLEstimate  # KL(q ‖ p)
    stopped: str | None = None  # why the fit stopped early (diverged), else None


def _mean_and_stderr(values: np.ndarray) -> KLEstimate:
    if len(values) < 2:
        return KLEstimate(float(values.mean()), math.nan)
    return KLEstimate(float(values.mean()), float(values.std(ddof=1) / math.sqrt(len(values))))


def forward_kl(p: Target, q: Gaussian, p_samples: np.ndarray) -> KLEstimate:
    """KL(p ‖ q): closed form for a Gaussian p, else the mean of log p − log q over samples of p."""
    if isinstance(p, Gaussian):
        return KLEstimate(gaussian_kl(p, q), 0.0)
    return _mean_and_stderr(p.log_prob(p_samples) - q.log_prob(p_samples))


def reverse_kl(p: Target, q: Gaussian, q_samples: np.ndarray) -> KLEstimate:
    """KL(q ‖ p): closed form for a Gaussian p, else the mean of log q − log p over samples of q."""
    if isinstance(p, Gaussian):
        return KLEstimate(gaussian_kl(q, p), 0.0)
    return _mean_and_stderr(q.log_prob(q_samples) - p.log_prob(q_samples))


def alpha_divergence(p: Target, q: Gaussian, q_samples: np.ndarray, alpha: float) -> KLEstimate:
    """D_α(p ‖ q) from samples of q (α strictly between 0 and 1); the delta method gives its error."""
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie strictly between 0 and 1, got {alpha}")
    log_ratio = p.log_prob(q_samples) - q.log_prob(q_samples)
    scaled = alpha * log_ratio
    top = scaled.max()
    terms = np.exp(scaled - top)
    mean = terms.mean() * math.exp(top)
    err = terms.std(ddof=1) * math.exp(top) / math.sqrt(len(terms)) if len(terms) > 1 else math.nan
    return KLEstimate((1.0 - mean) / (alpha * (1.0 - alpha)), err / (alpha * (1.0 - alpha)))


def _check(objective: str, lr: float, n_samples: int, steps: int, alpha: float) -> None:
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r} (known: {', '.join(OBJECTIVES)})")
    if not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"the learning rate must be a finite number > 0, got {lr}")
    if not MIN_SAMPLES <= n_samples <= MAX_SAMPLES:
        raise ValueError(f"the number of Monte Carlo samples must be between {MIN_SAMPLES} and "
                         f"{MAX_SAMPLES:,}, got {n_samples}")
    if steps < 0:
        raise ValueError(f"the number of steps must be ≥ 0, got {steps}")
    if objective == "alpha" and not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie strictly between 0 and 1, got {alpha}")


def fit_steps(p: Target, start: Gaussian, family: str = "full", objective: str = "reverse",
              lr: float = 0.05, n_samples: int = 1000, steps: int = 500, seed: int = 0, alpha: float = 0.5,
              device: str = "cpu", report_samples: int = 4000, report_every: int = 1) -> Iterator[FitStep]:
    """Fit q (from ``start``, projected into ``family``) to ``p``; yield a :class:`FitStep` at step 0, after
    every ``report_every`` steps, and at the end.

    ``report_samples`` fixed samples of p (and fresh ones of q per snapshot) estimate the KL values shown
    — more work than a step itself, hence ``report_every``; the fit draws ``n_samples`` per step. A loss or
    parameter that stops being finite ends the fit with ``stopped`` set and the last good q.
    """
    import torch

    _check(objective, lr, n_samples, steps, alpha)
    if report_every < 1:
        raise ValueError(f"report_every must be at least 1, got {report_every}")
    if start.dim != p.dim:
        raise ValueError(f"q starts in {start.dim}-D but p is {p.dim}-D")
    rng = np.random.default_rng(seed)
    generator = torch.Generator(device="cpu").manual_seed(seed)
    dev = torch.device(device)
    fam = GaussianFamily(family, p.dim)
    params = torch.tensor(initial_parameters(start, family), dtype=torch.float32, device=dev,
                          requires_grad=True)
    # The fused kernel does Adam's update in one call (the step's largest fixed cost after backward); it
    # exists on the CPU and CUDA (MPS takes the plain one).
    optimiser = torch.optim.Adam([params], lr=lr, fused=dev.type in ("cpu", "cuda"))
    shown_p = p.sample(report_samples, rng)
    # Forward KL's gradient needs samples of p; they are drawn once per fit and resampled in batches.
    p_pool = torch.from_numpy(p.sample(max(n_samples, 1) * 8, rng).astype(np.float32)).to(dev)

    def loss_of(params):
        if objective == "forward":
            if isinstance(p, Gaussian):  # closed form: exact gradients of KL(p‖q)
                return _gaussian_forward_kl_torch(p, fam, params)
            pick = torch.randint(len(p_pool), (n_samples,), generator=generator).to(dev)
            return -fam.log_prob(params, p_pool[pick]).mean()  # E_p[log p] is constant
        eps = torch.randn((n_samples, p.dim), generator=generator).to(dev)
        chol = fam.cholesky(params)
        z = fam.sample(params, eps, chol)
        log_p = p.log_prob_torch(z)
        if objective == "reverse":
            return -fam.entropy(params) - log_p.mean()
        log_ratio = alpha * (log_p - fam.log_prob(params, z, chol))
        return -(torch.logsumexp(log_ratio, 0) - math.log(n_samples)).exp() / (alpha * (1 - alpha))

    def snapshot(step: int, q: Gaussian, objective_value: float, stopped: str | None = None) -> FitStep:
        q_samples = q.sample(report_samples, rng)
        return FitStep(step, q, objective_value, forward_kl(p, q, shown_p), reverse_kl(p, q, q_samples),
                       stopped)

    q = fam.to_gaussian(params)
    good = params.detach().clone()  # the last parameters known to describe a valid q
    with torch.no_grad():
        value = float(loss_of(params).cpu())
    yield snapshot(0, q, value)
    for step in range(1, steps + 1):
        params.grad = None  # (what zero_grad does, without the optimiser's per-call bookkeeping)
        loss = loss_of(params)
        value = float(loss.detach().cpu())
        if not math.isfinite(value):
            yield snapshot(step - 1, fam.to_gaussian(good), math.nan, DIVERGED_OBJECTIVE)
            return
        loss.backward()
        optimiser.step()
        if not fam.usable(params):  # cheap, every step; q itself is built only for a snapshot
            yield snapshot(step - 1, fam.to_gaussian(good), value, DIVERGED_COVARIANCE)
            return
        good = params.detach().clone()
        if step % report_every == 0 or step == steps:
            try:
                q = fam.to_gaussian(good)
            except ValueError:  # a covariance that stopped being positive definite
                yield snapshot(step - 1, q, value, DIVERGED_COVARIANCE)
                return
            yield snapshot(step, q, value)


def _gaussian_forward_kl_torch(p: Gaussian, fam: GaussianFamily, params):
    """KL(N(μ_p, Σ_p) ‖ q) in closed form, differentiable in q's parameters."""
    import torch

    dtype, dev = params.dtype, params.device
    mean_p = torch.as_tensor(p.mean, dtype=dtype, device=dev)
    cov_p = torch.as_tensor(p.cov, dtype=dtype, device=dev)
    chol = fam.cholesky(params)
    inv_chol = torch.linalg.solve_triangular(chol, torch.eye(p.dim, dtype=dtype, device=dev), upper=False)
    precision = inv_chol.T @ inv_chol
    diff = params[: p.dim] - mean_p
    log_det_q = 2.0 * torch.log(torch.diagonal(chol)).sum()
    log_det_p = float(np.linalg.slogdet(p.cov)[1])
    return 0.5 * (torch.trace(precision @ cov_p) + diff @ precision @ diff - p.dim + log_det_q - log_det_p)


def moment_match(p: Target, n: int = 200_000, seed: int = 0) -> Gaussian:
    """argmin over Gaussians q of KL(p ‖ q): the Gaussian with p's mean and covariance."""
    if isinstance(p, (Gaussian, Mixture)):
        return Gaussian(*p.moments())
    x = p.sample(n, np.random.default_rng(seed))
    return Gaussian(x.mean(axis=0), np.atleast_2d(np.cov(x, rowvar=False)))
