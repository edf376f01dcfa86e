"""Versioned lab states: the one upgrade loop every lab's ``migrate`` runs, and small JSON part checks.

A lab keeps a table ``{version: upgrade}``; each upgrade turns a state of that version into one of the
next version. Files written by any earlier vaeviz are upgraded step by step before they are read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Migrations = dict[int, Callable[[dict], dict]]


def upgrade(raw: Any, what: str, current: int, migrations: Migrations) -> dict:
    """``raw`` upgraded to version ``current`` (the dict is not changed); ``ValueError`` naming ``what``
    for a state that is not an object, of an unknown version, or newer than this vaeviz knows."""
    if not isinstance(raw, dict):
        raise ValueError(f"the {what} state must be an object")
    version = raw.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ValueError(f"unknown {what} state version {version!r}")
    if version > current:
        raise ValueError(f"{what} state version {version} is newer than this vaeviz knows")
    while version < current:
        raw = migrations[version](raw)
        version = raw["version"]
    return raw


def json_part(raw: dict, key: str) -> dict:
    """The object ``raw[key]`` ({} when absent); ``ValueError`` if it is something else."""
    part = raw.get(key, {})
    if not isinstance(part, dict):
        raise ValueError(f"'{key}' must be an object")
    return part
