"""Session files: versioned JSON that each dock contributes its state to.

Loading validates everything before anything is applied, so a bad file leaves the app untouched.
"""

from __future__ import annotations

import json
import os
from typing import Any

from vaeviz.core.atomic import write_text_atomic
from vaeviz.core.limits import (
    MAX_JSON_ARRAYS,
    MAX_JSON_DEPTH,
    MAX_JSON_VALUES,
    SESSION,
    check_json_depth,
    read_bytes,
)

FORMAT = "vaeviz-session"
VERSION = 1


class SessionError(ValueError):
    """A session file that cannot be used; the message says why, for the user."""


def make_session(docks: dict[str, dict], app_version: str, extra: dict | None = None) -> dict:
    """Build the session document from each dock's state (keyed by dock id)."""
    doc = {"format": FORMAT, "version": VERSION, "app_version": app_version, "docks": docks}
    if extra:
        doc.update(extra)
    return doc


def parse_session(text: str) -> dict:
    """Parse and check a session document; raise :class:`SessionError` with a clear reason."""
    values, arrays = text.count(",") + 1, text.count("[")  # upper bounds, counted in C before parsing
    if values > MAX_JSON_VALUES or arrays > MAX_JSON_ARRAYS:
        raise SessionError(f"the session holds up to {max(values, arrays):,} values or arrays; the limit is "
                           f"{MAX_JSON_VALUES:,} values and {MAX_JSON_ARRAYS:,} arrays (200,000 points)")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SessionError(f"not a JSON file (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except RecursionError:  # the C parser's own guard against nesting thousands of levels deep
        raise SessionError(f"the document nests more than {MAX_JSON_DEPTH} levels deep") from None
    check_json_depth(doc, SessionError)
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise SessionError("not a vaeviz session (the 'format' field is missing or different)")
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise SessionError("the session has no valid 'version' number")
    if version > VERSION:
        raise SessionError(
            f"the session was saved by a newer vaeviz (session version {version}; "
            f"this vaeviz reads up to {VERSION})"
        )
    if version < 1:
        raise SessionError(f"unknown session version {version}")
    docks = doc.get("docks")
    if not isinstance(docks, dict) or not all(isinstance(v, dict) for v in docks.values()):
        raise SessionError("the session's 'docks' field must map dock names to objects")
    return doc


def read_session(path: str | os.PathLike) -> dict:
    """Read and check a session file."""
    data = read_bytes(path, SESSION, SessionError)  # a regular file within the limit, or SessionError
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SessionError("not a text file") from None
    return parse_session(text)


def write_session(path: str | os.PathLike, doc: dict[str, Any]) -> None:
    """Write a session atomically (temporary file + replace): a failure leaves any old file intact."""
    write_text_atomic(path, json.dumps(doc, indent=2, sort_keys=True, allow_nan=False) + "\n")
