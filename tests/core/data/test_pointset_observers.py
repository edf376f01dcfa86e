"""PointSet observers: one notification per change, in order, robust to failing or unsubscribing callbacks."""

from __future__ import annotations

import pytest
from test_pointset import labelled, recorder

# ---------------------------------------------------------------------------- observers


def test_observers_get_each_change():
    ps = labelled()
    changes = recorder(ps)
    ps.add([[50.0, 50.0], [51.0, 51.0]])
    ps.erase_near((0.0, 1.0), 0.1)
    ps.move(3, (8.0, 8.0))
    ps.replace([[0.0, 0.0]])
    ps.undo()
    ps.undo()
    ps.undo()
    ps.redo()
    got = [(c.kind, c.indices.tolist(), c.version, c.origin) for c in changes]
    assert got == [
        ("add", [6, 7], 1, "edit"),
        ("erase", [0], 2, "edit"),
        ("move", [3], 3, "edit"),
        ("reset", [], 4, "edit"),
        ("reset", [], 5, "undo"),
        ("move", [3], 6, "undo"),
        ("insert", [0], 7, "undo"),
        ("erase", [0], 8, "redo"),
    ]
    assert not changes[0].indices.flags.writeable


def test_unsubscribe_and_no_change_no_call():
    ps = labelled()
    changes: list = []
    unsubscribe = ps.subscribe(changes.append)
    ps.erase_near((500.0, 500.0), 1.0)
    assert changes == []
    ps.add([[0, 0]])
    unsubscribe()
    unsubscribe()  # twice is harmless
    ps.add([[0, 0]])
    assert len(changes) == 1


def test_failing_observer_does_not_starve_others():
    """Every callback runs; the first error is re-raised after the change is complete."""
    ps = labelled()
    seen: list[int] = []

    def broken(change):
        raise KeyError("boom")

    ps.subscribe(broken)
    ps.subscribe(lambda c: seen.append(c.version))
    with pytest.raises(KeyError):
        ps.add([[0, 0]])
    assert seen == [1] and len(ps) == 7 and ps.can_undo


def test_editing_from_a_callback_is_refused():
    ps = labelled()
    errors: list[Exception] = []

    def editor(change):
        try:
            ps.add([[1, 1]])
        except RuntimeError as exc:
            errors.append(exc)

    ps.subscribe(editor)
    ps.add([[0, 0]])
    assert len(errors) == 1 and len(ps) == 7
    ps.undo()  # the guard is released after notification
    assert len(ps) == 6


def test_unsubscribing_during_notification():
    ps = labelled()
    calls: list[str] = []
    unsub_a = None

    def a(change):
        calls.append("a")
        unsub_a()

    unsub_a = ps.subscribe(a)
    ps.subscribe(lambda c: calls.append("b"))
    ps.add([[0, 0]])
    ps.add([[0, 0]])
    assert calls == ["a", "b", "b"]
