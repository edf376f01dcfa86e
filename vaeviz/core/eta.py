"""Estimated time remaining for a job that reports the fraction it has done."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class EtaEstimator:
    """Linear ETA from the start time and the latest fraction, smoothed against jitter.

    Times are plain floats (seconds from any monotonic clock) so the estimator is testable.
    """

    start: float
    smoothing: float = 0.3
    _rate: float | None = None  # fraction per second

    def update(self, now: float, fraction: float) -> float | None:
        """Return seconds remaining, or ``None`` until there is enough to tell."""
        elapsed = now - self.start
        if fraction <= 0.0 or elapsed <= 0.0:
            return None
        rate = fraction / elapsed
        self._rate = rate if self._rate is None else self.smoothing * rate + (1 - self.smoothing) * self._rate
        return max(0.0, (1.0 - min(fraction, 1.0)) / self._rate)


def format_eta(seconds: float | None) -> str:
    """Format seconds as ``ETA 1:05`` / ``ETA 1:02:03``; empty when unknown."""
    if seconds is None:
        return ""
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"ETA {h}:{m:02d}:{s:02d}" if h else f"ETA {m}:{s:02d}"
