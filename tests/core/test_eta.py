"""The ETA estimator (linear, smoothed) and its formatting."""

from __future__ import annotations

import pytest

from vaeviz.core.eta import EtaEstimator, format_eta


@pytest.mark.parametrize(("now", "fraction"), [(10.0, 0.0), (10.0, -0.1), (0.0, 0.5), (-1.0, 0.5)])
def test_unknown_until_there_is_progress_and_time(now, fraction):
    """No estimate without a positive fraction and positive elapsed time."""
    assert EtaEstimator(start=0.0).update(now, fraction) is None


def test_unknown_update_does_not_seed_the_rate():
    """A None answer leaves the estimator as if never updated."""
    eta = EtaEstimator(start=0.0)
    eta.update(5.0, 0.0)
    assert eta.update(10.0, 0.5) == pytest.approx(10.0)


def test_first_estimate_is_linear():
    """Half done after 10 s -> 10 s to go; times are relative to ``start``."""
    assert EtaEstimator(start=100.0).update(110.0, 0.5) == pytest.approx(10.0)
    assert EtaEstimator(start=0.0).update(30.0, 0.75) == pytest.approx(10.0)


def test_smoothing_blends_rates():
    """The second rate is blended as smoothing*new + (1-smoothing)*old."""
    eta = EtaEstimator(start=0.0, smoothing=0.3)
    eta.update(10.0, 0.1)  # rate 0.01/s
    remaining = eta.update(20.0, 0.4)  # rate 0.02/s -> blended 0.3*0.02 + 0.7*0.01 = 0.013/s
    assert remaining == pytest.approx(0.6 / 0.013)


def test_smoothing_one_follows_latest_rate():
    """smoothing=1 ignores history."""
    eta = EtaEstimator(start=0.0, smoothing=1.0)
    eta.update(10.0, 0.1)
    assert eta.update(20.0, 0.4) == pytest.approx(30.0)


def test_jitter_is_damped():
    """A sudden spike in rate moves the estimate less than the raw linear estimate would."""
    eta = EtaEstimator(start=0.0)
    for t in range(1, 11):
        eta.update(float(t), t / 100)  # steady 1%/s
    smoothed = eta.update(11.0, 0.5)  # jump to 50% done
    raw = (1 - 0.5) / (0.5 / 11.0)
    assert smoothed > raw


@pytest.mark.parametrize("fraction", [1.0, 1.5])
def test_done_or_overshoot_is_zero(fraction):
    """At or past 100% the remaining time is 0, never negative."""
    assert EtaEstimator(start=0.0).update(10.0, fraction) == 0.0


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, ""),
        (0, "ETA 0:00"),
        (0.4, "ETA 0:00"),
        (5, "ETA 0:05"),
        (59.6, "ETA 1:00"),
        (65, "ETA 1:05"),
        (600, "ETA 10:00"),
        (3599, "ETA 59:59"),
        (3600, "ETA 1:00:00"),
        (3723, "ETA 1:02:03"),
        (36000 + 61, "ETA 10:01:01"),
    ],
)
def test_format_eta(seconds, text):
    """m:ss under an hour, h:mm:ss from an hour; empty when unknown."""
    assert format_eta(seconds) == text


def test_format_eta_of_estimator():
    """The two work together."""
    assert format_eta(EtaEstimator(start=0.0).update(65.0, 0.5)) == "ETA 1:05"
