"""The EM lab's parameters export: the shown mixture as CSV (the run's animation is
:mod:`vaeviz.ui.animation`'s, driven by :mod:`vaeviz.ui.em.exports`)."""

from __future__ import annotations

from pathlib import Path

from vaeviz.core.atomic import write_text_atomic
from vaeviz.core.em.gmm import GaussianMixture


def parameters_csv(gmm: GaussianMixture) -> str:
    """One line per component: k, weight, mean and the covariance's three entries."""
    lines = ["k,weight,mean_x,mean_y,cov_xx,cov_xy,cov_yy"]
    for k in range(gmm.n_components):
        m, c = gmm.means[k], gmm.covariances[k]
        values = (gmm.weights[k], m[0], m[1], c[0, 0], c[0, 1], c[1, 1])
        lines.append(f"{k + 1}," + ",".join(repr(float(v)) for v in values))  # repr: exact round trip
    return "\n".join(lines) + "\n"


def write_parameters(path: str, gmm: GaussianMixture) -> Path:
    return write_text_atomic(path, parameters_csv(gmm))
