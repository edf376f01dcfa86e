"""Settings: corrupt or foreign files fall back to defaults, say so once, and never crash the app."""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import QSettings

from vaeviz.ui.settings import SCHEMA_VERSION, AppSettings

# A file full of user choices that must all be forgotten when the schema check fails.
CHOICES = "[view]\ntheme=dark\n[compute]\ndevice=cpu\n[files]\nlast_folder={folder}\n"

BAD_FILES = {
    "garbage bytes": bytes(range(256)) * 3,
    "binary noise": b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe garbage \x80\x81",
    "schema_version 0": ("[General]\nschema_version=0\n" + CHOICES).encode(),
    "schema_version not a number": ("[General]\nschema_version=banana\n" + CHOICES).encode(),
    "no schema_version": CHOICES.encode(),
}
MESSAGES = {
    "garbage bytes": "unreadable",
    "binary noise": "unreadable",
    "schema_version 0": "another version (0)",
    "schema_version not a number": "another version (banana)",
    "no schema_version": "had no version",
}


def _write(folder, data: bytes, tmp_path) -> None:
    (folder / "vaeviz.ini").write_bytes(data.replace(b"{folder}", os.fsencode(tmp_path)))


def _assert_defaults(settings: AppSettings) -> None:
    assert settings.theme == "system"
    assert settings.device == "auto"
    assert settings.window_state() == (None, None)


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_settings_file_restores_defaults_with_message(isolated_settings, tmp_path, case):
    _write(isolated_settings, BAD_FILES[case], tmp_path)
    settings = AppSettings()
    assert MESSAGES[case] in settings.message
    assert "defaults restored" in settings.message
    _assert_defaults(settings)
    assert settings.last_folder != str(tmp_path)
    # The file was rewritten as a fresh, versioned one: the next start-up is quiet.
    settings.sync()
    raw = QSettings(str(isolated_settings / "vaeviz.ini"), QSettings.Format.IniFormat)
    assert raw.status() == QSettings.Status.NoError
    assert raw.allKeys() == ["schema_version"] and int(raw.value("schema_version")) == SCHEMA_VERSION
    again = AppSettings()
    assert again.message == ""


def test_valid_settings_are_kept_without_message(isolated_settings, tmp_path):
    _write(isolated_settings, (f"[General]\nschema_version={SCHEMA_VERSION}\n" + CHOICES).encode(), tmp_path)
    settings = AppSettings()
    assert settings.message == ""
    assert (settings.theme, settings.device, settings.last_folder) == ("dark", "cpu", str(tmp_path))


def test_missing_settings_file_is_created_quietly(isolated_settings):
    settings = AppSettings()
    assert settings.message == ""
    _assert_defaults(settings)
    settings.sync()
    assert (isolated_settings / "vaeviz.ini").is_file()


def test_unknown_values_fall_back_to_defaults(isolated_settings, tmp_path):
    text = f"[General]\nschema_version={SCHEMA_VERSION}\n[view]\ntheme=purple\n[compute]\ndevice=tpu\n"
    _write(isolated_settings, text.encode(), tmp_path)
    settings = AppSettings()
    assert (settings.theme, settings.device) == ("system", "auto")


@pytest.mark.parametrize("case", ["garbage bytes", "schema_version 0", "schema_version not a number"])
def test_window_with_bad_settings_shows_message_and_starts(make_window, qtbot, isolated_settings, tmp_path,
                                                           case):
    _write(isolated_settings, BAD_FILES[case], tmp_path)
    window = make_window(show=False)
    assert window.settings.message
    assert window.status.currentMessage() == window.settings.message
    assert not window.dark  # the stored dark theme was forgotten
    window.show()
    qtbot.waitUntil(lambda: window.bridge.device_name != "", timeout=60000)
