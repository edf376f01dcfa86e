"""The lab's keyboard actions (listed in Help > Keyboard shortcuts); they act only on the 2-D page."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from vaeviz.ui.em.controls import TransportBar
from vaeviz.ui.em.data_tools import DataTools
from vaeviz.ui.em.runner import EmRunner


def _when(enabled: Callable[[], bool], act: Callable[[], object]) -> Callable[[], None]:
    """``act`` only if ``enabled()`` says its button could be pressed now."""

    def slot() -> None:
        if enabled():
            act()

    return slot


def _next_half_step(runner: EmRunner) -> None:
    runner.pause()
    runner.goto(runner.pos + 1)


def make_actions(owner: QWidget, runner: EmRunner, transport: TransportBar, tools: DataTools,
                 reset: Callable[[], None], set_tool: Callable[[str], None],
                 active: Callable[[], bool]) -> list[QAction]:
    """The actions, added to ``owner`` (shortcuts work inside it); each runs only while ``active()``."""
    r, t = runner, transport
    specs = [
        ("GMM && EM: E-step", "E", _when(t.e_step.isEnabled, lambda: r.step("E"))),
        ("GMM && EM: M-step", "M", _when(t.m_step.isEnabled, lambda: r.step("M"))),
        ("GMM && EM: full EM step", "S", _when(t.step.isEnabled, lambda: r.step("step"))),
        ("GMM && EM: run / pause", "Space", _when(t.run.isEnabled, t.run.toggle)),
        ("GMM && EM: previous half-step", "Left", lambda: r.scrub(r.pos - 1)),
        ("GMM && EM: next half-step", "Right", lambda: _next_half_step(r)),
        ("GMM && EM: first kept half-step", "Home", lambda: r.scrub(r.first)),
        ("GMM && EM: last computed half-step", "End", lambda: r.scrub(r.last)),
        ("GMM && EM: reset EM", "R", reset),
        ("GMM && EM: undo data edit", QKeySequence.StandardKey.Undo, tools.undo),
        ("GMM && EM: redo data edit", "Ctrl+Shift+Z", tools.redo),
        ("GMM && EM: select / drag tool", "V", lambda: set_tool("select")),
        ("GMM && EM: add-points tool", "A", lambda: set_tool("add")),
        ("GMM && EM: spray tool", "P", lambda: set_tool("spray")),
        ("GMM && EM: erase tool", "X", lambda: set_tool("erase")),
    ]
    actions = []
    for text, keys, slot in specs:
        action = QAction(text, owner)
        action.setShortcut(QKeySequence(keys))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(lambda _checked=False, f=slot: _when(active, f)())
        owner.addAction(action)
        actions.append(action)
    return actions
