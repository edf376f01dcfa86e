"""The latent dock's presets as data: a state, training steps, and a named follow-up.

A preset is what the lecture and ``vaeviz export --dock latent --preset P`` show. Most of it is a
:class:`~vaeviz.core.vae.state.LatentState` (the view, the latent points); what depends on the trained
model (which two images lie furthest apart, where the latent space has a hole) is a *follow-up*, named
here and run by :mod:`vaeviz.ui.vae.presets` once the models are in. The helpers below compute those
choices from a scatter (numpy only).

Light: importing this module imports neither torch nor Qt (``vaeviz export --list`` reads the names).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from vaeviz.core.vae.lab_data import DataSource
from vaeviz.core.vae.state import Checkpoints, LatentPoints, LatentState, ModelChoice, ViewSettings

# What cannot be pure state, run after the models are in (vaeviz.ui.vae.presets.FOLLOW_UPS). Every one
# picks a data point, so no exported figure has an empty x, reconstruction or log p(x) box.
FOLLOW_UPS = {
    "prior-samples": "pick the data point nearest ⊕; new prior samples under the plot",
    "between-two-classes": "pick A and B in the two classes furthest apart; ⊕ half-way between them",
    "holes": "pick the data point nearest the codes' median; each model's ⊕ at the emptiest point of its "
             "latent space; prior samples under each plot",
    "reparameterise": "pick a wide q(z|x) on a class boundary and draw ε: the ε and z panels",
}
BETA4_CHECKPOINT = "mnist10k-vae-beta4.safetensors"  # shipped: trained with β = 4 on the MNIST test split


@dataclass(frozen=True)
class LatentPreset:
    """A named view: ``state`` (data and checkpoints stay the dock's own), ``train_steps`` of training
    from scratch first (0: none; the export CLI's ``--steps`` overrides it), then ``follow_up``."""

    name: str
    description: str
    state: LatentState
    train_steps: int = 0
    follow_up: str | None = None
    checkpoint: str | None = None  # a shipped VAE checkpoint the preset loads, on the data it was trained on

    def state_for(self, current: LatentState) -> LatentState:
        """The preset's state on the data (and checkpoint files) the dock uses now; a preset with its own
        shipped ``checkpoint`` brings that model and the shipped MNIST it was trained on."""
        if self.checkpoint is None:
            return replace(self.state, data=current.data, checkpoints=current.checkpoints)
        from vaeviz.core.resources import resource_path

        path = str(resource_path("checkpoints", self.checkpoint))
        return replace(self.state, data=DataSource(), checkpoints=Checkpoints(vae=path))


def _state(mode: str, manifold: str = "off", n: int = 15, r: float = 3.0, fit: bool = False,
           vae_point: tuple[float, float] = (0.0, 0.0)) -> LatentState:
    return LatentState(view=ViewSettings(mode, manifold, n, r, fit), points=LatentPoints(vae=vae_point))


PRESETS: tuple[LatentPreset, ...] = (
    LatentPreset("overview",
                 "VAE latent space: encoded data, the latent point and its decoding, prior samples",
                 _state("vae", vae_point=(0.6, -0.4)), follow_up="prior-samples"),
    LatentPreset("latent-explorer", "The latent point dragged between clusters, decoded beside the scatter",
                 _state("vae", "underlay"), follow_up="between-two-classes"),
    LatentPreset("manifold-grid", "The decoded manifold: a 15×15 grid of decodings over [−3, 3]²",
                 _state("vae", "grid", 15, 3.0), follow_up="prior-samples"),
    LatentPreset("ae-vs-vae",
                 "Autoencoder vs VAE side by side, each grid over its own codes with its holes measured and "
                 "outlined, N(0, I) and decoded prior samples",
                 _state("both", "grid", 15, 3.0, fit=True), follow_up="holes"),
    LatentPreset("reparameterisation",
                 "ε-space beside z-space: eight ε ~ N(0, I), the z = μ + σ ⊙ ε they become around a data "
                 "point's q(z|x), and their decodings",
                 _state("vae"), follow_up="reparameterise"),
    LatentPreset("reparameterisation-beta4",
                 "The reparameterisation with the shipped β = 4 VAE, whose σ is large: the eight draws "
                 "decode to visibly different images",
                 replace(_state("vae"), model=ModelChoice(beta=4.0)), follow_up="reparameterise",
                 checkpoint=BETA4_CHECKPOINT),
)


def find_preset(name: str) -> LatentPreset:
    """The preset called ``name``; ``KeyError`` naming the known ones otherwise."""
    for preset in PRESETS:
        if preset.name == name:
            return preset
    raise KeyError(f"unknown latent preset '{name}' (known: {', '.join(p.name for p in PRESETS)})")


# ----- what the follow-ups compute from a scatter ------------------------------------------------------
def two_classes(mu: np.ndarray, labels: np.ndarray | None, indices: np.ndarray) -> tuple[int, int]:
    """Data set indices of typical members of the two classes whose clusters lie furthest apart
    (unlabelled data: the first point and the point furthest from it)."""
    xy = mu[:, :2]
    if labels is None or len(np.unique(labels)) < 2:
        return int(indices[0]), int(indices[np.argmax(np.linalg.norm(xy - xy[0], axis=1))])
    classes = np.unique(labels)
    centres = np.array([np.median(xy[labels == k], axis=0) for k in classes])
    gaps = np.linalg.norm(centres[:, None] - centres[None], axis=2)
    i, j = np.unravel_index(np.argmax(gaps), gaps.shape)
    nearest = [int(np.argmin(np.linalg.norm(xy - centres[k], axis=1))) for k in (i, j)]
    return int(indices[nearest[0]]), int(indices[nearest[1]])


def emptiest_point(mu: np.ndarray) -> tuple[float, float]:
    """The point inside the data's range furthest from any encoded point: a hole, if the space has one."""
    xy = mu[:, :2][np.isfinite(mu[:, :2]).all(axis=1)]
    low, high = np.percentile(xy, 10, axis=0), np.percentile(xy, 90, axis=0)
    gx, gy = np.meshgrid(np.linspace(low[0], high[0], 25), np.linspace(low[1], high[1], 25))
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1)
    gaps = np.min(np.linalg.norm((grid[:, None] - xy[None]) / (high - low), axis=2), axis=1)
    x, y = grid[np.argmax(gaps)]
    return float(x), float(y)


def widest_near_centre(mu: np.ndarray, sigma: np.ndarray) -> int:
    """Row of the biggest q(z|x) ellipse near the centre: it shows the trick best (outliers have big
    ones too, far away)."""
    area = np.where(np.linalg.norm(mu[:, :2], axis=1) < 1.5, sigma[:, :2].prod(axis=1), -1.0)
    return int(np.argmax(area))


def draws_across_classes(mu: np.ndarray, sigma: np.ndarray, labels: np.ndarray | None,
                         candidates: int | None = None) -> int:
    """Row of a q(z|x) whose draws decode to visibly different images: among the ``candidates`` widest
    near the centre (None: a tenth of the codes), the one whose 2σ ellipse holds the most codes of other
    classes (it sits on a boundary). Unlabelled data: :func:`widest_near_centre`. About 15 ms for 2,000
    codes: run it in the compute worker (:func:`vaeviz.core.vae.lab_jobs.boundary_pick_job`)."""
    if labels is None:
        return widest_near_centre(mu, sigma)
    xy = mu[:, :2].astype(np.float32)
    s = np.maximum(sigma[:, :2], 1e-12).astype(np.float32)
    area = np.where(np.linalg.norm(xy, axis=1) < 2.5, s.prod(axis=1), -1.0)
    rows = np.argsort(area)[::-1][:candidates or max(1, len(area) // 10)]
    rows = rows[area[rows] > 0]
    if not len(rows):
        return widest_near_centre(mu, sigma)
    scaled = (xy[None] - xy[rows, None]) / s[rows, None]
    inside = np.einsum("ijk,ijk->ij", scaled, scaled) < 4.0  # within 2σ
    others = (inside & (labels[None] != labels[rows, None])).sum(axis=1)
    return int(rows[np.argmax(others)])


def nearest_code(mu: np.ndarray, point) -> int:
    """Row of the encoded mean nearest ``point`` in the first two latent dimensions."""
    xy = np.nan_to_num(mu[:, :2], nan=np.inf)
    return int(np.argmin(np.linalg.norm(xy - np.asarray(point, np.float64)[None, :2], axis=1)))
