"""The latent dock opens on the shipped MNIST test split with its shipped VAE, offline."""

from __future__ import annotations

from tests.ui.vae.vae_helpers import one_torch_thread  # noqa: F401  (fixture)
from vaeviz.ui.vae.dock import LatentDock
from vaeviz.workers.bridge import InlineRunner


def test_the_dock_opens_on_mnist_with_the_shipped_model(qtbot):
    dock = LatentDock(InlineRunner())
    qtbot.addWidget(dock)
    dock.ensure_started()
    assert dock.session.ready(["vae"])
    assert dock.session.data.key == "mnist-t10k" and dock.session.data.size == 10000
    assert dock.training.data.currentData() == "mnist"
    assert "MNIST (test split): 10,000 images of 28×28, 10 classes" in dock.training.data_label.text()
    pane = dock.figure.panes["vae"]
    assert "shipped checkpoint mnist10k-vae" in pane.title.text
    assert [label.text for _, label in pane.legend.items][:3] == ["0", "1", "2"]
