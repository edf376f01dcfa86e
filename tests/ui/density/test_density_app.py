"""The Density dock in the real window, with the real compute worker: the app opens on a finished figure,
a held slider's frames and the VAE's training come from the worker thread, and the EM lab sees its data."""

from __future__ import annotations

import math

import numpy as np

from tests.ui.density.conftest import SMALL
from vaeviz.core.density.state import EstimatorSettings
from vaeviz.ui.density.controls import BANDWIDTH_STEPS
from vaeviz.ui.density.dock import DensityDock


def test_the_app_opens_on_a_finished_density_figure(make_window, qtbot):
    window = make_window()
    lab = window.docks["density"].lab
    qtbot.waitUntil(lambda: lab.heat is not None and lab.table is not None and not lab.controller.busy,
                    timeout=60_000)
    assert lab.figure.main.heat.image is not None and len(lab.figure.main.contours.getData()[0]) > 0
    assert lab.messages.text() == "" and "Kernel density" in lab.figure.title.text()


def test_slider_frames_and_the_vae_come_from_the_worker(make_window, qtbot, monkeypatch):
    from vaeviz.ui.shared_data import shared_pointset

    monkeypatch.setattr(DensityDock, "start_state", SMALL)
    window = make_window()
    dock = window.docks["density"]
    lab = dock.lab
    qtbot.waitUntil(lambda: lab.heat is not None and not lab.controller.busy, timeout=60_000)
    assert shared_pointset(window.docks["em"]) is lab.points
    before = lab.figure.main.heat.image.copy()
    lab.controls.rule.setCurrentIndex(lab.controls.rule.findData("manual"))
    slider = lab.controls.bandwidth
    slider.setSliderDown(True)
    slider.setValue(BANDWIDTH_STEPS // 3)
    qtbot.waitUntil(lambda: not np.array_equal(lab.figure.main.heat.image, before), timeout=30_000)
    slider.setSliderDown(False)
    slider.sliderReleased.emit()
    qtbot.waitUntil(lambda: not lab.controller.busy and math.isfinite(lab.heat.snapshot.held_ll),
                    timeout=30_000)
    from dataclasses import replace

    assert lab.apply_state(replace(lab.state, estimator="vae",
                                   settings=replace(lab.state.settings, vae_steps=60, vae_k=8)))
    lab.controls.train.click()
    qtbot.waitUntil(lambda: lab.vae_heat is not None and not lab.controller.busy, timeout=60_000)
    assert lab.figure.elbo.heat.image is not None and lab.controls.progress.value() == 1000
    assert isinstance(lab.state.settings, EstimatorSettings)
