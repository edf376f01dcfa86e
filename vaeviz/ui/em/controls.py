"""The lab's controls: the side panel (lab, data, model, display, problems, export, 1-D) and the transport
bar under the figure (reset, E, M, step, run/pause, speed, scrubber).

Plain widget holders: :class:`vaeviz.ui.em.lab.EmLab` connects their signals, so this module only says
what there is and how it is laid out.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from vaeviz.core.data.pointset_presets import PRESETS
from vaeviz.core.em.choices import COVARIANCE_TYPES, INIT_METHODS

FLOORS = (1e-6, 1e-4, 1e-3, 1e-2, 1e-1)
TOOL_TEXT = {"select": ("Select", "Drag means, axis handles and weights"),
             "add": ("Add", "Click (or drag) to add points"),
             "spray": ("Spray", "Drag to spray points inside the dashed circle"),
             "erase": ("Erase", "Drag to erase points inside the dashed circle")}


def _button(text: str, tip: str = "", name: str = "") -> QPushButton:
    b = QPushButton(text)
    b.setToolTip(tip)
    if name:
        b.setObjectName(name)
    return b


def _form(title: str) -> tuple[QGroupBox, QFormLayout]:
    box = QGroupBox(title)
    form = QFormLayout(box)
    form.setContentsMargins(6, 4, 6, 4)
    form.setVerticalSpacing(3)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    return box, form


SCRUB_TIP = "Every half-step kept so far: drag to go back and forth (Left / Right, Home / End)."

class SidePanel(QScrollArea):
    """Everything the user sets; scrolls when the window is short."""

    def __init__(self, lab_presets: list[tuple[str, str]]) -> None:
        super().__init__()
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        inner = QWidget()
        col = QVBoxLayout(inner)
        col.setContentsMargins(4, 4, 4, 4)
        col.setSpacing(6)

        box, form = _form("Lab")
        self.mode = QComboBox()
        self.mode.addItem("2-D: GMM & EM", "2d")
        self.mode.addItem("1-D: lecture mixture", "1d")
        form.addRow("Mode", self.mode)
        self.lab_preset = QComboBox()
        self.lab_preset.setToolTip("Ready-made views for the lecture")
        for name, description in lab_presets:
            self.lab_preset.addItem(name, name)
            self.lab_preset.setItemData(self.lab_preset.count() - 1, description, Qt.ItemDataRole.ToolTipRole)
        self.apply_preset = _button("Apply", "Apply the selected lab preset")
        row = QHBoxLayout()
        row.addWidget(self.lab_preset, 1)
        row.addWidget(self.apply_preset)
        form.addRow("Preset", row)
        col.addWidget(box)

        self.data_box, form = _form("Data")
        self.data_preset = QComboBox()
        for name, spec in PRESETS.items():
            self.data_preset.addItem(name, name)
            self.data_preset.setItemData(self.data_preset.count() - 1, spec.description,
                                         Qt.ItemDataRole.ToolTipRole)
        self.n_points = QSpinBox()
        self.n_points.setRange(1, 1_000_000)
        self.n_points.setValue(600)
        self.n_points.setGroupSeparatorShown(True)
        self.n_points.setToolTip("Points to sample; above 50,000 EM runs on the fast float32 path")
        self.load_data = _button("Load", "Replace the data by a sample of the preset (undoable)")
        row = QHBoxLayout()
        row.addWidget(self.n_points, 1)
        row.addWidget(self.load_data)
        form.addRow(self.data_preset)
        form.addRow("N", row)
        tools = QHBoxLayout()
        tools.setSpacing(2)
        self.tool_group = QButtonGroup(self)
        self.tools: dict[str, QToolButton] = {}
        for name, (text, tip) in TOOL_TEXT.items():
            b = QToolButton()
            b.setText(text)
            b.setToolTip(tip)
            b.setCheckable(True)
            b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            self.tool_group.addButton(b)
            self.tools[name] = b
            tools.addWidget(b)
        self.tools["select"].setChecked(True)
        form.addRow(tools)
        grid = QGridLayout()
        grid.setSpacing(3)
        self.undo = _button("Undo", "Undo the last data edit (Ctrl+Z)")
        self.redo = _button("Redo", "Redo (Ctrl+Shift+Z)")
        self.import_csv = _button("Import CSV…", "Load points from x,y or x,y,label lines")
        self.export_csv = _button("Export CSV…", "Save the points (and labels)")
        for i, b in enumerate((self.undo, self.redo, self.import_csv, self.export_csv)):
            grid.addWidget(b, i // 2, i % 2)
        form.addRow(grid)
        self.data_info = QLabel()
        self.data_info.setWordWrap(True)
        form.addRow(self.data_info)
        col.addWidget(self.data_box)

        self.model_box, form = _form("Model")
        self.k = QSpinBox()
        self.k.setRange(1, 30)  # above 20 the dock explains why not, rather than silently capping
        self.k.setValue(3)
        self.cov_type = QComboBox()
        for kind in COVARIANCE_TYPES:
            self.cov_type.addItem(kind, kind)
        self.init = QComboBox()
        for key, text in INIT_METHODS.items():
            self.init.addItem(text, key)
        self.init.setCurrentIndex(self.init.findData("kmeans++"))
        self.init.setToolTip("User-placed: drag the means where you want them, then Reset")
        self.seed = QSpinBox()
        self.seed.setRange(0, 9999)
        self.floor = QCheckBox("on")
        self.floor.setChecked(True)
        self.floor.setToolTip("Add reg to every variance (scikit-learn's reg_covar). Off: components can "
                              "collapse and the likelihood runs to +∞")
        self.reg = QComboBox()
        for value in FLOORS:
            self.reg.addItem(f"{value:g}", value)
        row = QHBoxLayout()
        row.addWidget(self.floor)
        row.addWidget(self.reg, 1)
        for label, widget in (("K", self.k), ("Covariance", self.cov_type), ("Init", self.init),
                              ("Seed", self.seed)):
            form.addRow(label, widget)
        form.addRow("Floor", row)
        col.addWidget(self.model_box)

        self.show_box, form = _form("Show")
        self.heatmap = QCheckBox("density heatmap")
        self.contours = QCheckBox("density contours")
        self.kmeans = QCheckBox("k-means side by side")
        self.kmeans.setChecked(True)
        self.complete = QCheckBox("complete-data log-likelihood")
        self.complete.setChecked(True)
        for w in (self.heatmap, self.contours, self.kmeans, self.complete):
            form.addRow(w)
        col.addWidget(self.show_box)

        self.problems_box = QGroupBox("Hidden-data problems")
        grid = QGridLayout(self.problems_box)
        grid.setContentsMargins(6, 4, 6, 4)
        grid.setSpacing(3)
        self.problem1 = _button("① Marginal vs complete", "The marginal log-likelihood does not factorise")
        self.problem2 = _button("② Run several seeds",
                                "Identifiability: permuted solutions, equal likelihood")
        self.align = QCheckBox("align the runs")
        self.align.setEnabled(False)
        self.problem3 = _button("③ Snap && shrink", "Put the selected component on one point and shrink it")
        grid.addWidget(self.problem1, 0, 0, 1, 2)
        grid.addWidget(self.problem2, 1, 0)
        grid.addWidget(self.align, 1, 1)
        grid.addWidget(self.problem3, 2, 0, 1, 2)
        col.addWidget(self.problems_box)

        self.export_box = QGroupBox("Export")
        row = QHBoxLayout(self.export_box)
        row.setContentsMargins(6, 4, 6, 4)
        self.export_gif = _button("Animation…", "The EM run, every computed half-step, as a GIF — or as an "
                                  "MP4 video when ffmpeg is on the PATH")
        self.export_params = _button("Parameters CSV…", "π, μ and Σ of the shown mixture")
        row.addWidget(self.export_gif)
        row.addWidget(self.export_params)
        col.addWidget(self.export_box)

        self.oned_box, form = _form("1-D mixture")
        self.weights_1d = QComboBox()
        self.weights_1d.addItem("π = [0.5, 0.5]", "equal")
        self.weights_1d.addItem("π = [0.2, 0.8]", "unequal")
        form.addRow("Weights", self.weights_1d)
        self.means_1d, self.sigmas_1d = [], []
        for k in range(2):
            mean = QDoubleSpinBox()
            sigma = QDoubleSpinBox()
            mean.setRange(-30, 30)
            mean.setSingleStep(0.5)
            sigma.setRange(0.2, 20)
            sigma.setSingleStep(0.25)
            self.means_1d.append(mean)
            self.sigmas_1d.append(sigma)
            row = QHBoxLayout()
            row.addWidget(mean)
            row.addWidget(QLabel("σ"))
            row.addWidget(sigma)
            form.addRow("μ₁" if k == 0 else "μ₂", row)
        self.reset_1d = _button("Lecture values", "μ = −10 and +10, σ = 5")
        form.addRow(self.reset_1d)
        self.sample_1d = _button("Sample", "<p>The generative process, animated: z ~ Cat(π), then "
                                 "x | z ~ N(μ<sub>z</sub>, σ<sub>z</sub>²); the histogram of the samples "
                                 "approaches p(x)</p>", "em-sample-1d")
        self.sample_1d.setCheckable(True)
        self.clear_samples_1d = _button("Clear samples", "Forget the samples drawn so far")
        row = QHBoxLayout()
        row.addWidget(self.sample_1d)
        row.addWidget(self.clear_samples_1d)
        form.addRow(row)
        col.addWidget(self.oned_box)
        col.addStretch(1)
        for combo in inner.findChildren(QComboBox):  # as narrow as readable; long names show in the popup
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(8)
        self.setWidget(inner)
        # Wide enough for the widest row, so nothing is clipped (there is no horizontal scroll bar).
        scroll_bar = self.verticalScrollBar().sizeHint().width()
        self.setMinimumWidth(inner.minimumSizeHint().width() + scroll_bar + 4)


class TransportBar(QWidget):
    """EM's stepping controls above the scrubber over every computed half-step."""

    def __init__(self) -> None:
        super().__init__()
        rows = QVBoxLayout(self)
        rows.setContentsMargins(2, 0, 2, 0)
        rows.setSpacing(2)
        row = QHBoxLayout()
        row.setSpacing(4)
        self.reset = _button("Reset", "Start again from the initialisation (R)")
        self.e_step = _button("E-step", "Responsibilities from the current parameters (E)")
        self.m_step = _button("M-step", "Parameters from the current responsibilities (M)")
        self.step = _button("Step", "One full EM iteration: E then M (S)")
        self.run = _button("Run", "Run / pause EM (Space)")
        self.run.setCheckable(True)
        self.speed = QSlider(Qt.Orientation.Horizontal)
        self.speed.setRange(1, 30)
        self.speed.setValue(8)
        self.speed.setFixedWidth(90)
        self.speed.setToolTip("Playback speed: half-steps per second")
        self.position = QLabel()
        self.position.setObjectName("em-position")
        # A long position text must not widen the window: it is cut instead (the Numbers tab has it all).
        self.position.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.position.setMinimumWidth(60)
        for w in (self.reset, self.e_step, self.m_step, self.step, self.run):
            row.addWidget(w)
        row.addSpacing(6)
        row.addWidget(QLabel("speed"))
        row.addWidget(self.speed)
        row.addSpacing(10)
        row.addWidget(self.position, 1)
        self.scrubber = QSlider(Qt.Orientation.Horizontal)
        self.scrubber.setRange(0, 0)
        self.scrubber.setToolTip(SCRUB_TIP)
        rows.addLayout(row)
        rows.addWidget(self.scrubber)
