"""The GMM & EM dock's presets: reproducible views for the lecture and the export CLI.

This module stays light (no pyqtgraph, no numpy-heavy work at import): ``vaeviz export --list`` reads the
presets without building the dock. Each preset sets the controls quietly, loads its data and then runs
``steps`` EM iterations (the preset's own number when None). Data and EM go through the dock's compute
client, so in the app the preset finishes when the worker has answered; inline (CLI, tests) at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from vaeviz.ui.docks.base import Preset


@dataclass(frozen=True)
class Setup:
    data: str = "blobs"
    n: int = 600
    k: int = 3
    covariance_type: str = "full"
    init: str = "kmeans++"
    seed: int = 0
    floor: bool = True
    steps: int = 30
    side: str | None = "kmeans"
    heatmap: bool = False
    contours: bool = False


def _configure(lab, setup: Setup) -> None:
    s = lab.side
    with lab.quiet():
        lab.set_mode("2d")
        s.k.setValue(setup.k)
        s.cov_type.setCurrentIndex(s.cov_type.findData(setup.covariance_type))
        s.init.setCurrentIndex(s.init.findData(setup.init))
        s.seed.setValue(setup.seed)
        s.floor.setChecked(setup.floor)
        s.data_preset.setCurrentIndex(s.data_preset.findData(setup.data))
        s.n_points.setValue(setup.n)
    lab.transport.run.setChecked(False)
    lab.clear_problem()
    s.kmeans.setChecked(setup.side == "kmeans")
    lab.set_side(setup.side)
    s.heatmap.setChecked(setup.heatmap)
    s.contours.setChecked(setup.contours)
    lab.set_tool("select")


def _run(setup: Setup, then=None):
    """A preset's apply function: configure, load the data, run ``steps`` iterations, then ``then``."""

    def apply(dock, steps: int | None) -> None:
        lab = dock.lab
        _configure(lab, setup)
        n_steps = setup.steps if steps is None else steps

        def after_data() -> None:
            if then is not None:
                then(lab, n_steps)
            else:
                lab.restart(n_half=2 * n_steps)

        lab.load_data_preset(setup.data, setup.n, 0, then=after_data)

    return apply


def _marginal(lab, steps: int) -> None:
    lab.restart(n_half=2 * steps)
    lab.show_problem("marginal")


def _seeds(aligned: bool):
    def then(lab, steps: int) -> None:
        lab.restart(n_half=2 * steps)
        lab.side.align.setChecked(aligned)
        lab.controller.when_idle(lab.run_seeds)

    return then


def _singular(lab, steps: int) -> None:
    """Converge a little first (so the other components sit on the blobs), then snap and step."""

    def snap() -> None:
        lab.select_component(lab.settings().k - 1)
        lab.snap_shrink()
        if steps:  # the snap acts as an E-step: its M-step comes next
            lab.controller.when_idle(lambda: lab.runner.goto(lab.runner.pos + 2 * steps - 1))

    lab.restart(n_half=10)
    lab.controller.when_idle(snap)


def _oned(weights: str):
    def apply(dock, steps: int | None) -> None:
        from vaeviz.core.em.choices import LECTURE_MEANS, LECTURE_SIGMAS

        lab = dock.lab
        lab.transport.run.setChecked(False)
        lab.set_oned(weights, LECTURE_MEANS, LECTURE_SIGMAS)
        lab.set_mode("1d")

    return apply


DATA = {"data-blobs": ("blobs", 3, "Three round clusters"),
        "data-anisotropic": ("anisotropic", 3, "Three sheared clusters: full covariances pay off"),
        "data-overlapping": ("overlapping", 2, "Two overlapping Gaussians: soft responsibilities"),
        "data-varied-sizes": ("varied sizes", 3, "Clusters of very different spread and size")}


def em_presets() -> list[Preset]:
    presets = [
        Preset("overview", "GMM & EM: blobs after a few EM iterations, k-means beside",
               _run(Setup(steps=4, contours=True))),
        Preset("lecture-1d-two-gaussians", "The lecture's 1-D mixture: μ = ±10, π = [0.5, 0.5]", _oned("equal")),
        Preset("lecture-1d-unequal-weights", "The lecture's 1-D mixture with π = [0.2, 0.8]", _oned("unequal")),
        Preset("kmeans-vs-gmm", "Sheared clusters: k-means' Voronoi cells vs the GMM's ellipses",
               _run(Setup(data="anisotropic", steps=60))),
        Preset("marginal-vs-complete", "Problem 1: marginal vs complete-data log-likelihood",
               _run(Setup(data="two gaussians", k=2, steps=15), _marginal)),
        Preset("label-switching", "Problem 2: EM from four seeds finds permuted solutions",
               _run(Setup(steps=20, side=None), _seeds(False))),
        Preset("label-switching-aligned", "Problem 2: the same runs aligned to the first",
               _run(Setup(steps=20, side=None), _seeds(True))),
        Preset("singularity", "Problem 3: a component on one point, floor off: likelihood → +∞",
               _run(Setup(data="single point stack", k=4, floor=False, steps=1, side=None), _singular)),
        Preset("singularity-floor", "Problem 3 with the covariance floor on: the likelihood stays finite",
               _run(Setup(data="single point stack", k=4, floor=True, steps=3, side=None), _singular)),
    ]
    for name, (data, k, text) in DATA.items():
        presets.append(Preset(name, f"Data: {text}", _run(Setup(data=data, k=k, steps=40, contours=True))))
    return presets
