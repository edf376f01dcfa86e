"""Figure and window export: PNG/SVG/PDF content, no stray files, clear failures, File menu."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from vaeviz.ui.export import ExportError, export_widget, export_window, format_for, is_blank, parse_size
from vaeviz.ui.settings import AppSettings

DOCK_IDS = ["density", "em", "kl", "latent"]


def _front_figure(window, qtbot, dock_id: str):
    """Raise a dock's tab and return its figure once it is on screen with a real size."""
    dock = window.docks[dock_id]
    dock.raise_()
    figure = dock.figure_widget()
    qtbot.waitUntil(lambda: figure.isVisible() and figure.width() > 100 and figure.height() > 100)
    return figure


def _check_png(image, path: Path, width: int) -> None:
    assert isinstance(image, QImage) and not is_blank(image)
    assert image.width() == width
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    loaded = QImage(str(path))
    assert loaded.size() == image.size() and not is_blank(loaded)


@pytest.mark.parametrize("dock_id", DOCK_IDS)
def test_each_dock_exports_png_svg_and_pdf(window, qtbot, tmp_path, dock_id):
    figure = _front_figure(window, qtbot, dock_id)

    png = tmp_path / f"{dock_id}.png"
    _check_png(export_widget(figure, png), png, figure.width())

    svg = export_widget(figure, tmp_path / f"{dock_id}.svg")
    assert isinstance(svg, bytes)
    assert svg.startswith(b"<?xml") and b"<svg" in svg
    assert f'viewBox="0 0 {figure.width()} {figure.height()}"'.encode() in svg
    assert (tmp_path / f"{dock_id}.svg").read_bytes() == svg

    pdf = export_widget(figure, tmp_path / f"{dock_id}.pdf")
    assert isinstance(pdf, bytes) and pdf.startswith(b"%PDF")
    assert (tmp_path / f"{dock_id}.pdf").read_bytes() == pdf
    assert (sorted(p.name for p in tmp_path.iterdir())
            == sorted(f"{dock_id}.{x}" for x in ("pdf", "png", "svg")))


def test_export_without_path_returns_data_and_writes_nothing(window, qtbot, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    figure = _front_figure(window, qtbot, "em")
    image = export_widget(figure)
    assert isinstance(image, QImage) and not is_blank(image)
    assert export_widget(figure, fmt="svg").startswith(b"<?xml")
    assert export_widget(figure, fmt="pdf").startswith(b"%PDF")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["figure.gif", "figure.jpeg", "figure"])
def test_unknown_extension_raises_and_writes_nothing(window, qtbot, tmp_path, name):
    figure = _front_figure(window, qtbot, "kl")
    with pytest.raises(ExportError, match="unsupported format"):
        export_widget(figure, tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_missing_folder_raises_oserror_and_writes_nothing(window, qtbot, tmp_path):
    figure = _front_figure(window, qtbot, "kl")
    with pytest.raises(OSError, match="does not exist"):
        export_widget(figure, tmp_path / "missing" / "figure.png")
    assert list(tmp_path.iterdir()) == []


def test_format_and_size_parsing():
    assert [format_for(f"a.{x}") for x in ("png", "SVG", "pdf")] == ["png", "svg", "pdf"]
    size = parse_size("640x480")
    assert (size.width(), size.height()) == (640, 480)
    for bad in ("640", "640x", "axb", "8x8", "640x480x2", "20000x10"):
        with pytest.raises(ExportError):
            parse_size(bad)


def test_export_window_matches_window_size(window, tmp_path):
    image = export_window(window)
    ratio = image.devicePixelRatio()
    assert (image.width(), image.height()) == (round(window.width() * ratio), round(window.height() * ratio))
    assert not is_blank(image)
    path = tmp_path / "window.png"
    export_window(window, path)
    assert QImage(str(path)).size() == image.size()
    with pytest.raises(ExportError, match="PNG only"):
        export_window(window, tmp_path / "window.svg")
    assert [p.name for p in tmp_path.iterdir()] == ["window.png"]


def test_export_figure_menu_writes_current_dock_and_remembers_folder(window, qtbot, tmp_path, monkeypatch):
    figure = _front_figure(window, qtbot, "kl")
    qtbot.waitUntil(lambda: window.current_dock() is window.docks["kl"])
    folder = tmp_path / "figures"
    folder.mkdir()
    asked = []

    def ask_save(title, filters, name):
        asked.append(name)
        return str(folder / "kl-figure")  # no suffix: PNG

    monkeypatch.setattr(window.files, "ask_save_path", ask_save)
    window.export_action.trigger()
    assert asked == ["kl.png"]
    out = folder / "kl-figure.png"
    loaded = QImage(str(out))
    assert not loaded.isNull() and not is_blank(loaded) and loaded.width() == figure.width()
    assert window.files.last_dialog is None
    window.settings.sync()
    assert Path(AppSettings().last_folder) == folder.resolve()


def test_export_figure_menu_reports_bad_extension(window, qtbot, tmp_path, monkeypatch):
    _front_figure(window, qtbot, "em")
    monkeypatch.setattr(window.files, "ask_save_path", lambda *args: str(tmp_path / "em.gif"))
    window.export_action.trigger()
    assert "could not be exported" in window.files.last_dialog.text()
    assert list(tmp_path.iterdir()) == []
    assert window.settings.last_folder != str(tmp_path)


def test_export_window_menu_writes_png(window, tmp_path, monkeypatch):
    monkeypatch.setattr(window.files, "ask_save_path", lambda *args: str(tmp_path / "shot"))
    window.export_window_action.trigger()
    image = QImage(str(tmp_path / "shot.png"))
    assert not image.isNull() and not is_blank(image)
    assert Path(window.settings.last_folder) == tmp_path.resolve()
