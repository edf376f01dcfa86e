"""The "Explain" pane: the ELBO with the current model's numbers, amortised inference, the
reparameterisation trick."""

from __future__ import annotations

import html
from dataclasses import dataclass

from PySide6.QtWidgets import QTextBrowser, QWidget


@dataclass(frozen=True)
class Numbers:
    """Per-image ELBO terms, from a training report or an evaluation (nats)."""

    recon: float  # −E_q[log p(x|z)]
    kl: float
    where: str  # e.g. "mean over 500 images" or "training, step 120"
    beta: float = 1.0


def _elbo_block(numbers: Numbers | None, variational: bool) -> str:
    formula = ("<p style='font-size:11pt'><b>ELBO(x)</b> = E<sub>q(z|x)</sub>[log p(x|z)] "
               "− KL(q(z|x) ‖ p(z)) ≤ log p(x)</p>")
    if numbers is None:
        return formula + "<p><i>The numbers appear once a model is loaded.</i></p>"
    elbo = -(numbers.recon + numbers.kl)
    rows = [("E<sub>q</sub>[log p(x|z)]", -numbers.recon, "how well z explains x (reconstruction)"),
            ("KL(q(z|x) ‖ p(z))", numbers.kl, "how far the encoder's q is from the prior N(0, I)"),
            ("<b>ELBO</b>", elbo, "a lower bound on log p(x): training maximises it")]
    table = "".join(f"<tr><td>{name}</td><td align='right'>&nbsp;{value:.2f}&nbsp;</td><td>{why}</td></tr>"
                    for name, value, why in rows)
    beta = ""
    if variational and numbers.beta != 1.0:
        beta = (f"<p>Training minimises recon + β·KL with <b>β = {numbers.beta:g}</b>: β &gt; 1 pushes q "
                "towards the prior (smoother, blurrier), β &lt; 1 towards an autoencoder.</p>")
    note = "" if variational else ("<p>An <b>autoencoder</b> has no q and no KL (σ = 0): its “ELBO” is just "
                                   "the reconstruction term, and nothing makes its codes fill N(0, I).</p>")
    return (f"{formula}<p>Now, in nats per image ({html.escape(numbers.where)}):</p>"
            f"<table cellspacing='2'>{table}</table>{beta}{note}")


AMORTISED = (
    "<h3>Amortised inference</h3><p>The encoder is one network that maps <i>every</i> x to its "
    "q(z|x) = N(μ(x), diag σ(x)²) in a single forward pass. Classical variational inference would fit "
    "a separate q for each data point (as EM does with each point's responsibilities); here the cost of "
    "inference is shared — amortised — across the data set, and a new x (your drawing) is encoded at "
    "once. The price is the <i>amortisation gap</i>: the encoder's q can be worse than the best q for "
    "that x.</p><p>Click a point: the red ellipse is its q(z|x) at 2σ.</p>")

LOG_PX = (
    "<h3>log p(x) ≥ ELBO</h3><p>log p(x) = log ∫ p(x|z) p(z) dz has no closed form, which is why the VAE "
    "maximises the ELBO instead. For the picked image the small plot estimates it by importance "
    "sampling: K draws z<sub>k</sub> from q(z|x), log p̂<sub>K</sub>(x) = log (1/K) Σ p(x|z<sub>k</sub>) "
    "p(z<sub>k</sub>) / q(z<sub>k</sub>|x). With K = 1 it is the ELBO on average; as K grows it rises "
    "towards log p(x), above the dashed ELBO. The gap is KL(q(z|x) ‖ p(z|x)): how far the encoder's q is "
    "from the true posterior. An autoencoder defines no p(x).</p>")

REPARAMETERISATION = (
    "<h3>The reparameterisation trick</h3><p>Sampling z ~ N(μ, σ²) is not differentiable in μ and σ. "
    "Writing <b>z = μ + σ ⊙ ε</b> with ε ~ N(0, I) moves the randomness into ε, so the gradient of the "
    "reconstruction term flows through μ and σ to the encoder. <b>Resample ε</b> draws eight ε for the "
    "selected point: the left panel shows the ε, the right one the z they become (zoomed onto q(z|x)), "
    "each star numbered, and the strip their decodings in the same order. The <b>reparameterisation-beta4"
    "</b> preset loads the β = 4 model, whose σ is large enough to see the draws differ. For an "
    "autoencoder σ = 0, so every draw is μ.</p>")

