"""The log file: where it goes, that it rotates, and that failures told in few words are kept in full."""

from __future__ import annotations

import logging

import pytest

from vaeviz import log_file


@pytest.fixture
def logging_into(tmp_path, monkeypatch):
    monkeypatch.setenv("VAEVIZ_LOG_DIR", str(tmp_path / "logs"))
    path = log_file.configure_logging()
    yield path
    log_file.close_logging()


def test_the_folder_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("VAEVIZ_LOG_DIR", raising=False)
    monkeypatch.setenv("VAEVIZ_CONFIG_DIR", str(tmp_path / "cfg"))
    assert log_file.log_path() == tmp_path / "cfg" / "logs" / "vaeviz.log"
    monkeypatch.setenv("VAEVIZ_LOG_DIR", str(tmp_path / "elsewhere"))
    assert log_file.log_folder() == tmp_path / "elsewhere"


def test_a_failure_is_logged_with_its_details(logging_into):
    log_file.log_failure("Open session", "s.json could not be applied", "Traceback…\nRuntimeError: x")
    text = logging_into.read_text(encoding="utf-8")
    assert "ERROR vaeviz: Open session: s.json could not be applied\nTraceback…\nRuntimeError: x" in text


def test_the_log_rotates_and_stays_bounded(logging_into, monkeypatch):
    handler = log_file._handler
    assert isinstance(handler, logging.handlers.RotatingFileHandler)
    handler.maxBytes = 10_000
    for i in range(200):
        log_file.log_failure("job failed", f"failure {i}", "x" * 500)
    files = sorted(p.name for p in logging_into.parent.iterdir())
    assert files == ["vaeviz.log", "vaeviz.log.1", "vaeviz.log.2"]
    assert sum(p.stat().st_size for p in logging_into.parent.iterdir()) < 3 * 11_000


def test_an_unwritable_folder_does_not_stop_the_app(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("VAEVIZ_LOG_DIR", str(blocker / "logs"))
    assert log_file.configure_logging() is None
    log_file.log_failure("x", "y")  # no handler: nothing raised
