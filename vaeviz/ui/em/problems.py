"""The three hidden-data problems: what each one shows and why, for the Problems tab."""

from __future__ import annotations

from vaeviz.ui.em.explain import singular_reason

PROBLEMS = {
    "marginal": (
        "① The marginal likelihood does not factorise",
        "With the hidden z known, the <b>complete-data</b> log-likelihood "
        "Σ<sub>n</sub> [log π<sub>z<sub>n</sub></sub> + log N(x<sub>n</sub> | μ<sub>z<sub>n</sub></sub>, "
        "Σ<sub>z<sub>n</sub></sub>)] splits into one term per component, each maximised in closed form. "
        "Without z we must maximise the <b>marginal</b> Σ<sub>n</sub> log Σ<sub>k</sub> π<sub>k</sub> "
        "N(x<sub>n</sub> | μ<sub>k</sub>, Σ<sub>k</sub>): the log of a sum couples every component, so no "
        "closed form exists. EM replaces the unknown z by its posterior (E) and then maximises the expected "
        "complete-data log-likelihood (M). The curves show both, computed with the presets' true labels "
        "(matched to EM's components); the marginal one never decreases."),
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
