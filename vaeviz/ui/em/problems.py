"""The three hidden-data problems: what each one shows and why, for the Problems tab."""

from __future__ import annotations

import numpy as np

from vaeviz.core.em.lab import Frame
from vaeviz.ui.em.explain import fmt, singular_reason

PROBLEMS = {
    "marginal": (
        "① The marginal likelihood does not factorise",
        "With the hidden z known, the <b>complete-data</b> log-likelihood "
        "Σ<sub>n</sub> [log π<sub>z<sub>n</sub></sub> + log N(x<sub>n</sub> | μ<sub>z<sub>n</sub></sub>, "
        "Σ<sub>z<sub>n</sub></sub>)] splits into one term per component, each maximised in closed form. "
        "Without z we must maximise the <b>marginal</b> Σ<sub>n</sub> log Σ<sub>k</sub> π<sub>k</sub> "
        "N(x<sub>n</sub> | μ<sub>k</sub>, Σ<sub>k</sub>): the log of a sum couples every component, so no "
        "closed form exists. EM replaces the unknown z by its posterior (E) and then maximises the expected "
        "complete-data log-likelihood (M). The curves show both, ℓ<sub>c</sub> with the presets' true labels "
        "matched to EM's components by their means at every step; the marginal one never decreases, and "
        "the plot beside it shows their gap ℓ<sub>c</sub> − ℓ = "
        "Σ<sub>n</sub> log P(z<sub>n</sub>|x<sub>n</sub>) ≤ 0."),
    "seeds": (
        "② Identifiability: label switching",
        "A mixture is only defined up to the order of its components: any permutation of (π<sub>k</sub>, "
        "μ<sub>k</sub>, Σ<sub>k</sub>) is the same density with the same likelihood. Runs from different "
        "random starts converge to the same clusters but <b>number them differently</b> (compare the colours "
        "and the ℓ values of the panels). Averaging parameters across runs would be meaningless until they "
        "are <b>aligned</b> (here: Hungarian matching of the means to the fit on the left)."),
    "singular": (
        "③ Singularities: the likelihood is unbounded",
        "Put one component on a single data point and let its variance shrink: "
        "N(x<sub>n</sub> | x<sub>n</sub>, "
        "σ²I) = 1/(2πσ²) → ∞ as σ → 0, while the other components keep every other point's density "
        "positive. So the maximum likelihood is +∞ and meaningless. With the covariance floor "
        "<b>off</b> EM walks straight into it; with the floor <b>on</b> (reg added to every variance) "
        "the likelihood stays finite."),
}


def problems_html(active: str | None, detail: str = "") -> str:
    """All three explanations; the active one highlighted, followed by ``detail`` (current numbers)."""
    parts = []
    for key, (title, text) in PROBLEMS.items():
        style = "background:#fff3c4;color:#202020;" if key == active else ""
        parts.append(f"<h4 style='{style}margin-bottom:2px'>{title}</h4><p>{text}</p>")
        if key == active and detail:
            parts.append(f"<p><i>{detail}</i></p>")
    return "".join(parts)


def singular_message(reason: str) -> str:
    """What the dock says when a component has collapsed (``reason`` from the singularity report)."""
    return (f"<b>Singular mixture.</b> {singular_reason(reason)} EM cannot go on from here: scrub back, "
            "or turn the floor on.")


def collapse_clause(reason: str) -> str:
    """The core's collapse reason up to its colon ("component 4 collapsed onto a single point"), the words
    the banner, the Problems tab and the figure share."""
    head = reason.split(":", 1)[0].strip().rstrip(".")
    return singular_reason(head)


def figure_captions(problem: str | None, frame: Frame | None, floor: bool, reg: float,
                    selected: int, aligned: bool = False) -> tuple[str, str]:
    """What the figure says in words: (after the scatter's title, under the curves).

    An exported figure has no message bar and no Problems tab, so the state they describe (a collapse,
    the floor holding a component, which problem is shown) must be in the figure itself.
    """
    if frame is None:
        return "", ""
    singular = frame.em.singular
    if singular is not None:
        scatter = f"{collapse_clause(singular.reason)}: ℓ = +∞"
    else:
        scatter = ""
    if problem == "marginal":
        return scatter, ("① marginal ℓ (EM never lowers it) and complete-data ℓ<sub>c</sub> "
                         "(the hidden z known)")
    if problem == "seeds":
        if aligned:
            return scatter, ("② four seeds on the right, aligned to the fit on the left (Hungarian "
                             "matching of the means): now the colours agree")
        return scatter, "② four seeds on the right: the same clusters, numbered differently (label switching)"
    if problem != "singular":
        return scatter, ""
    k = min(selected, frame.gmm.n_components - 1)
    if singular is not None:
        return scatter, "③ floor off: a component on one point has unbounded likelihood, ℓ → +∞"
    smallest = float(np.linalg.eigvalsh(frame.gmm.covariances[k]).min())
    if floor:
        return (f"floor on: component {k + 1} held at variance {fmt(smallest, 2)} (reg = {fmt(reg, 2)})",
                "③ floor on: the collapsing component stops at the floor, ℓ stays finite")
    return (f"component {k + 1} on one point, variance {fmt(smallest, 2)}: Step to collapse it",
            "③ floor off: the next M-step shrinks the component onto the point, ℓ → +∞")
