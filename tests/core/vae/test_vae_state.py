"""core/vae/state.py: the latent lab's state, its JSON, the migration of older versions, its checks;
core/vae/presets.py: the presets as data."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from vaeviz.core.vae.lab_data import DataSource
from vaeviz.core.vae.presets import PRESETS, emptiest_point, find_preset, two_classes
from vaeviz.core.vae.state import (
    STATE_VERSION,
    LatentState,
    ModelChoice,
    TrainSettings,
    ViewSettings,
    migrate,
    state_from_json,
    state_to_json,
)

OLD_SESSIONS = Path(__file__).parents[2] / "ui" / "old_sessions"
V1 = {"version": 1, "data": {"kind": "shapes", "paths": []},
      "model": {"kind": "conv-vae", "latent_dim": 4, "beta": 2.0, "lr": 0.01, "batch_size": 64, "epochs": 3},
      "checkpoints": {}, "view": {"mode": "both", "manifold": "grid", "grid_n": 9, "grid_range": 2.5,
                                  "grid_fit": False},
      "points": {"vae": [0.75, -0.5], "ae": [0.0, 0.0]}, "picks": [3, 7]}


def test_json_round_trip():
    state = LatentState(model=ModelChoice("mlp-ae", 3, 0.5), train=TrainSettings(0.002, 256, 4, False),
                        view=ViewSettings("both", "underlay", 9, 2.5, True),
                        picks=(1, 2)).with_point("ae", 1.5, -2.0).with_checkpoint("vae", "/x.safetensors")
    raw = json.loads(json.dumps(state_to_json(state)))
    assert raw["version"] == STATE_VERSION == 2
    assert state_from_json(raw) == state
    assert state_from_json({}) == LatentState()  # missing entries take their defaults


def test_version_1_is_migrated():
    raw = dict(V1)
    upgraded = migrate(raw)
    assert raw == V1  # the input is not changed
    assert upgraded["version"] == 2
    assert upgraded["model"] == {"kind": "conv-vae", "latent_dim": 4, "beta": 2.0}
    assert upgraded["train"] == {"lr": 0.01, "batch_size": 64, "epochs": 3}
    state = state_from_json(V1)
    assert state.train == TrainSettings(0.01, 64, 3, True) and state.model == ModelChoice("conv-vae", 4, 2.0)
    assert state.view == ViewSettings("both", "grid", 9, 2.5, False) and state.view.roles == ("vae", "ae")
    assert state.points.vae == (0.75, -0.5) and state.picks == (3, 7)


def test_the_real_version_1_file():
    raw = json.loads((OLD_SESSIONS / "latent-v1.vaeviz").read_text())["docks"]["latent"]
    state = state_from_json(raw)
    assert state.view.mode == "both" and (state.view.manifold, state.view.grid_n) == ("grid", 9)
    assert state.view.grid_range == 2.5 and state.points.vae == (0.75, -0.5)


@pytest.mark.parametrize("change, message", [
    ({"version": 3}, "newer than this vaeviz"),
    ({"version": "2"}, "unknown VAE latent state version"),
    ({"model": {"kind": "gan"}}, "model.kind must be one of"),
    ({"model": {"latent_dim": 2.5}}, "model.latent_dim must be a whole number from 2 to 32"),
    ({"model": {"beta": -1}}, "model.beta must be a number from 0 to 8"),
    ({"model": {"beta": True}}, "model.beta"),
    ({"model": {"depth": 3}}, "model.depth is not a setting"),
    ({"train": {"lr": float("nan")}}, "train.lr"),
    ({"train": {"batch_size": 10**9}}, "train.batch_size must be a whole number from 8 to 4096"),
    ({"train": {"fresh": 1}}, "train.fresh must be true or false"),
    ({"view": {"mode": "3d"}}, "view.mode must be one of vae, ae, both"),
    ({"view": {"grid_n": 31}}, "view.grid_n"),
    ({"view": "grid"}, "'view' must be an object"),
    ({"points": {"vae": [1.0]}}, "points.vae must be two numbers"),
    ({"points": {"vae": [1e9, 0]}}, "points.vae must be a number"),
    ({"points": {"gan": [0, 0]}}, "points must map"),
    ({"checkpoints": {"vae": 3}}, "checkpoints.vae must be a file name or null"),
    ({"picks": [1, 2, 3]}, "at most two"),
    ({"picks": [10**12]}, "picks must be image indices"),
    ({"picks": [-1]}, "picks must be image indices"),
    ({"picks": [True]}, "picks must be image indices"),
    ({"data": {"kind": "web"}}, "unknown data source"),
])
def test_validation_names_the_problem(change, message):
    raw = dict(state_to_json(LatentState()), **change)
    with pytest.raises(ValueError, match=message):
        state_from_json(raw)


def test_picks_are_bounded_by_the_data_size_when_known():
    state = LatentState(picks=(3, 499))
    state.validate(data_size=500)
    with pytest.raises(ValueError, match="from 0 to 99"):
        state.validate(data_size=100)


def test_missing_files_are_named(tmp_path):
    LatentState().check_files()
    with pytest.raises(ValueError, match="the data file .*gone.npz does not exist"):
        LatentState(data=DataSource("npz", (str(tmp_path / "gone.npz"),))).check_files()
    with pytest.raises(ValueError, match="the checkpoint file .*gone.safetensors does not exist"):
        LatentState().with_checkpoint("ae", str(tmp_path / "gone.safetensors")).check_files()


# ----- presets ------------------------------------------------------------------------------------------
def test_presets_are_valid_states_with_known_follow_ups():
    from vaeviz.core.vae.presets import FOLLOW_UPS

    assert [p.name for p in PRESETS] == ["overview", "latent-explorer", "manifold-grid", "ae-vs-vae",
                                         "reparameterisation", "reparameterisation-beta4"]
    for preset in PRESETS:
        preset.state.validate()
        assert preset.follow_up is None or preset.follow_up in FOLLOW_UPS
    assert find_preset("manifold-grid").state.view == ViewSettings("vae", "grid", 15, 3.0)
    with pytest.raises(KeyError, match="known: overview"):
        find_preset("nope")
    mine = LatentState(data=DataSource("mnist-download")).with_checkpoint("vae", "/a.safetensors")
    applied = find_preset("ae-vs-vae").state_for(mine)
    assert applied.data == mine.data and applied.checkpoints == mine.checkpoints
    assert applied.view == find_preset("ae-vs-vae").state.view


def test_follow_up_helpers():
    mu = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.5, 5.0], [4.0, 5.0], [-4.0, 0.0]], np.float32)
    labels = np.array([0, 0, 1, 1, 1, 2])
    indices = np.array([10, 11, 12, 13, 14, 15])
    assert set(two_classes(mu, labels, indices)) == {12, 15}  # the two clusters furthest apart
    assert two_classes(mu, None, indices) == (10, 13)  # unlabelled: the first, and the furthest from it
    x, y = emptiest_point(np.random.default_rng(0).uniform(-1, 1, (400, 2)))
    assert -1 <= x <= 1 and -1 <= y <= 1


def test_presets_module_is_light():
    code = ("import sys, vaeviz.core.vae.presets, vaeviz.core.vae.state; "
            "print(any(m in sys.modules for m in ('torch', 'PySide6', 'pyqtgraph')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False", result.stderr


def test_replace_keeps_states_frozen():
    state = LatentState()
    with pytest.raises(AttributeError):
        state.view.mode = "ae"  # type: ignore[misc]
    assert replace(state, picks=(1,)).picks == (1,) and state.picks == ()
