"""The lab framework every dock shares: the message bar and the controller base (names, requests,
streams, idle callbacks, failures reported, nothing delivered after shutdown)."""

from __future__ import annotations

import threading

import pytest

from vaeviz.core.jobs import single
from vaeviz.ui.lab.controller import INTERACTIVE_WAIT_S, LabController, user_message
from vaeviz.ui.lab.message_bar import MessageBar
from vaeviz.workers.bridge import InlineRunner


def test_messages_are_kept_per_topic_errors_first(qtbot):
    bar = MessageBar()
    qtbot.addWidget(bar)
    bar.set("note", "duplicates in the data")
    bar.set("blocked", "K is larger than N", "error")
    assert bar.text() == "K is larger than N<br>duplicates in the data"
    assert bar.level == "error" and bar.isVisibleTo(bar.parentWidget() or bar)
    bar.clear("blocked")
    assert bar.text() == "duplicates in the data" and bar.level == "info"
    bar.show_message("saved")
    bar.show_message("saved again")
    assert bar.text() == "duplicates in the data<br>saved again"
    bar.dismiss()
    assert bar.text() == "" and bar.level == "" and not bar.isVisible()
    with pytest.raises(ValueError):
        bar.set("x", "y", "shout")


def test_a_passing_note_clears_itself(qtbot):
    bar = MessageBar()
    qtbot.addWidget(bar)
    bar.set("info", "converged", timeout_ms=30)
    assert bar.topic_text("info") == "converged"
    qtbot.waitUntil(lambda: bar.topic_text("info") == "", timeout=2000)


def test_names_are_the_dock_id_first(qtbot):
    lab = LabController(InlineRunner(), "latent", MessageBar())
    assert lab.key("decode", "vae") == "latent:decode:vae"
    assert lab.channel("main").name == "latent:main"


def test_inline_requests_answer_at_once_and_idle_callbacks_run_now(qtbot):
    lab = LabController(InlineRunner(), "em", MessageBar())
    got = []
    lab.request("eval", single(lambda ctx: 41 + 1), got.append)
    assert got == [42] and not lab.busy
    lab.when_idle(lambda: got.append("idle"))
    assert got == [42, "idle"]


def test_failures_go_to_the_message_bar_unless_handled(qtbot):
    bar = MessageBar()
    lab = LabController(InlineRunner(), "em", bar)

    def boom(ctx):
        raise ValueError("the mixture needs K ≤ N")

    lab.request("eval", single(boom), lambda r: None)
    assert bar.text() == "the mixture needs K ≤ N" and bar.level == "error"
    seen = []
    lab.request("eval", single(boom), lambda r: None, on_failed=lambda m, d: seen.append(m))
    assert seen == ["ValueError: the mixture needs K ≤ N"]
    assert user_message("LabError: no model yet") == "no model yet"


def test_idle_callbacks_wait_for_channels_and_requests(qtbot, compute):
    lab = LabController(compute.bridge, "em", MessageBar())
    release = threading.Event()

    def slow(ctx):
        while not release.is_set():
            yield None
        return "done"

    channel = lab.channel("run")
    results, order = [], []
    channel.finished.connect(results.append)
    channel.submit(slow)
    lab.request("eval", single(lambda ctx: 7), lambda r: order.append(("eval", r)))
    lab.when_idle(lambda: order.append("idle"))
    assert lab.busy
    qtbot.waitUntil(lambda: ("eval", 7) in order, timeout=5000)
    assert "idle" not in order  # the channel still runs
    with qtbot.waitSignal(lab.idle, timeout=5000):
        release.set()
    assert results == ["done"] and order == [("eval", 7), "idle"] and not lab.busy


def test_a_stream_waits_briefly_for_its_answer(qtbot, compute):
    lab = LabController(compute.bridge, "latent", MessageBar())
    got = []
    lab.request("warm", single(lambda ctx: 0), got.append)  # the worker is awake
    qtbot.waitUntil(lambda: got == [0], timeout=5000)
    assert INTERACTIVE_WAIT_S <= 0.005
    for _ in range(20):  # most answers come within the wait: handled before stream() returns
        before = len(got)
        lab.stream("decode", single(lambda ctx: 1), got.append)
        if len(got) > before:
            break
    assert got[-1] == 1


def test_nothing_arrives_after_shutdown(qtbot, compute):
    lab = LabController(compute.bridge, "em", MessageBar())
    release = threading.Event()

    def wait_then(ctx):
        while not release.is_set():
            yield None
        return 1

    got = []
    lab.request("eval", wait_then, got.append)
    lab.shutdown()
    with qtbot.waitSignal(compute.bridge.job_finished, timeout=5000):
        release.set()
    assert got == [] and lab.closed



def test_a_channel_handler_takes_the_end_before_idle_callbacks_run(qtbot, compute):
    """A handler that submits the next job (EM's run going on, a preset's next step) keeps the lab busy:
    "when idle" callbacks wait for the follow-up instead of running between the two jobs."""
    order = []

    def go_on(result):
        order.append(("finished", result))
        if result == 1:
            channel.submit(single(lambda ctx: 2))

    lab = LabController(compute.bridge, "em", MessageBar())
    channel = lab.channel("run", on_finished=go_on)
    release = threading.Event()

    def first(ctx):
        while not release.is_set():
            yield None
        return 1

    channel.submit(first)
    lab.when_idle(lambda: order.append("idle"))
    release.set()
    qtbot.waitUntil(lambda: "idle" in order, timeout=5000)
    assert order == [("finished", 1), ("finished", 2), "idle"]


def test_user_messages_are_bounded_escaped_and_free_of_internal_names():
    assert user_message("CsvError: line 3: '<b>' is not a number") == "line 3: '&lt;b&gt;' is not a number"
    assert user_message("MemoryError: Unable to allocate 931 GiB") == "there is not enough memory for this"
    deep = "RecursionError: maximum recursion depth exceeded"
    assert user_message(deep) == "the input is nested too deeply"
    assert user_message("PermissionError: [Errno 13] Permission denied: '/x'") == "permission denied"
    internal = user_message("ZeroDivisionError: float division by zero")
    assert "ZeroDivisionError" not in internal and "error button" in internal
    assert len(user_message("ValueError: " + "x" * 1_000_000)) <= 400


def test_the_message_bar_shows_at_most_a_bounded_text(qtbot):
    bar = MessageBar()
    qtbot.addWidget(bar)
    bar.show_message("y" * 5_000_000, "error")
    assert len(bar.text()) <= 400 and bar.text().endswith("…")
