"""The Explain pane: both KL definitions, which expectation is tractable and why, and the current numbers.

:func:`explain_html` is plain string building (no Qt), cheap and testable; the pane shows it.
"""

from __future__ import annotations

from PySide6.QtWidgets import QTextBrowser

from vaeviz.ui.kl.numbers import Row, estimate_text, fmt, q_text

DEFINITIONS = """
<h3>Two directions of KL</h3>
<p><b>KL(p‖q) = E<sub>p</sub>[log p(x) − log q(x)]</b> — the “right” but “hard” direction. The expectation
is under p: where p has mass, q must have some, or log q → −∞. So q is <i>mass-covering</i>: one Gaussian
spreads over every mode. In variational inference p is an intractable posterior: we cannot sample it, so
this expectation is out of reach. Here p is known, so we estimate it from samples of p (exactly when p is
Gaussian: the optimum matches p's mean and covariance).</p>
<p><b>KL(q‖p) = E<sub>q</sub>[log q(x) − log p(x)]</b> — the “wrong” but “easy” direction. The expectation
is under q, which we chose simple: sample z = μ + Lε, ε ~ N(0, I) (the reparameterisation trick), and
log p is only needed up to a constant — exactly what variational inference has. q is
<i>mode-seeking</i>: where p is small q must be small, so it sits on one mode and tends to be
overconfident (too narrow). For a Gaussian p and a diagonal q its variances are 1/Λ<sub>ii</sub>
(Λ = Σ<sup>−1</sup>), below Σ<sub>ii</sub>.</p>
<p>KL ≥ 0, with 0 only when q = p; it is not symmetric: the two numbers of one q differ.
D<sub>α</sub> (Minka) lies between them: α → 0 gives KL(q‖p), α → 1 gives KL(p‖q).</p>
"""

VI_TEXT = """
<h3>Variational inference: log p(x) = ELBO + KL</h3>
<p>The toy model p(z) = N(0, I), x | z ~ N((z₁ + z₂, z₁z₂), s²I) has a two-mode posterior p(z | x),
computed here on a grid (a VAE's is not computable). For any q(z),
<b>log p(x) = ELBO(q) + KL(q(z) ‖ p(z | x))</b> with ELBO(q) = E<sub>q</sub>[log p(x, z) − log q(z)]:
log p(x) does not depend on q, so maximising the ELBO is minimising the reverse KL to the posterior —
the bar's KL part shrinks while the ELBO grows. A Gaussian q picks one of the two modes.</p>
"""


def explain_html(mode: str, step: int | None, rows: list[Row], grid: list[tuple[float, float]],
                 vi: tuple[float, float, float] | None = None, stopped: str | None = None) -> str:
    """The pane's HTML: the definitions and a table of the current numbers (``vi``: log p(x), ELBO, KL)."""
    parts = [VI_TEXT if mode == "vi" else "", DEFINITIONS]
    now = [f"<h3>Now{'' if step is None else f' (step {step})'}</h3>"]
    if stopped:
        now.append(f"<p><b>Stopped:</b> {stopped}</p>")
    if vi is not None:
        evidence, elbo, kl = vi
        now.append(f"<p>log p(x) = {fmt(evidence)} = ELBO {fmt(elbo)} + KL {fmt(kl)}</p>")
    for i, row in enumerate(rows):
        forward_grid, reverse_grid = grid[i] if i < len(grid) else (float("nan"), float("nan"))
        now.append(f"<p><b>{row.label}</b>: μ; σ = {q_text(row.q)}<br>KL(p‖q) = {estimate_text(row.forward)} "
                   f"(grid {fmt(forward_grid)}), KL(q‖p) = {estimate_text(row.reverse)} "
                   f"(grid {fmt(reverse_grid)})</p>")
    return "".join(now) + "".join(parts)


class ExplainPane(QTextBrowser):
    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("klExplain")
        self.setOpenExternalLinks(False)
        self._html = ""

    def show_html(self, html: str) -> None:
        if html != self._html:  # laying out the text costs a few ms: only when it changed
            self._html = html
            self.setHtml(html)
