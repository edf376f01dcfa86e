"""Core holds no colours or pixels: no module of vaeviz/core defines palettes or colour values, draws
images for display, or imports Qt, pyqtgraph or imageio. Those belong to vaeviz/ui (the EM frames carry
colour keys made by a function the UI passes in; the VAE lab's palette and GIF are in ui/vae).

Two modules are allowed what they need, for the reason given: reading the user's image files
(Pillow decodes them into arrays) and piping frames the UI rendered to ffmpeg.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import vaeviz.core

CORE = Path(vaeviz.core.__file__).parent
MODULES = sorted(CORE.rglob("*.py"))
FORBIDDEN = {
    "a palette": re.compile(r"\bPALETTE\b|\bpalette\s*=|label_colour"),
    "a colour value": re.compile(r"""["']#[0-9a-fA-F]{6}["']|\bQColor\b|\bmkColor\b"""),
    "Qt or pyqtgraph": re.compile(r"^\s*(from|import)\s+(PySide6|pyqtgraph|shiboken6)\b", re.M),
    "image writing": re.compile(r"^\s*(from|import)\s+imageio\b|\bQImage\b", re.M),
    "Pillow": re.compile(r"^\s*(from|import)\s+PIL\b", re.M),
}
ALLOWED = {
    ("data/datasets/files.py", "Pillow"),  # decodes the user's image files into grey arrays
    ("data/density_image.py", "Pillow"),  # decodes the user's image into a density (Density lab)
}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(CORE)))
def test_no_colours_or_pixels_in_core(path):
    text = path.read_text(encoding="utf-8")
    name = str(path.relative_to(CORE))
    found = [what for what, pattern in FORBIDDEN.items()
             if (name, what) not in ALLOWED and pattern.search(text)]
    assert not found, f"vaeviz/core/{name} holds {', '.join(found)}"


def test_the_scan_sees_every_lab_and_catches_a_palette(tmp_path):
    names = {str(p.relative_to(CORE)) for p in MODULES}
    assert {"em/lab.py", "vae/lab_views.py", "data/pointset.py", "grid.py"} <= names
    assert FORBIDDEN["a palette"].search("PALETTE = [(230, 25, 75)]")
    assert FORBIDDEN["a colour value"].search("RED = '#e6194b'")
    assert FORBIDDEN["Qt or pyqtgraph"].search("import numpy\nfrom PySide6.QtGui import QImage\n")
