"""A stand-in for ffmpeg for the animation export tests: it reads the raw frames the app pipes to it and
writes "<n> frames of <w>x<h>" to the output file (or fails on bad input), so tests count frames without a
real encoder."""

from __future__ import annotations

import sys

FAKE_FFMPEG = """
import sys
args = sys.argv[1:]
w, h = map(int, args[args.index("-s") + 1].split("x"))
data = sys.stdin.buffer.read()
if not data or len(data) % (w * h * 3):
    sys.stderr.write("bad input\\n")
    sys.exit(1)
with open(args[-1], "w") as fh:
    fh.write(f"{len(data) // (w * h * 3)} frames of {w}x{h}")
"""


def install_fake_ffmpeg(folder, monkeypatch) -> None:
    """Write the fake ffmpeg into ``folder`` and make the app use it (``VAEVIZ_FFMPEG``)."""
    fake = folder / "ffmpeg"
    fake.write_text(f"#!{sys.executable}\n{FAKE_FFMPEG}")
    fake.chmod(0o755)
    monkeypatch.setenv("VAEVIZ_FFMPEG", str(fake))
