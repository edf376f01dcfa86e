"""Widgets of the VAE latent-space dock (:mod:`vaeviz.ui.docks.latent_dock`).

- :mod:`~vaeviz.ui.latent.figure`: the exported figure, one :mod:`~vaeviz.ui.latent.pane` per model;
- :mod:`~vaeviz.ui.latent.explore_panel`, :mod:`~vaeviz.ui.latent.training_panel`,
  :mod:`~vaeviz.ui.latent.draw_canvas`, :mod:`~vaeviz.ui.latent.explain`: the controls beside it;
- :mod:`~vaeviz.ui.latent.controller`: the only part that talks to the compute worker.

These modules import pyqtgraph, so only the dock's ``build()`` imports them (never at start-up).
"""
