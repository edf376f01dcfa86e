"""The latent dock opens on the shipped MNIST test split with its shipped VAE, offline; damaged files
fall back to the generated shapes and say so."""

from __future__ import annotations

from tests.ui.vae.vae_helpers import one_torch_thread  # noqa: F401  (fixture)
from vaeviz.core.data.datasets import DatasetError
from vaeviz.core.vae.lab_types import LabOptions
from vaeviz.ui.vae.dock import LatentDock
from vaeviz.workers.bridge import InlineRunner


def _started(qtbot) -> LatentDock:
    dock = LatentDock(InlineRunner())
    qtbot.addWidget(dock)
    dock.ensure_started()
    assert dock.session.ready(["vae"])
    return dock


def test_the_dock_opens_on_mnist_with_the_shipped_model(qtbot):
    dock = _started(qtbot)
    assert dock.session.data.key == "mnist-t10k" and dock.session.data.size == 10000
    assert dock.training.data.currentData() == "mnist"
    assert "MNIST (test split): 10,000 images of 28×28, 10 classes" in dock.training.data_label.text()
    pane = dock.figure.panes["vae"]
    assert "shipped checkpoint mnist10k-vae" in pane.title.text
    assert [label.text for _, label in pane.legend.items][:3] == ["0", "1", "2"]
    explain = dock.explain.toPlainText()
    assert "Recognisability" in explain and "0.87 of the originals'" in explain  # 0.8654 in its metadata
    assert "shapes" not in [dock.training.data.itemData(i) for i in range(dock.training.data.count())]


def test_damaged_shipped_files_fall_back_to_the_shapes_and_say_why(qtbot, monkeypatch, tmp_path):
    def damaged():
        raise DatasetError("the shipped MNIST file t10k-images-idx3-ubyte.gz is damaged")

    monkeypatch.setattr("vaeviz.core.vae.lab.load_shipped_mnist", damaged)
    monkeypatch.setattr(LatentDock, "lab_options", LabOptions(shapes_n=500, subset=200, quick_steps=15,
                                                              checkpoint_dir=str(tmp_path)))
    dock = _started(qtbot)
    assert dock.session.data.key == "shapes"
    assert "damaged" in dock.messages.text() and "Shapes instead" in dock.messages.text()
    assert dock.training.data.currentText() == "Shapes (generated; fallback)"
    assert "not measured" in dock.explain.toPlainText()  # a quick model has no recognisability figure
