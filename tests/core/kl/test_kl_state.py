"""The KL lab's state: defaults valid, JSON round trip, bad values refused with a short message."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from vaeviz.core.kl.state import KLLabState, state_from_json, state_to_json


def test_default_state_is_valid_and_round_trips():
    state = KLLabState()
    state.validate()
    assert state_from_json(json.loads(json.dumps(state_to_json(state)))) == state
    assert state_from_json({}) == state  # missing entries take their defaults


def test_a_changed_state_round_trips():
    base = KLLabState()
    state = replace(base, mode="2d", show_alpha=True,
                    target=replace(base.target, kind="gaussian", means=((0.5, -0.3),),
                                   covariances=(((1.0, 0.8), (0.8, 1.0)),), weights=(1.0,)),
                    fit=replace(base.fit, family="diag", lr=0.02, samples=500, alpha=0.3))
    assert state_from_json(json.loads(json.dumps(state_to_json(state)))) == state


@pytest.mark.parametrize(("change", "words"), [
    ({"target": {"weights": [-1, 2]}}, "weight 1"),
    ({"target": {"weights": [0, 0]}}, "positive"),
    ({"target": {"covariances": [[[1, 2], [2, 1]], [[1, 0], [0, 1]]]}}, "positive definite"),
    ({"fit": {"samples": 0}}, "Monte Carlo samples"),
    ({"fit": {"lr": "fast"}}, "learning rate"),
    ({"fit": {"start_cov": [[1, 0], [0, -1]]}}, "q's start"),
    ({"mode": "3d"}, "unknown mode"),
    ({"mode": "1d"}, "1-D mode"),
    ({"version": 99}, "newer"),
])
def test_bad_values_are_refused_with_a_message(change, words):
    raw = state_to_json(KLLabState())
    for key, value in change.items():
        raw[key] = {**raw[key], **value} if isinstance(value, dict) else value
    with pytest.raises(ValueError, match=words):
        state_from_json(raw)
