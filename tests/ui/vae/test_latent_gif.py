"""The drag-path GIF: drawn in the compute thread by vaeviz.ui.vae.gif from the core's walk (no Qt)."""

from __future__ import annotations

import numpy as np
from PIL import Image
from vae_helpers import one_torch_thread, small_lab  # noqa: F401

from vaeviz.core.jobs import run_to_end
from vaeviz.core.vae.lab_data import DataSource
from vaeviz.core.vae.lab_jobs import LabRef, setup_job
from vaeviz.ui.vae.gif import PALETTE, drag_frames, gif_job, label_colour


def test_gif_job_writes_the_walk_atomically(small_lab, tmp_path):  # noqa: F811
    ref = LabRef(small_lab)
    run_to_end(setup_job(ref, DataSource(), ["vae"]))
    subset = ref.get().subset
    (tmp_path / "out").mkdir()
    path = tmp_path / "out" / "walk.gif"
    written = run_to_end(gif_job(ref, "vae", int(subset[0]), int(subset[1]), path, frames=6))
    assert written == path
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.n_frames == 10 and gif.size == (400, 200)
    assert [p.name for p in path.parent.iterdir()] == ["walk.gif"]


def test_frames_colour_points_by_label():
    points = np.array([[0.0, 0.0], [1.0, 1.0]])
    path = np.array([[0.0, 0.0], [1.0, 1.0]])
    frames = drag_frames(points, np.array([0, 11]), path, np.zeros((2, 4, 4), np.float32), size=50)
    assert len(frames) == 2 and frames[0].size == (100, 50)
    assert label_colour(11) == PALETTE[1] and label_colour(0) == (31, 119, 180)
