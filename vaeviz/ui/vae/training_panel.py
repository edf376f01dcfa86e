"""The "Train" controls: data set, model, β, optimiser settings, start/pause/stop, live curves,
checkpoints."""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from vaeviz.core.eta import EtaEstimator, format_eta
from vaeviz.core.vae.lab_types import MODEL_KINDS
from vaeviz.core.vae.state import ModelChoice, TrainSettings
from vaeviz.ui.theme import plot_colours
from vaeviz.ui.vae.widgets import dspin, spin

# (value, text): the "…" items ask for files; the download item needs the network. The generated shapes
# are not offered (a 2-D latent cannot reconstruct them recognisably); they appear only as the fallback.
DATA_CHOICES = [("mnist", "MNIST test split (shipped)"), ("idx", "MNIST IDX files…"),
                ("folder", "Image folder…"), ("npz", ".npz file…"),
                ("mnist-download", "Download MNIST (test split)")]
OFF_MENU_DATA = {"shapes": "Shapes (generated; fallback)"}
# −ELBO = recon + KL lies just above the reconstruction curve: dashed recon keeps both visible
CURVES = [("reconstruction", "#ff7f0e", 2, Qt.PenStyle.DashLine),
          ("−ELBO", "#1f77b4", 1, Qt.PenStyle.SolidLine),
          ("KL", "#2ca02c", 3, Qt.PenStyle.SolidLine)]
BETA_STEPS = 10  # slider ticks per unit of β


