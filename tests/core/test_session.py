"""Session documents: building, strict parsing with clear errors, reading and atomic writing."""

from __future__ import annotations

import json
import os

import pytest

from vaeviz.core import atomic
from vaeviz.core.session import (
    FORMAT,
    VERSION,
    SessionError,
    make_session,
    parse_session,
    read_session,
    write_session,
)


def doc_text(**overrides) -> str:
    doc = {"format": FORMAT, "version": VERSION, "app_version": "0.1", "docks": {"kl": {"mu": 1.5}}}
    doc.update(overrides)
    return json.dumps(doc)


def leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_make_session_fields():
    """make_session stamps format, version and app version around the docks' states."""
    doc = make_session({"kl": {"mu": 0.5}}, "1.2.3")
    assert doc == {"format": "vaeviz-session", "version": 1, "app_version": "1.2.3",
                   "docks": {"kl": {"mu": 0.5}}}


def test_make_session_extra():
    """Extra top-level fields are merged in; an empty extra adds nothing."""
    assert make_session({}, "1", {"window": {"w": 800}})["window"] == {"w": 800}
    assert set(make_session({}, "1", {})) == {"format", "version", "app_version", "docks"}


def test_round_trip(tmp_path):
    """What write_session writes, read_session returns unchanged."""
    doc = make_session({"kl": {"mu": 0.5, "names": ["a", "é"]}, "em": {}}, "0.9", {"layout": "abc"})
    path = tmp_path / "s.vaeviz.json"
    write_session(path, doc)
    assert read_session(path) == doc
    assert read_session(str(path)) == doc


def test_written_file_is_stable_json(tmp_path):
    """Output is indented, key-sorted JSON ending with a newline (diff-friendly)."""
    path = tmp_path / "s.json"
    write_session(path, make_session({"b": {}, "a": {}}, "1"))
    text = path.read_text(encoding="utf-8")
    assert text.endswith("}\n")
    assert text.index('"a"') < text.index('"b"')
    assert '\n  "docks"' in text


def test_parse_valid_minimal():
    """A minimal valid document parses; unknown extra fields are kept."""
    doc = parse_session(doc_text(docks={}, future_field=[1]))
    assert doc["docks"] == {} and doc["future_field"] == [1]


@pytest.mark.parametrize("text", ["", "{", "not json at all", "{'format': 'vaeviz-session'}", "\x00\x01"])
def test_not_json(text):
    """Unparseable text -> 'not a JSON file' with position."""
    with pytest.raises(SessionError, match=r"^not a JSON file \(line \d+, column \d+: .+\)$"):
        parse_session(text)


def test_not_json_reports_line():
    """The line number of the JSON error is the real one."""
    with pytest.raises(SessionError, match="line 3"):
        parse_session('{\n "format": "vaeviz-session",\n oops\n}')


@pytest.mark.parametrize(
    "text",
    [
        "[]",
        "42",
        '"vaeviz-session"',
        "null",
        json.dumps({"version": 1, "docks": {}}),
        doc_text(format="other-app"),
        doc_text(format="VAEVIZ-SESSION"),
        doc_text(format=None),
    ],
)
def test_wrong_format(text):
    """Valid JSON that is not a vaeviz session says so."""
    with pytest.raises(SessionError, match="not a vaeviz session"):
        parse_session(text)


@pytest.mark.parametrize("version", [None, "1", 1.0, True, False, [1]])
def test_invalid_version(version):
    """Version must be an int (bools excluded)."""
    with pytest.raises(SessionError, match="no valid 'version'"):
        parse_session(doc_text(version=version))


def test_missing_version():
    """A missing version is an error too."""
    doc = json.loads(doc_text())
    del doc["version"]
    with pytest.raises(SessionError, match="no valid 'version'"):
        parse_session(json.dumps(doc))


def test_newer_version():
    """A file from a newer vaeviz names both versions."""
    with pytest.raises(SessionError) as err:
        parse_session(doc_text(version=VERSION + 1))
    message = str(err.value)
    assert "newer vaeviz" in message
    assert f"session version {VERSION + 1}" in message
    assert f"reads up to {VERSION}" in message


@pytest.mark.parametrize("version", [0, -3])
def test_old_unknown_version(version):
    """Versions below 1 never existed."""
    with pytest.raises(SessionError, match=f"unknown session version {version}"):
        parse_session(doc_text(version=version))


@pytest.mark.parametrize("docks", [None, [], "kl", 3, {"kl": []}, {"kl": 1}, {"kl": {}, "em": None}])
def test_bad_docks(docks):
    """'docks' must map names to objects."""
    with pytest.raises(SessionError, match="'docks' field must map dock names to objects"):
        parse_session(doc_text(docks=docks))


