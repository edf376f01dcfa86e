"""Core holds no colours or pixels: no module of vaeviz/core/vae defines palettes or imports PIL, imageio
or Qt (those belong to vaeviz/ui/vae)."""

from __future__ import annotations

from pathlib import Path

import pytest

import vaeviz.core.vae

CORE_VAE = Path(vaeviz.core.vae.__file__).parent
FORBIDDEN = ("PALETTE", "label_colour", "from PIL", "import PIL", "import imageio", "from imageio",
             "PySide6", "pyqtgraph", "QtCore", "QtGui")


@pytest.mark.parametrize("path", sorted(CORE_VAE.glob("*.py")), ids=lambda p: p.name)
def test_no_colours_pixels_or_qt_in_core_vae(path):
    text = path.read_text(encoding="utf-8")
    found = [word for word in FORBIDDEN if word in text]
    assert not found, f"{path.name} mentions {', '.join(found)}"


def test_the_scan_sees_the_modules():
    assert {"lab_views.py", "images.py", "lab_jobs.py"} <= {p.name for p in CORE_VAE.glob("*.py")}
