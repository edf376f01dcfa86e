"""The GMM & EM lab's Qt-free model: frames, continuation, edits, problems. These tests import no Qt."""

from __future__ import annotations

import numpy as np
import pytest

from vaeviz.core.data.pointset_presets import make_blobs, make_single_point_stack
from vaeviz.core.em.data_checks import data_problem
from vaeviz.core.em.edit import (
    axis_handles,
    drag_axis,
    ellipse,
    ellipses,
    move_mean,
    set_weight,
    snap_and_shrink,
)
from vaeviz.core.em.gmm import GaussianMixture
from vaeviz.core.em.lab import (
    Blocked,
    LabData,
    RunEnd,
    display_index,
    evaluate,
    run_frames,
    start_frame,
    start_job,
)
from vaeviz.core.em.problems import crossover, curves_1d, seeds_job
from vaeviz.core.em.state import LabSettings
from vaeviz.core.jobs import run_to_end


def _keys(resp):
    """Stands in for the UI's colour keys: the most responsible component of each point."""
    return np.argmax(resp, axis=1).astype(np.uint16)



def _data(n=300, shown=None, maker=make_blobs):
    d = maker(n, 0)
    return LabData(d.points, d.labels, shown, _keys)


def _frames(data, settings, start, n, resume=None):
    gen = run_frames(data, settings, start, n, resume=resume)
    out = []
    try:
        while True:
            out.append(next(gen).frame)
    except StopIteration as stop:
        return out, stop.value


def test_frames_alternate_and_continuing_from_any_frame_gives_the_same_run():
    data, settings = _data(), LabSettings()
    first = start_frame(data, settings)
    frames, end = _frames(data, settings, first, 12)
    assert [f.phase for f in frames] == ["E", "M"] * 6 and end == RunEnd("steps", 12)
    assert [f.em.iteration for f in frames[:4]] == [1, 1, 2, 2]
    assert [f.km.phase for f in frames[:2]] == ["assign", "update"]
    for i in (1, 2, 5):  # from an M frame and from E frames
        again, _ = _frames(data, settings, frames[i], 3)
        for a, b in zip(again, frames[i + 1:i + 4], strict=True):
            assert a.phase == b.phase and a.em.iteration == b.em.iteration
            assert np.allclose(a.gmm.means, b.gmm.means)
            assert a.em.log_likelihood == pytest.approx(b.em.log_likelihood)
            assert a.km.phase == b.km.phase and np.allclose(a.km.centres, b.km.centres)


def test_resuming_a_run_gives_the_same_frames_without_redoing_the_e_pass(monkeypatch):
    data, settings = _data(), LabSettings()
    first = start_frame(data, settings)
    whole, _ = _frames(data, settings, first, 8)
    steps, end = _frames(data, settings, first, 2)
    calls = []
    original = GaussianMixture.component_log_prob
    def counted(self, x):
        calls.append(1)
        return original(self, x)

    monkeypatch.setattr(GaussianMixture, "component_log_prob", counted)
    for _ in range(3):  # Step, Step, Step: each run goes on with the previous one's generators
        assert end.resume is not None and end.resume.frame is steps[-1]
        more, end = _frames(data, settings, steps[-1], 2, end.resume)
        steps += more
    assert len(calls) == 3  # one pass per E + M (the M-step's likelihood); a fresh run would add one each
    for a, b in zip(steps, whole, strict=True):
        assert a.phase == b.phase and a.em.iteration == b.em.iteration and a.km.iteration == b.km.iteration
        assert np.array_equal(a.gmm.means, b.gmm.means) and a.em.log_likelihood == b.em.log_likelihood
    calls.clear()
    stale = end.resume
    _frames(data, settings, steps[-3], 2, stale)  # another frame: the resume does not fit, a fresh run
    _frames(data, LabSettings(floor=False), steps[-1], 2, stale)  # other settings: likewise
    assert len(calls) == 4


def test_m_frames_keep_the_e_colours_and_frames_hold_no_responsibilities():
    data = _data(shown=display_index(300, 100))
    frames, _ = _frames(data, LabSettings(), start_frame(data, LabSettings()), 4)
    assert all(f.em.responsibilities is None for f in frames)
    assert frames[0].keys.shape == (100,) and frames[1].keys is frames[0].keys
    assert frames[0].km.labels.dtype == np.uint8 and frames[0].km.labels.shape == (100,)


def test_complete_log_likelihood_uses_labels_matched_to_components():
    data = _data()
    frames, _ = _frames(data, LabSettings(), start_frame(data, LabSettings()), 20)
    last = frames[-1].em
    assert last.complete_log_likelihood is not None and last.complete_log_likelihood <= last.log_likelihood
    assert last.log_likelihood - last.complete_log_likelihood < 5.0  # well separated blobs: P(z|x) ≈ 1


