"""Density lab maths: estimators of a 1-D or 2-D density with one interface, and the data they fit.

- :mod:`~vaeviz.core.density.estimators`: the interface (:class:`FittedDensity`, ``fit_density``,
  ``split_held_out``) and :class:`DensityInputError` (defined in ``core.data.density_presets`` so the
  image reader can raise it too);
- :mod:`~vaeviz.core.density.histogram`, :mod:`~vaeviz.core.density.kde` (binned-FFT grids, exact
  held-out sums, bandwidth rules and the held-out search), :mod:`~vaeviz.core.density.mixture` (the EM
  lab's Gaussian mixture, fitted by its EM), :mod:`~vaeviz.core.density.autoregressive`
  (p(x₁) · p(x₂ | x₁)).

The data: ``vaeviz.core.data.density_presets`` (2-D shapes and the lecture's 1-D mixture, with true
densities) and ``vaeviz.core.data.density_image`` (a density from an image's brightness).
"""
