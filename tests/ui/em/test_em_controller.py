"""The GMM & EM lab's controller: every channel and request is the lab's ("em:..."), and idle callbacks
(presets' next steps) wait for a committed edit's frame."""

from __future__ import annotations

from em_helpers import make_dock

from vaeviz.workers.bridge import InlineRunner


class HeldCommits(InlineRunner):
    """Inline compute that records every channel and request key and holds commits until :meth:`flush`."""

    def __init__(self) -> None:
        super().__init__()
        self.keys: set[str] = set()
        self.held: list = []

    def channel(self, name: str):
        self.keys.add(name)
        return super().channel(name)

    def request(self, key, factory, on_result, on_failed=None, name=None, wait_s=0.0, on_settled=None):
        self.keys.add(key)
        answer = super().request
        if key.endswith(":commit"):
            self.held.append(lambda: answer(key, factory, on_result, on_failed, name, wait_s, on_settled))
            return -1
        return answer(key, factory, on_result, on_failed, name, wait_s, on_settled)

    def flush(self) -> None:
        held, self.held = self.held, []
        for answer in held:
            answer()


def test_keys_are_the_labs_and_idle_callbacks_wait_for_a_released_edits_frame(qtbot):
    compute = HeldCommits()
    dock = make_dock(qtbot, compute)
    try:
        lab = dock.lab
        lab.side.contours.setChecked(True)
        lab.transport.step.click()
        handle = lab.figure.em_view.components[0].mean
        handle.setPos(handle.pos().x() + 1.5, handle.pos().y() - 1.0)  # a drag's move: a preview
        assert len(lab.runner.frames) == 3
        handle.sigPositionChangeFinished.emit(handle)  # the release: its commit is held
        assert len(lab.runner.frames) == 3 and lab.controller.busy
        seen = []
        lab.controller.when_idle(lambda: seen.append((len(lab.runner.frames), lab.runner.frame.note)))
        assert seen == []  # the edit's frame has not arrived yet
        compute.flush()
        assert seen == [(4, "edited")] and not lab.controller.busy
        lab.problems.run_seeds()
        assert {"em:run", "em:seeds", "em:eval", "em:commit", "em:heat"} <= compute.keys
        assert all(key.startswith("em:") for key in compute.keys), compute.keys
    finally:
        dock.shutdown()
