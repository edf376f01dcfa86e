"""The Explain pane: the E-step and M-step equations with the current numbers filled in.

Pure string building from a frame's mixture (no Qt), so it is cheap and testable. Every number goes
through :func:`fmt`, which writes +∞ and "undefined" rather than ``inf`` and ``nan``.
"""

from __future__ import annotations

import math

import numpy as np

from vaeviz.core.em.gmm import GaussianMixture
from vaeviz.core.em.lab import Frame
from vaeviz.ui.em.colours import HEX


def fmt(value, digits: int = 4) -> str:
    """A number for the user: +∞ / −∞ for infinities, 'undefined' for NaN, None as '—'."""
    if value is None:
        return "—"
    v = float(value)
    if math.isnan(v):
        return "undefined"
    if math.isinf(v):
        return "+∞" if v > 0 else "−∞"
    if v != 0 and (abs(v) >= 1e5 or abs(v) < 1e-3):
        return f"{v:.{digits - 1}e}".replace("e-0", "e-").replace("e+0", "e+")
    if abs(v) >= 100:
        return f"{v:,.1f}"
    return f"{v:.{digits}g}" if abs(v) < 1 else f"{v:.{digits - 1}f}".rstrip("0").rstrip(".")


def singular_reason(reason: str) -> str:
    """The core's collapse message for the user: components numbered from 1 as on screen, full stops."""
    return reason[:1].upper() + reason[1:]


def vec(v: np.ndarray) -> str:
    return "(" + ", ".join(fmt(a, 3) for a in v) + ")"


def _bracket(i: int, n: int, left: bool) -> str:
    """The piece of a tall bracket for row ``i`` of ``n``."""
    if n == 1:
        return "[" if left else "]"
    top, middle, bottom = ("⎡", "⎢", "⎣") if left else ("⎤", "⎥", "⎦")
    return top if i == 0 else bottom if i == n - 1 else middle


def matrix_html(rows) -> str:
    """A small matrix (a column vector: one value a row) as a table between tall brackets, so that its
    rows never wrap into one another as the pane narrows."""
    rows = [list(np.atleast_1d(row)) for row in np.atleast_1d(rows)]
    n = len(rows)
    body = "".join(
        f"<tr><td>{_bracket(i, n, True)}</td>"
        + "".join(f"<td align='right' nowrap>&nbsp;{fmt(v, 3)}&nbsp;</td>" for v in row)
        + f"<td>{_bracket(i, n, False)}</td></tr>"
        for i, row in enumerate(rows))
    return f"<table cellspacing='0' cellpadding='0'>{body}</table>"


def _swatch(k: int) -> str:
    return f"<span style='color:{HEX[k % len(HEX)]}'>■</span>&nbsp;{k + 1}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th align='right'>{h}</th>" for h in header)
    cells = ["".join(f"<td align='right' valign='middle' nowrap>{c}</td>" for c in row) for row in rows]
    body = "".join(f"<tr>{row}</tr>" for row in cells)
    return f"<table cellspacing='0' cellpadding='3'><tr>{head}</tr>{body}</table>"


def e_step_html(gmm: GaussianMixture, x_n: np.ndarray, n: int) -> str:
    log_joint = gmm.component_log_prob(x_n[None, :])[0]
    top = np.max(log_joint)
    joint = np.exp(log_joint)
    resp = np.exp(log_joint - top) / np.exp(log_joint - top).sum()
    dens = np.exp(log_joint - np.log(np.maximum(gmm.weights, 1e-300)))
    rows = [[_swatch(k), fmt(gmm.weights[k]), fmt(dens[k]), fmt(joint[k]), f"<b>{fmt(resp[k], 3)}</b>"]
            for k in range(gmm.n_components)]
    rows.append(["Σ", "", "", fmt(joint.sum()), "1"])
    return (f"<p>γ<sub>nk</sub> = π<sub>k</sub> N(x<sub>n</sub> | μ<sub>k</sub>, Σ<sub>k</sub>) / "
            f"Σ<sub>j</sub> π<sub>j</sub> N(x<sub>n</sub> | μ<sub>j</sub>, Σ<sub>j</sub>)</p>"
            f"<p>for point n = {n + 1}, x<sub>n</sub> = {vec(x_n)}:</p>"
            + _table(["k", "π<sub>k</sub>", "N(x<sub>n</sub>|k)", "π<sub>k</sub>N", "γ<sub>nk</sub>"], rows))


