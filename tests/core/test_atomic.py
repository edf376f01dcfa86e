"""Atomic writes: temp file + os.replace, clean failure, sensible permissions."""

from __future__ import annotations

import os
import stat

import pytest

from vaeviz.core import atomic
from vaeviz.core.atomic import write_bytes_atomic, write_text_atomic


def names(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_creates_file(tmp_path):
    """A new file gets the bytes and the function returns its Path."""
    target = tmp_path / "out.bin"
    result = write_bytes_atomic(str(target), b"\x00\x01abc")
    assert result == target
    assert target.read_bytes() == b"\x00\x01abc"
    assert names(tmp_path) == ["out.bin"]


def test_replaces_existing_file(tmp_path):
    """An existing file is replaced by the new content in full (not appended, not truncated)."""
    target = tmp_path / "out.bin"
    target.write_bytes(b"a much longer old content")
    write_bytes_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert names(tmp_path) == ["out.bin"]


def test_empty_data(tmp_path):
    """Zero bytes is a valid write."""
    target = tmp_path / "empty"
    write_bytes_atomic(target, b"")
    assert target.read_bytes() == b""


def test_relative_path_in_cwd(tmp_path, monkeypatch):
    """A bare file name is written in the current folder."""
    monkeypatch.chdir(tmp_path)
    write_bytes_atomic("here.txt", b"x")
    assert (tmp_path / "here.txt").read_bytes() == b"x"
    assert names(tmp_path) == ["here.txt"]


def test_missing_folder_raises_and_writes_nothing(tmp_path):
    """A missing folder raises OSError naming it; nothing is created anywhere."""
    target = tmp_path / "missing" / "deeper" / "out.bin"
    with pytest.raises(OSError) as err:
        write_bytes_atomic(target, b"data")
    assert str(tmp_path / "missing" / "deeper") in str(err.value)
    assert names(tmp_path) == []


def test_parent_is_a_file(tmp_path):
    """A 'folder' that is really a file is refused the same way."""
    (tmp_path / "file").write_bytes(b"keep")
    with pytest.raises(OSError):
        write_bytes_atomic(tmp_path / "file" / "out.bin", b"data")
    assert names(tmp_path) == ["file"]
    assert (tmp_path / "file").read_bytes() == b"keep"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="needs POSIX permissions and a non-root user")
def test_read_only_folder(tmp_path):
    """An unwritable folder raises OSError and leaves the old file as it was."""
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "out.bin").write_bytes(b"old")
    folder.chmod(0o500)
    try:
        with pytest.raises(OSError):
            write_bytes_atomic(folder / "out.bin", b"new")
        assert (folder / "out.bin").read_bytes() == b"old"
        assert names(folder) == ["out.bin"]
    finally:
        folder.chmod(0o700)


def test_failure_in_replace_cleans_up(tmp_path, monkeypatch):
    """If os.replace fails the old file is intact and the temp file is removed."""
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    seen = []

    def broken_replace(src, dst):
        seen.append((os.path.basename(src), open(src, "rb").read()))
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(atomic.os, "replace", broken_replace)
    with pytest.raises(OSError, match="cross-device"):
        write_bytes_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert names(tmp_path) == ["out.bin"]
    # the temp file was a hidden sibling holding the complete new data
    (tmp_name, tmp_data), = seen
    assert tmp_name.startswith(".out.bin.") and tmp_name.endswith(".tmp")
    assert tmp_data == b"new"


def test_interrupt_during_write_cleans_up(tmp_path, monkeypatch):
    """Even a KeyboardInterrupt (not an Exception) mid-write removes the temp file and propagates."""
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")

    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_bytes_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert names(tmp_path) == ["out.bin"]


def test_target_is_a_directory(tmp_path):
    """Replacing a folder fails with OSError and leaves no temp file."""
    (tmp_path / "dir").mkdir()
    with pytest.raises(OSError):
        write_bytes_atomic(tmp_path / "dir", b"x")
    assert names(tmp_path) == ["dir"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_new_file_mode_follows_umask(tmp_path):
    """A new file gets 0666 minus the umask, not mkstemp's 0600."""
    old = os.umask(0o022)
    try:
        write_bytes_atomic(tmp_path / "a", b"x")
        assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o644
        os.umask(0o002)
        write_bytes_atomic(tmp_path / "b", b"x")
        assert stat.S_IMODE((tmp_path / "b").stat().st_mode) == 0o664
    finally:
        os.umask(old)


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_existing_file_mode_is_kept(tmp_path):
    """Overwriting keeps the existing file's permissions."""
    target = tmp_path / "secret"
    target.write_bytes(b"old")
    target.chmod(0o640)
    write_bytes_atomic(target, b"new")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert target.read_bytes() == b"new"


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_default_mode_leaves_umask_unchanged():
    """Reading the umask must not change it."""
    old = os.umask(0o027)
    try:
        assert atomic._default_mode() == 0o640
        assert os.umask(0o027) == 0o027
    finally:
        os.umask(old)


def test_write_text_is_utf8(tmp_path):
    """Text is encoded as UTF-8 regardless of the locale."""
    target = tmp_path / "t.txt"
    assert write_text_atomic(target, "µ σ² — é\n") == target
    assert target.read_bytes() == "µ σ² — é\n".encode()
