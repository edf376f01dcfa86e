"""Target densities p for the KL lab: Gaussians, mixtures of Gaussians, a banana and a ring, in 1-D or 2-D.

Each target gives its log-density as a numpy function (for grids and closed forms, float64 on the host)
and as a torch function (for the fits, on the compute device in float32), and draws samples. Parameters
are validated when a target is made: weights ≥ 0 with a positive sum, covariances symmetric positive
definite, everything finite, so a bad drag or file is refused with a message rather than drawn as NaN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

_LOG_2PI = math.log(2.0 * math.pi)


class TargetError(ValueError):
    """A target's parameters cannot define a density; the message says which and why."""


def check_covariance(cov, name: str = "covariance") -> np.ndarray:
    """A symmetric positive-definite (d, d) matrix as float64, or :class:`TargetError`."""
    cov = np.atleast_2d(np.asarray(cov, dtype=np.float64))
    if cov.ndim != 2 or cov.shape[0] != cov.shape[1] or not np.all(np.isfinite(cov)):
        raise TargetError(f"the {name} must be a finite square matrix")
    if not np.allclose(cov, cov.T, rtol=1e-9, atol=1e-12 * max(1.0, float(np.abs(cov).max()))):
        raise TargetError(f"the {name} must be symmetric")
    if np.linalg.eigvalsh(cov).min() <= 0:
        raise TargetError(f"the {name} must be positive definite (every variance > 0)")
    return 0.5 * (cov + cov.T)


@dataclass(frozen=True)
class Gaussian:
    """N(mean, cov) in d = 1 or 2 dimensions."""

    mean: np.ndarray
    cov: np.ndarray

    def __post_init__(self) -> None:
        mean = np.atleast_1d(np.asarray(self.mean, dtype=np.float64))
        if mean.ndim != 1 or mean.size not in (1, 2) or not np.all(np.isfinite(mean)):
            raise TargetError("the mean must be 1 or 2 finite numbers")
        cov = check_covariance(self.cov)
        if cov.shape != (mean.size, mean.size):
            raise TargetError(f"the covariance must be {mean.size}×{mean.size} for this mean")
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "cov", cov)

    @property
    def dim(self) -> int:
        return self.mean.size

    def log_prob(self, x: np.ndarray) -> np.ndarray:
        """log N(x | mean, cov) for points (N, d)."""
        x = np.asarray(x, dtype=np.float64).reshape(-1, self.dim)
        whiten, normaliser = self._numpy_constants()
        y = (x - self.mean) @ whiten  # rows L⁻¹(x − μ): one small matrix product, not a solve per point
        return -0.5 * np.einsum("ij,ij->i", y, y) + normaliser

    def log_prob_grid(self, axes: tuple[np.ndarray, ...]) -> np.ndarray:
        """log N at every point of the grid spanned by ``axes`` (one 1-D array per dimension): shape
        (len(axes[0]),) or (len(axes[0]), len(axes[1])), entry [i, j] at (axes[0][i], axes[1][j]).

        The quadratic form is built from the axes by broadcasting, a few operations per grid cell instead
        of a matrix product per point: what makes heatmaps and quadrature cheap enough for a drag.
        """
        whiten, normaliser = self._numpy_constants()
        precision = whiten @ whiten.T
        u = np.asarray(axes[0], dtype=np.float64) - self.mean[0]
        if self.dim == 1:
            return -0.5 * precision[0, 0] * u * u + normaliser
        u = u[:, None]
        v = (np.asarray(axes[1], dtype=np.float64) - self.mean[1])[None, :]
        return (-0.5 * precision[0, 0] * u * u + normaliser) - precision[0, 1] * u * v \
            - 0.5 * precision[1, 1] * v * v

    def _numpy_constants(self) -> tuple[np.ndarray, float]:
        """(L⁻ᵀ, log normaliser), L the Cholesky factor of the covariance; made once (heatmaps and
        quadrature evaluate the same Gaussian on many grids)."""
        cache = self.__dict__.setdefault("_numpy_cache", {})
        if not cache:
            chol = np.linalg.cholesky(self.cov)
            cache["whiten"] = np.linalg.inv(chol).T
            cache["normaliser"] = float(-np.log(np.diag(chol)).sum() - 0.5 * self.dim * _LOG_2PI)
        return cache["whiten"], cache["normaliser"]

    def _torch_constants(self, dtype, device):
        """(mean, precision, normaliser) as tensors on the fit's device, made once per device: a fit asks
        every step."""
        import torch

        cache = self.__dict__.setdefault("_torch_cache", {})
        key = (dtype, str(device))
        if key not in cache:
            log_det = float(np.linalg.slogdet(self.cov)[1])
            cache[key] = (torch.as_tensor(self.mean, dtype=dtype, device=device),
                          torch.as_tensor(np.linalg.inv(self.cov), dtype=dtype, device=device),
                          -0.5 * (log_det + self.dim * _LOG_2PI))
        return cache[key]

    def log_prob_torch(self, x):
        mean, precision, normaliser = self._torch_constants(x.dtype, x.device)
        diff = x - mean
        return -0.5 * ((diff @ precision) * diff).sum(dim=1) + normaliser

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return rng.multivariate_normal(self.mean, self.cov, size=n)

    def moments(self) -> tuple[np.ndarray, np.ndarray]:
        return self.mean, self.cov