def m_step_html(gmm: GaussianMixture, nk: np.ndarray | None, n_total: int, reg: float) -> str:
    nk = gmm.weights * n_total if nk is None else nk
    rows = [[_swatch(k), fmt(nk[k]), fmt(gmm.weights[k]), matrix_html(gmm.means[k][:, None]),
             matrix_html(gmm.covariances[k])] for k in range(gmm.n_components)]
    floor = f" + {fmt(reg)}·I" if reg > 0 else " (floor off)"
    return ("<p>N<sub>k</sub> = Σ<sub>n</sub> γ<sub>nk</sub>, &nbsp; "
            "π<sub>k</sub> = N<sub>k</sub> / N, &nbsp; "
            "μ<sub>k</sub> = Σ<sub>n</sub> γ<sub>nk</sub> x<sub>n</sub> / N<sub>k</sub>,<br>"
            "Σ<sub>k</sub> = Σ<sub>n</sub> γ<sub>nk</sub> "
            "(x<sub>n</sub>−μ<sub>k</sub>)(x<sub>n</sub>−μ<sub>k</sub>)<sup>T</sup>"
            f" / N<sub>k</sub>{floor}</p>"
            + _table(["k", "N<sub>k</sub>", "π<sub>k</sub>", "μ<sub>k</sub>", "Σ<sub>k</sub>"], rows))


def explain_html(frame: Frame | None, m_frame: Frame | None, x_n: np.ndarray | None, n_index: int,
                 n_total: int, reg: float) -> str:
    """The whole pane for ``frame``; ``m_frame`` is the M-step that follows (or is) it, if computed."""
    if frame is None:
        return "<p>No mixture yet: EM needs data and a valid K (see the message above the figure).</p>"
    phase = frame.phase
    em = frame.em

    def heading(text: str, current: bool) -> str:
        style = "background:#fff3c4;color:#202020;" if current else ""
        return f"<h4 style='{style}margin-bottom:2px'>{text}</h4>"

    parts = [f"<p><b>log-likelihood</b> ℓ = Σ<sub>n</sub> log Σ<sub>k</sub> π<sub>k</sub> "
             f"N(x<sub>n</sub> | μ<sub>k</sub>, Σ<sub>k</sub>) = <b>{fmt(em.log_likelihood)}</b>"]
    if em.complete_log_likelihood is not None:
        parts.append(f"<br>complete-data ℓ<sub>c</sub> = Σ<sub>n</sub> log π<sub>z<sub>n</sub></sub> "
                     f"N(x<sub>n</sub> | μ<sub>z<sub>n</sub></sub>, Σ<sub>z<sub>n</sub></sub>) = "
                     f"<b>{fmt(em.complete_log_likelihood)}</b>")
    parts.append("</p>")
    if em.singular is not None:
        parts.append(f"<p style='color:#e74c3c'><b>Singular:</b> {singular_reason(em.singular.reason)}</p>")
    e_title = ("E-step (just done)" if phase == "E" else "E-step (next: with the parameters shown)")
    parts.append(heading(e_title, phase == "E"))
    if x_n is not None:
        parts.append(e_step_html(frame.gmm, x_n, n_index))
    m_title = "M-step (just done)" if phase == "M" else "M-step (next)"
    parts.append(heading(m_title, phase == "M"))
    if m_frame is not None:
        parts.append(m_step_html(m_frame.gmm, m_frame.nk, n_total, reg))
    else:
        parts.append("<p>Press <b>M-step</b> to compute it.</p>" if phase == "E" else
                     "<p>The M-step needs responsibilities first: press <b>E-step</b>.</p>")
    return "".join(parts)
