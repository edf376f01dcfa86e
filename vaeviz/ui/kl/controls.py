"""The lab's side panel: p, q's family, the fit's settings, the transport and the checks, bound to
:class:`~vaeviz.core.kl.state.KLLabState`.

:meth:`KlControls.show_state` writes a state into the widgets with their signals blocked; every edit
emits :attr:`KlControls.edited` with the state the widgets now describe (:meth:`state_from_widgets`), and
the lab applies it through its one path, ``apply_state``.
"""

from __future__ import annotations

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
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from vaeviz.core.kl.families import FAMILIES
from vaeviz.core.kl.fit import MAX_SAMPLES
from vaeviz.core.kl.presets import CORRELATED, ONE_D, TWO_MODES
from vaeviz.core.kl.state import (
    MAX_COMPONENTS,
    MAX_SEED,
    MAX_SPEED,
    MAX_STEPS,
    FitSettings,
    KLLabState,
    TargetChoice,
)

MODE_NAMES = {"2d": "2-D: p and both fits", "1d": "1-D: both fits on one axis",
              "vi": "Variational inference: ELBO"}
KIND_NAMES = {"gaussian": "Gaussian (correlated)", "mixture": "mixture of Gaussians", "banana": "banana",
              "ring": "ring"}
FAMILY_NAMES = {"full": "full covariance", "diag": "diagonal", "isotropic": "isotropic"}
START = {"2d": (0.8, 1.5), "1d": (0.0,), "vi": (0.5, 0.0)}


def switch_mode(state: KLLabState, mode: str) -> KLLabState:
    """The state in another mode: 1-D needs a 1-D p and start, the 2-D modes a 2-D one."""
    if mode == state.mode:
        return state
    target = ONE_D if mode == "1d" else TWO_MODES if state.mode == "1d" else state.target
    start = START[mode]
    fit = replace(state.fit, start_mean=start,
                  start_cov=tuple(tuple(float(i == j) for j in range(len(start))) for i in range(len(start))))
    return replace(state, mode=mode, target=target, fit=fit)


def switch_kind(target: TargetChoice, kind: str) -> TargetChoice:
    """p of another kind: a Gaussian starts from the lecture's correlated one, a mixture from two modes."""
    if kind == target.kind:
        return target
    if kind == "gaussian":
        return CORRELATED
    if kind == "mixture":
        return TWO_MODES
    return replace(target, kind=kind)


