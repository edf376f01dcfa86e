"""VAE latent explorer dock (placeholder until its lab lands)."""

from __future__ import annotations

from vaeviz.ui.docks.placeholder import PlaceholderDock


class LatentDock(PlaceholderDock):
    dock_id = "latent"
    title = "VAE latent space"
    shortcut = "Ctrl+4"
    coming = [
        "drag a point through a VAE's 2-D latent space; the decoded image morphs",
        'encoded data coloured by label, updating while the model trains',
        'AE vs VAE side by side; the reparameterisation trick and the ELBO',
    ]
