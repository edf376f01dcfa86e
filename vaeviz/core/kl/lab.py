"""The KL lab's run model: frames of the fits in both directions, and the job factories that make them.

Every job is a generator factory for the compute worker (:mod:`vaeviz.core.jobs`): it yields frames
(frozen dataclasses of numpy arrays and floats) and returns the last one. Nothing here knows Qt.

* :func:`fit_job`: q fitted by KL(p‖q) and by KL(q‖p) side by side (and by D_α when shown), in lockstep,
  one :class:`PairFrame` every ``steps_per_frame`` steps.
* :func:`several_starts_job`: reverse fits from random starts (their different local optima) and the one
  forward fit.
* :func:`vi_job`: q(z) fitted to the toy model's exact posterior; each frame holds log p(x), the ELBO and
  the KL between them.
* :func:`density_job`: p's log-density on a grid for the heatmap and contours (latest-wins while dragging).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from vaeviz.core.jobs import JobContext, JobFactory, single
from vaeviz.core.kl.fit import FitStep, KLEstimate, fit_steps, forward_kl, moment_match, reverse_kl
from vaeviz.core.kl.posterior import elbo_monte_carlo
from vaeviz.core.kl.quadrature import grid_axes
from vaeviz.core.kl.state import KLLabState
from vaeviz.core.kl.targets import Gaussian, Target


@dataclass(frozen=True)
class PairFrame:
    """The fits after ``step`` steps: by KL(p‖q) (``forward``), KL(q‖p) (``reverse``), D_α (``alpha``)."""

    step: int
    forward: FitStep
    reverse: FitStep
    alpha: FitStep | None = None
    done: bool = False

    @property
    def stopped(self) -> str | None:
        for fit in (self.forward, self.reverse, self.alpha):
            if fit is not None and fit.stopped:
                return fit.stopped
        return None


@dataclass(frozen=True)
class Optima:
    """What the fits should reach when it is known in closed form (None where it is not)."""

    forward: Gaussian | None  # moment matching, for a Gaussian family containing p's moments' shape
    reverse_diag_variances: np.ndarray | None  # 1/Λ_ii for a diagonal q and a Gaussian p


def known_optima(p: Target, family: str) -> Optima:
    """The forward fit's optimum (p's moments, projected to the family) and, for a Gaussian p with a
    diagonal q, the reverse fit's variances 1/Λ_ii."""
    forward = None
    if family == "full" or p.dim == 1:
        forward = moment_match(p)
    elif family == "diag":
        matched = moment_match(p)
        forward = Gaussian(matched.mean, np.diag(np.diag(matched.cov)))
    reverse = None
    if isinstance(p, Gaussian) and family == "diag":
        reverse = 1.0 / np.diag(np.linalg.inv(p.cov))
    return Optima(forward, reverse)


def _fits(state: KLLabState, p: Target, device: str, start: Gaussian | None = None, seed: int | None = None):
    f = state.fit
    common = dict(family=f.family, lr=f.lr, n_samples=f.samples, steps=f.max_steps,
                  seed=f.seed if seed is None else seed, device=device, report_every=f.steps_per_frame)
    start = f.start() if start is None else start
    gens = {"forward": fit_steps(p, start, objective="forward", **common),
            "reverse": fit_steps(p, start, objective="reverse", **common)}
    if state.show_alpha:
        gens["alpha"] = fit_steps(p, start, objective="alpha", alpha=f.alpha, **common)
    return gens


def fit_frames(state: KLLabState, device: str = "cpu") -> Iterator[PairFrame]:
    """Both fits in lockstep; a frame at step 0, every ``steps_per_frame`` steps, and at the end (a fit
    that stopped early keeps showing its last q)."""
    p = state.target.build()
    gens = _fits(state, p, device)
    latest: dict[str, FitStep] = {}
    while True:
        moved = False
        for name, gen in gens.items():
            fit = next(gen, None)
            if fit is not None:
                latest[name], moved = fit, True
        if not moved:
            return
        step = max(fit.step for fit in latest.values())
        frame = PairFrame(step, latest["forward"], latest["reverse"], latest.get("alpha"))
        done = step == state.fit.max_steps or frame.stopped is not None
        yield PairFrame(frame.step, frame.forward, frame.reverse, frame.alpha, done=done)
        if done:
            return


def fit_job(state: KLLabState) -> JobFactory:
    def factory(ctx: JobContext):
        last = None
        for frame in fit_frames(state, ctx.device):
            last = frame
            yield frame
        return last

    return factory


