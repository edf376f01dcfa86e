"""The Explain pane: each estimator's formula, tractable versus intractable densities, and the numbers now
(the fit's log-likelihoods, the held-out table's best, the density at the cursor).

:func:`explain_html` is plain string building (no Qt), cheap and testable; the pane shows it.
"""

from __future__ import annotations

import math

from PySide6.QtWidgets import QTextBrowser

from vaeviz.core.density.lab import ESTIMATOR_NAMES

FORMULAS = {
    "histogram": "<b>Histogram</b>: p(x) = n<sub>bin(x)</sub> / (N · area of a bin). Few bins: coarse; "
                 "many: empty bins give p = 0 and a held-out point there log p = −∞.",
    "kde": "<b>Kernel density</b>: p(x) = (1/N) Σ<sub>i</sub> N(x | x<sub>i</sub>, h² I). The bandwidth h "
           "trades bias for variance: h → 0 spikes on the training points (train log-likelihood ↑, held-out "
           "↓), h large blurs everything into one bump. Scott: h = σ N<sup>−1/6</sup> in 2-D.",
    "gmm": "<b>Gaussian mixture</b>: p(x) = Σ<sub>k</sub> π<sub>k</sub> N(x | μ<sub>k</sub>, Σ<sub>k</sub>), "
           "fitted by EM; sampling is ancestral: z ~ Cat(π), then x | z ~ N(μ<sub>z</sub>, Σ<sub>z</sub>).",
    "autoregressive": "<b>Autoregressive</b>: p(x) = p(x₁) · p(x₂ | x₁) — each factor a 1-D density (here "
                      "per x₁ slice), so p(x) is <i>tractable</i>: evaluated exactly, sampled x₁ first, "
                      "then x₂. The slice's curve is the second factor.",
    "vae": "<b>VAE</b>: p(x) = ∫ p(z) p(x|z) dz with a neural decoder p(x|z) — <i>intractable</i>: no "
           "closed form, so training maximises the lower bound ELBO = E<sub>q(z|x)</sub>[log p(x|z)] − "
           "KL(q(z|x) ‖ p(z)) ≤ log p(x). Here log p(x) is estimated by importance sampling with K samples "
           "of q(z|x): log (1/K) Σ<sub>k</sub> p(x|z<sub>k</sub>) p(z<sub>k</sub>) / q(z<sub>k</sub>|x), "
           "with its standard error; the ELBO map sits below it everywhere.",
}

HELD_OUT = ("<p><b>Held-out log-likelihood</b>: the points are split at random into training (●) and "
            "held-out (○) parts; each estimator is fitted to the training part only and scored by the mean "
            "log p of the held-out points. Overfitting (h too small, too many bins) scores high on the "
            "training points and low on the held-out ones; oversmoothing scores low on both.</p>")


def _num(value: float) -> str:
    if value is None or math.isnan(value):
        return "—"
    if math.isinf(value):
        return "−∞" if value < 0 else "∞"
    return f"{value:.3f}"


def explain_html(state, snapshot, table, cursor) -> str:
    """The pane's HTML. ``cursor``: (x, y, log p there or None, ELBO there or None) or None."""
    now = [f"<h3>Now: {ESTIMATOR_NAMES[state.estimator]}</h3>"]
    if snapshot is not None and math.isfinite(snapshot.train_ll):
        now.append(f"<p>mean log p per point: training {_num(snapshot.train_ll)}, held-out "
                   f"{_num(snapshot.held_ll)} ({snapshot.n_train:,} / {snapshot.n_held:,} points)</p>")
    if table is not None and table.rows:
        finite = [r for r in table.rows if math.isfinite(r.held) and r.key != "truth"]
        if finite:
            best = max(finite, key=lambda r: r.held)
            now.append(f"<p>best held-out: <b>{best.label}</b> ({_num(best.held)})</p>")
    if cursor is not None:
        x, y, value, elbo = cursor
        if value is None:
            now.append(f"<p>cursor ({x:.2f}, {y:.2f}): outside the grid</p>")
        else:
            dens = "0" if not math.isfinite(value) else f"{math.exp(value):.4g}"
            line = f"<p>cursor ({x:.2f}, {y:.2f}): p = {dens}, log p = {_num(value)}"
            if elbo is not None:
                line += f", ELBO = {_num(elbo)} (≤ log p(x))"
            now.append(line + "</p>")
    order = [state.estimator] + [k for k in FORMULAS if k != state.estimator]
    formulas = "".join(f"<p>{FORMULAS[k]}</p>" for k in order)
    return "".join(now) + "<h3>The estimators</h3>" + formulas + HELD_OUT


class ExplainPane(QTextBrowser):
    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("densityExplain")
        self.setOpenExternalLinks(False)
        self._html = ""

    def show_html(self, html: str) -> None:
        if html != self._html:  # laying out the text costs a few ms: only when it changed
            self._html = html
            self.setHtml(html)
