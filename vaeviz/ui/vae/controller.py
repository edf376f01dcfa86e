"""Turns what the user does in the latent views into lab requests, and the answers into pictures.

Every computation is a latest-wins request to the compute worker keyed by what it is for and which
model slot ("latent:decode:vae"…, :meth:`~vaeviz.ui.lab.controller.LabController.key`): a drag sends a
request per mouse move, the worker computes only the newest, and a slow answer never overwrites a newer
one. Long jobs (set-up, training) go through
:class:`~vaeviz.ui.vae.session.LabSession`, whose signals arrive here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from vaeviz.core.vae.lab_jobs import (
    decode_job,
    grid_job,
    holes_job,
    inspect_job,
    interpolate_job,
    likelihood_job,
    prior_job,
    resample_job,
)
from vaeviz.core.vae.lab_types import (
    Decoded,
    GridImage,
    HoleView,
    Inspection,
    LatentSnapshot,
    Likelihood,
    ModelInfo,
    Strip,
    role_of,
)
from vaeviz.core.vae.state import ViewSettings
from vaeviz.ui.vae.gif import gif_job
from vaeviz.ui.vae.holes_overlay import hole_caption
from vaeviz.ui.vae.likelihood_plot import gap_caption
from vaeviz.ui.vae.pane import DECODED_TITLE
from vaeviz.ui.vae.session import LabSession

STRIP_SIZE = 8  # ε draws and prior samples per strip
PATH_POINTS = 10  # decodings along A → B
LIKELIHOOD_K = 1000  # samples from q(z|x) behind the largest log p(x) estimate (~15 ms)


def model_title(info: ModelInfo, data_name: str) -> str:
    """A pane's title: which model (β, latent size, architecture), on which data, and its origin."""
    if role_of(info.kind) == "vae":
        head = f"<b>VAE</b>, β = {info.beta:g}, latent {info.latent_dim}"
    else:
        head = f"<b>Autoencoder</b> (no β), latent {info.latent_dim}"
    data = f" · {data_name}" if data_name else ""
    dims = (f"<br>showing z₁, z₂ of {info.latent_dim} (decoding puts the others at 0)"
            if info.latent_dim > 2 else "")
    return (f"{head}{data}{dims}<br><span style='font-size:8pt'>{info.kind}, {info.origin}</span>")


@dataclass(frozen=True, eq=False)
class Pick:
    """A selected image: a data point (its data set index) or a drawing (its pixels)."""

    name: str
    source: int | np.ndarray

    @property
    def index(self) -> int | None:
        return self.source if isinstance(self.source, int) else None


