"""Application settings in one place, versioned.

Settings live in an INI file: ``$VAEVIZ_CONFIG_DIR/vaeviz.ini`` when that variable is set (tests and the
self-test use it to stay away from the user's settings), else Qt's per-user location. A file that is
corrupt, or written with another schema version, is replaced by defaults and reported once.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

SCHEMA_VERSION = 1
LAYOUT_VERSION = 1  # bump when the default dock layout changes: old saved layouts are then ignored
THEMES = ("system", "light", "dark")


def _open_qsettings() -> QSettings:
    folder = os.environ.get("VAEVIZ_CONFIG_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        return QSettings(str(Path(folder) / "vaeviz.ini"), QSettings.Format.IniFormat)
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "vaeviz", "vaeviz")


class AppSettings:
    """Typed access to vaeviz's settings; ``message`` says what was reset at start-up, if anything."""

    def __init__(self) -> None:
        self._s = _open_qsettings()
        self.message = ""
        self._check_schema()

    @property
    def path(self) -> str:
        return self._s.fileName()

    def _check_schema(self) -> None:
        raw = self._s.value("schema_version")
        status = self._s.status()  # only meaningful once a value was read: QSettings parses lazily
        if status != QSettings.Status.NoError:
            self.message = "Settings file was unreadable; defaults restored."
        elif raw is None:
            if self._s.allKeys():
                self.message = "Settings had no version; defaults restored."
        else:
            try:
                version = int(raw)
            except (TypeError, ValueError):
                version = -1
            if version != SCHEMA_VERSION:
                self.message = f"Settings from another version ({raw}); defaults restored."
        if self.message:
            self.reset()
        elif raw is None:
            self._s.setValue("schema_version", SCHEMA_VERSION)

    def reset(self) -> None:
        """Forget everything and write a fresh, versioned file."""
        path = Path(self._s.fileName())
        del self._s
        try:
            path.unlink(missing_ok=True)  # a corrupt file may not even parse: start from nothing
        except OSError:
            pass
        self._s = _open_qsettings()
        self._s.clear()
        self._s.setValue("schema_version", SCHEMA_VERSION)
        self._s.sync()

    def sync(self) -> None:
        self._s.sync()

    # ----- typed values ------------------------------------------------------------------
    def _text(self, key: str, default: str, allowed: tuple[str, ...] | None = None) -> str:
        value = self._s.value(key, default)
        value = value if isinstance(value, str) else default
        return value if allowed is None or value in allowed else default

    @property
    def theme(self) -> str:
        return self._text("view/theme", "system", THEMES)

    @theme.setter
    def theme(self, value: str) -> None:
        self._s.setValue("view/theme", value)

    @property
    def device(self) -> str:
        return self._text("compute/device", "auto", ("auto", "cuda", "mps", "cpu"))

    @device.setter
    def device(self, value: str) -> None:
        self._s.setValue("compute/device", value)

    @property
    def last_folder(self) -> str:
        folder = self._text("files/last_folder", "")
        return folder if folder and Path(folder).is_dir() else str(Path.home())

    @last_folder.setter
    def last_folder(self, value: str) -> None:
        self._s.setValue("files/last_folder", value)

    def window_state(self) -> tuple[QByteArray | None, QByteArray | None]:
        """Saved (geometry, dock state), or Nones when absent or saved for another layout version."""
        if self._s.value("window/layout_version") != str(LAYOUT_VERSION):
            return None, None
        geometry, state = self._s.value("window/geometry"), self._s.value("window/state")
        ok = all(isinstance(v, QByteArray) for v in (geometry, state))
        return (geometry, state) if ok else (None, None)

    def save_window_state(self, geometry: QByteArray, state: QByteArray) -> None:
        self._s.setValue("window/layout_version", str(LAYOUT_VERSION))
        self._s.setValue("window/geometry", geometry)
        self._s.setValue("window/state", state)

    def clear_window_state(self) -> None:
        for key in ("window/layout_version", "window/geometry", "window/state"):
            self._s.remove(key)
