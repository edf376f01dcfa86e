"""Per-row sums and log-sum-exps of (N, K) arrays with few columns: the inner loops of the mixture maths."""

from __future__ import annotations

import numpy as np


def row_sum(a: np.ndarray) -> np.ndarray:
    """``a.sum(axis=1)``, bit for bit: numpy adds fewer than 8 terms one after the other, and so do we,
    column by column. A reduction over such a short axis is ~10× slower than these few whole-column adds,
    and mixtures have few components (and the data few coordinates)."""
    if a.shape[1] >= 8:
        return np.sum(a, axis=1)
    out = np.zeros(a.shape[0])
    for j in range(a.shape[1]):
        out += a[:, j]
    return out


def column_sums(a: np.ndarray) -> np.ndarray:
    """``a.sum(axis=0)`` for an (N, K) array with few columns, one (pairwise-summed) column at a time:
    numpy reduces axis 0 of such an array ~10× slower (its inner loop runs over the K columns)."""
    if a.shape[1] >= 8:
        return np.sum(a, axis=0)
    return np.array([a[:, j].sum() for j in range(a.shape[1])])


def logsumexp_rows(a: np.ndarray) -> np.ndarray:
    """Return log Σ_k exp(a[:, k]) per row, shifting by the row maximum so nothing overflows.

    Rows whose entries are all -inf give -inf (never NaN).
    """
    a_max = a[:, 0].copy()
    for j in range(1, a.shape[1]):  # (see row_sum: cheaper than a max over a short axis)
        np.maximum(a_max, a[:, j], out=a_max)
    a_max[~np.isfinite(a_max)] = 0.0  # an all -inf row: exp(-inf - 0) = 0, log 0 = -inf, no NaN
    with np.errstate(divide="ignore"):
        out = np.log(row_sum(np.exp(a - a_max[:, None])))
    return out + a_max


def normalise_log_rows(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (log Σ_k exp a_nk, exp(a_nk - that)): per-row log normaliser and row-stochastic weights.

    A row that is -inf everywhere (a point no component can explain) gets uniform weights rather
    than 0/0.
    """
    log_norm = logsumexp_rows(a)
    ok = np.isfinite(log_norm)
    if ok.all():  # the usual case: no masked copies
        return log_norm, np.exp(a - log_norm[:, None])
    resp = np.empty_like(a)
    resp[ok] = np.exp(a[ok] - log_norm[ok, None])
    resp[~ok] = 1.0 / a.shape[1]
    return log_norm, resp