class LatentController(QObject):
    """Glue between the figure, the explore panel and the lab."""

    inspected = Signal(str)  # role: an ellipse and reconstruction are on show
    strip_shown = Signal(str, str)  # role, strip kind
    picks_changed = Signal()  # A and B changed (see pick_indices())

    def __init__(self, session: LabSession, figure, explore, explain) -> None:
        super().__init__()
        self.session = session
        self.figure = figure
        self.explore = explore
        self.explain = explain
        self.view = ViewSettings()  # the dock's state's view (the dock sets it)
        self.selected: Pick | None = None
        self.picks: list[Pick] = []  # the last two selected: A and B
        self.inspections: dict[str, Inspection] = {}
        self.likelihoods: dict[str, Likelihood] = {}
        self.holes: dict[str, HoleView] = {}  # holes measured on the fit-to-the-data grid, by slot
        self.strips: dict[str, Strip] = {}
        self.last_strip: Strip | None = None
        self.eps_seed = 0
        self.prior_seed = 0
        for pane in figure.panes.values():
            pane.point_moved.connect(self._on_point_moved)
            pane.point_clicked.connect(self._on_point_clicked)
        session.data_changed.connect(self._on_data_changed)
        session.model_changed.connect(self._on_model_changed)
        session.snapshot_ready.connect(self._on_snapshot)
        session.numbers_changed.connect(self._on_numbers)

    def roles(self) -> list[str]:
        """Shown slots that have a model."""
        return [r for r in self.figure.roles() if r in self.session.models]

    # ----- session signals -----------------------------------------------------------------------
    def pick_indices(self) -> tuple[int, ...]:
        """The data set indices of A and B (drawings have none)."""
        return tuple(p.index for p in self.picks if p.index is not None)

    def clear_selection(self) -> None:
        """Nothing selected: no A, B, ellipse or reconstruction."""
        self.selected = None
        self.picks = []
        for pane in self.figure.panes.values():
            pane.clear_selection()
        self.picks_changed.emit()

    @Slot(object)
    def _on_data_changed(self, info) -> None:
        self.selected = None
        self.picks = []
        self.picks_changed.emit()
        self.inspections.clear()
        self.likelihoods.clear()
        self.holes.clear()
        self.explain.show_holes({})
        self.strips.clear()
        self.last_strip = None
        self.explore.canvas.target_shape = tuple(info.image_shape)
        self.explain.show_example("")
        for pane in self.figure.panes.values():
            pane.clear_selection()
            pane.set_grid(None)
            pane.decoded.set_image(None, DECODED_TITLE)

    @Slot(object)
    def _on_model_changed(self, info: ModelInfo) -> None:
        pane = self.figure.panes[info.role]
        pane.set_title(model_title(info, self.session.data.name if self.session.data else ""))
        self._forget_holes(info.role)
        self._update_explain()

    @Slot(object)
    def _on_snapshot(self, snap: LatentSnapshot) -> None:
        """A new scatter means new weights: redraw everything that depends on them."""
        if snap.role not in self.figure.roles():
            return
        self.draw_snapshot(snap.role, fit=False)
        self.decode(snap.role)
        self.refresh_grid(snap.role)
        if self.selected is not None:
            self._inspect(snap.role)

    def draw_snapshot(self, role: str, fit: bool) -> None:
        snap = self.session.snapshots.get(role)
        if snap is not None:
            self.figure.panes[role].set_snapshot(snap.mu, snap.indices, snap.labels, snap.label_names, fit)
            self._show_picks(role)

    @Slot(str)
    def _on_numbers(self, role: str) -> None:
        if self.figure.roles() and role == self.figure.roles()[0]:
            self._update_explain()

    def _update_explain(self) -> None:
        role = self.figure.roles()[0]
        info = self.session.models.get(role)
        model = f"{role.upper()}: {info.kind}, {info.origin}" if info else ""
        self.explain.show_numbers(model, role == "vae", self.session.numbers.get(role),
                                  info.recognisability if info else None)

    # ----- view mode and the manifold ----------------------------------------------------------------
    def set_mode(self, mode: str, choice) -> None:
        self.figure.set_mode(mode)
        for role in self.figure.roles():
            strip = self.strips.get(role)
            if strip is not None and strip.kind == "samples":  # ε panels alone, only stars side by side
                self._on_strip(strip)
            if role in self.session.models:
                self.draw_snapshot(role, fit=True)
                self.decode(role)
                self.refresh_grid(role)
                if self.selected is not None:
                    self._inspect(role)
            else:
                self.session.prepare(role, choice)
        self._update_explain()

    def grid_extent(self, role: str) -> tuple[float, float]:
        snap = self.session.snapshots.get(role)
        if self.view.grid_fit and snap is not None and len(snap.mu):
            xy = snap.mu[:, :2][np.isfinite(snap.mu[:, :2]).all(axis=1)]
            low, high = float(np.percentile(xy, 1)), float(np.percentile(xy, 99))
            pad = 0.05 * (high - low or 1.0)
            return low - pad, high + pad
        r = float(self.view.grid_range)
        return -r, r

    def measures_holes(self, role: str) -> bool:
        """Whether the grid of ``role`` is the holes' grid: "fit to the data" spans the model's own codes,
        which is where its holes are measured (2-D latents, all the data in, not while training: a
        measurement takes about a second of the worker's time)."""
        info = self.session.models.get(role)
        return (self.view.grid_fit and info is not None and info.latent_dim == 2 and self.session.data_ready
                and not self.session.training)

    def refresh_grid(self, role: str | None = None) -> None:
        for r in [role] if role else self.roles():
            if r not in self.session.models:
                continue
            if self.view.manifold == "off":
                self.figure.panes[r].set_grid(None, mode="off")
                self._forget_holes(r)
                continue
            if self.measures_holes(r):
                job = holes_job(self.session.ref, r, self.view.grid_n)
                self.session.request_view(("grid", r), job, self._on_holes)
                continue
            low, high = self.grid_extent(r)
            job = grid_job(self.session.ref, r, self.view.grid_n, low, high)
            self.session.request_view(("grid", r), job, self._on_grid)

    def refresh_holes(self) -> None:
        """Measure the holes a fit grid drawn during a set-up could not (the data was not all in)."""
        for role in self.roles():
            if self.view.manifold != "off" and role not in self.holes and self.measures_holes(role):
                self.refresh_grid(role)

    def _on_grid(self, g: GridImage) -> None:
        self.figure.panes[g.role].set_grid(g.mosaic, g.low, g.high, g.n, self.view.manifold)
        self._forget_holes(g.role)

    def _on_holes(self, h: HoleView) -> None:
        data = self.session.data
        if data is None or h.data_version != data.data_version or self.view.manifold == "off":
            return
        pane = self.figure.panes[h.role]
        (x0, x1), y_range = h.z_range
        pane.set_grid(h.mosaic, x0, x1, h.n, self.view.manifold, y_range=y_range)
        pane.holes.show(h)
        strip = self.strips.get(h.role)
        pane.holes.set_prior(strip.z if strip is not None and strip.kind == "prior" else None)
        pane.set_caption(hole_caption(h))
        self.holes[h.role] = h
        self.explain.show_holes(self.holes)

    def _forget_holes(self, role: str) -> None:
        pane = self.figure.panes[role]
        pane.holes.clear()
        pane.set_caption("")
        if self.holes.pop(role, None) is not None:
            self.explain.show_holes(self.holes)

    # ----- the latent point ------------------------------------------------------------------------------
    @Slot(str, float, float)
    def _on_point_moved(self, role: str, _x: float, _y: float) -> None:
        self.decode(role, dragging=self.figure.panes[role].target.pending is not None)

    def decode(self, role: str, dragging: bool = False) -> None:
        """Decode at ⊕. While the user drags it, the request waits briefly for its result and makes long jobs
        give way (an interactive stream); other decodes (new weights, a new view) are plain requests."""
        pane = self.figure.panes[role]
        if role in self.session.models:
            job = decode_job(self.session.ref, role, pane.target_xy())
            self.session.request_view(("decode", role), job, self._on_decoded, interactive=dragging)
        else:
            pane.show_pending_target()  # no model to decode with: ⊕ follows the mouse directly

    def _on_decoded(self, d: Decoded) -> None:
        self.figure.panes[d.role].set_decoded(d.image, d.z)

    def decode_for_check(self, role: str, xy: tuple[float, float], on_result, on_failed) -> None:
        """Decode at ``xy`` for the self-check (key ``latent:self-check``), without showing the image."""
        job = decode_job(self.session.ref, role, xy)
        self.session.request_view(("self-check",), job, on_result, on_failed)

    # ----- selecting images ---------------------------------------------------------------------------------
    def _name(self, index: int) -> str:
        for snap in self.session.snapshots.values():
            pos = int(np.searchsorted(snap.indices, index))
            if snap.labels is not None and pos < len(snap.indices) and snap.indices[pos] == index:
                label = int(snap.labels[pos])
                names = snap.label_names
                return f"#{index} ({names[label] if names and label < len(names) else label})"
        return f"#{index}"

    @Slot(str, int, bool)
    def _on_point_clicked(self, _role: str, index: int, shift: bool) -> None:
        self.select(Pick(self._name(index), int(index)), interpolate=shift)

    def select(self, pick: Pick, interpolate: bool = False) -> None:
        """Show a pick's q(z|x) and reconstruction; it becomes B, the previous pick A."""
        self.selected = pick
        self.likelihoods.clear()
        self.picks = (self.picks[-1:] + [pick])[-2:]
        self.picks_changed.emit()
        for role in self.roles():
            self.figure.panes[role].set_samples(None)
            self._inspect(role)
            self._show_picks(role)
        if interpolate and len(self.picks) == 2:
            self.interpolate()

    def select_drawing(self, image: np.ndarray) -> None:
        if image.any():
            self.select(Pick("your drawing", np.array(image, np.float32)))

    def _inspect(self, role: str) -> None:
        if self.selected is not None and role in self.session.models:
            job = inspect_job(self.session.ref, role, self.selected.source)
            self.session.request_view(("inspect", role), job, self._on_inspected)
            if role_of(self.session.models[role].kind) == "vae":
                job = likelihood_job(self.session.ref, role, self.selected.source, LIKELIHOOD_K)
                self.session.request_view(("likelihood", role), job, self._on_likelihood)
            else:
                self.figure.panes[role].likelihood.show_no_px()

    def _on_likelihood(self, lik: Likelihood) -> None:
        data = self.session.data
        if data is None or lik.data_version != data.data_version or self.selected is None:
            return
        self.likelihoods[lik.role] = lik
        self.figure.panes[lik.role].likelihood.show_likelihood(lik)
        insp = self.inspections.get(lik.role)
        if insp is not None and insp.index == lik.index:
            self._show_numbers(insp)

    def _on_inspected(self, insp: Inspection) -> None:
        data = self.session.data
        if data is None or insp.data_version != data.data_version:
            return
        self.inspections[insp.role] = insp
        if insp.index is None:
            name = "your drawing"
        else:
            name = f"{insp.label} #{insp.index}" if insp.label else f"#{insp.index}"
        self.figure.panes[insp.role].set_inspection(insp.original, insp.reconstruction, insp.mu, insp.sigma,
                                                    "x", "")
        self._show_numbers(insp)
        self._show_picks(insp.role)
        if insp.role == self.figure.roles()[0]:
            sigma = ", ".join(f"{s:.2f}" for s in insp.sigma[:2])
            self.explain.show_example(
                f"{name}: μ = ({', '.join(f'{m:.2f}' for m in insp.mu[:2])}), σ = ({sigma}); "
                f"−log p(x|z) = {insp.recon_nll:.1f} at one z = μ + σ·ε, KL = {insp.kl:.2f}, so this image's "
                f"ELBO ≈ {-(insp.recon_nll + insp.kl):.1f} nats.")
        self.inspected.emit(insp.role)

    def _show_numbers(self, insp: Inspection) -> None:
        """Under x and its reconstruction: the image, its ELBO terms (an AE has no KL: "—") and, for a
        VAE, log p(x) against its ELBO once estimated."""
        name = "your drawing" if insp.index is None else (
            f"{insp.label} #{insp.index}" if insp.label else f"#{insp.index}")
        variational = role_of(self.session.models[insp.role].kind) == "vae" if insp.role in \
            self.session.models else True
        kl = f"{insp.kl:.1f}" if variational else "—"
        lines = [name, f"−log p(x|z) {insp.recon_nll:.1f} · KL {kl}"]
        lik = self.likelihoods.get(insp.role)
        if variational and lik is not None and lik.defined and lik.index == insp.index:
            lines.append(gap_caption(lik))
        self.figure.panes[insp.role].numbers.setText("<br>".join(lines), size="8pt")

    def _show_picks(self, role: str) -> None:
        """Mark A and B where they are encoded (data points by the scatter, drawings by their q)."""
        snap = self.session.snapshots.get(role)
        points = []
        for pick in self.picks:
            if pick.index is not None and snap is not None:
                pos = int(np.searchsorted(snap.indices, pick.index))
                if pos < len(snap.indices) and snap.indices[pos] == pick.index:
                    points.append(tuple(float(v) for v in snap.mu[pos, :2]))
            elif pick is self.selected and role in self.inspections and self.inspections[role].index is None:
                points.append(tuple(float(v) for v in self.inspections[role].mu[:2]))
        # one pick is already marked by its ellipse; rings (labelled A, B) only when there is a pair
        self.figure.panes[role].set_picks(points if len(points) == 2 else [])

    # ----- strips -------------------------------------------------------------------------------------------
    def resample(self) -> bool:
        if self.selected is None:
            self.session.report("Click a data point (or draw an image) first: ε is drawn around its μ.",
                                "info")
            return False
        self.eps_seed += 1
        for role in self.roles():
            job = resample_job(self.session.ref, role, self.selected.source, STRIP_SIZE, self.eps_seed)
            self.session.request_view(("resample", role), job, self._on_strip)
        return True

    def interpolate(self) -> bool:
        if len(self.picks) < 2:
            self.session.report("Pick two images: click a point, then shift-click another (or draw one).",
                                "info")
            return False
        a, b = (p.source for p in self.picks)
        for role in self.roles():
            job = interpolate_job(self.session.ref, role, a, b, PATH_POINTS)
            self.session.request_view(("interpolate", role), job, self._on_strip)
        return True

    def fill_empty_strips(self) -> None:
        """Start with prior samples under each plot: what the model generates, before any click."""
        for role in self.roles():
            if not self.figure.panes[role].strip.has_image():
                job = prior_job(self.session.ref, role, STRIP_SIZE, 0)
                self.session.request_view(("prior", role), job, self._on_strip)

    def prior(self) -> None:
        self.prior_seed += 1
        for role in self.roles():
            job = prior_job(self.session.ref, role, STRIP_SIZE, self.prior_seed)
            self.session.request_view(("prior", role), job, self._on_strip)

    def _on_strip(self, s: Strip) -> None:
        pane = self.figure.panes[s.role]
        title = f"{'VAE' if s.role == 'vae' else 'AE'} — {s.title}"
        if s.kind == "samples" and len(self.figure.roles()) == 1:
            pane.show_reparameterisation(s, f"{title}; decodings numbered as the draws")
        elif s.kind == "samples":  # side by side: no room for two more panels per model
            pane.show_samples(s, title)
        else:
            pane.set_samples(None)
            if s.kind == "interpolation":
                pane.set_path(s.z)
            pane.set_strip(s.images, title)
        pane.holes.set_prior(s.z if s.kind == "prior" else None)
        self.figure.fit_to_view()  # the pane may have dropped its ε panels
        self.strips[s.role] = s
        self.last_strip = s
        self.strip_shown.emit(s.role, s.kind)

    def export_gif(self, path: str, on_done) -> bool:
        """Write the A → B walk of the first model on show as a GIF (in the worker)."""
        if len(self.picks) < 2 or not self.roles():
            self.session.report("Pick A and B first: click a point, then shift-click another.", "info")
            return False
        a, b = (p.source for p in self.picks)
        self.session.request_view(("gif",), gif_job(self.session.ref, self.roles()[0], a, b, path), on_done)
        return True