@pytest.mark.parametrize("x, k, words", [(np.zeros((0, 2)), 3, "N = 0"), (np.ones((2, 2)), 3, "N=2"),
                                         (np.ones((5, 2)), 2, "identical"), (np.ones((50, 2)), 21, "K ≤ 20")])
def test_data_problems_are_explained(x, k, words):
    assert words in data_problem(x, k)
    data = LabData(x, None, None, _keys)
    assert isinstance(run_to_end(start_job(data, LabSettings(k=k))), Blocked)


def test_singularity_with_the_floor_off_is_reported_and_finite_with_it_on():
    data = _data(301, maker=make_single_point_stack)
    off, on = LabSettings(k=4, floor=False), LabSettings(k=4, floor=True)
    first = start_frame(data, off)
    snapped = evaluate(data, snap_and_shrink(first.gmm, data.x, 3), first)
    frames, end = _frames(data, off, snapped, 6)
    assert end.reason == "singular" and frames[-1].terminal and np.isposinf(frames[-1].em.log_likelihood)
    frames, end = _frames(data, on, snapped, 6)
    assert end.reason == "steps" and all(np.isfinite(f.em.log_likelihood) for f in frames)


def test_edits_keep_the_covariance_family_and_valid_weights():
    gmm = GaussianMixture([0.5, 0.3, 0.2], [[0, 0], [3, 0], [0, 3]], np.array([np.eye(2)] * 3))
    moved = move_mean(gmm, 1, [5.0, 1.0])
    assert np.allclose(moved.means[1], [5, 1]) and np.allclose(moved.means[0], [0, 0])
    stretched = drag_axis(gmm, 0, 0, [2.0, 2.0])  # a 45° axis of length √8
    w, v = np.linalg.eigh(stretched.covariances[0])
    assert np.isclose(w.max(), 8.0) and np.isclose(abs(v[0, 1]), abs(v[1, 1]))
    assert np.allclose(axis_handles(gmm.means[0], stretched.covariances[0])[0], [2.0, 2.0])
    diag = GaussianMixture(gmm.weights, gmm.means, gmm.covariances, "diag")
    assert np.count_nonzero(drag_axis(diag, 0, 0, [2.0, 2.0]).covariances[0]) == 2
    tied = GaussianMixture(gmm.weights, gmm.means, gmm.covariances, "tied")
    edited = drag_axis(tied, 0, 0, [3.0, 0.0]).covariances
    assert np.allclose(edited[0], edited[2]) and np.isclose(edited[1, 0, 0], 9.0)
    weighted = set_weight(gmm, 0, 0.8)
    assert np.isclose(weighted.weights[0], 0.8) and np.isclose(weighted.weights.sum(), 1.0)
    assert np.isclose(weighted.weights[1] / weighted.weights[2], 1.5)  # the others keep their ratio
    pts = ellipse(gmm.means[0], np.diag([4.0, 1.0]), 2.0)
    assert np.isclose(np.abs(pts[:, 0]).max(), 4.0) and np.allclose(pts[0], pts[-1])


def test_ellipses_lie_on_their_mahalanobis_level():
    mean, cov = np.array([1.0, -2.0]), np.array([[3.0, 1.2], [1.2, 1.0]])
    one, two = ellipses(mean, cov, (1.0, 2.0))
    for pts, level in ((one, 1.0), (two, 2.0)):
        d = pts - mean
        np.testing.assert_allclose(np.einsum("ni,ij,nj->n", d, np.linalg.inv(cov), d), level**2, rtol=1e-12)
    np.testing.assert_allclose(two - mean, 2 * (one - mean), rtol=1e-12, atol=1e-12)


def test_seed_runs_find_permutations_of_one_solution():
    x = make_blobs(300, 0).points
    runs = run_to_end(seeds_job(x, 3, "full", 1e-6))
    lls = [r.log_likelihood for r in runs]
    assert max(lls) - min(lls) < 1e-6 * abs(lls[0])
    for r in runs:
        assert np.allclose(r.aligned.means, runs[0].gmm.means, atol=1e-3)


def test_lecture_1d_curves_and_boundary():
    x = np.linspace(-30, 30, 601)
    c = curves_1d(x, (0.5, 0.5), (-10, 10), (5, 5))
    assert np.allclose(c.marginal, c.weighted.sum(axis=0)) and np.allclose(c.posterior.sum(axis=0), 1.0)
    assert np.isclose(c.posterior[0, 300], 0.5)
    assert crossover((0.5, 0.5), (-10, 10), (5, 5)) == 0.0
    assert crossover((0.2, 0.8), (-10, 10), (5, 5)) == pytest.approx(25 * np.log(0.25) / 20)
    assert crossover((0.5, 0.5), (-10, 10), (5, 4)) is None
