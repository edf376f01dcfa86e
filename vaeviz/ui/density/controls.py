"""The lab's side panel, bound to :class:`~vaeviz.core.density.state.DensityLabState`: the mode, the
estimator and its settings, the view, the data and the data tools.

:meth:`DensityControls.show_state` writes a state into the widgets with their signals blocked; every edit
emits :attr:`DensityControls.edited` with the state the widgets now describe and whether a slider is still
held (``live``: the lab then shows quick frames and leaves the table for the release), and the lab
applies it through its one path, ``apply_state``.
"""

from __future__ import annotations

import math
from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from vaeviz.core.density.histogram import MAX_BINS
from vaeviz.core.density.lab import ESTIMATOR_NAMES
from vaeviz.core.density.mixture import COVARIANCE_TYPES, MAX_COMPONENTS
from vaeviz.core.density.state import (
    BANDWIDTH_RULES,
    CUSTOM_DATA,
    ESTIMATORS,
    ESTIMATORS_1D,
    MAX_POINTS,
    MAX_SAMPLES,
    MAX_SEED,
    MAX_VAE_K,
    MAX_VAE_STEPS,
    PRESET_1D,
    PRESETS_2D,
    DataChoice,
    DensityLabState,
)

MODE_NAMES = {"2d": "2-D density estimation", "1d": "1-D: the lecture's mixture (μ = ±10)"}
RULE_NAMES = {"scott": "Scott's rule", "silverman": "Silverman's rule", "held-out": "best held-out",
              "manual": "by hand (slider)"}
BANDWIDTH_LOW, BANDWIDTH_HIGH, BANDWIDTH_STEPS = 0.01, 10.0, 300  # the slider, log-spaced
TOOL_NAMES = {"select": "Pan", "add": "Add", "spray": "Spray", "erase": "Erase"}


def bandwidth_of_slider(position: int) -> float:
    """h at a slider position: log-spaced from 0.01 to 10."""
    t = position / BANDWIDTH_STEPS
    return float(BANDWIDTH_LOW * (BANDWIDTH_HIGH / BANDWIDTH_LOW) ** t)


def slider_of_bandwidth(h: float) -> int:
    h = min(max(h, BANDWIDTH_LOW), BANDWIDTH_HIGH)
    return round(BANDWIDTH_STEPS * math.log(h / BANDWIDTH_LOW) / math.log(BANDWIDTH_HIGH / BANDWIDTH_LOW))


def switch_mode(state: DensityLabState, mode: str) -> DensityLabState:
    """The state in another mode: the 1-D mode has its own data (the lecture's mixture) and estimators."""
    if mode == state.mode:
        return state
    if mode == "1d":
        estimator = state.estimator if state.estimator in ESTIMATORS_1D else "kde"
        return replace(state, mode="1d", estimator=estimator, data=DataChoice(PRESET_1D, 500, 0))
    # back in 2-D the shared points are the data as they are (reloading a preset would replace them)
    return replace(state, mode="2d", data=DataChoice(CUSTOM_DATA))


def _show_value(widget, value) -> None:
    """Set a spin box's or slider's value if it differs: setting the same value still repaints the box, and
    every move of a held slider shows the whole state again."""
    if widget.value() != value:
        widget.setValue(value)


def _spin(low: int, high: int, step: int = 1) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setSingleStep(step)
    spin.setKeyboardTracking(False)
    return spin


