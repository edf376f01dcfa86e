"""The KL lab's jobs: frames of both fits in lockstep, several starts, the VI view, grids, q = p."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from vaeviz.core.jobs import JobContext, run_to_end
from vaeviz.core.kl.lab import (
    density,
    fit_frames,
    kl_values,
    known_optima,
    p_as_q,
    several_starts_job,
    vi_job,
)
from vaeviz.core.kl.state import KLLabState

pytest.importorskip("torch")
SMALL = replace(KLLabState().fit, max_steps=40, steps_per_frame=10, samples=300)


def test_frames_come_every_few_steps_with_both_fits_and_end_done():
    state = replace(KLLabState(), fit=SMALL, show_alpha=True)
    frames = list(fit_frames(state))
    assert [f.step for f in frames] == [0, 10, 20, 30, 40] and frames[-1].done
    assert all(f.alpha is not None for f in frames)
    last = frames[-1]
    # on the two-mode default p: the forward fit covers both modes (wide), the reverse one does not
    assert np.linalg.det(last.forward.q.cov) > np.linalg.det(last.reverse.q.cov)
    assert last.forward.forward.value < last.reverse.forward.value


def test_several_starts_end_in_different_places():
    state = replace(KLLabState(), fit=replace(SMALL, max_steps=150, starts=4))
    result = run_to_end(several_starts_job(state))
    assert len(result.reverse_ends) == 4 and len(result.starts) == 4
    ends = sorted(round(end.q.mean[0]) for end in result.reverse_ends)
    assert ends[0] < 0 < ends[-1]  # some on each mode of p


def test_vi_frames_add_up_and_the_kl_shrinks():
    state = replace(KLLabState(), mode="vi", fit=replace(SMALL, max_steps=120, steps_per_frame=40))
    frames = [f for f in vi_job(state)(JobContext(job_id=0)) if f is not None]
    assert [f.step for f in frames] == [0, 40, 80, 120] and frames[-1].done
    assert all(f.elbo + f.kl == pytest.approx(f.log_evidence) for f in frames)
    assert frames[-1].kl < frames[0].kl


def test_density_grid_and_optima_and_the_q_equals_p_check():
    base = KLLabState()
    grid = density(base.target.build(), ((-6.0, 6.0), (-4.0, 4.0)), n=50)
    assert grid.log_density.shape == (50, 50) and np.all(np.isfinite(grid.log_density))
    gaussian = replace(base, target=replace(base.target, kind="gaussian"),
                       fit=replace(base.fit, family="diag"))
    optima = known_optima(gaussian.target.build(), "diag")
    assert optima.reverse_diag_variances is not None and optima.forward is not None
    q = p_as_q(gaussian)
    assert q is not None
    forward, reverse = kl_values(gaussian.target.build(), q)
    assert forward.value == pytest.approx(0.0, abs=1e-12) and reverse.value == pytest.approx(0.0, abs=1e-12)
    assert p_as_q(base) is None  # a mixture is not a Gaussian
