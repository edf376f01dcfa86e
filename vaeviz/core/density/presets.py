"""The Density dock's presets as data: a lab state and a named follow-up.

No Qt and no torch: ``vaeviz export --list`` reads the names without building the dock.
:mod:`vaeviz.ui.density.presets` turns each into a :class:`~vaeviz.ui.docks.base.Preset` that applies the
state through the lab's ``apply_state`` (reloading its data) and then runs the follow-up: "train-vae"
trains the point VAE and shows its maps, "generative" shows the mixture's generative process.
"""

from __future__ import annotations

from dataclasses import dataclass

from vaeviz.core.density.state import (
    PRESET_1D,
    DataChoice,
    DensityLabState,
    EstimatorSettings,
    ViewChoice,
)

FOLLOW_UPS = ("train-vae", "generative")


@dataclass(frozen=True)
class DensityPreset:
    """One preset: ``state`` to apply and an optional follow-up (see the module notes)."""

    name: str
    description: str
    state: DensityLabState
    follow_up: str | None = None

    def __post_init__(self) -> None:
        if self.follow_up is not None and self.follow_up not in FOLLOW_UPS:
            raise ValueError(f"unknown follow-up {self.follow_up!r}")
        self.state.validate()


MOONS = DataChoice("two moons", 1500, 0)
BLOBS = DataChoice("blobs", 600, 0)  # the point-set preset's own size: the EM lab opens on the same data

START = DensityLabState(estimator="kde", data=BLOBS, view=ViewChoice(slice_at=0.0))

DENSITY_PRESETS: tuple[DensityPreset, ...] = (
    DensityPreset("overview", "Density estimation: a KDE of three blobs as a heatmap with contours, both "
                  "marginals, the slice p(x₂ | x₁ = a) and the held-out table (the lab's first view)", START),
    DensityPreset("lecture-2d-density", "2-D density estimation: a KDE of two moons as a heatmap with "
                  "contours, both marginals and the slice p(x₂ | x₁ = a)",
                  DensityLabState(estimator="kde", data=MOONS, view=ViewChoice(slice_at=0.5))),
    DensityPreset("lecture-1d-density", "1-D density estimation: the lecture's mixture (μ = ±10), "
                  "histogram, KDE and GMM fits over the true density",
                  DensityLabState(mode="1d", estimator="kde", data=DataChoice(PRESET_1D, 500, 0),
                                  settings=EstimatorSettings(bins=25, components=2))),
    DensityPreset("pdata-vs-pmodel", "p_data vs p_model: the training data beside 1,125 samples from a "
                  "fitted Gaussian mixture (K = 8), same axes and the same density",
                  DensityLabState(estimator="gmm", data=MOONS, settings=EstimatorSettings(components=8),
                                  view=ViewChoice(slice_at=0.5, samples=1125))),
    DensityPreset("autoregressive-slice", "Autoregressive p(x) = p(x₁) p(x₂ | x₁): the slice at x₁ = 1 and "
                  "its conditional, a tractable density",
                  DensityLabState(estimator="autoregressive", data=MOONS,
                                  settings=EstimatorSettings(ar_bins=16),
                                  view=ViewChoice(slice_at=1.0))),
    DensityPreset("vae-density-vs-elbo", "A small VAE on two moons: log p(x) by importance sampling beside "
                  "its ELBO on the same grid (ELBO ≤ log p(x))",
                  DensityLabState(estimator="vae", data=DataChoice("two moons", 1000, 0),
                                  settings=EstimatorSettings(vae_latent=1, vae_k=64, vae_steps=1200),
                                  view=ViewChoice(slice_at=0.5, scale="log")),
                  follow_up="train-vae"),
    DensityPreset("bandwidth-under-over", "KDE bandwidth h = 0.03 (under-smoothed: spikes on the training "
                  "points): the held-out table ranks it, and h = 3 (over-smoothed), below Scott's rule",
                  DensityLabState(estimator="kde", data=MOONS,
                                  settings=EstimatorSettings(bandwidth_rule="manual", bandwidth=0.03),
                                  view=ViewChoice(slice_at=0.5, compare_bandwidths=(0.03, 3.0)))),
)
GENERATIVE = DensityPreset("generative-process", "The mixture's generative process: z ~ Cat(π) lights its "
                           "component, x | z ~ N(μ_z, Σ_z) appears in its colour",
                           DensityLabState(estimator="gmm", data=BLOBS,
                                           settings=EstimatorSettings(components=3),
                                           view=ViewChoice(slice_on=False)),
                           follow_up="generative")


def preset(name: str, presets: tuple[DensityPreset, ...] = DENSITY_PRESETS + (GENERATIVE,)) -> DensityPreset:
    for p in presets:
        if p.name == name:
            return p
    raise KeyError(f"unknown Density preset {name!r} (known: {', '.join(p.name for p in presets)})")
