"""Helpers shared by the GMM & EM dock tests (imported by them; not a pytest plugin)."""

from __future__ import annotations

import re

from vaeviz.ui.em.dock import EmDock
from vaeviz.workers.bridge import InlineRunner

NUMBERS_WITH_NAN = re.compile(r"\b(nan|inf|NaN|Inf)\b")


def make_dock(qtbot, compute=None) -> EmDock:
    """An EM dock computing inline (fast, deterministic), built and shown."""
    dock = EmDock(InlineRunner() if compute is None else compute)
    qtbot.addWidget(dock)
    dock.ensure_built()
    dock.resize(1200, 800)
    dock.show()
    qtbot.waitExposed(dock)
    return dock


def apply_preset(dock, name: str) -> None:
    """Apply one of the dock's presets, as the export CLI does."""
    next(p for p in dock.presets() if p.name == name).apply(dock, None)


def visible_texts(lab) -> list[str]:
    """Every number-bearing text the user can see in the lab."""
    return [lab.messages.text(), lab.transport.position.text(), *lab.numbers.texts(),
            lab.explain.toPlainText(), lab.problems_text.toPlainText()]


def no_nan_text(lab) -> bool:
    return not any(NUMBERS_WITH_NAN.search(text) for text in visible_texts(lab))
