"""MP4 encoding through an external ffmpeg (Qt-free).

vaeviz ships no video encoder: when ``ffmpeg`` is on the PATH (or named by the ``VAEVIZ_FFMPEG``
environment variable) the frames are piped to it as raw RGB and it writes H.264 in an MP4. The video
goes to a temporary file next to the destination and is moved onto it only when ffmpeg succeeded, so a
failed or cancelled export never leaves a half-written video.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from vaeviz.core.jobs import Progress

ENV_VAR = "VAEVIZ_FFMPEG"
STDERR_TAIL = 400  # characters of ffmpeg's error output quoted in a failure message

Frame = tuple[int, int, bytes]  # (width, height, RGB bytes, row after row)


def find_mp4_encoder() -> str | None:
    """Path of the ffmpeg to use: ``$VAEVIZ_FFMPEG`` when set (a path or a name on the PATH), else
    ``ffmpeg`` on the PATH; ``None`` when there is none."""
    name = os.environ.get(ENV_VAR, "").strip() or "ffmpeg"
    return shutil.which(name)


def ffmpeg_command(ffmpeg: str, width: int, height: int, fps: float, out: str) -> list[str]:
    """The ffmpeg command line reading rgb24 frames on stdin; the pad makes both sides even (yuv420p)."""
    return [ffmpeg, "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24",
            "-s", f"{width}x{height}",
            "-r", f"{fps:g}", "-i", "-", "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-c:v", "libx264",
            "-pix_fmt", "yuv420p", "-movflags", "+faststart", "-f", "mp4", out]


def _check_frames(frames: list[Frame]) -> tuple[int, int]:
    if not frames:
        raise ValueError("There are no frames to encode.")
    width, height = frames[0][0], frames[0][1]
    if width <= 0 or height <= 0:
        raise ValueError(f"Frames must not be empty (got {width}×{height}).")
    for i, (w, h, data) in enumerate(frames):
        if (w, h) != (width, height):
            raise ValueError(f"All frames must have the same size: frame 1 is {width}×{height}, "
                             f"frame {i + 1} is {w}×{h}.")
        if len(data) != w * h * 3:
            raise ValueError(f"Frame {i + 1} has {len(data)} bytes, not {w}×{h}×3 = {w * h * 3}.")
    return width, height


def _tail(errors) -> str:
    errors.seek(0)
    text = errors.read().decode("utf-8", "replace").strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    tail = " | ".join(lines)  # one line: the dock shows the first line of an error
    return tail[-STDERR_TAIL:] if tail else "no error output"


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def encode_mp4_steps(frames: list[Frame], path: str | os.PathLike, fps: float,
                     ffmpeg: str) -> Iterator[Progress | None]:
    """Pipe ``frames`` to ``ffmpeg`` and write an H.264 MP4 at ``path`` atomically; returns the path.

    Yields :class:`Progress` after each frame and ``None`` (preemption points) while ffmpeg finishes.
    Raises ``ValueError`` for bad frames or arguments and ``RuntimeError`` when ffmpeg cannot run or
    fails (with the end of its error output). Closing the generator early kills ffmpeg; in every
    failure the temporary file is removed and ``path`` is left as it was.
    """
    width, height = _check_frames(frames)
    if not fps > 0:
        raise ValueError(f"The frame rate must be positive (got {fps}).")
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise ValueError(f"The folder does not exist: {folder}")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    os.close(fd)
    proc = None
    done = False
    with tempfile.TemporaryFile() as errors:  # a file, not a pipe: ffmpeg can never block on it
        try:
            try:
                proc = subprocess.Popen(ffmpeg_command(ffmpeg, width, height, fps, tmp),
                                        stdin=subprocess.PIPE,
                                        stdout=subprocess.DEVNULL, stderr=errors)
            except OSError as exc:
                raise RuntimeError(f"Could not start ffmpeg ({ffmpeg}): {exc.strerror or exc}") from exc
            for i, (_w, _h, data) in enumerate(frames):
                try:
                    proc.stdin.write(data)
                except (BrokenPipeError, OSError):
                    break  # ffmpeg stopped reading: its exit code and error output say why
                yield Progress(0.95 * (i + 1) / len(frames), "encoding MP4")
            try:
                proc.stdin.close()
            except OSError:
                pass
            while proc.poll() is None:
                time.sleep(0.01)
                yield None
            if proc.returncode != 0:
                raise RuntimeError(f"ffmpeg failed (exit code {proc.returncode}): {_tail(errors)}")
            if os.path.getsize(tmp) == 0:
                raise RuntimeError(f"ffmpeg wrote no video: {_tail(errors)}")
            os.chmod(tmp, target.stat().st_mode & 0o7777 if target.exists() else _default_mode())
            os.replace(tmp, target)
            done = True
        finally:
            if proc is not None and proc.poll() is None:  # failed or closed early: stop ffmpeg
                proc.kill()
                proc.wait()
            if proc is not None and proc.stdin is not None and not proc.stdin.closed:
                try:
                    proc.stdin.close()
                except OSError:
                    pass
            if not done:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
    yield Progress(1.0, "MP4 written", value=str(target))
    return str(target)
