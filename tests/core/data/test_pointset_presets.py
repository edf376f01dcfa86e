"""Point set presets: deterministic, labelled, matching their true parameters, one undoable step."""

from __future__ import annotations

import numpy as np
import pytest
from test_pointset import assert_state, labelled, state

from vaeviz.core.data.pointset import UNLABELLED, PointSet
from vaeviz.core.data.pointset_presets import PRESETS, apply_preset, make_blobs

# ---------------------------------------------------------------------------- presets


@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_are_deterministic_and_labelled(name):
    spec = PRESETS[name]
    assert spec.name == name and spec.description
    a, b = spec.make(300, 5), spec.make(300, 5)
    for field in ("points", "labels", "weights", "means", "covariances"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    k = len(a.weights)
    assert a.points.shape == (300, 2) and a.points.dtype == np.float64 and np.isfinite(a.points).all()
    assert a.labels.shape == (300,) and a.labels.dtype == np.int64
    assert set(a.labels.tolist()) <= set(range(k)) | {UNLABELLED}
    assert a.means.shape == (k, 2) and a.covariances.shape == (k, 2, 2)
    assert np.isclose(a.weights.sum(), 1.0) and (a.weights > 0).all()
    np.testing.assert_allclose(a.covariances, np.transpose(a.covariances, (0, 2, 1)))
    assert (np.linalg.eigvalsh(a.covariances) >= -1e-12).all()
    if name != "identical":  # the seed matters (except where every point is the same)
        assert not np.array_equal(a.points, spec.make(300, 6).points)
    if name == "single point stack":  # needs room for its isolated point
        with pytest.raises(ValueError, match=">= 1"):
            spec.make(0, 1)
    else:
        assert spec.make(0, 1).points.shape == (0, 2)
    with pytest.raises(ValueError, match="whole number"):
        spec.make(-1, 1)


def test_preset_counts_follow_the_weights():
    d = PRESETS["varied sizes"].make(1000, 0)
    assert np.bincount(d.labels).tolist() == [600, 300, 100]


def test_preset_samples_match_their_parameters():
    """With many points, each component's sample mean and covariance are near the true ones."""
    for name in ("blobs", "anisotropic", "two gaussians"):
        d = PRESETS[name].make(6000, 3)
        for k in range(len(d.weights)):
            pts = d.points[d.labels == k]
            np.testing.assert_allclose(pts.mean(axis=0), d.means[k], atol=0.15)
            np.testing.assert_allclose(np.cov(pts.T), d.covariances[k], atol=0.2)


def test_single_point_stack_and_identical():
    d = PRESETS["single point stack"].make(100, 0)
    lonely = d.points[d.labels == UNLABELLED]
    assert len(lonely) == 1 and np.min(np.hypot(*(d.points[d.labels >= 0] - lonely[0]).T)) > 2.0
    same = PRESETS["identical"].make(40, 0)
    assert (same.points == same.points[0]).all() and (same.covariances == 0).all()


def test_apply_preset_is_one_undoable_step():
    ps = labelled()
    before = state(ps)
    data = apply_preset(ps, "blobs", 90, seed=2)
    np.testing.assert_array_equal(ps.points, make_blobs(90, 2).points)
    np.testing.assert_array_equal(ps.labels, data.labels)
    assert ps.undo_text == "Undo load preset blobs"
    ps.undo()
    assert_state(ps, before)
    assert len(apply_preset(PointSet(), "identical").points) == PRESETS["identical"].default_n
    with pytest.raises(ValueError, match="unknown preset"):
        apply_preset(ps, "nope")