@dataclass(frozen=True)
class Mixture:
    """Σ_k w_k N(means_k, covs_k); the weights are normalised to sum to 1."""

    weights: np.ndarray
    components: tuple[Gaussian, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        w = np.atleast_1d(np.asarray(self.weights, dtype=np.float64))
        if w.ndim != 1 or len(w) != len(self.components) or len(w) == 0:
            raise TargetError("a mixture needs one weight per component, and at least one component")
        if not np.all(np.isfinite(w)) or np.any(w < 0):
            raise TargetError("mixture weights must be finite and not negative")
        if w.sum() <= 0:
            raise TargetError("at least one mixture weight must be positive")
        if len({c.dim for c in self.components}) != 1:
            raise TargetError("all components of a mixture must have the same dimension")
        object.__setattr__(self, "weights", w / w.sum())
        object.__setattr__(self, "components", tuple(self.components))

    @classmethod
    def of(cls, weights, means, covs) -> Mixture:
        return cls(np.asarray(weights), tuple(Gaussian(m, c) for m, c in zip(means, covs, strict=True)))

    @property
    def dim(self) -> int:
        return self.components[0].dim

    def log_prob(self, x: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            parts = np.stack([np.log(w) + c.log_prob(x) for w, c in zip(self.weights, self.components,
                                                                              strict=True)])
        top = parts.max(axis=0)
        return top + np.log(np.exp(parts - top).sum(axis=0))

    def log_prob_grid(self, axes: tuple[np.ndarray, ...]) -> np.ndarray:
        """log p on the grid spanned by ``axes`` (see :meth:`Gaussian.log_prob_grid`)."""
        parts = [math.log(w) + c.log_prob_grid(axes)
                 for w, c in zip(self.weights, self.components, strict=True) if w > 0]
        top = parts[0].copy()
        for part in parts[1:]:
            np.maximum(top, part, out=top)
        total = np.zeros_like(top)
        for part in parts:
            total += np.exp(part - top)
        return top + np.log(total)

    def _torch_constants(self, dtype, device):
        """Per component with weight, as (K,) tensors on the device, made once per device: the means' x₁
        (and x₂), log π_k + the normaliser, and the log-density's quadratic coefficients −½P₁₁ (and −P₁₂,
        −½P₂₂) of the precision P."""
        import torch

        cache = self.__dict__.setdefault("_torch_cache", {})
        key = (dtype, str(device))
        if key not in cache:
            used = [(w, c) for w, c in zip(self.weights, self.components, strict=True) if w > 0]
            precisions = np.stack([np.linalg.inv(c.cov) for _, c in used])
            columns = [np.array([c.mean[i] for _, c in used]) for i in range(self.dim)]
            columns.append(np.array([math.log(w) - 0.5 * (np.linalg.slogdet(c.cov)[1] + self.dim * _LOG_2PI)
                                     for w, c in used]))
            columns.append(-0.5 * precisions[:, 0, 0])
            if self.dim == 2:
                columns += [-precisions[:, 0, 1], -0.5 * precisions[:, 1, 1]]
            cache[key] = tuple(torch.as_tensor(a, dtype=dtype, device=device) for a in columns)
        return cache[key]

    def log_prob_torch(self, x):
        import torch

        # (n, K) quadratic forms written out for d ≤ 2: a few elementwise operations, where a batched matrix
        # product costs more than they do (and autograd keeps fewer nodes): a fit evaluates this every step
        if self.dim == 1:
            m1, offset, a = self._torch_constants(x.dtype, x.device)
            d1 = x - m1
            return torch.logsumexp(offset + a * d1 * d1, dim=1)
        m1, m2, offset, a, b, c = self._torch_constants(x.dtype, x.device)
        d1, d2 = x[:, :1] - m1, x[:, 1:] - m2
        return torch.logsumexp(offset + d1 * (a * d1 + b * d2) + c * d2 * d2, dim=1)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        counts = rng.multinomial(n, self.weights)
        parts = [c.sample(m, rng) for c, m in zip(self.components, counts, strict=True) if m]
        x = np.concatenate(parts)
        return x[rng.permutation(n)]

    def moments(self) -> tuple[np.ndarray, np.ndarray]:
        """The mixture's mean and covariance (what the forward-KL Gaussian matches)."""
        means = np.stack([c.mean for c in self.components])
        mean = self.weights @ means
        cov = sum(w * (c.cov + np.outer(c.mean - mean, c.mean - mean))
                  for w, c in zip(self.weights, self.components, strict=True))
        return mean, cov


@dataclass(frozen=True)
class Banana:
    """A banana-shaped 2-D density: x₁ ~ N(0, a²), x₂ | x₁ ~ N(b (x₁² − a²), 1) (normalised, exact)."""

    a: float = 1.5
    b: float = 0.5

    def __post_init__(self) -> None:
        if not (math.isfinite(self.a) and math.isfinite(self.b) and self.a > 0):
            raise TargetError("the banana needs a finite width a > 0 and a finite bend b")

    dim = 2

    def log_prob(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64).reshape(-1, 2)
        first = -0.5 * (x[:, 0] / self.a) ** 2 - math.log(self.a) - 0.5 * _LOG_2PI
        second = -0.5 * (x[:, 1] - self.b * (x[:, 0] ** 2 - self.a**2)) ** 2 - 0.5 * _LOG_2PI
        return first + second

    def log_prob_grid(self, axes: tuple[np.ndarray, ...]) -> np.ndarray:
        """log p on the grid spanned by ``axes`` (see :meth:`Gaussian.log_prob_grid`)."""
        return on_grid(self.log_prob, axes)

    def log_prob_torch(self, x):
        first = -0.5 * (x[:, 0] / self.a) ** 2 - math.log(self.a) - 0.5 * _LOG_2PI
        second = -0.5 * (x[:, 1] - self.b * (x[:, 0] ** 2 - self.a**2)) ** 2 - 0.5 * _LOG_2PI
        return first + second

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        x1 = rng.normal(0.0, self.a, n)
        return np.stack([x1, self.b * (x1**2 - self.a**2) + rng.normal(size=n)], axis=1)


@dataclass(frozen=True)
class Ring:
    """A 2-D ring: p(x) ∝ N(|x| | r, s²), angle uniform (normalised in closed form)."""

    radius: float = 2.5
    width: float = 0.3

    def __post_init__(self) -> None:
        r, s = self.radius, self.width
        if not (math.isfinite(r) and math.isfinite(s) and r > 0 and s > 0):
            raise TargetError("the ring needs a radius > 0 and a width > 0")
        # ∫ p dx = ∫₀^∞ 2π ρ N(ρ | r, s²) dρ / Z  ⇒  Z, from the closed form of that integral.
        tail = 0.5 * math.erfc(-r / (s * math.sqrt(2.0)))
        mass = 2 * math.pi * (r * tail + s * math.exp(-0.5 * (r / s) ** 2) / math.sqrt(2 * math.pi))
        object.__setattr__(self, "_log_norm", math.log(mass))

    dim = 2

    def _log_radial(self, rho):
        return -0.5 * ((rho - self.radius) / self.width) ** 2 - math.log(self.width) - 0.5 * _LOG_2PI

    def log_prob(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64).reshape(-1, 2)
        return self._log_radial(np.hypot(x[:, 0], x[:, 1])) - self._log_norm

    def log_prob_grid(self, axes: tuple[np.ndarray, ...]) -> np.ndarray:
        """log p on the grid spanned by ``axes`` (see :meth:`Gaussian.log_prob_grid`)."""
        return on_grid(self.log_prob, axes)

    def log_prob_torch(self, x):
        return self._log_radial(x.norm(dim=1)) - self._log_norm

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        out = np.empty((0, 2))
        while len(out) < n:  # ρ has density ∝ ρ N(ρ | r, s²) on ρ > 0: rejection from N(r, s²)
            rho = rng.normal(self.radius, self.width, 2 * n)
            # accept with probability ρ / (r + 6s): beyond r + 6s (p < 1e-8) every ρ is accepted
            keep = (rho > 0) & (rng.uniform(size=2 * n) * (self.radius + 6 * self.width) < rho)
            angle = rng.uniform(0.0, 2 * math.pi, keep.sum())
            out = np.concatenate([out, np.stack([rho[keep] * np.cos(angle), rho[keep] * np.sin(angle)], 1)])
        return out[:n]


Target = Gaussian | Mixture | Banana | Ring


def on_grid(log_prob, axes: tuple[np.ndarray, ...]) -> np.ndarray:
    """``log_prob`` of points, evaluated on the grid spanned by ``axes``, shaped as the grid (the
    ``log_prob_grid`` of a target with no faster way)."""
    if len(axes) == 1:
        return log_prob(np.asarray(axes[0], dtype=np.float64)[:, None])
    xx, yy = np.meshgrid(axes[0], axes[1], indexing="ij")
    return log_prob(np.stack([xx.ravel(), yy.ravel()], axis=1)).reshape(xx.shape)


def gaussian_kl(p: Gaussian, q: Gaussian) -> float:
    """KL(p ‖ q) between two Gaussians, in closed form (nats)."""
    d = p.dim
    q_precision = np.linalg.inv(q.cov)
    diff = q.mean - p.mean
    return float(0.5 * (np.trace(q_precision @ p.cov) + diff @ q_precision @ diff - d
                        + np.linalg.slogdet(q.cov)[1] - np.linalg.slogdet(p.cov)[1]))
