"""The Density lab's state: JSON round trips, migration, and refusals of values the dock cannot show."""

from __future__ import annotations

from dataclasses import replace

import pytest

from vaeviz.core.density.presets import DENSITY_PRESETS, GENERATIVE
from vaeviz.core.density.state import (
    STATE_VERSION,
    DataChoice,
    DensityLabState,
    EstimatorSettings,
    ViewChoice,
    state_from_json,
    state_to_json,
)


@pytest.mark.parametrize("state", [DensityLabState()] + [p.state for p in (*DENSITY_PRESETS, GENERATIVE)],
                         ids=["default"] + [p.name for p in (*DENSITY_PRESETS, GENERATIVE)])
def test_json_round_trip(state):
    raw = state_to_json(state)
    assert raw["version"] == STATE_VERSION
    assert state_from_json(raw) == state


def test_missing_entries_take_defaults_and_version_1_reads():
    assert state_from_json({"version": 1}) == DensityLabState()
    assert state_from_json({}) == DensityLabState()


@pytest.mark.parametrize("change, words", [
    (dict(settings=EstimatorSettings(bins=0)), "at least 1 bin"),
    (dict(settings=EstimatorSettings(bandwidth=0.0)), "bandwidth must be > 0"),
    (dict(settings=EstimatorSettings(bandwidth=-1.0)), "bandwidth must be > 0"),
    (dict(settings=EstimatorSettings(bandwidth=float("nan"))), "finite"),
    (dict(settings=EstimatorSettings(components=0)), "K = 1"),
    (dict(settings=EstimatorSettings(components=1000)), "components K"),
    (dict(settings=EstimatorSettings(covariance_type="wobbly")), "covariance type"),
    (dict(settings=EstimatorSettings(vae_latent=3)), "latent size"),
    (dict(data=DataChoice("blobs", 0, 0)), "N = 0"),
    (dict(data=DataChoice("blobs", 1, 0)), "N = 1"),
    (dict(data=DataChoice("no such data", 100, 0)), "data must be one of"),
    (dict(view=ViewChoice(scale="cubic")), "scale"),
    (dict(view=ViewChoice(held_out=0.0)), "held-out fraction"),
    (dict(view=ViewChoice(samples=-1)), "samples"),
    (dict(estimator="magic"), "estimator"),
    (dict(mode="3d"), "mode"),
    (dict(mode="1d", estimator="vae"), "estimator"),
])
def test_validate_refuses_bad_values_with_a_sentence(change, words):
    with pytest.raises(ValueError, match=words):
        replace(DensityLabState(), **change).validate()


def test_json_refuses_unknown_settings_wrong_types_and_newer_versions():
    raw = state_to_json(DensityLabState())
    with pytest.raises(ValueError, match="unknown setting"):
        state_from_json({**raw, "settings": {**raw["settings"], "colour": "red"}})
    with pytest.raises(ValueError, match="bins"):
        state_from_json({**raw, "settings": {**raw["settings"], "bins": "many"}})
    with pytest.raises(ValueError, match="newer"):
        state_from_json({**raw, "version": STATE_VERSION + 1})
    with pytest.raises(ValueError, match="object"):
        state_from_json({**raw, "view": [1, 2]})
    with pytest.raises(ValueError):
        state_from_json("not a state")


def test_the_one_d_mode_uses_the_lecture_mixture():
    state = DensityLabState(mode="1d", data=DataChoice("1-D mixture", 500, 0))
    state.validate()
    with pytest.raises(ValueError, match="1D mode's data"):
        replace(state, data=DataChoice("blobs", 500, 0)).validate()
