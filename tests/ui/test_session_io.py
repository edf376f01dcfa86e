"""Session files from the window: round trip, rejected files change nothing, atomic saves, folders."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox
from session_helpers import open_session

from vaeviz.core import session as session_format
from vaeviz.ui.settings import AppSettings

DOCK_IDS = ["density", "em", "kl", "latent"]


def _states(window) -> dict:
    return {dock_id: dock.state() for dock_id, dock in window.docks.items()}


@pytest.fixture
def restored(window, monkeypatch) -> list[str]:
    """Records which docks had restore_state called (it must not be, for a rejected file)."""
    calls: list[str] = []
    for dock_id, dock in window.docks.items():
        original = dock.restore_state
        monkeypatch.setattr(dock, "restore_state",
                            lambda state, _id=dock_id, _orig=original: (calls.append(_id), _orig(state)))
    return calls


def test_save_then_load_round_trip(window, qtbot, restored, tmp_path):
    path = tmp_path / "session.json"
    before = _states(window)
    assert window.files.save_session(str(path))
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["format"] == session_format.FORMAT == "vaeviz-session"
    assert doc["version"] == session_format.VERSION
    assert sorted(doc["docks"]) == sorted(DOCK_IDS)
    assert doc["docks"] == before
    assert "saved" in window.status.currentMessage()

    assert open_session(qtbot, window, path)
    assert sorted(restored) == sorted(DOCK_IDS)
    assert _states(window) == before
    assert window.files.last_dialog is None
    assert "loaded" in window.status.currentMessage()


def _good_doc(window) -> dict:
    return window.files.session_document()


def _not_json(window):
    return "{ this is not json"


def _wrong_format(window):
    return {**_good_doc(window), "format": "somebody-elses-format"}


def _newer_version(window):
    return {**_good_doc(window), "version": session_format.VERSION + 1}


def _unknown_dock(window):
    doc = _good_doc(window)
    doc["docks"]["bogus"] = {"version": 1}
    return doc


def _newer_dock_state(window):
    doc = _good_doc(window)
    doc["docks"]["kl"] = {"version": 99}
    return doc


BAD_SESSIONS = {
    "not json": (_not_json, "not a JSON file"),
    "wrong format": (_wrong_format, "not a vaeviz session"),
    "newer version": (_newer_version, "saved by a newer vaeviz"),
    "unknown dock": (_unknown_dock, "unknown dock 'bogus'"),
    "newer dock state": (_newer_dock_state, "state version 99 is newer"),
}


@pytest.mark.parametrize("case", list(BAD_SESSIONS))
def test_invalid_session_is_rejected_and_changes_nothing(window, qtbot, restored, tmp_path, case):
    make, reason = BAD_SESSIONS[case]
    content = make(window)
    path = tmp_path / "bad.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    before = _states(window)
    folder_before = window.settings.last_folder

    assert open_session(qtbot, window, path) is False

    box = window.files.last_dialog
    assert isinstance(box, QMessageBox)
    assert box.isVisible() and not box.isModal()
    assert reason in box.text()
    assert "bad.json cannot be opened" in box.text() and "Nothing was changed" in box.text()
    assert restored == []
    assert _states(window) == before
    assert window.settings.last_folder == folder_before
    box.close()


def test_failed_save_keeps_old_file_and_leaves_no_temp_files(window, tmp_path, monkeypatch):
    path = tmp_path / "session.json"
    assert window.files.save_session(str(path))
    old = path.read_bytes()

    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    assert window.files.save_session(str(path)) is False
    monkeypatch.undo()

    assert path.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["session.json"]
    box = window.files.last_dialog
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert "could not be saved" in box.text() and "No space left on device" in box.text()


def test_save_into_missing_folder_fails_with_dialog(window, tmp_path):
    path = tmp_path / "missing" / "session.json"
    assert window.files.save_session(str(path)) is False
    assert not path.parent.exists()
    assert "could not be saved" in window.files.last_dialog.text()


def test_dialogs_remember_the_last_folder(window, qtbot, tmp_path, monkeypatch):
    saves, opens = tmp_path / "saves", tmp_path / "opens"
    saves.mkdir()
    opens.mkdir()
    asked = []

    def ask_save(title, filters, name):
        asked.append((title, name))
        return str(saves / "mine")  # no suffix: .json is added

    monkeypatch.setattr(window.files, "ask_save_path", ask_save)
    window.save_action.trigger()
    assert asked == [("Save session", "session.json")]
    assert (saves / "mine.json").is_file()
    window.settings.sync()
    assert Path(AppSettings().last_folder) == saves.resolve()

    (opens / "other.json").write_bytes((saves / "mine.json").read_bytes())
    monkeypatch.setattr(window.files, "ask_open_path", lambda title, filters: str(opens / "other.json"))
    window.open_action.trigger()
    qtbot.waitUntil(lambda: not window.files.loading, timeout=30_000)
    assert window.files.last_dialog is None
    window.settings.sync()
    assert Path(AppSettings().last_folder) == opens.resolve()


def test_cancelled_dialogs_do_nothing(window, tmp_path, monkeypatch):
    folder = window.settings.last_folder
    monkeypatch.setattr(window.files, "ask_save_path", lambda *args: "")
    monkeypatch.setattr(window.files, "ask_open_path", lambda *args: "")
    window.save_action.trigger()
    window.open_action.trigger()
    assert window.files.last_dialog is None
    assert window.settings.last_folder == folder


def test_a_restore_that_fails_part_way_rolls_every_dock_back(window, qtbot, tmp_path, monkeypatch):
    """A file that passes every check but breaks while it is applied (here: the last dock raises) leaves
    the docks as they were: those already restored get their earlier state back, and the user is told."""
    path = tmp_path / "session.json"
    before = _states(window)
    doc = window.files.session_document()
    path.write_text(json.dumps(doc), encoding="utf-8")
    first, last = list(doc["docks"])[0], list(doc["docks"])[-1]
    applied = []
    original_first, original_last = window.docks[first].restore_state, window.docks[last].restore_state

    def records(state):
        applied.append(state)
        original_first(state)

    def breaks(state):
        if len(applied) == 1:  # the file's state fails; the roll-back's call works
            raise RuntimeError("a bug in restore")
        original_last(state)

    monkeypatch.setattr(window.docks[first], "restore_state", records)
    monkeypatch.setattr(window.docks[last], "restore_state", breaks)
    assert open_session(qtbot, window, path) is False
    assert applied == [doc["docks"][first], before[first]]  # the file's state, then the one before
    assert _states(window) == before
    box = window.files.last_dialog
    assert "could not be applied, so nothing was changed" in box.text()
    assert "RuntimeError: a bug in restore" in box.detailedText()
    box.close()


def test_a_huge_dock_name_gives_a_short_message(window, qtbot, tmp_path):
    """A 5 MB dock name used to freeze the window for 11 s and fill a 5 MB message box."""
    path = tmp_path / "huge.json"
    doc = window.files.session_document()
    doc["docks"] = {"x" * 5_000_000: {}}
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert open_session(qtbot, window, path) is False
    text = window.files.last_dialog.text()
    assert "unknown dock 'xxxx" in text and "(5,000,000 characters)" in text and len(text) < 400
    window.files.last_dialog.close()


def _edited(path_and_value):
    """A good session with one field replaced: ``("em", "settings", "seed")`` → value."""
    keys, value = path_and_value

    def make(window):
        doc = _good_doc(window)
        node = doc["docks"]
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value
        return doc

    return make


HOSTILE_FIELDS = {
    "show as a list": ((("em", "show"), [1, 2]), "show"),
    "huge seed": ((("em", "settings", "seed"), 1e30), "seed"),
    "text seed": ((("em", "settings", "seed"), "abc"), "seed"),
    "bool K": ((("em", "settings", "k"), True), "K"),
    "data as a list": ((("em", "data"), [1, 2]), "data"),
    "oned as a list": ((("em", "oned"), [1, 2]), "'oned' must be an object"),
    "too many points": ((("em", "data"), {"points": [[0.0, 0.0]] * 1_000_001, "labels": None}),
                        "1,000,000"),
    "huge coordinate": ((("em", "data"), {"points": [[0.0, 1e300]], "labels": None}), "±1e+100"),
    "huge mixture means": ((("em", "mixture", "means"), [[1e300, 0.0]] * 3), "±1e+100"),
    "huge pick": ((("latent", "picks"), [10**12]), "pick"),
    "negative pick": ((("latent", "picks"), [-1]), "pick"),
}


@pytest.mark.parametrize("case", list(HOSTILE_FIELDS))
def test_hostile_fields_are_refused_whole_with_a_short_message(window, qtbot, restored, tmp_path, case):
    """Each used to be half-applied (K and seed from the file, the old points) or to end in a traceback
    on stderr with no message."""
    edit, words = HOSTILE_FIELDS[case]
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(_edited(edit)(window)), encoding="utf-8")
    before = _states(window)
    assert open_session(qtbot, window, path) is False
    box = window.files.last_dialog
    assert words.lower() in box.text().lower(), box.text()
    assert len(box.text()) < 400 and "Nothing was changed" in box.text()
    assert restored == [] and _states(window) == before
    box.close()


def test_a_session_is_read_in_the_worker_while_the_window_goes_on(window, qtbot, tmp_path):
    """Reading and parsing a 32 MB file took the GUI thread 1.8 s: load_session now returns at once and
    the answer comes from the worker (the file here is refused, as a too large point set)."""
    path = tmp_path / "big.json"
    doc = window.files.session_document()
    doc["docks"]["em"]["data"] = {"points": [[0.5, 0.25]] * 1_000_001, "labels": None}
    path.write_text(json.dumps(doc), encoding="utf-8")
    answer: list[bool] = []
    window.files.load_session(str(path), answer.append)
    assert answer == [] and window.files.loading and window.files.last_dialog is None
    qtbot.waitUntil(lambda: bool(answer), timeout=30_000)
    assert answer == [False] and not window.files.loading
    assert "the limit is 1,000,000 values" in window.files.last_dialog.text()
    window.files.last_dialog.close()
