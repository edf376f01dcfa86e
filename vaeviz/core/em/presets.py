"""The GMM & EM dock's presets as data: a lab state, how many EM iterations to run and a follow-up.

Light on purpose (no numpy, no Qt): ``vaeviz export --list`` reads the presets without building the dock.
:mod:`vaeviz.ui.em.presets` turns each into a :class:`~vaeviz.ui.docks.base.Preset` that applies the
state, loads the state's data preset (2-D presets), runs ``steps`` iterations and then the follow-up.
"""

from __future__ import annotations

from dataclasses import dataclass

from vaeviz.core.em.state import DataChoice, Display, EmLabState, LabSettings, OneD

FOLLOW_UPS = ("marginal", "seeds", "seeds-aligned", "singular")


@dataclass(frozen=True)
class EmPreset:
    """One preset: ``state`` to apply, EM iterations to run (2-D only) and an optional follow-up.

    Follow-ups: "marginal" shows problem 1; "seeds" and "seeds-aligned" run EM from four seeds after the
    main run (problem 2); "singular" converges a little, snaps the last component onto one point and then
    runs ``steps`` iterations (problem 3).
    """

    name: str
    description: str
    state: EmLabState
    steps: int = 0
    follow_up: str | None = None


def _two_d(data: str = "blobs", k: int = 3, floor: bool = True, kmeans: bool = True,
           contours: bool = False, align: bool = False) -> EmLabState:
    return EmLabState(mode="2d", data=DataChoice(data, 600), model=LabSettings(k=k, floor=floor),
                      display=Display(contours=contours, kmeans=kmeans), align=align)


DATA_PRESETS = (
    ("data-blobs", "blobs", 3, "Three round clusters"),
    ("data-anisotropic", "anisotropic", 3, "Three sheared clusters: full covariances pay off"),
    ("data-overlapping", "overlapping", 2, "Two overlapping Gaussians: soft responsibilities"),
    ("data-varied-sizes", "varied sizes", 3, "Clusters of very different spread and size"),
)

EM_PRESETS: tuple[EmPreset, ...] = (
    EmPreset("overview", "GMM & EM: blobs after a few EM iterations, k-means beside",
             _two_d(contours=True), steps=4),
    EmPreset("lecture-1d-two-gaussians", "The lecture's 1-D mixture: μ = ±10, π = [0.5, 0.5]",
             EmLabState(mode="1d", oned=OneD("equal"))),
    EmPreset("lecture-1d-unequal-weights", "The lecture's 1-D mixture with π = [0.2, 0.8]",
             EmLabState(mode="1d", oned=OneD("unequal"))),
    EmPreset("kmeans-vs-gmm", "Sheared clusters: k-means' Voronoi cells vs the GMM's ellipses",
             _two_d("anisotropic"), steps=60),
    EmPreset("marginal-vs-complete", "Problem 1: marginal vs complete-data log-likelihood",
             _two_d("two gaussians", k=2), steps=15, follow_up="marginal"),
    EmPreset("label-switching", "Problem 2: EM from four seeds finds permuted solutions",
             _two_d(kmeans=False), steps=20, follow_up="seeds"),
    EmPreset("label-switching-aligned", "Problem 2: the same runs aligned to the first",
             _two_d(kmeans=False, align=True), steps=20, follow_up="seeds-aligned"),
    EmPreset("singularity", "Problem 3: a component on one point, floor off: likelihood → +∞",
             _two_d("single point stack", k=4, floor=False, kmeans=False), steps=1, follow_up="singular"),
    EmPreset("singularity-floor", "Problem 3 with the covariance floor on: the likelihood stays finite",
             _two_d("single point stack", k=4, kmeans=False), steps=3, follow_up="singular"),
    *(EmPreset(name, f"Data: {text}", _two_d(data, k=k, contours=True), steps=40)
      for name, data, k, text in DATA_PRESETS),
)
