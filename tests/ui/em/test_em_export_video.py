"""GMM & EM dock: the EM run exported as an MP4 through ffmpeg (a fake one here), or a clear message
without it."""

from __future__ import annotations

import pytest
from em_helpers import make_dock

from tests.ui.fake_ffmpeg import install_fake_ffmpeg
from vaeviz.ui.animation import NO_ENCODER


@pytest.fixture
def dock(qtbot):
    d = make_dock(qtbot)
    yield d
    d.shutdown()


def ask_with(lab, monkeypatch, path) -> list:
    """Answer the save dialog with ``path``; returns the list of the filters it was offered."""
    offered = []

    def ask(title, filters, name):
        offered.append(filters)
        return str(path)

    monkeypatch.setattr(lab, "ask_save_path", ask)
    return offered


def test_mp4_export_with_an_encoder(dock, qtbot, tmp_path, monkeypatch):
    install_fake_ffmpeg(tmp_path, monkeypatch)
    lab = dock.lab
    lab.runner.goto(8)
    video = tmp_path / "out" / "run.mp4"
    video.parent.mkdir()
    offered = ask_with(lab, monkeypatch, video)
    assert "Animation" in lab.side.export_gif.text() and "MP4" in lab.side.export_gif.toolTip()
    lab.side.export_gif.click()
    assert offered == ["GIF animation (*.gif);;MP4 video (*.mp4)"]
    qtbot.waitUntil(lambda: "written" in lab.messages.text(), timeout=20000)
    frames, size = video.read_text().split(" frames of ")
    assert int(frames) == 9 + 7  # nine half-steps, the last held ~1.5 s like the GIF's
    assert int(size.split("x")[0]) <= 760
    assert [p.name for p in video.parent.iterdir()] == ["run.mp4"]
    assert lab.runner.pos == 8


def test_mp4_without_an_encoder_says_so_and_writes_nothing(dock, qtbot, tmp_path, monkeypatch):
    monkeypatch.delenv("VAEVIZ_FFMPEG", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    lab = dock.lab
    lab.runner.goto(4)
    folder = tmp_path / "out"
    folder.mkdir()
    offered = ask_with(lab, monkeypatch, folder / "run.mp4")
    lab.side.export_gif.click()
    assert offered == ["GIF animation (*.gif)"]  # no MP4 offered without ffmpeg
    assert NO_ENCODER in lab.messages.text() and lab.messages.isVisible()
    qtbot.wait(200)
    assert list(folder.iterdir()) == []


def test_other_extensions_are_refused(dock, tmp_path, monkeypatch):
    lab = dock.lab
    ask_with(lab, monkeypatch, tmp_path / "run.png")
    lab.side.export_gif.click()
    assert "not .png" in lab.messages.text()
    assert list(tmp_path.iterdir()) == []