class KlControls(QWidget):
    edited = Signal(object)  # the KLLabState the widgets now describe

    def __init__(self, presets: list[tuple[str, str]]) -> None:
        super().__init__()
        self.setObjectName("klControls")
        self.state = KLLabState()
        column = QVBoxLayout(self)
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

        p_box = QGroupBox("p (drag its means ● and covariance handles ◆)")
        p_form = QFormLayout(p_box)
        self.kind = QComboBox()
        for key, name in KIND_NAMES.items():
            self.kind.addItem(name, key)
        p_form.addRow("Target", self.kind)
        self.weights = []
        weights_row = QHBoxLayout()
        for j in range(MAX_COMPONENTS):
            spin = QDoubleSpinBox()
            spin.setRange(0.0, 100.0)
            spin.setDecimals(2)
            spin.setSingleStep(0.05)
            spin.setToolTip(f"weight of component {j + 1} (the weights are normalised)")
            weights_row.addWidget(spin)
            self.weights.append(spin)
        self.weights_label = QLabel("Weights")
        p_form.addRow(self.weights_label, weights_row)
        column.addWidget(p_box)

        q_box = QGroupBox("q and the fit (drag q's start ⊕)")
        q_form = QFormLayout(q_box)
        self.family = QComboBox()
        for key in FAMILIES:
            self.family.addItem(FAMILY_NAMES[key], key)
        q_form.addRow("Family of q", self.family)
        self.lr = QDoubleSpinBox()
        self.lr.setRange(1e-4, 10.0)
        self.lr.setDecimals(4)
        self.lr.setSingleStep(0.01)
        q_form.addRow("Learning rate", self.lr)
        self.samples = QSpinBox()
        self.samples.setRange(1, min(MAX_SAMPLES, 100_000))
        self.samples.setSingleStep(100)
        q_form.addRow("Monte Carlo samples", self.samples)
        self.speed = QSpinBox()
        self.speed.setRange(1, MAX_SPEED)
        q_form.addRow("Speed (steps / frame)", self.speed)
        self.max_steps = QSpinBox()
        self.max_steps.setRange(1, MAX_STEPS)
        self.max_steps.setSingleStep(100)
        q_form.addRow("Steps", self.max_steps)
        self.seed = QSpinBox()
        self.seed.setRange(0, MAX_SEED)
        q_form.addRow("Seed", self.seed)
        self.show_alpha = QCheckBox("Show the α fit (third plot)")
        q_form.addRow(self.show_alpha)
        self.alpha = QSlider(Qt.Orientation.Horizontal)
        self.alpha.setRange(1, 99)
        self.alpha_label = QLabel()
        alpha_row = QHBoxLayout()
        alpha_row.addWidget(QLabel("mode-seeking"))
        alpha_row.addWidget(self.alpha, 1)
        alpha_row.addWidget(QLabel("mass-covering"))
        q_form.addRow(self.alpha_label, alpha_row)
        column.addWidget(q_box)

        transport = QGridLayout()
        self.step = QPushButton("Step")
        self.run = QPushButton("Run")
        self.pause = QPushButton("Pause")
        self.reset = QPushButton("Reset")
        for i, button in enumerate((self.step, self.run, self.pause, self.reset)):
            transport.addWidget(button, 0, i)
        self.several_starts = QPushButton("Several starts")
        self.several_starts.setToolTip("Reverse KL from random starts: one optimum per mode")
        self.q_equals_p = QPushButton("q = p")
        self.q_equals_p.setToolTip("Set q to p (when p is in q's family): both KLs read 0")
        self.export_animation = QPushButton("Animation…")
        self.export_animation.setToolTip("The fit, frame by frame, as a GIF — or an MP4 when ffmpeg is "
                                         "installed")
        transport.addWidget(self.several_starts, 1, 0, 1, 2)
        transport.addWidget(self.q_equals_p, 1, 2, 1, 2)
        transport.addWidget(self.export_animation, 2, 0, 1, 4)
        column.addLayout(transport)
        column.addStretch(1)

        for combo in (self.mode, self.kind, self.family):
            combo.currentIndexChanged.connect(self._edited)
        for spin in (self.lr, *self.weights):
            spin.valueChanged.connect(self._edited)
        for spin in (self.samples, self.speed, self.max_steps, self.seed):
            spin.valueChanged.connect(self._edited)
        self.show_alpha.toggled.connect(self._edited)
        self.alpha.valueChanged.connect(self._edited)
        self.show_state(self.state)

    # ----- state → widgets ------------------------------------------------------------------------
    def show_state(self, state: KLLabState) -> None:
        self.state = state
        widgets = (self.mode, self.kind, self.family, self.lr, self.samples, self.speed, self.max_steps,
                   self.seed, self.show_alpha, self.alpha, *self.weights)
        blocked = [w.blockSignals(True) for w in widgets]
        try:
            t, f = state.target, state.fit
            self.mode.setCurrentIndex(self.mode.findData(state.mode))
            self.kind.setCurrentIndex(self.kind.findData(t.kind))
            self.family.setCurrentIndex(self.family.findData(f.family))
            self.lr.setValue(f.lr)
            self.samples.setValue(f.samples)
            self.speed.setValue(f.steps_per_frame)
            self.max_steps.setValue(f.max_steps)
            self.seed.setValue(f.seed)
            self.show_alpha.setChecked(state.show_alpha)
            self.alpha.setValue(round(100 * f.alpha))
            mixture = t.kind == "mixture" and state.mode != "vi"
            for j, spin in enumerate(self.weights):
                spin.setVisible(mixture and j < len(t.weights))
                if j < len(t.weights):
                    spin.setValue(t.weights[j])
            self.weights_label.setVisible(mixture)
            self.kind.setEnabled(state.mode == "2d")
            self.show_alpha.setEnabled(state.mode == "2d")
            self.alpha.setEnabled(state.mode == "2d" and state.show_alpha)
            self.several_starts.setEnabled(state.mode == "2d")
            self.alpha_label.setText(f"α = {f.alpha:.2f}")
        finally:
            for w, was in zip(widgets, blocked, strict=True):
                w.blockSignals(was)

    # ----- widgets → state --------------------------------------------------------------------------
    def state_from_widgets(self) -> KLLabState:
        state = switch_mode(self.state, self.mode.currentData())
        target = switch_kind(state.target, self.kind.currentData()) if state.mode == "2d" else state.target
        if target.kind == "mixture" and target is state.target:
            weights = tuple(self.weights[j].value() for j in range(len(target.weights)))
            target = replace(target, weights=weights)
        fit: FitSettings = replace(state.fit, family=self.family.currentData(), lr=self.lr.value(),
                                   samples=self.samples.value(), steps_per_frame=self.speed.value(),
                                   max_steps=self.max_steps.value(), seed=self.seed.value(),
                                   alpha=self.alpha.value() / 100)
        return replace(state, target=target, fit=fit, show_alpha=self.show_alpha.isChecked())

    def _edited(self, *_args) -> None:
        self.edited.emit(self.state_from_widgets())
