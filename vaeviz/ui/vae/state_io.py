"""Saving, restoring and checking the latent dock (the :class:`LabDock` hooks that need its widgets)."""

from __future__ import annotations

import numpy as np

from vaeviz.core.vae.lab_data import DataSource
from vaeviz.ui.vae.explore_panel import set_combo_value

VERSION = 1


def state_of(dock) -> dict:
    """The dock's JSON-able state: data, model settings, checkpoint files, view, latent points, picks."""
    session, explore = dock.session, dock.explore
    model = dict(dock.training.model_values(), **dock.training.train_values())
    model.pop("fresh")
    grid = explore.grid_settings()
    return {
        "version": VERSION,
        "data": session.source.to_dict(),
        "model": model,
        "checkpoints": {role: info.path for role, info in session.models.items() if info.path},
        "view": {"mode": explore.view_mode(), "manifold": grid["manifold"], "grid_n": grid["grid_n"],
                 "grid_range": grid["grid_range"], "grid_fit": grid["grid_fit"]},
        "points": {role: list(pane.target_xy()) for role, pane in dock.figure.panes.items()},
        "picks": [p.index for p in dock.controller.picks if p.index is not None],
    }


def restore(dock, state: dict) -> None:
    """Apply a state that :func:`vaeviz.ui.vae.state.validate` accepted; reload its data and files."""
    model = state.get("model", {})
    dock.training.set_values(dict(model, fresh=True))
    view = state.get("view", {})
    dock.explore.set_grid_settings(view.get("manifold", "off"), int(view.get("grid_n", 15)),
                                   float(view.get("grid_range", 3.0)), bool(view.get("grid_fit", False)))
    set_combo_value(dock.explore.mode, view.get("mode", "vae"))
    for role, (x, y) in state.get("points", {}).items():
        dock.figure.panes[role].set_target(x, y)
    source = DataSource.from_dict(state.get("data", {"kind": "shapes"}))
    files = {role: path for role, path in state.get("checkpoints", {}).items() if path}
    dock._pending_picks = list(state.get("picks", []))
    dock.controller.selected, dock.controller.picks = None, []
    if not dock.started:
        dock.session.source = source
        dock._pending_files = files
        return
    if source != dock.session.source or files:
        dock.session.setup(source, dock.figure.roles(), dock.choice(), files)
    else:
        dock._on_ready()


def self_check(dock, timeout_s: float = 30.0) -> list[str]:
    """Decode the latent point through the compute path and check the image is a real picture."""
    dock.ensure_started()
    roles = dock.figure.roles()
    if not dock.wait_for_models(timeout_s):
        return [f"latent: no model ready after {timeout_s:g} s ({dock.messages.text() or 'no message'})"]
    role = roles[0]
    answer: dict = {}
    from vaeviz.core.vae.lab_jobs import decode_job

    dock.session.request_view(("self-check",), decode_job(dock.session.ref, role, dock.figure.panes[role].target_xy()),
                              on_result=lambda d: answer.setdefault("image", d.image),
                              on_failed=lambda m, _d: answer.setdefault("error", m))
    if not dock.wait_until(lambda: bool(answer), timeout_s):
        return [f"latent: no decoding after {timeout_s:g} s"]
    if "error" in answer:
        return [f"latent: decoding failed: {answer['error']}"]
    image = np.asarray(answer["image"])
    problems = []
    if image.ndim != 2 or not np.isfinite(image).all() or image.min() < 0 or image.max() > 1:
        problems.append("latent: the decoded image is not a finite image in [0, 1]")
    elif image.std() < 1e-3:
        problems.append("latent: the decoded image is blank")
    return problems
