"""The simple family q is fitted from: a Gaussian with full, diagonal or isotropic covariance.

Parameterised for unconstrained gradient descent: the mean, the log of the Cholesky factor's diagonal
(so every variance stays > 0 whatever the step) and, for "full", its strictly lower entries.
"""

from __future__ import annotations

import math

import numpy as np

from vaeviz.core.kl.targets import Gaussian

FAMILIES = ("full", "diag", "isotropic")
_LOG_2PI = math.log(2.0 * math.pi)


def check_family(family: str) -> str:
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r} (known: {', '.join(FAMILIES)})")
    return family


def initial_parameters(start: Gaussian, family: str) -> np.ndarray:
    """The flat parameter vector of ``start`` projected into the family (diag: its variances; isotropic:
    their mean)."""
    check_family(family)
    d = start.dim
    if family == "full":
        chol = np.linalg.cholesky(start.cov)
        return np.concatenate([start.mean, np.log(np.diag(chol)), chol[np.tril_indices(d, -1)]])
    variances = np.diag(start.cov)
    if family == "diag":
        return np.concatenate([start.mean, 0.5 * np.log(variances)])
    return np.concatenate([start.mean, [0.5 * math.log(float(variances.mean()))]])


class GaussianFamily:
    """Torch views of a flat parameter vector: sampling, log-density, entropy, and back to numpy."""

    def __init__(self, family: str, dim: int) -> None:
        self.family = check_family(family)
        self.dim = dim
        # A full L (d > 1) is gathered, row by row, from [its diagonal..., its entries below it..., 0]: one
        # gather where a diagonal matrix and an index_put cost more (a fit makes L every step).
        self._gather: np.ndarray | None = None
        if self.family == "full" and dim > 1:
            rows, cols = np.tril_indices(dim, -1)
            where = np.full((dim, dim), dim + len(rows))  # (the 0)
            where[np.arange(dim), np.arange(dim)] = np.arange(dim)
            where[rows, cols] = dim + np.arange(len(rows))
            self._gather = where.ravel()
        self._tensors: dict = {}

    def cholesky(self, params):
        """(d, d) lower-triangular factor L of the covariance (Σ = L Lᵀ) as a torch tensor."""
        import torch

        d = self.dim
        log_diag = params[d:] if self.family != "full" else params[d: 2 * d]
        if self.family == "isotropic":
            log_diag = log_diag.expand(d)
        if self._gather is None:
            return torch.diag_embed(log_diag.exp())
        key = (params.dtype, str(params.device))
        if key not in self._tensors:
            self._tensors[key] = (torch.as_tensor(self._gather, device=params.device),
                                  torch.zeros(1, dtype=params.dtype, device=params.device))
        gather, zero = self._tensors[key]
        return torch.cat([log_diag.exp(), params[2 * d:], zero])[gather].view(d, d)

    def sample(self, params, eps, chol=None):
        """z = μ + L ε for standard-normal ε (n, d): the reparameterisation trick (``chol``: L, if made)."""
        chol = self.cholesky(params) if chol is None else chol
        return params[: self.dim] + eps @ chol.T

    def log_prob(self, params, z, chol=None):
        """log q(z) for points (n, d) (``chol``: L, if made)."""
        import torch

        chol = self.cholesky(params) if chol is None else chol
        diff = (z - params[: self.dim]).T
        solved = torch.linalg.solve_triangular(chol, diff, upper=False)
        log_det = torch.log(torch.diagonal(chol)).sum()
        return -0.5 * (solved * solved).sum(dim=0) - log_det - 0.5 * self.dim * _LOG_2PI

    def entropy(self, params):
        """H(q) = ½ log |2πe Σ|, in closed form."""
        d = self.dim
        if self.family == "full":
            log_diag = params[d: 2 * d]
        else:
            log_diag = params[d:].expand(d) if self.family == "isotropic" else params[d:]
        return log_diag.sum() + 0.5 * d * (1.0 + _LOG_2PI)  # log |L| = Σ log L_ii, the parameters themselves

    def usable(self, params) -> bool:
        """Whether the parameters still describe a q float32 can hold: finite, and every standard
        deviation between e⁻³⁰ and e³⁰ (beyond, the covariance under- or overflows)."""
        flat = params.detach().cpu().numpy()  # a handful of numbers: numpy checks them faster than torch ops
        d = self.dim
        log_diag = flat[d:] if self.family != "full" else flat[d: 2 * d]
        return bool(np.isfinite(flat).all() and (np.abs(log_diag) < 30.0).all())

    def to_gaussian(self, params) -> Gaussian:
        """The q these parameters describe, as a numpy :class:`Gaussian` (float64, on the host)."""
        flat = params.detach().cpu().numpy().astype(np.float64)
        d = self.dim
        log_diag = flat[d:] if self.family != "full" else flat[d: 2 * d]
        if self.family == "isotropic":
            log_diag = np.repeat(log_diag, d)
        chol = np.diag(np.exp(log_diag))
        if self.family == "full":
            chol[np.tril_indices(d, -1)] = flat[2 * d:]
        return Gaussian(flat[:d], chol @ chol.T)
