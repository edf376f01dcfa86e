"""The command line, in subprocesses: ``export``, usage errors, ``--self-test`` and no display."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

DOCK_IDS = ["density", "em", "kl", "latent"]


def run_vaeviz(*args: str, config: Path, env: dict | None = None, timeout: float = 100):
    """Run ``python -m vaeviz ARGS`` headless with its settings in ``config``."""
    if env is None:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env["VAEVIZ_CONFIG_DIR"] = str(config)
    return subprocess.run([sys.executable, "-m", "vaeviz", *args], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=Path(__file__).resolve().parents[1])


@pytest.fixture
def out(tmp_path) -> Path:
    """An empty output folder (settings live elsewhere, so it only ever holds exports)."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def test_export_list_prints_one_line_per_preset(isolated_settings):
    from vaeviz.ui.docks.registry import all_presets

    result = run_vaeviz("export", "--list", config=isolated_settings)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines == [f"{ref.dock_id} {ref.name}" for ref in all_presets()]
    assert all(len(line.split()) == 2 for line in lines)
    assert {f"{dock} overview" for dock in DOCK_IDS} <= set(lines)  # every dock has a default view


@pytest.mark.slow
@pytest.mark.parametrize("dock, ext", [("density", "png"), ("em", "png"), ("kl", "png"), ("latent", "png"),
                                       ("em", "svg"), ("latent", "pdf")])
def test_export_writes_file_at_requested_size(isolated_settings, out, dock, ext):
    path = out / f"{dock}.{ext}"
    result = run_vaeviz("export", "--dock", dock, "--preset", "overview", "--out", str(path),
                        "--size", "640x480",
                        config=isolated_settings)
    assert result.returncode == 0, result.stderr
    assert f"wrote {path}" in result.stdout and "640x480" in result.stdout
    data = path.read_bytes()
    if ext == "png":
        with Image.open(path) as image:
            assert image.size == (640, 480)
            assert any(lo != hi for lo, hi in image.convert("RGB").getextrema()), "blank image"
    elif ext == "svg":
        assert data.startswith(b"<?xml") and b"<svg" in data and b'viewBox="0 0 640 480"' in data
    else:
        assert data.startswith(b"%PDF")
    assert [p.name for p in out.iterdir()] == [path.name]


@pytest.mark.slow
def test_export_with_steps_and_default_size(isolated_settings, out):
    path = out / "kl.png"
    result = run_vaeviz("export", "--dock", "kl", "--preset", "overview", "--out", str(path), "--steps", "3",
                        config=isolated_settings)
    assert result.returncode == 0, result.stderr
    with Image.open(path) as image:
        assert image.size == (1000, 700)


BAD_EXPORTS = {
    "unknown dock": (["--dock", "nope", "--preset", "overview", "--out", "{out}/a.png"],
                     "unknown dock 'nope'"),
    "unknown preset": (["--dock", "em", "--preset", "nope", "--out", "{out}/a.png"], "unknown preset 'nope'"),
    "gif": (["--dock", "em", "--preset", "overview", "--out", "{out}/a.gif"], "unsupported format '.gif'"),
    "missing folder": (["--dock", "em", "--preset", "overview", "--out", "{out}/missing/a.png"],
                       "is missing or not writable"),
    "bad size": (["--dock", "em", "--preset", "overview", "--out", "{out}/a.png", "--size", "640by480"],
                 "size must look like"),
    "tiny size": (["--dock", "em", "--preset", "overview", "--out", "{out}/a.png", "--size", "2x2"],
                  "out of range"),
    "negative steps": (["--dock", "em", "--preset", "overview", "--out", "{out}/a.png", "--steps", "-1"],
                       "--steps must be from 0 to"),
    "endless steps": (["--dock", "latent", "--preset", "overview", "--out", "{out}/a.png", "--steps",
                       str(10**12)], "--steps must be from 0 to 5,000 for latent/overview"),
    "missing --out": (["--dock", "em", "--preset", "overview"], "missing --out"),
}


@pytest.mark.parametrize("case", list(BAD_EXPORTS))
def test_bad_export_exits_2_with_message_and_no_file(isolated_settings, out, case):
    args, message = BAD_EXPORTS[case]
    result = run_vaeviz("export", *(a.replace("{out}", str(out)) for a in args), config=isolated_settings)
    assert result.returncode == 2
    assert result.stderr.startswith("vaeviz export: ")
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""
    assert list(out.iterdir()) == []


def test_export_non_number_steps_is_a_usage_error(isolated_settings, out):
    result = run_vaeviz("export", "--dock", "em", "--preset", "overview", "--out", str(out / "a.png"),
                        "--steps", "many", config=isolated_settings)
    assert result.returncode == 2
    assert "usage" in result.stderr and "--steps" in result.stderr
    assert list(out.iterdir()) == []


def test_unknown_flag_prints_usage_and_exits_2(isolated_settings):
    result = run_vaeviz("--bogus", config=isolated_settings)
    assert result.returncode == 2
    assert "usage" in result.stderr and "--bogus" in result.stderr
    assert result.stdout == ""


def test_version_flag(isolated_settings):
    import vaeviz

    result = run_vaeviz("--version", config=isolated_settings)
    assert result.returncode == 0
    assert result.stdout.strip() == f"vaeviz {vaeviz.__version__}"


@pytest.mark.slow
def test_self_test_passes_in_one_line(isolated_settings):
    result = run_vaeviz("--self-test", config=isolated_settings)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    assert lines[0].startswith("vaeviz self-test: OK")
    assert "device cpu" in lines[0]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the display check is for Linux")
@pytest.mark.parametrize("flags", [[], ["--self-test"]], ids=["app", "self-test"])
def test_no_display_prints_one_line_about_xvfb_and_exits_1(isolated_settings, flags):
    """The self-test shows the window too: without a display it used to abort (exit 134) in Qt."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = run_vaeviz(*flags, config=isolated_settings, env=env, timeout=30)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "xvfb" in lines[0].lower()
    assert "qt.qpa" not in result.stderr and "qt.qpa" not in result.stdout
