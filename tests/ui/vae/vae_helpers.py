"""Fixtures and helpers of the latent dock's tests (a dock on an InlineRunner, small data, a quick model)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from vaeviz.core.vae.lab_data import DataSource
from vaeviz.core.vae.lab_types import LabOptions
from vaeviz.ui.vae.dock import LatentDock
from vaeviz.workers.bridge import InlineRunner


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """InlineRunner jobs run torch in this process: one thread, like the worker under tests/conftest.py."""
    import torch

    threads, _ = torch.get_num_threads(), torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def small_lab(tmp_path, monkeypatch) -> LabOptions:
    """Small generated data, a 15-step quick model, no shipped checkpoints, no network."""
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    options = LabOptions(shapes_n=500, subset=200, quick_steps=15, checkpoint_dir=str(folder),
                         mnist_base_url="http://127.0.0.1:9/", mnist_cache=str(tmp_path / "cache"))
    monkeypatch.setattr(LatentDock, "lab_options", options)
    monkeypatch.setattr(LatentDock, "start_data", DataSource("shapes"))
    return options


@pytest.fixture
def dock(qtbot, small_lab) -> LatentDock:
    dock = LatentDock(InlineRunner())
    qtbot.addWidget(dock)
    dock.resize(1280, 760)
    with qtbot.waitExposed(dock):
        dock.show()
    dock.ensure_started()  # InlineRunner: the lab is ready when this returns
    assert dock.session.ready(["vae"])
    return dock


def _pane(dock, role="vae"):
    return dock.figure.panes[role]


def _image(box) -> np.ndarray:  # what an ImageBox shows, in [0, 1] (grey images are drawn as RGBA)
    return np.array(box.image.image)[..., 0] / 255.0


def _choose_data(dock, value: str) -> None:
    """Pick a data set in the combo as the user does (``activated``, not a programmatic change)."""
    dock.training.data.setCurrentIndex(dock.training.data.findData(value))
    dock.training.data.activated.emit(dock.training.data.currentIndex())


def _mouse(widget, kind, pos, button, buttons, modifiers=Qt.KeyboardModifier.NoModifier):
    event = QMouseEvent(kind, QPointF(pos), QPointF(widget.mapToGlobal(pos)), button, buttons, modifiers)
    QApplication.sendEvent(widget, event)


def _viewport_pos(dock, x, y):
    scene = _pane(dock).plot.getViewBox().mapViewToScene(QPointF(x, y))
    return dock.figure.mapFromScene(scene)
