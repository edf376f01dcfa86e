"""Named views of the latent dock for the export CLI and the lecture: each is a short script of dock actions.

A preset never blocks in a nested event loop: it is a chain of callbacks, each step running when what it
needs is in (:meth:`~vaeviz.ui.vae.session.LabSession.when_ready` for models and scatters,
:meth:`~vaeviz.ui.lab.controller.LabController.when_idle` for training and requests). Under the export
CLI the dock's compute is an InlineRunner, so every callback runs at once and the preset has finished
when ``apply`` returns; with the real worker ``done`` (if given) is called when it has.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

PRESETS: list[tuple[str, str]] = [
    ("overview", "VAE latent space: encoded data, the latent point and its decoding, prior samples"),
    ("latent-explorer", "The latent point dragged between clusters, decoded beside the scatter"),
    ("manifold-grid", "The decoded manifold: a 15×15 grid of decodings over [−3, 3]²"),
    ("ae-vs-vae", "Autoencoder vs VAE side by side: the AE's latent space has holes"),
    ("reparameterisation", "A data point's q(z|x) (2σ ellipse) and eight z = μ + σ ⊙ ε decoded"),
]

Done = Callable[[], None] | None


def _finish(done: Done) -> None:
    if done is not None:
        done()


def _prepare(dock, steps: int | None, then: Callable[[], None], mode: str, manifold: str = "off", n: int = 15,
             r: float = 3.0, fit: bool = False) -> None:
    """Start the dock in ``mode``, train ``steps`` steps if asked, clear the selection, then ``then()``."""
    dock.ensure_built()
    dock.ensure_started()
    dock.set_view(mode, manifold, n, r, fit)

    def trained() -> None:
        dock.controller.selected, dock.controller.picks = None, []
        for pane in dock.figure.panes.values():
            pane.clear_selection()
        dock.controller.fill_empty_strips()  # prior samples, unless the preset shows another strip
        then()

    def ready() -> None:
        if steps:
            dock.train_steps(steps, lambda: dock.session.when_ready(dock.figure.roles(), trained))
        else:
            trained()

    dock.session.when_ready(dock.figure.roles(), ready)


def _two_classes(dock) -> tuple[int, int]:
    """Typical members of the two classes whose clusters lie furthest apart in the VAE's latent space."""
    snap = dock.session.snapshots["vae"]
    xy = snap.mu[:, :2]
    if snap.labels is None or len(np.unique(snap.labels)) < 2:
        return int(snap.indices[0]), int(snap.indices[np.argmax(np.linalg.norm(xy - xy[0], axis=1))])
    classes = np.unique(snap.labels)
    centres = np.array([np.median(xy[snap.labels == k], axis=0) for k in classes])
    gaps = np.linalg.norm(centres[:, None] - centres[None], axis=2)
    i, j = np.unravel_index(np.argmax(gaps), gaps.shape)
    nearest = [int(np.argmin(np.linalg.norm(xy - centres[k], axis=1))) for k in (i, j)]
    return int(snap.indices[nearest[0]]), int(snap.indices[nearest[1]])


def overview(dock, steps: int | None, done: Done = None) -> None:
    def then() -> None:
        dock.figure.panes["vae"].set_target(0.6, -0.4)
        dock.controller.prior()
        _finish(done)

    _prepare(dock, steps, then, "vae")


def latent_explorer(dock, steps: int | None, done: Done = None) -> None:
    def then() -> None:
        a, b = _two_classes(dock)
        dock.click(a)
        dock.click(b, shift=True)
        dock.session.when_idle(lambda: between(a))  # the inspection of b is in

    def between(a: int) -> None:
        snap = dock.session.snapshots["vae"]
        mu_a = snap.mu[int(np.searchsorted(snap.indices, a)), :2]
        mid = 0.5 * (mu_a + dock.controller.inspections["vae"].mu[:2])  # between the clusters
        dock.figure.panes["vae"].set_target(*mid)
        _finish(done)

    _prepare(dock, steps, then, "vae", "underlay")


def manifold_grid(dock, steps: int | None, done: Done = None) -> None:
    def then() -> None:
        dock.figure.panes["vae"].set_target(0.0, 0.0)
        _finish(done)

    _prepare(dock, steps, then, "vae", "grid", 15, 3.0)


def _emptiest_point(mu: np.ndarray) -> tuple[float, float]:
    """The point inside the data's range furthest from any encoded point: a hole, if the space has one."""
    xy = mu[:, :2][np.isfinite(mu[:, :2]).all(axis=1)]
    low, high = np.percentile(xy, 10, axis=0), np.percentile(xy, 90, axis=0)
    gx, gy = np.meshgrid(np.linspace(low[0], high[0], 25), np.linspace(low[1], high[1], 25))
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1)
    gaps = np.min(np.linalg.norm((grid[:, None] - xy[None]) / (high - low), axis=2), axis=1)
    return tuple(float(v) for v in grid[np.argmax(gaps)])


def ae_vs_vae(dock, steps: int | None, done: Done = None) -> None:
    def then() -> None:
        a, b = _two_classes(dock)
        dock.click(a)
        dock.click(b, shift=True)
        for role in ("vae", "ae"):  # what each model decodes where it has seen no data
            dock.figure.panes[role].set_target(*_emptiest_point(dock.session.snapshots[role].mu))
        _finish(done)

    _prepare(dock, steps, then, "both", "underlay", 12, 3.0, fit=True)


def reparameterisation(dock, steps: int | None, done: Done = None) -> None:
    def then() -> None:
        snap = dock.session.snapshots["vae"]
        # the biggest ellipse near the centre shows the trick best (outliers have big ones too, far away)
        area = np.where(np.linalg.norm(snap.mu[:, :2], axis=1) < 1.5, snap.sigma[:, :2].prod(axis=1), -1.0)
        widest = int(np.argmax(area))
        dock.click(int(snap.indices[widest]))
        dock.controller.resample()
        dock.session.when_idle(zoom)  # the inspection and the ε strip are in

    def zoom() -> None:
        seen = dock.controller.inspections["vae"]
        half = max(5.0 * float(seen.sigma[:2].max()), 0.5)  # q(z|x) and its draws fill the view
        (x, y) = seen.mu[:2]
        dock.figure.panes["vae"].set_range(x - half, x + half, y - half, y + half)
        _finish(done)

    _prepare(dock, steps, then, "vae")


APPLY: dict[str, Callable] = {"overview": overview, "latent-explorer": latent_explorer,
                              "manifold-grid": manifold_grid, "ae-vs-vae": ae_vs_vae,
                              "reparameterisation": reparameterisation}