class DensityControls(QScrollArea):
    edited = Signal(object, bool)  # the DensityLabState the widgets now describe; live (a slider is held)

    def __init__(self, presets: list[tuple[str, str]]) -> None:
        super().__init__()
        self.setObjectName("densityControls")
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # (it scrolls down only)
        self.state = DensityLabState()
        inner = QWidget()
        self.setWidget(inner)
        column = QVBoxLayout(inner)
        column.setContentsMargins(4, 4, 4, 4)

        self.preset = QComboBox()
        for name, description in presets:
            self.preset.addItem(name, name)
            self.preset.setItemData(self.preset.count() - 1, description, Qt.ItemDataRole.ToolTipRole)
        self.apply_preset = QPushButton("Apply preset")
        row = QHBoxLayout()
        row.addWidget(self.preset, 1)
        row.addWidget(self.apply_preset)
        column.addLayout(row)
        self.mode = QComboBox()
        for key, name in MODE_NAMES.items():
            self.mode.addItem(name, key)
        column.addWidget(self.mode)

        box = QGroupBox("Estimator")
        form = QFormLayout(box)
        self.estimator = QComboBox()
        for key in ESTIMATORS:
            self.estimator.addItem(ESTIMATOR_NAMES[key], key)
        form.addRow("Shown", self.estimator)
        self.bins = QSlider(Qt.Orientation.Horizontal)
        self.bins.setRange(1, 120)
        self.bins_spin = _spin(0, MAX_BINS)
        self.bins_spin.setToolTip("0 is refused with a message: a histogram needs at least one bin")
        form.addRow("Histogram bins", self._pair(self.bins, self.bins_spin))
        self.rule = QComboBox()
        for key in BANDWIDTH_RULES:
            self.rule.addItem(RULE_NAMES[key], key)
        form.addRow("KDE bandwidth", self.rule)
        self.bandwidth = QSlider(Qt.Orientation.Horizontal)
        self.bandwidth.setRange(0, BANDWIDTH_STEPS)
        self.bandwidth.setToolTip("h, log-spaced from 0.01 to 10")
        self.bandwidth_spin = QDoubleSpinBox()
        self.bandwidth_spin.setRange(0.0, 100.0)
        self.bandwidth_spin.setDecimals(3)
        self.bandwidth_spin.setSingleStep(0.01)
        self.bandwidth_spin.setKeyboardTracking(False)
        form.addRow("h", self._pair(self.bandwidth, self.bandwidth_spin))
        self.components = _spin(0, MAX_COMPONENTS)
        form.addRow("Mixture K", self.components)
        self.covariance = QComboBox()
        for key in COVARIANCE_TYPES:
            self.covariance.addItem(key, key)
        form.addRow("Covariance", self.covariance)
        self.ar_marginal = QComboBox()
        self.ar_conditional = QComboBox()
        for combo in (self.ar_marginal, self.ar_conditional):
            combo.addItem("histogram", "histogram")
            combo.addItem("KDE", "kde")
        form.addRow("p(x₁) by", self.ar_marginal)
        form.addRow("p(x₂ | x₁) by", self.ar_conditional)
        self.ar_bins = _spin(1, 200)
        form.addRow("x₁ slices", self.ar_bins)
        self.vae_latent = QComboBox()
        self.vae_latent.addItem("latent size 1", 1)
        self.vae_latent.addItem("latent size 2", 2)
        form.addRow("VAE", self.vae_latent)
        self.vae_k = _spin(1, MAX_VAE_K, 16)
        self.vae_k.setToolTip("importance samples K per point for log p(x)")
        form.addRow("VAE samples K", self.vae_k)
        self.vae_steps = _spin(1, MAX_VAE_STEPS, 100)
        form.addRow("VAE steps", self.vae_steps)
        self.train = QPushButton("Train VAE")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        form.addRow(self.train, self.progress)
        column.addWidget(box)

        box = QGroupBox("View")
        form = QFormLayout(box)
        self.scale = QComboBox()
        self.scale.addItem("linear p(x)", "linear")
        self.scale.addItem("log p(x)", "log")
        form.addRow("Scale", self.scale)
        self.slice_on = QCheckBox("Slice x₁ = a (drag the line)")
        self.slice_at = QDoubleSpinBox()
        self.slice_at.setRange(-1e4, 1e4)
        self.slice_at.setDecimals(2)
        self.slice_at.setSingleStep(0.1)
        self.slice_at.setKeyboardTracking(False)
        form.addRow(self.slice_on, self.slice_at)
        self.samples = _spin(0, MAX_SAMPLES, 100)
        self.samples.setToolTip("points drawn from the fitted model (p_model), over the data (p_data)")
        form.addRow("Samples from p_model", self.samples)
        self.held_out = QDoubleSpinBox()
        self.held_out.setRange(0.05, 0.9)
        self.held_out.setSingleStep(0.05)
        self.held_out.setKeyboardTracking(False)
        form.addRow("Held-out fraction", self.held_out)
        self.split_seed = _spin(0, MAX_SEED)
        form.addRow("Split seed", self.split_seed)
        column.addWidget(box)

        box = QGroupBox("Data (shared with GMM && EM)")
        form = QFormLayout(box)
        self.data_preset = QComboBox()
        for name in (*PRESETS_2D, PRESET_1D):
            self.data_preset.addItem(name, name)
        self.data_preset.addItem("custom (drawn / imported / image)", CUSTOM_DATA)
        form.addRow("Preset", self.data_preset)
        self.n = _spin(0, MAX_POINTS, 100)
        self.n.setToolTip("N below 2 is refused with a message: a density and its held-out split need data")
        form.addRow("N", self.n)
        self.data_seed = _spin(0, MAX_SEED)
        form.addRow("Seed", self.data_seed)
        self.load_data = QPushButton("Load preset")
        self.load_image = QPushButton("Density from an image…")
        row = QHBoxLayout()
        row.addWidget(self.load_data)
        row.addWidget(self.load_image)
        form.addRow(row)
        grid = QGridLayout()
        self.tools = {}
        for i, (key, name) in enumerate(TOOL_NAMES.items()):
            button = QPushButton(name)
            button.setCheckable(True)
            button.setAutoExclusive(True)
            grid.addWidget(button, 0, i)
            self.tools[key] = button
        self.tools["select"].setChecked(True)
        self.undo = QPushButton("Undo")
        self.redo = QPushButton("Redo")
        self.import_csv = QPushButton("Import CSV…")
        self.export_csv = QPushButton("Export CSV…")
        grid.addWidget(self.undo, 1, 0, 1, 2)
        grid.addWidget(self.redo, 1, 2, 1, 2)
        grid.addWidget(self.import_csv, 2, 0, 1, 2)
        grid.addWidget(self.export_csv, 2, 2, 1, 2)
        form.addRow(grid)
        self.data_box = box
        column.addWidget(box)
        self.export_samples = QPushButton("Samples from p_model as CSV…")
        self.export_samples.setToolTip("The samples drawn from the fitted model (the Samples count), as CSV")
        column.addWidget(self.export_samples)
        self.generative = QPushButton("Generative process of the mixture…")
        column.addWidget(self.generative)
        column.addStretch(1)

        for combo in (self.mode, self.estimator, self.rule, self.covariance, self.ar_marginal,
                      self.ar_conditional, self.vae_latent, self.scale, self.data_preset):
            combo.currentIndexChanged.connect(self._edited)
        for spin in (self.bins_spin, self.bandwidth_spin, self.components, self.ar_bins, self.vae_k,
                     self.vae_steps, self.slice_at, self.samples, self.held_out, self.split_seed, self.n,
                     self.data_seed):
            spin.valueChanged.connect(self._edited)
        self.slice_on.toggled.connect(self._edited)
        for slider in (self.bins, self.bandwidth):
            slider.valueChanged.connect(self._slid)
            slider.sliderReleased.connect(self._edited)
        self.show_state(self.state)

    @staticmethod
    def _pair(slider: QSlider, spin) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(slider, 1)
        layout.addWidget(spin)
        return row

    # ----- state → widgets ------------------------------------------------------------------------
    def show_state(self, state: DensityLabState) -> None:
        self.state = state
        widgets = (self.mode, self.estimator, self.bins, self.bins_spin, self.rule, self.bandwidth,
                   self.bandwidth_spin, self.components, self.covariance, self.ar_marginal,
                   self.ar_conditional,
                   self.ar_bins, self.vae_latent, self.vae_k, self.vae_steps, self.scale, self.slice_on,
                   self.slice_at, self.samples, self.held_out, self.split_seed, self.data_preset, self.n,
                   self.data_seed)
        blocked = [w.blockSignals(True) for w in widgets]
        try:
            s, v, d = state.settings, state.view, state.data
            self.mode.setCurrentIndex(self.mode.findData(state.mode))
            self.estimator.setCurrentIndex(self.estimator.findData(state.estimator))
            for i, key in enumerate(ESTIMATORS):  # the 1-D mode fits histogram, KDE and GMM only
                self.estimator.model().item(i).setEnabled(state.mode == "2d" or key in ESTIMATORS_1D)
            _show_value(self.bins, min(s.bins, self.bins.maximum()))
            _show_value(self.bins_spin, s.bins)
            self.rule.setCurrentIndex(self.rule.findData(s.bandwidth_rule))
            _show_value(self.bandwidth, slider_of_bandwidth(s.bandwidth))
            _show_value(self.bandwidth_spin, s.bandwidth)
            _show_value(self.components, s.components)
            self.covariance.setCurrentIndex(self.covariance.findData(s.covariance_type))
            self.ar_marginal.setCurrentIndex(self.ar_marginal.findData(s.ar_marginal))
            self.ar_conditional.setCurrentIndex(self.ar_conditional.findData(s.ar_conditional))
            _show_value(self.ar_bins, s.ar_bins)
            self.vae_latent.setCurrentIndex(self.vae_latent.findData(s.vae_latent))
            _show_value(self.vae_k, s.vae_k)
            _show_value(self.vae_steps, s.vae_steps)
            self.scale.setCurrentIndex(self.scale.findData(v.scale))
            if self.slice_on.isChecked() != v.slice_on:
                self.slice_on.setChecked(v.slice_on)
            _show_value(self.slice_at, v.slice_at)
            _show_value(self.samples, v.samples)
            _show_value(self.held_out, v.held_out)
            _show_value(self.split_seed, v.split_seed)
            self.data_preset.setCurrentIndex(self.data_preset.findData(d.preset))
            _show_value(self.n, d.n)
            _show_value(self.data_seed, d.seed)
            two = state.mode == "2d"
            for w in (self.slice_on, self.slice_at, self.samples, self.data_box, self.ar_marginal,
                      self.ar_conditional, self.ar_bins, self.vae_latent, self.vae_k, self.vae_steps,
                      self.train, self.generative):
                w.setEnabled(two)
            self.bandwidth.setEnabled(s.bandwidth_rule == "manual")
            self.bandwidth_spin.setEnabled(s.bandwidth_rule == "manual")
        finally:
            for w, was in zip(widgets, blocked, strict=True):
                w.blockSignals(was)

    # ----- widgets → state --------------------------------------------------------------------------
    def state_from_widgets(self, source: str = "") -> DensityLabState:
        state = switch_mode(self.state, self.mode.currentData())
        if state is not self.state:
            return state
        bins = self.bins.value() if source == "slider" else self.bins_spin.value()
        bandwidth = self.bandwidth_spin.value()
        rule = self.rule.currentData()
        if source == "bandwidth":
            bandwidth, rule = bandwidth_of_slider(self.bandwidth.value()), "manual"
        settings = replace(state.settings, bins=bins, bandwidth_rule=rule, bandwidth=bandwidth,
                           components=self.components.value(), covariance_type=self.covariance.currentData(),
                           ar_marginal=self.ar_marginal.currentData(),
                           ar_conditional=self.ar_conditional.currentData(), ar_bins=self.ar_bins.value(),
                           vae_latent=self.vae_latent.currentData(), vae_k=self.vae_k.value(),
                           vae_steps=self.vae_steps.value())
        view = replace(state.view, scale=self.scale.currentData(), slice_on=self.slice_on.isChecked(),
                       slice_at=self.slice_at.value(), samples=self.samples.value(),
                       held_out=round(self.held_out.value(), 4), split_seed=self.split_seed.value())
        data = replace(state.data, preset=self.data_preset.currentData(), n=self.n.value(),
                       seed=self.data_seed.value())
        return replace(state, estimator=self.estimator.currentData(), settings=settings, view=view, data=data)

    def _edited(self, *_args) -> None:
        sender = self.sender()
        source = "bandwidth" if sender is self.bandwidth else "slider" if sender is self.bins else ""
        self.edited.emit(self.state_from_widgets(source), False)

    def _slid(self, *_args) -> None:
        sender = self.sender()
        source = "bandwidth" if sender is self.bandwidth else "slider"
        held = sender.isSliderDown()
        self.edited.emit(self.state_from_widgets(source), held)

    def set_progress(self, fraction: float | None) -> None:
        self.progress.setValue(0 if fraction is None else round(1000 * fraction))
