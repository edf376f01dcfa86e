"""The status bar: compute device, worker state, progress with ETA, and the last job error."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QToolButton

from vaeviz.core.eta import EtaEstimator, format_eta
from vaeviz.core.limits import bounded_message
from vaeviz.core.user_errors import readable


class ComputeStatusBar(QStatusBar):
    """Listens to the worker bridge (GUI thread) and shows what the compute worker is doing."""

    error_details_requested = Signal(str, str)  # message, traceback

    def __init__(self, bridge, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("statusBar")
        self.device_label = QLabel("device: starting…")
        self.device_label.setObjectName("deviceLabel")
        self.state_label = QLabel("worker: starting")
        self.state_label.setObjectName("workerStateLabel")
        self.progress = QProgressBar()
        self.progress.setObjectName("jobProgress")
        self.progress.setRange(0, 1000)
        self.progress.setMaximumWidth(180)
        self.progress.setTextVisible(False)
        self.eta_label = QLabel("")
        self.error_button = QToolButton()
        self.error_button.setObjectName("jobErrorButton")
        self.error_button.setAutoRaise(True)
        self.error_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.error_button.setToolTip("A job failed: click for details")
        self.error_button.clicked.connect(self._on_error_clicked)
        for widget in (self.error_button, self.state_label, self.progress, self.eta_label, self.device_label):
            self.addPermanentWidget(widget)
        self.progress.hide()
        self.eta_label.hide()
        self.error_button.hide()
        self._error: tuple[str, str] = ("", "")
        self._tracked: dict[int, tuple[str, EtaEstimator]] = {}
        bridge.device_changed.connect(self.on_device_changed)
        bridge.state_changed.connect(self.on_state_changed)
        bridge.job_started.connect(self.on_job_started)
        bridge.job_progress.connect(self.on_job_progress)
        bridge.job_finished.connect(self.on_job_ended)
        bridge.job_cancelled.connect(self.on_job_ended)
        bridge.job_failed.connect(self.on_job_failed)
        bridge.job_notice.connect(self.on_job_notice)

    @Slot(str, str, str)
    def on_device_changed(self, name: str, description: str, note: str) -> None:
        self.device_label.setText(f"device: {description}")
        self.device_label.setToolTip(note or f"torch device '{name}'")
        if note:
            self.showMessage(note, 8000)

    @Slot(str)
    def on_state_changed(self, text: str) -> None:
        self.state_label.setText(f"worker: {text}")

    @Slot(int, str)
    def on_job_started(self, job_id: int, name: str) -> None:
        self._tracked[job_id] = (name, EtaEstimator(time.monotonic()))

    @Slot(int, object)
    def on_job_progress(self, job_id: int, snapshot: object) -> None:
        fraction = getattr(snapshot, "fraction", None)
        if job_id not in self._tracked or not isinstance(fraction, (int, float)):
            return
        name, eta = self._tracked[job_id]
        fraction = min(max(float(fraction), 0.0), 1.0)
        self.progress.setValue(int(fraction * 1000))
        self.progress.setToolTip(f"{name}: {fraction:.0%}")
        self.eta_label.setText(format_eta(eta.update(time.monotonic(), fraction)))
        self.progress.show()
        self.eta_label.show()

    @Slot(int)
    @Slot(int, object)
    def on_job_ended(self, job_id: int, _result: object = None) -> None:
        if self._tracked.pop(job_id, None) is not None and not self._tracked:
            self.progress.hide()
            self.eta_label.hide()

    @Slot(int, str, str)
    def on_job_failed(self, job_id: int, message: str, details: str) -> None:
        self.on_job_ended(job_id)
        self._error = (message, details)
        readable_message = readable(message)
        short = bounded_message(readable_message, 70)
        self.error_button.setText(f"⚠ {short}")
        self.error_button.show()
        self.showMessage(f"Job failed: {readable_message}", 10000)

    @Slot(int, str)
    def on_job_notice(self, _job_id: int, message: str) -> None:
        self.showMessage(message, 15000)

    def last_error(self) -> tuple[str, str]:
        return self._error

    @Slot()
    def _on_error_clicked(self) -> None:
        self.error_details_requested.emit(*self._error)
        self.error_button.hide()
