"""Every benchmark module imports and exposes ``run()``; nothing is run or timed here."""

from __future__ import annotations

import importlib

import pytest

from benchmarks import available
from benchmarks.goals import GOALS


@pytest.mark.parametrize("name", available())
def test_benchmark_module_exposes_run(name):
    module = importlib.import_module(f"benchmarks.{name}")
    assert callable(getattr(module, "run", None))


@pytest.mark.parametrize("name", ["em", "vae"])
def test_lab_benchmarks_are_listed_with_goals(name):
    assert name in available()
    assert GOALS[name], f"no goals for the {name} benchmark"


def test_point_raster_recolours_covered_pixels():
    # The recolouring helper the em benchmark proposes for the app: cheap enough to check on 3 points.
    pytest.importorskip("pyqtgraph")
    import numpy as np

    from benchmarks.em import PointRaster

    raster = PointRaster(size_px=6.0, alpha=200)
    points = np.array([[1.0, 1.0], [5.0, 5.0], [9.0, 9.0]])
    raster.set_points(points, (0.0, 0.0, 10.0, 10.0), 40.0, 40.0)
    raster.recolour(np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255]], dtype=np.uint8))
    image = raster.item.image
    assert image.shape == (40, 40, 4)
    assert tuple(image[35, 4]) == (255, 0, 0, 200)  # rows top-down (row 39 ~ y = 0), 4 pixels per unit
    assert tuple(image[19, 20]) == (0, 255, 0, 200)
    assert tuple(image[3, 36]) == (0, 0, 255, 200)
    assert image[39, 39, 3] == 0  # far from every point: transparent


def test_robustness_benchmark_opens_a_quick_subset_of_bad_inputs():
    """The robustness harness end to end on ~20 light cases (one child process with the real window):
    every case answers with figures; whether each was clean is the benchmark's finding, not checked here."""
    from benchmarks import robustness
    from benchmarks._robustness_files import READERS

    metrics = robustness.run(quick=True)
    details = metrics["details"]
    assert metrics["bad_inputs_tried"] == metrics["bad_inputs_expected"] >= 15
    assert {r["reader"] for r in details["results"]} == set(READERS)
    assert all(r["extra_rss_mb"] is not None and r["stall_ms"] is not None for r in details["results"])
    assert metrics["max_gui_stall_ms"] >= 0 and metrics["max_extra_rss_mb"] >= 0
    assert set(GOALS["robustness"]) <= set(metrics)
