"""The lab's self-check (``vaeviz --self-test``): EM runs inline on a small sample and the views hold data."""

from __future__ import annotations

import math

from vaeviz.core.data.pointset_presets import make_blobs
from vaeviz.core.em.lab import LabData, LabSettings, RunProgress, run_frames, start_frame
from vaeviz.ui.em.colours import responsibility_keys


def lab_problems(lab) -> list[str]:
    problems = []
    sample = make_blobs(90, 0)
    data = LabData(sample.points, sample.labels, None, responsibility_keys)
    first = start_frame(data, LabSettings(k=3))
    frames = [p.frame for p in run_frames(data, LabSettings(k=3), first, 6) if isinstance(p, RunProgress)]
    lls = [first.em.log_likelihood] + [f.em.log_likelihood for f in frames if f.phase == "M"]
    if len(frames) != 6 or not all(math.isfinite(v) for v in lls):
        problems.append("em: EM did not produce six finite half-steps")
    elif any(b < a - 1e-6 for a, b in zip(lls, lls[1:], strict=False)):
        problems.append("em: the log-likelihood decreased during EM")
    if lab.data is not None and lab.data.n and not len(lab.figure.em_view.scatter.data):
        problems.append("em: the scatter shows no points")
    return problems
