"""The log file: where the details of failures go (tracebacks, the full text of a refused input).

Messages shown to the user are short and plain; what a bug report needs is written here instead, to a
rotated file (``vaeviz.log``, at most :data:`MAX_BYTES` × (1 + :data:`BACKUPS`)) in the platform's
folder for application logs. The status bar's error button opens it.

Where: ``$VAEVIZ_LOG_DIR`` when set; else ``logs`` in ``$VAEVIZ_CONFIG_DIR`` when that is set (tests and
the self-test, which keep away from the user's folders); else ``~/.local/state/vaeviz`` (Linux, or
``$XDG_STATE_HOME/vaeviz``), ``~/Library/Logs/vaeviz`` (macOS), ``%LOCALAPPDATA%\\vaeviz\\logs`` (Windows).
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path

LOGGER_NAME = "vaeviz"
FILE_NAME = "vaeviz.log"
MAX_BYTES = 1 << 20
BACKUPS = 2

_handler: logging.Handler | None = None


def log_folder() -> Path:
    """The folder the log file is written to (see the module notes); not created here."""
    if os.environ.get("VAEVIZ_LOG_DIR"):
        return Path(os.environ["VAEVIZ_LOG_DIR"])
    if os.environ.get("VAEVIZ_CONFIG_DIR"):
        return Path(os.environ["VAEVIZ_CONFIG_DIR"]) / "logs"
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "vaeviz" / "logs"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Logs" / "vaeviz"
    state = os.environ.get("XDG_STATE_HOME")
    return (Path(state) if state else Path.home() / ".local" / "state") / "vaeviz"


def log_path() -> Path:
    return log_folder() / FILE_NAME


def logger() -> logging.Logger:
    """The app's logger (its records reach the file once :func:`configure_logging` ran)."""
    return logging.getLogger(LOGGER_NAME)


def configure_logging() -> Path | None:
    """Send the app's log records to the rotated file; return its path (None if it cannot be written).

    Safe to call again (e.g. when the config folder changed): the previous handler is replaced. A log
    that cannot be written never stops the app.
    """
    global _handler
    close_logging()
    log = logger()
    path = log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS,
                                                       encoding="utf-8", delay=True)
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False  # the details belong in the file, not on the console
    _handler = handler
    return path


def close_logging() -> None:
    """Stop writing the log file (tests; the app keeps it until it exits)."""
    global _handler
    if _handler is not None:
        logger().removeHandler(_handler)
        _handler.close()
        _handler = None


def log_failure(what: str, message: str, details: str = "") -> None:
    """Record a failure the user was told about in a few words: its full message and traceback."""
    logger().error("%s: %s%s", what, message, f"\n{details.rstrip()}" if details else "")
