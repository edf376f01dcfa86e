"""Widgets of the VAE latent-space dock (:mod:`vaeviz.ui.vae.dock`).

- :mod:`~vaeviz.ui.vae.figure`: the exported figure, one :mod:`~vaeviz.ui.vae.pane` per model;
- :mod:`~vaeviz.ui.vae.explore_panel`, :mod:`~vaeviz.ui.vae.training_panel`,
  :mod:`~vaeviz.ui.vae.draw_canvas`, :mod:`~vaeviz.ui.vae.explain`: the controls beside it;
- :mod:`~vaeviz.ui.vae.controller` and :mod:`~vaeviz.ui.vae.session`: the only parts that talk to the
  compute worker;
- :mod:`~vaeviz.ui.vae.file_dialogs`: the file questions and dialogs (data files, checkpoints, exports);
- :mod:`~vaeviz.ui.vae.self_check`: the asynchronous self-check (``vaeviz --self-test``);
- :mod:`~vaeviz.ui.vae.presets`: the presets of :mod:`vaeviz.core.vae.presets` applied to the dock;
- :mod:`~vaeviz.ui.vae.gif`: label colours and the drag-path GIF (drawn in the compute thread).

The dock's state is :class:`vaeviz.core.vae.state.LatentState`; the widgets show it.

These modules import pyqtgraph, so only the dock's ``build()`` imports them (never at start-up).
"""
