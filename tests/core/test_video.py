"""MP4 encoding through ffmpeg (vaeviz.core.video), with a fake ffmpeg:
a script that checks what it is fed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from vaeviz.core.jobs import Progress
from vaeviz.core.video import encode_mp4_steps, find_mp4_encoder

FAKE_OK = """
import sys
args = sys.argv[1:]
assert args[args.index("-f") + 1] == "rawvideo" and args[args.index("-pix_fmt") + 1] == "rgb24", args
assert args[args.index("-i") + 1] == "-" and args[-2:-1] == ["mp4"], args
w, h = map(int, args[args.index("-s") + 1].split("x"))
data = sys.stdin.buffer.read()
frame = w * h * 3
if not data or len(data) % frame:
    sys.stderr.write(f"bad input: {len(data)} bytes for {w}x{h}\\n")
    sys.exit(1)
with open(args[-1], "wb") as fh:
    fh.write(f"fake mp4: {len(data) // frame} frames of {w}x{h} at {args[args.index('-r') + 1]} fps".encode())
"""

FAKE_FAIL = """
import sys
sys.stdin.buffer.read()
open(sys.argv[-1], "wb").write(b"half a video")
sys.stderr.write("first line\\nUnknown encoder 'libx264'\\n")
sys.exit(1)
"""


def write_fake_ffmpeg(folder: Path, body: str = FAKE_OK) -> Path:
    """An executable ``ffmpeg`` in ``folder`` running ``body`` with this Python."""
    script = folder / "ffmpeg"
    script.write_text(f"#!{sys.executable}\n{body}")
    script.chmod(0o755)
    return script


def frames(n: int, w: int = 5, h: int = 3) -> list[tuple[int, int, bytes]]:
    return [(w, h, bytes([i % 256]) * (w * h * 3)) for i in range(n)]


@pytest.fixture
def out(tmp_path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def run(gen) -> tuple[list[Progress], object]:
    """Drive a job generator to the end: its progress snapshots (no preemption points) and its result."""
    snapshots = []
    while True:
        try:
            snapshot = next(gen)
        except StopIteration as stop:
            return snapshots, stop.value
        if snapshot is not None:
            snapshots.append(snapshot)


def test_find_mp4_encoder_follows_the_environment(tmp_path, monkeypatch):
    fake = write_fake_ffmpeg(tmp_path)
    monkeypatch.setenv("VAEVIZ_FFMPEG", str(fake))
    assert find_mp4_encoder() == str(fake)
    monkeypatch.setenv("VAEVIZ_FFMPEG", str(tmp_path / "missing"))
    assert find_mp4_encoder() is None  # an explicit choice does not fall back to the PATH
    monkeypatch.delenv("VAEVIZ_FFMPEG")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_mp4_encoder() == str(fake)
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert find_mp4_encoder() is None


def test_encode_writes_atomically_with_rising_progress(tmp_path, out, monkeypatch):
    monkeypatch.setenv("VAEVIZ_FFMPEG", str(write_fake_ffmpeg(tmp_path)))
    target = out / "run.mp4"
    snapshots, result = run(encode_mp4_steps(frames(7), target, 5.5, find_mp4_encoder()))
    assert result == str(target)
    assert target.read_text() == "fake mp4: 7 frames of 5x3 at 5.5 fps"
    assert [p.name for p in out.iterdir()] == ["run.mp4"]  # no temporary file left
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask  # not the temporary file's 0600
    fractions = [p.fraction for p in snapshots]
    assert fractions == sorted(fractions) and len(set(fractions)) == len(fractions)
    assert 0 < fractions[0] and fractions[-1] == 1.0


def test_encode_replaces_an_existing_file(tmp_path, out):
    target = out / "run.mp4"
    target.write_bytes(b"old")
    run(encode_mp4_steps(frames(2), target, 10, str(write_fake_ffmpeg(tmp_path))))
    assert target.read_text().startswith("fake mp4: 2 frames")


def test_ffmpeg_failure_reports_its_error_and_leaves_nothing(tmp_path, out):
    fake = write_fake_ffmpeg(tmp_path, FAKE_FAIL)
    target = out / "run.mp4"
    with pytest.raises(RuntimeError, match="exit code 1") as info:
        run(encode_mp4_steps(frames(3), target, 5, str(fake)))
    assert "Unknown encoder 'libx264'" in str(info.value) and "\n" not in str(info.value)
    assert list(out.iterdir()) == []


def test_ffmpeg_failure_keeps_an_existing_file(tmp_path, out):
    target = out / "run.mp4"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        run(encode_mp4_steps(frames(3), target, 5, str(write_fake_ffmpeg(tmp_path, FAKE_FAIL))))
    assert target.read_bytes() == b"old" and [p.name for p in out.iterdir()] == ["run.mp4"]


def test_an_encoder_that_cannot_start_is_explained(tmp_path, out):
    not_executable = tmp_path / "ffmpeg"
    not_executable.write_text("not a program")
    with pytest.raises(RuntimeError, match="Could not start ffmpeg"):
        run(encode_mp4_steps(frames(2), out / "run.mp4", 5, str(not_executable)))
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("bad, words", [
    (frames(2) + frames(1, w=6), "same size"),
    ([(5, 3, b"\0" * 10)], "bytes"),
    ([], "no frames"),
])
def test_bad_frames_are_refused(tmp_path, out, bad, words):
    with pytest.raises(ValueError, match=words):
        run(encode_mp4_steps(bad, out / "run.mp4", 5, str(write_fake_ffmpeg(tmp_path))))
    assert list(out.iterdir()) == []


def test_closing_early_kills_ffmpeg_and_removes_the_temporary_file(tmp_path, out, monkeypatch):
    pids = []
    real_popen = subprocess.Popen

    def spy(*args, **kwargs):
        proc = real_popen(*args, **kwargs)
        pids.append(proc)
        return proc

    monkeypatch.setattr(subprocess, "Popen", spy)
    gen = encode_mp4_steps(frames(50), out / "run.mp4", 5, str(write_fake_ffmpeg(tmp_path)))
    assert next(gen).fraction < 0.1
    assert len(list(out.iterdir())) == 1  # the temporary file, while encoding
    gen.close()
    assert list(out.iterdir()) == []
    assert pids and pids[0].poll() is not None  # ffmpeg was stopped and reaped


def _real_ffmpeg() -> str | None:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        return None
    encoders = subprocess.run([ffmpeg, "-hide_banner", "-encoders"], capture_output=True, text=True).stdout
    return ffmpeg if "libx264" in encoders else None


@pytest.mark.skipif(_real_ffmpeg() is None, reason="no ffmpeg with libx264 on the PATH")
def test_real_ffmpeg_writes_an_mp4_from_odd_sized_frames(out):
    target = out / "run.mp4"
    run(encode_mp4_steps(frames(6, w=33, h=21), target, 5, _real_ffmpeg()))
    data = target.read_bytes()
    assert data[4:8] == b"ftyp" and len(data) > 100
    assert [p.name for p in out.iterdir()] == ["run.mp4"]
