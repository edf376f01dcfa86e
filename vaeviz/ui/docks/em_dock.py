"""GMM & EM lab dock (placeholder until its lab lands)."""

from __future__ import annotations

from vaeviz.ui.docks.placeholder import PlaceholderDock


class EmDock(PlaceholderDock):
    dock_id = "em"
    title = "GMM && EM"  # "&&": Qt shows one "&" (a single one would underline the next letter)
    shortcut = "Ctrl+2"
    coming = [
        'step EM one half-step at a time (E-step, M-step) and scrub back',
        'drag means and covariances; the log-likelihood updates live',
        'k-means in lockstep: hard vs soft assignments',
        'the three hidden-data problems: coupling, label switching, collapsing Gaussians',
    ]
