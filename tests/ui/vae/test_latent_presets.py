"""The latent dock's presets are chains of callbacks: they never wait in a nested event loop."""

from __future__ import annotations

import pytest
from vae_helpers import one_torch_thread, small_lab  # noqa: F401

from vaeviz.ui.docks.registry import find_preset
from vaeviz.ui.vae.dock import LatentDock
from vaeviz.workers.bridge import InlineRunner


class DeferredRunner(InlineRunner):
    """Runs nothing until :meth:`drain`: jobs answer later, as with the real worker, but without threads
    (a preset that waited for them in a nested event loop would never return)."""

    def __init__(self) -> None:
        super().__init__()
        self.queue: list = []
        self._ids = 1000

    def submit(self, factory, name, **kwargs) -> int:
        self._ids += 1
        self.queue.append(lambda: InlineRunner.submit(self, factory, name, **kwargs))
        return self._ids

    def request(self, key, factory, on_result, on_failed=None, name=None, wait_s=0.0, on_settled=None):
        def run() -> None:
            InlineRunner.submit(self, factory, name or key, on_finished=on_result, on_failed=on_failed)
            if on_settled is not None:
                on_settled()

        self._ids += 1
        self.queue.append(run)
        return self._ids

    def drain(self) -> None:
        while self.queue:
            self.queue.pop(0)()


@pytest.mark.parametrize("name", ["overview", "latent-explorer", "ae-vs-vae", "reparameterisation"])
def test_presets_return_at_once_and_finish_when_the_answers_come(qtbot, small_lab, name):  # noqa: F811
    runner = DeferredRunner()
    dock = LatentDock(runner)
    qtbot.addWidget(dock)
    done: list[bool] = []
    find_preset("latent", name).apply(dock, 3 if name == "overview" else None, lambda: done.append(True))
    assert not done and runner.queue  # waiting for the set-up, not blocking
    runner.drain()
    assert done == [True] and not dock.session.busy
    if name == "overview":
        assert "trained here (3 steps" in dock.figure.panes["vae"].title.text
    if name == "ae-vs-vae":
        assert dock.figure.roles() == ("vae", "ae") and dock.controller.strips["ae"].kind == "prior"
        assert set(dock.controller.holes) == {"vae", "ae"}
    if name == "reparameterisation":
        assert len(dock.figure.panes["vae"].samples.getData()[0]) == 8


def test_under_the_inline_runner_a_preset_has_finished_when_it_returns(qtbot, small_lab):  # noqa: F811
    dock = LatentDock(InlineRunner())
    qtbot.addWidget(dock)
    done: list[bool] = []
    find_preset("latent", "latent-explorer").apply(dock, None, lambda: done.append(True))
    assert done == [True] and "vae" in dock.controller.inspections


@pytest.mark.parametrize("name", ["overview", "manifold-grid", "ae-vs-vae"])
def test_after_a_preset_the_dock_state_is_the_presets_state(qtbot, small_lab, name):  # noqa: F811
    from vaeviz.core.vae.presets import find_preset as find_data

    dock = LatentDock(InlineRunner())
    qtbot.addWidget(dock)
    find_preset("latent", name).apply(dock, None)
    preset = find_data(name)
    expected = preset.state_for(dock.lab_state)
    if preset.follow_up is None:
        assert dock.lab_state == expected
    else:  # the follow-up moves ⊕ or picks A and B: the rest is the preset's
        for part in ("data", "model", "train", "view", "checkpoints"):
            assert getattr(dock.lab_state, part) == getattr(expected, part), part
    assert dock.figure.roles() == expected.view.roles
    assert dock.explore.view_settings() == expected.view
    assert dock.training.values() == (expected.model, expected.train)
    if name == "overview":
        assert dock.lab_state.points.vae == (0.6, -0.4)
        assert dock.figure.panes["vae"].target_xy() == (0.6, -0.4)
    if name == "ae-vs-vae":
        assert len(dock.lab_state.picks) == 1 and dock.lab_state.points.ae != (0.0, 0.0)


def test_listing_the_presets_imports_neither_torch_nor_the_dock_widgets():
    import subprocess
    import sys

    code = ("import sys; from vaeviz.ui.vae.dock import LatentDock; "
            "names = [p.name for p in LatentDock.presets()]; "
            "print(names[0], any(m in sys.modules for m in ('torch', 'pyqtgraph', 'vaeviz.ui.vae.pane')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "overview False", result.stderr


def test_a_restored_state_keeps_its_picks_while_the_models_load(qtbot, small_lab):  # noqa: F811
    """With a worker that answers later, the state says what was restored before the picks are shown."""
    from vaeviz.core.vae.state import LatentState, state_to_json

    runner = DeferredRunner()
    dock = LatentDock(runner)
    qtbot.addWidget(dock)
    raw = state_to_json(LatentState(picks=(3, 7)).with_point("vae", 0.5, 0.25))
    dock.restore_state(raw)
    dock.ensure_started()
    assert dock.lab_state.picks == (3, 7) and dock.state() == raw and runner.queue
    runner.drain()
    assert dock.controller.pick_indices() == (3, 7) and dock.lab_state.picks == (3, 7)
    assert dock.controller.inspections["vae"].index == 7
    dock.click(11)
    assert dock.lab_state.picks == (7, 11)  # the user's picks again
