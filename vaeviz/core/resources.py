"""One resolver for shipped resources: source checkout, installed wheel and frozen app alike.

- frozen (PyInstaller): the spec copies ``resources/`` to ``<bundle>/resources``;
- installed wheel: the build force-includes ``resources/`` as ``vaeviz/_resources``;
- source checkout / editable install: ``<repo>/resources`` beside the package.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1)
def resources_dir() -> Path:
    """Return the folder holding the shipped resources.

    Raises ``FileNotFoundError`` naming every place looked at when none exists.
    """
    package = Path(__file__).resolve().parent.parent  # .../vaeviz
    candidates = []
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        candidates.append(Path(bundle) / "resources")
    candidates += [package / "_resources", package.parent / "resources"]
    for folder in candidates:
        if folder.is_dir():
            return folder
    raise FileNotFoundError("vaeviz resources not found; looked in: " + ", ".join(map(str, candidates)))


def resource_path(*parts: str) -> Path:
    """Return the path of a shipped resource, e.g. ``resource_path("icons", "vaeviz.png")``."""
    path = resources_dir().joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"missing resource: {path}")
    return path
