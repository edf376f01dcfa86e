"""Widgets of the VAE latent-space dock (:mod:`vaeviz.ui.vae.dock`).

- :mod:`~vaeviz.ui.vae.figure`: the exported figure, one :mod:`~vaeviz.ui.vae.pane` per model;
- :mod:`~vaeviz.ui.vae.explore_panel`, :mod:`~vaeviz.ui.vae.training_panel`,
  :mod:`~vaeviz.ui.vae.draw_canvas`, :mod:`~vaeviz.ui.vae.explain`: the controls beside it;
- :mod:`~vaeviz.ui.vae.controller`: the only part that talks to the compute worker.

These modules import pyqtgraph, so only the dock's ``build()`` imports them (never at start-up).
"""
