"""The "Explore" controls: which model(s) to show, the manifold grid, ε, A → B, prior, drawing, exports."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from vaeviz.core.vae.state import ViewSettings
from vaeviz.ui.vae.draw_canvas import DrawCanvas
from vaeviz.ui.vae.widgets import dspin, spin

VIEW_MODES = [("vae", "VAE"), ("ae", "AE"), ("both", "VAE | AE side by side")]
MANIFOLD_MODES = [("off", "Off"), ("underlay", "Underlay behind the points"), ("grid", "Grid only")]

HELP = ("Drag <b>⊕</b> to decode any z. <b>Click</b> a point: its q(z|x) (2σ ellipse), reconstruction and "
        "log p(x) against K beside its ELBO. <b>Shift-click</b> another: the path A → B. <b>Resample ε</b>: "
        "ε-space beside z-space. A manifold <b>fit to the data</b> measures and outlines the holes.")


def _combo(items: list[tuple[str, str]], name: str) -> QComboBox:
    combo = QComboBox()
    combo.setObjectName(name)
    for value, text in items:
        combo.addItem(text, value)
    return combo


def set_combo_value(combo: QComboBox, value: str) -> None:
    index = combo.findData(value)
    if index >= 0:
        combo.setCurrentIndex(index)


class ExplorePanel(QWidget):
    """Controls of the latent views: they show the dock's state's view; the dock turns their edits into
    new states and connects the buttons to its controller."""

    view_edited = Signal()  # the user changed the model shown or the manifold: see view_settings()
    resample_clicked = Signal()
    interpolate_clicked = Signal()
    prior_clicked = Signal()
    export_strip_clicked = Signal()
    export_gif_clicked = Signal()
    drawing_done = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)

        view = QGroupBox("View")
        form = QFormLayout(view)
        self.mode = _combo(VIEW_MODES, "latentMode")
        self.mode.setToolTip("The autoencoder beside the VAE, on the same data: look between its clusters")
        self.manifold = _combo(MANIFOLD_MODES, "latentManifold")
        self.manifold.setToolTip("Decode a grid of latent points and tile the images where they were "
                                 "decoded")
        self.grid_n = spin("latentGridN", 3, 30, 15)
        self.grid_n.setToolTip("Images per side of the grid")
        self.grid_range = dspin("latentGridRange", 0.5, 50.0, 3.0, 0.5, 1)
        self.grid_range.setPrefix("± ")
        self.grid_range.setToolTip("The grid spans [−r, r] on z₁ and z₂")
        self.grid_fit = QCheckBox("fit to the data", objectName="latentGridFit")
        self.grid_fit.setToolTip("Span each model's own codes instead (an autoencoder's can be far from 0), "
                                 "and measure its holes: the tiles decoding unlike any training image are "
                                 "outlined, the fractions in the title")
        grid_row = QHBoxLayout()
        grid_row.addWidget(self.grid_n)
        grid_row.addWidget(self.grid_range)
        form.addRow("Model", self.mode)
        form.addRow("Manifold", self.manifold)
        form.addRow("N, range", grid_row)
        form.addRow("", self.grid_fit)
        layout.addWidget(view)

        act = QGroupBox("Sample and interpolate")
        grid = QGridLayout(act)
        self.resample = QPushButton("Resample ε", objectName="latentResample")
        self.resample.setToolTip("Draw 8 z = μ + σ ⊙ ε for the selected point and decode them")
        self.interpolate = QPushButton("A → B", objectName="latentInterpolate")
        self.interpolate.setToolTip("Straight path between the last two points clicked (or drawn)")
        self.prior = QPushButton("Prior samples", objectName="latentPrior")
        self.prior.setToolTip("Decode 8 draws of z ~ N(0, I)")
        self.export_strip = QPushButton("Export strip…", objectName="latentExportStrip")
        self.export_strip.setToolTip("Save the strip of decodings under the plot as PNG")
        self.export_gif = QPushButton("Export GIF…", objectName="latentExportGif")
        self.export_gif.setToolTip("Animate the latent point from A to B and back, as a GIF")
        for k, button in enumerate((self.resample, self.interpolate, self.prior, self.export_strip,
                                    self.export_gif)):
            grid.addWidget(button, k // 2, k % 2)
        layout.addWidget(act)

        draw = QGroupBox("Draw an image")
        draw_layout = QHBoxLayout(draw)
        self.canvas = DrawCanvas()
        self.clear = QPushButton("Clear", objectName="latentClearDrawing")
        side = QVBoxLayout()
        hint = QLabel("Release the mouse to encode the drawing.")
        hint.setWordWrap(True)
        side.addWidget(hint)
        side.addWidget(self.clear)
        side.addStretch(1)
        draw_layout.addWidget(self.canvas)
        draw_layout.addLayout(side, 1)
        layout.addWidget(draw)

        self.help = QLabel(HELP)
        self.help.setWordWrap(True)
        self.help.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.help)
        layout.addStretch(1)

        for signal in (self.mode.currentIndexChanged, self.manifold.currentIndexChanged,
                       self.grid_n.valueChanged, self.grid_range.valueChanged, self.grid_fit.toggled):
            signal.connect(self._on_view_edited)
        self.resample.clicked.connect(self.resample_clicked)
        self.interpolate.clicked.connect(self.interpolate_clicked)
        self.prior.clicked.connect(self.prior_clicked)
        self.export_strip.clicked.connect(self.export_strip_clicked)
        self.export_gif.clicked.connect(self.export_gif_clicked)
        self.clear.clicked.connect(self.canvas.clear)
        self.canvas.drawn.connect(self.drawing_done)

    @Slot()
    def _on_view_edited(self, *_args) -> None:
        self.grid_range.setEnabled(not self.grid_fit.isChecked())
        self.view_edited.emit()

    # ----- the state's view --------------------------------------------------------------------------
    def view_settings(self) -> ViewSettings:
        """The view the controls show (after an edit: the user's new choice)."""
        return ViewSettings(self.mode.currentData(), self.manifold.currentData(), self.grid_n.value(),
                            self.grid_range.value(), self.grid_fit.isChecked())

    def show_view(self, view: ViewSettings) -> None:
        """Show ``view`` in the controls without emitting their edit signals."""
        widgets = (self.mode, self.manifold, self.grid_n, self.grid_range, self.grid_fit)
        for w in widgets:
            w.blockSignals(True)
        set_combo_value(self.mode, view.mode)
        set_combo_value(self.manifold, view.manifold)
        self.grid_n.setValue(view.grid_n)
        self.grid_range.setValue(view.grid_range)
        self.grid_fit.setChecked(view.grid_fit)
        for w in widgets:
            w.blockSignals(False)
        self.grid_range.setEnabled(not view.grid_fit)
