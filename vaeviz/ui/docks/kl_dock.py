"""KL divergence lab dock (placeholder until its lab lands)."""

from __future__ import annotations

from vaeviz.ui.docks.placeholder import PlaceholderDock


class KlDock(PlaceholderDock):
    dock_id = "kl"
    title = "KL divergence"
    shortcut = "Ctrl+3"
    coming = [
        'fit one Gaussian q to a two-mode p, live',
        'KL(p‖q) covers the modes; KL(q‖p) picks one',
        'the asymmetry of KL, with the numbers',
    ]