def test_missing_docks():
    """A session without docks is rejected."""
    doc = json.loads(doc_text())
    del doc["docks"]
    with pytest.raises(SessionError, match="'docks'"):
        parse_session(json.dumps(doc))


def test_session_error_is_value_error():
    """Callers catching ValueError also catch SessionError."""
    assert issubclass(SessionError, ValueError)


def test_read_missing_file(tmp_path):
    """A missing file becomes a SessionError, not an OSError."""
    with pytest.raises(SessionError, match="cannot read the session file: No such file"):
        read_session(tmp_path / "nope.json")


def test_read_directory(tmp_path):
    """A folder instead of a file is a readable SessionError."""
    with pytest.raises(SessionError, match="the session file is a folder, not a regular file"):
        read_session(tmp_path)


def test_read_binary_file(tmp_path):
    """Non-UTF-8 bytes -> 'not a text file'."""
    path = tmp_path / "image.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00")
    with pytest.raises(SessionError, match="not a text file"):
        read_session(path)


def test_read_invalid_content(tmp_path):
    """read_session applies the same checks as parse_session."""
    path = tmp_path / "s.json"
    path.write_text(doc_text(version=99), encoding="utf-8")
    with pytest.raises(SessionError, match="newer vaeviz"):
        read_session(path)


@pytest.fixture
def old_session(tmp_path):
    path = tmp_path / "s.json"
    write_session(path, make_session({"kl": {"old": True}}, "old"))
    return path, path.read_bytes()


def test_write_failure_at_replace_keeps_old_file(old_session, monkeypatch):
    """If the final rename fails the old file is intact and no temporary file remains."""
    path, before = old_session

    def broken_replace(src, dst):
        assert os.path.exists(src)  # the new content was fully written to a temp file first
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", broken_replace)
    with pytest.raises(OSError, match="No space left"):
        write_session(path, make_session({"kl": {"new": True}}, "new"))
    assert path.read_bytes() == before
    assert leftovers(path.parent) == []


def test_write_failure_mid_write_keeps_old_file(old_session, monkeypatch):
    """A crash while flushing the data (after the temp file exists) leaves no trace."""
    path, before = old_session

    def broken_fsync(fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(atomic.os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="Input/output error"):
        write_session(path, make_session({"kl": {"new": True}}, "new"))
    assert path.read_bytes() == before
    assert leftovers(path.parent) == []


def test_unserialisable_doc_writes_nothing(old_session):
    """NaN or non-JSON values fail before touching the disk."""
    path, before = old_session
    with pytest.raises(ValueError):
        write_session(path, make_session({"kl": {"x": float("nan")}}, "new"))
    with pytest.raises(TypeError):
        write_session(path, make_session({"kl": {"x": object()}}, "new"))
    assert path.read_bytes() == before
    assert leftovers(path.parent) == []


def test_write_to_missing_folder(tmp_path):
    """Writing into a folder that does not exist raises OSError and creates nothing."""
    with pytest.raises(OSError, match="folder does not exist"):
        write_session(tmp_path / "gone" / "s.json", make_session({}, "1"))
    assert list(tmp_path.iterdir()) == []


def test_deep_nesting_is_a_session_error(tmp_path):
    """JSON nested 200,000 deep (the parser's RecursionError) and merely too deep for a session."""
    path = tmp_path / "deep.json"
    path.write_text("[" * 200_000 + "]" * 200_000)
    with pytest.raises(SessionError, match="nests more than 32 levels"):
        read_session(path)
    nested: dict = {}
    inner = nested
    for _ in range(40):
        inner["x"] = {}
        inner = inner["x"]
    with pytest.raises(SessionError, match="nests more than 32 levels"):
        parse_session(doc_text(docks={"em": nested}))


def test_a_session_over_the_size_limit_is_refused_unread(tmp_path, monkeypatch):
    from vaeviz.core import limits, session

    monkeypatch.setattr(session, "SESSION", limits.FileLimit("session file", 50))
    path = tmp_path / "big.json"
    path.write_text(doc_text())
    with pytest.raises(SessionError, match="the session file is .* bytes; the limit is 50 bytes"):
        read_session(path)


def test_too_many_values_are_refused_before_parsing():
    """A 20 MB file of 3 million small numbers would cost ~300 MB once parsed: counted on the text first."""
    with pytest.raises(SessionError, match="the limit is 1,000,000 values and 300,000 arrays"):
        parse_session(doc_text(docks={"em": {"x": [1.5] * 1_500_000}}))
    with pytest.raises(SessionError, match="300,000 arrays"):
        parse_session(doc_text(docks={"em": {"x": [[]] * 400_000}}))
