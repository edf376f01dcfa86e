"""The KL dock's presets as data: the lecture's names, valid states, steps the fit reaches."""

from __future__ import annotations

import numpy as np
import pytest

from vaeviz.core.kl.presets import KL_PRESETS, KLPreset, preset
from vaeviz.core.kl.state import state_from_json, state_to_json

LECTURE = {"overview", "lecture-example-1", "lecture-example-2", "several-starts", "alpha-divergence",
           "kl-asymmetry", "elbo-gap"}


def test_every_lecture_preset_is_there_once():
    names = [p.name for p in KL_PRESETS]
    assert set(names) == LECTURE and len(names) == len(set(names))


@pytest.mark.parametrize("p", KL_PRESETS, ids=lambda p: p.name)
def test_preset_states_are_valid_and_survive_json(p):
    p.state.validate()
    assert state_from_json(state_to_json(p.state)) == p.state
    assert 0 < p.steps <= p.state.fit.max_steps


def test_the_lecture_examples_are_what_the_lecture_says():
    one = preset("lecture-example-1").state
    p = one.target.build()
    assert one.target.kind == "gaussian" and one.fit.family == "diag"
    assert abs(p.cov[0, 1]) > 0.5 * np.sqrt(p.cov[0, 0] * p.cov[1, 1])  # correlated: the diagonal q misses it
    two = preset("lecture-example-2").state
    assert two.target.kind == "mixture" and len(two.target.means) == 2 and two.fit.family == "full"
    assert preset("several-starts").follow_up == "several-starts"
    assert preset("alpha-divergence").state.show_alpha
    assert preset("kl-asymmetry").state.mode == "1d"
    assert preset("elbo-gap").state.mode == "vi"


def test_bad_presets_are_refused():
    state = preset("overview").state
    with pytest.raises(ValueError, match="follow-up"):
        KLPreset("x", "x", state, 1, follow_up="nope")
    with pytest.raises(ValueError, match="steps"):
        KLPreset("x", "x", state, state.fit.max_steps + 1)
    with pytest.raises(KeyError, match="known"):
        preset("nope")