AE_VS_VAE = (
    "<h3>AE vs VAE: holes</h3><p>Show <b>VAE | AE side by side</b> with the manifold as a grid and "
    "<b>fit to the data</b>: each model's grid then spans its <i>own</i> codes (1st to 99th percentile "
    "on each axis), and the tiles that are <b>holes</b> are outlined in gold: decodings farther (pixel "
    "distance) from every training image than 95 % of the training images are from their nearest "
    "neighbour. The dashed circle is |z| = 2, where most of N(0, I) lies; the diamonds are the prior "
    "samples decoded in the strip.</p><p>The KL term pulls the VAE's codes onto N(0, I): they fill the "
    "circle, and sampling the prior lands among them. Nothing pulls the autoencoder's codes anywhere: "
    "on the shipped models they spread over about ±16 to ±25, and N(0, I) covers a small patch in the "
    "middle of them. Measured as above, both fractions are small on the shipped models and the AE's is "
    "only slightly higher (the numbers measured here are below): what separates the two is where their "
    "codes lie relative to N(0, I), more than how many of their decodings look like no digit.</p>")


def holes_block(holes: dict) -> str:
    """The measured hole fractions of each model on show (``HoleView`` by slot), or how to measure them."""
    if not holes:
        return ("<p><i>Holes are measured when the manifold is on and “fit to the data” is ticked (2-D "
                "latent spaces).</i></p>")
    rows = []
    for role in ("vae", "ae"):
        h = holes.get(role)
        if h is None:
            continue
        (x0, x1), (y0, y1) = h.z_range
        rows.append(f"<tr><td><b>{'VAE' if role == 'vae' else 'AE'}</b></td>"
                    f"<td align='right'>&nbsp;{h.fraction:.1%}&nbsp;</td>"
                    f"<td align='right'>&nbsp;{h.prior_fraction:.1%}&nbsp;</td>"
                    f"<td>z₁ ∈ [{x0:.1f}, {x1:.1f}], z₂ ∈ [{y0:.1f}, {y1:.1f}]</td></tr>")
    n = next(iter(holes.values())).n
    return ("<p><b>Holes measured here</b> (threshold: the 95th percentile of training images' "
            "nearest-neighbour distances):</p><table cellspacing='2'><tr><th></th>"
            f"<th>{n}×{n} grid</th><th>{n * n} prior samples</th><th>the grid's range (its codes)</th></tr>"
            + "".join(rows) + "</table>")


def recognisability_block(figure: dict[str, float] | None) -> str:
    """How recognisable the model's reconstructions are (training.recognisability), or why it is unknown."""
    if figure is None:
        return ("<p><b>Recognisability</b> of the reconstructions: not measured for this model (it was not "
                "loaded from a checkpoint measured by <code>python -m training.recognisability</code>).</p>")
    return (f"<p><b>Recognisability</b> of the reconstructions: a 1-nearest-neighbour classifier labels "
            f"{figure['n_test']:,.0f} digits the model never saw correctly {figure['originals']:.0%} of the "
            f"time, and the model's reconstructions of them {figure['reconstructions']:.0%} of the time: "
            f"<b>{figure['ratio']:.2f}</b> of the originals' (chance: {figure['chance']:.0%}). A 2-D latent "
            "keeps the class and the broad shape; the details it drops are what makes the rest.</p>")


def explain_html(model: str, variational: bool, numbers: Numbers | None, example: str = "",
                 recognisability: dict[str, float] | None = None, holes: dict | None = None) -> str:
    """The pane's text for the model on show (``model`` is a one-line description; empty: none yet)."""
    head = f"<h3>The ELBO — {html.escape(model)}</h3>" if model else "<h3>The ELBO</h3>"
    example_block = f"<p><b>Selected image:</b> {example}</p>" if example else ""
    elbo = _elbo_block(numbers, variational)
    recognisable = recognisability_block(recognisability) if model else ""
    return "".join((head, elbo, recognisable, example_block, LOG_PX, AMORTISED, REPARAMETERISATION,
                    AE_VS_VAE, holes_block(holes or {})))


class ExplainPane(QTextBrowser):
    """Rich text that follows the model: the numbers update after training reports and evaluations."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("latentExplain")
        self.setOpenExternalLinks(False)
        self.model = ""
        self.variational = True
        self.numbers: Numbers | None = None
        self.example = ""
        self.recognisability: dict[str, float] | None = None
        self.holes: dict = {}
        self.refresh()

    def show_numbers(self, model: str, variational: bool, numbers: Numbers | None,
                     recognisability: dict[str, float] | None = None) -> None:
        self.model = model
        self.variational = variational
        self.numbers = numbers
        self.recognisability = recognisability
        self.refresh()

    def show_holes(self, holes: dict) -> None:
        """The hole figures (``HoleView`` by slot) measured on show."""
        self.holes = dict(holes)
        self.refresh()

    def show_example(self, text: str) -> None:
        self.example = text
        self.refresh()

    def refresh(self) -> None:
        scroll = self.verticalScrollBar().value()
        self.setHtml(explain_html(self.model, self.variational, self.numbers, self.example,
                                  self.recognisability, self.holes))
        self.verticalScrollBar().setValue(scroll)  # updates during training must not jump to the top
