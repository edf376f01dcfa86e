"""The lab's self-check (``vaeviz --self-test``), through the lab's own path: once the models are in, the
state's latent point is decoded by the worker (through the controller) and the image is checked.

Nothing waits in a nested event loop: the check goes on from the session's ``when_ready`` and
``when_idle`` callbacks and answers ``done(problems)`` once (at once under inline compute).
"""

from __future__ import annotations

from collections.abc import Callable

from vaeviz.core.vae.state import LatentState
from vaeviz.ui.lab.message_bar import MessageBar
from vaeviz.ui.vae.controller import LatentController
from vaeviz.ui.vae.session import LabSession


def check_decoding(session: LabSession, controller: LatentController, messages: MessageBar,
                   roles: tuple[str, ...], state: Callable[[], LatentState],
                   done: Callable[[list[str]], None]) -> None:
    """Decode the latent point of ``state()`` for the first of ``roles`` once their models are ready, and
    call ``done`` with what is wrong (empty: nothing); if the set-up ends without models, say so (with
    the message bar's text)."""
    answered: list[bool] = []

    def answer(found: list[str]) -> None:
        if not answered:
            answered.append(True)
            done(found)

    def decoded(result) -> None:
        answer(image_problems(result.image))

    def failed(message: str, _details: str) -> None:
        answer([f"latent: decoding failed: {message}"])

    def not_ready() -> None:  # the set-up ended without models (it failed)
        if not session.ready(roles):
            answer([f"latent: no model ready ({messages.text() or 'no message'})"])

    def ready() -> None:  # the state's latent point, decoded by the worker
        xy = state().points.of(roles[0])
        controller.decode_for_check(roles[0], xy, decoded, failed)

    session.when_ready(roles, ready)
    session.when_idle(not_ready)


def image_problems(image) -> list[str]:
    """What is wrong with a decoded image for the self-check: it must be a finite 2-D image in [0, 1],
    not blank."""
    import numpy as np

    image = np.asarray(image)
    if image.ndim != 2 or not np.isfinite(image).all() or image.min() < 0 or image.max() > 1:
        return ["latent: the decoded image is not a finite image in [0, 1]"]
    if image.std() < 1e-3:
        return ["latent: the decoded image is blank"]
    return []