class TrainingPanel(QWidget):
    """Controls of training: they show the dock's state's model and training settings; the dock turns
    their edits into new states and connects the buttons to its session."""

    data_chosen = Signal(str)  # a DATA_CHOICES value
    edited = Signal()  # the user changed the model or a training setting: see values()
    start_clicked = Signal()
    retrain_clicked = Signal()
    pause_toggled = Signal(bool)
    stop_clicked = Signal()
    load_clicked = Signal()
    save_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self._data_value = "mnist"

        setup = QGroupBox("Data and model")
        form = QFormLayout(setup)
        self.data = QComboBox(objectName="latentData")
        for value, text in DATA_CHOICES:
            self.data.addItem(text, value)
        self.data_label = QLabel("", objectName="latentDataLabel")
        self.data_label.setWordWrap(True)
        self.kind = QComboBox(objectName="latentKind")
        self.kind.addItems(list(MODEL_KINDS))
        self.latent = spin("latentSize", 2, 32, 2)
        self.latent.setToolTip("Size of z; above 2 the views show z₁ and z₂ and decode with the rest at 0")
        model_row = QHBoxLayout()
        model_row.addWidget(self.kind, 1)
        model_row.addWidget(QLabel("latent"))
        model_row.addWidget(self.latent)
        self.beta_slider = QSlider(Qt.Orientation.Horizontal, objectName="latentBetaSlider")
        self.beta_slider.setRange(0, 8 * BETA_STEPS)
        self.beta_slider.setValue(BETA_STEPS)
        self.beta = dspin("latentBeta", 0.0, 8.0, 1.0, 0.1, 1)
        self.beta.setToolTip("Weight of the KL term: loss = recon + β·KL (β = 1 is the ELBO)")
        self.retrain = QPushButton("Retrain", objectName="latentRetrain")
        self.retrain.setToolTip("Train a new model from scratch with this β")
        beta_row = QHBoxLayout()
        beta_row.addWidget(self.beta_slider, 1)
        beta_row.addWidget(self.beta)
        beta_row.addWidget(self.retrain)
        self.lr = dspin("latentLr", 0.00001, 10.0, 0.001, 0.0005, 5)
        self.batch = spin("latentBatch", 8, 4096, 128, 32)
        self.epochs = spin("latentEpochs", 1, 500, 10)
        opt_row = QHBoxLayout()
        for label, widget in (("lr", self.lr), ("batch", self.batch), ("epochs", self.epochs)):
            opt_row.addWidget(QLabel(label))
            opt_row.addWidget(widget, 1)
        self.fresh = QCheckBox("from scratch", objectName="latentFresh", checked=True)
        self.fresh.setToolTip("Start from random weights; untick to continue training the current model")
        form.addRow("Data", self.data)
        form.addRow("", self.data_label)
        form.addRow("Model", model_row)
        form.addRow("β", beta_row)
        form.addRow(opt_row)
        layout.addWidget(setup)

        run = QGroupBox("Training")
        grid = QGridLayout(run)
        self.start = QPushButton("Start", objectName="latentStart")
        self.pause = QPushButton("Pause", objectName="latentPause", checkable=True)
        self.stop = QPushButton("Stop", objectName="latentStop")
        self.stop.setToolTip("Stop now; the model keeps the weights it has reached")
        self.progress = QProgressBar(objectName="latentProgress", minimum=0, maximum=1000, textVisible=False)
        self.eta = QLabel("")
        self.status = QLabel("", objectName="latentTrainStatus")
        self.status.setWordWrap(True)
        grid.addWidget(self.start, 0, 0)
        grid.addWidget(self.pause, 0, 1)
        grid.addWidget(self.stop, 0, 2)
        grid.addWidget(self.fresh, 1, 0, 1, 3)
        grid.addWidget(self.progress, 2, 0, 1, 2)
        grid.addWidget(self.eta, 2, 2)
        grid.addWidget(self.status, 3, 0, 1, 3)
        self.curves_plot = pg.PlotWidget(objectName="latentCurves")
        self.curves_plot.setMinimumHeight(150)
        item = self.curves_plot.getPlotItem()
        item.setMenuEnabled(False)
        item.setLabel("bottom", "step")
        item.setLabel("left", "nats / image")
        item.showGrid(x=True, y=True, alpha=0.2)
        item.addLegend(offset=(-4, 4), labelTextSize="8pt")
        self.curves = {name: item.plot([], [], pen=pg.mkPen(colour, width=2, style=style), name=name)
                       for name, colour, _, style in CURVES}
        grid.addWidget(self.curves_plot, 4, 0, 1, 3)
        layout.addWidget(run)

        files = QGroupBox("Model file")
        row = QHBoxLayout(files)
        self.load = QPushButton("Load checkpoint…", objectName="latentLoad")
        self.save = QPushButton("Save checkpoint…", objectName="latentSave")
        row.addWidget(self.load)
        row.addWidget(self.save)
        layout.addWidget(files)
        self.model_label = QLabel("", objectName="latentModelLabel")
        self.model_label.setWordWrap(True)
        self.device = QLabel("device: …", objectName="latentDevice")
        layout.addWidget(self.model_label)
        layout.addWidget(self.device)
        layout.addStretch(1)

        self.data.activated.connect(self._on_data_activated)
        self.beta_slider.valueChanged.connect(self._on_beta_slider)
        self.beta.valueChanged.connect(self._on_beta_spin)
        for signal in (self.kind.currentIndexChanged, self.latent.valueChanged, self.beta.valueChanged,
                       self.lr.valueChanged, self.batch.valueChanged, self.epochs.valueChanged,
                       self.fresh.toggled):
            signal.connect(self._on_edited)
        self.start.clicked.connect(self.start_clicked)
        self.retrain.clicked.connect(self.retrain_clicked)
        self.pause.toggled.connect(self._on_pause_toggled)
        self.stop.clicked.connect(self.stop_clicked)
        self.load.clicked.connect(self.load_clicked)
        self.save.clicked.connect(self.save_clicked)
        self._eta: EtaEstimator | None = None
        self.set_running(False)

    # ----- signals in ------------------------------------------------------------------------------
    @Slot(int)
    def _on_data_activated(self, _index: int) -> None:
        self.data_chosen.emit(self.data.currentData())

    @Slot()
    def _on_edited(self, *_args) -> None:
        self.edited.emit()

    @Slot(int)
    def _on_beta_slider(self, value: int) -> None:
        self.beta.blockSignals(True)
        self.beta.setValue(value / BETA_STEPS)
        self.beta.blockSignals(False)
        self.edited.emit()

    @Slot(float)
    def _on_beta_spin(self, value: float) -> None:
        self.beta_slider.blockSignals(True)
        self.beta_slider.setValue(round(value * BETA_STEPS))
        self.beta_slider.blockSignals(False)

    @Slot(bool)
    def _on_pause_toggled(self, paused: bool) -> None:
        self.pause.setText("Resume" if paused else "Pause")
        self.pause_toggled.emit(paused)

    # ----- the state's model and training settings ------------------------------------------------------
    def values(self) -> tuple[ModelChoice, TrainSettings]:
        """The model and training settings the controls show (after an edit: the user's new choice)."""
        model = ModelChoice(self.kind.currentText(), self.latent.value(), self.beta.value())
        train = TrainSettings(self.lr.value(), self.batch.value(), self.epochs.value(),
                              self.fresh.isChecked())
        return model, train

    def show_values(self, model: ModelChoice, train: TrainSettings) -> None:
        """Show the state's settings without emitting ``edited``."""
        widgets = (self.kind, self.latent, self.beta, self.beta_slider, self.lr, self.batch, self.epochs,
                   self.fresh)
        for w in widgets:
            w.blockSignals(True)
        self.kind.setCurrentText(model.kind)
        self.latent.setValue(model.latent_dim)
        self.beta.setValue(model.beta)
        self.beta_slider.setValue(round(model.beta * BETA_STEPS))
        self.lr.setValue(train.lr)
        self.batch.setValue(train.batch_size)
        self.epochs.setValue(train.epochs)
        self.fresh.setChecked(train.fresh)
        for w in widgets:
            w.blockSignals(False)

    def show_data(self, value: str, text: str) -> None:
        """Point the combo at the data set in use (after a load, or back after a failed one)."""
        self._data_value = value
        if self.data.findData(value) < 0:  # data not on the menu: the shapes fallback, a session's data
            self.data.addItem(OFF_MENU_DATA.get(value, value), value)
        self.data.setCurrentIndex(self.data.findData(value))
        self.data_label.setText(text)

    def revert_data(self) -> None:
        self.data.setCurrentIndex(max(0, self.data.findData(self._data_value)))

    # ----- training display ---------------------------------------------------------------------------
    def set_running(self, running: bool, ready: bool = True) -> None:
        self.start.setEnabled(ready and not running)
        self.retrain.setEnabled(ready and not running)
        self.pause.setEnabled(running)
        self.stop.setEnabled(running)
        if not running:
            self.pause.blockSignals(True)
            self.pause.setChecked(False)
            self.pause.setText("Pause")
            self.pause.blockSignals(False)

    def begin(self) -> None:
        self._eta = EtaEstimator(time.monotonic())
        self.progress.setValue(0)
        self.eta.setText("")
        for curve in self.curves.values():
            curve.setData([], [])

    def show_progress(self, fraction: float, message: str, history: np.ndarray) -> None:
        self.progress.setValue(int(1000 * min(max(fraction, 0.0), 1.0)))
        if self._eta is not None:
            self.eta.setText(format_eta(self._eta.update(time.monotonic(), fraction)))
        self.status.setText(message)
        if len(history):
            steps = history[:, 0]
            for name, _colour, column, _style in CURVES:
                values = -history[:, column] if column == 1 else history[:, column]
                self.curves[name].setData(steps, values)

    def show_loading(self, message: str, fraction: float) -> None:
        """Progress of a set-up (data, download, quick model): no curves and no ETA of its own. A set-up
        that is over leaves the bar empty: the lab is idle, nothing is in progress."""
        self.progress.setValue(0 if fraction >= 1.0 else int(1000 * max(fraction, 0.0)))
        self.eta.setText("")
        self.status.setText(message)

    def curve_points(self) -> int:
        xs, _ = self.curves["−ELBO"].getData()
        return 0 if xs is None else len(xs)

    def apply_theme(self, dark: bool) -> None:
        colours = plot_colours(dark)
        self.curves_plot.setBackground(colours["background"])
        item = self.curves_plot.getPlotItem()
        for name in ("left", "bottom"):
            item.getAxis(name).setPen(colours["foreground"])
            item.getAxis(name).setTextPen(colours["foreground"])
        if item.legend is not None:
            item.legend.setLabelTextColor(colours["foreground"])