@dataclass(frozen=True)
class StartsResult:
    """Reverse fits from several starts (their ends and starts) beside the single forward optimum."""

    starts: tuple[Gaussian, ...]
    reverse_ends: tuple[FitStep, ...]
    forward_end: FitStep


def random_starts(state: KLLabState, p: Target) -> tuple[Gaussian, ...]:
    """``state.fit.starts`` starting q's: means spread over p's samples, unit covariance (seeded)."""
    rng = np.random.default_rng(state.fit.seed + 1)
    x = p.sample(2000, rng)
    low, high = np.percentile(x, 2, axis=0), np.percentile(x, 98, axis=0)
    means = rng.uniform(low, high, size=(state.fit.starts, p.dim))
    return tuple(Gaussian(m, np.eye(p.dim)) for m in means)


def several_starts_job(state: KLLabState) -> JobFactory:
    def factory(ctx: JobContext):
        p = state.target.build()
        starts = random_starts(state, p)
        ends = []
        for j, start in enumerate(starts):
            *_, last = fit_steps(p, start, state.fit.family, "reverse", state.fit.lr, state.fit.samples,
                                 state.fit.max_steps, state.fit.seed + j, device=ctx.device,
                                 report_every=state.fit.max_steps)  # only its end is shown
            ends.append(last)
            yield (j + 1) / (len(starts) + 1)
        *_, forward = fit_steps(p, state.fit.start(), state.fit.family, "forward", state.fit.lr,
                                state.fit.samples, state.fit.max_steps, state.fit.seed, device=ctx.device,
                                report_every=state.fit.max_steps)
        return StartsResult(starts, tuple(ends), forward)

    return factory


@dataclass(frozen=True)
class VIFrame:
    """The variational-inference view after ``step`` steps: log p(x) = ELBO + KL(q ‖ p(z|x))."""

    step: int
    q: Gaussian
    log_evidence: float
    elbo: float
    elbo_stderr: float
    done: bool = False

    @property
    def kl(self) -> float:
        return self.log_evidence - self.elbo


def vi_job(state: KLLabState, report_samples: int = 4000) -> JobFactory:
    def factory(ctx: JobContext):
        model = state.vi.model()
        posterior = model.posterior()
        rng = np.random.default_rng(state.fit.seed)
        f = state.fit
        last = None
        for fit in fit_steps(posterior, f.start(), f.family, "reverse", f.lr, f.samples, f.max_steps, f.seed,
                             device=ctx.device, report_every=f.steps_per_frame):
            done = fit.step == f.max_steps or fit.stopped is not None
            elbo, err = elbo_monte_carlo(model, fit.q, report_samples, rng)
            last = VIFrame(fit.step, fit.q, posterior.log_evidence, elbo, err, done)
            yield last
        return last

    return factory


@dataclass(frozen=True)
class DensityGrid:
    """log p on an n × n grid (rows: x₂ from low to high) over ``extent``; 1-D: n values."""

    extent: tuple[tuple[float, float], ...]
    log_density: np.ndarray


def density(target: Target, extent: tuple[tuple[float, float], ...], n: int = 200) -> DensityGrid:
    axes, _ = grid_axes(extent, n)
    values = target.log_prob_grid(axes)  # [i, j] at (x₁ᵢ, x₂ⱼ)
    return DensityGrid(extent, values if len(extent) == 1 else values.T)


def density_job(target: Target, extent: tuple[tuple[float, float], ...], n: int = 200) -> JobFactory:
    """Latest-wins request: p's log-density on a grid (a few ms at n = 200, too much for a drag frame)."""
    return single(lambda ctx: density(target, extent, n))


def p_as_q(state: KLLabState) -> Gaussian | None:
    """p itself as a q of the chosen family (the "q = p" check), or None when p is not in the family."""
    p = state.target.build()
    if not isinstance(p, Gaussian):
        return None
    family = state.fit.family
    diagonal = np.allclose(p.cov, np.diag(np.diag(p.cov)))
    isotropic = np.allclose(p.cov, p.cov[0, 0] * np.eye(p.dim))
    if (family == "diag" and not diagonal) or (family == "isotropic" and not isotropic):
        return None
    return p


def kl_values(p: Target, q: Gaussian, samples: int = 4000, seed: int = 0) -> tuple[KLEstimate, KLEstimate]:
    """(KL(p‖q), KL(q‖p)) for a q set by hand, as the fits report them (closed form for a Gaussian p)."""
    rng = np.random.default_rng(seed)
    return forward_kl(p, q, p.sample(samples, rng)), reverse_kl(p, q, q.sample(samples, rng))
