"""The latent lab's channels and request keys are named after its dock id ("latent:…")."""

from __future__ import annotations

from dock_checks import run_self_check
from vae_helpers import _pane, dock, one_torch_thread, small_lab  # noqa: F401

from vaeviz.ui.lab.controller import INTERACTIVE_WAIT_S
from vaeviz.ui.vae.dock import LatentDock
from vaeviz.workers.bridge import InlineRunner


class RecordingRunner(InlineRunner):
    """An InlineRunner that notes every channel name and request key (and its wait)."""

    def __init__(self) -> None:
        super().__init__()
        self.channels: list[str] = []
        self.keys: list[tuple[str, float]] = []

    def channel(self, name: str):
        self.channels.append(name)
        return super().channel(name)

    def request(self, key, factory, on_result, on_failed=None, name=None, wait_s=0.0, on_settled=None):
        self.keys.append((key, wait_s))
        return super().request(key, factory, on_result, on_failed, name, wait_s, on_settled)


def test_channels_and_request_keys_start_with_the_dock_id(qtbot, small_lab, tmp_path):  # noqa: F811
    runner = RecordingRunner()
    dock = LatentDock(runner)
    qtbot.addWidget(dock)
    dock.resize(1280, 760)
    with qtbot.waitExposed(dock):
        dock.show()
    dock.ensure_started()
    assert dock.session.ready(["vae"])
    assert runner.channels == ["latent:main", "latent:aux"]

    pane = _pane(dock)
    pane.set_target(0.5, 0.5)
    pane.target.drag_to(1.0, -0.5)
    pane.target.release()
    dock.session.refresh("vae")
    dock.session.save("vae", str(tmp_path / "vae.safetensors"))
    assert run_self_check(qtbot, dock) == []
    keys = [key for key, _wait in runner.keys]
    assert keys and all(key.startswith("latent:") for key in keys), keys
    for key in ("latent:decode:vae", "latent:snapshot:vae", "latent:eval:vae", "latent:save",
                "latent:self-check"):
        assert key in keys
    assert ("latent:decode:vae", INTERACTIVE_WAIT_S) in runner.keys  # the drag's decodes are a stream
    assert ("latent:decode:vae", 0.0) in runner.keys  # other decodes are plain requests


def test_the_dock_shows_the_shared_message_bar(dock):  # noqa: F811
    from vaeviz.ui.lab.message_bar import MessageBar

    assert isinstance(dock.messages, MessageBar) and dock.messages.objectName() == "labMessages"
    dock.controller.resample()  # nothing picked: says what to do first
    assert dock.messages.level == "info" and "Click a data point" in dock.messages.text()
