"""The lab's part of a session file, read and written through :mod:`vaeviz.core.em.session`.

Restoring applies the session's state with :meth:`~vaeviz.ui.em.lab.EmLab.apply_state`, then its data,
then its mixture as a "restored" frame from which EM continues.
"""

from __future__ import annotations

from vaeviz.core.em.lab import evaluate_job
from vaeviz.core.em.session import EmSession, session_to_json
from vaeviz.core.jobs import run_to_end

INLINE_EVALUATION = 20_000  # N·K up to which a restored mixture is evaluated in the GUI thread (~3 ms)


def lab_session(lab) -> dict:
    """The lab's session JSON: its state, the data and the shown mixture."""
    frame = lab.runner.frame
    gmm = frame.gmm if frame is not None else None
    iteration = int(frame.em.iteration) if frame is not None else 0
    return session_to_json(lab.state, lab.points.points, lab.points.labels, gmm, iteration)


def restore_session(lab, session: EmSession) -> None:
    """Apply a session that :func:`~vaeviz.core.em.session.session_from_json` accepted."""
    lab.problems.clear()
    lab.apply_state(session.state, restart=False)  # the data below restart EM
    if session.points is not None:
        lab.points.replace(session.points, session.labels, text="open session")
        lab.points.clear_history()
    else:
        lab.refresh_data()
    gmm = session.mixture
    if gmm is not None and lab.data is not None and lab.data.n >= gmm.n_components:
        job = evaluate_job(lab.data, gmm, None, "restored", session.iteration)
        if lab.data.n * gmm.n_components <= INLINE_EVALUATION:
            # Small: evaluate now (< 5 ms), so the dock's state() right after loading is the loaded one.
            lab.runner.replace_with(run_to_end(job))
        else:
            lab.controller.request("eval", job, lab.runner.replace_with)
