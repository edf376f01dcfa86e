"""Every reader refuses special files before opening them: a FIFO would block it until a writer appears
(a session chosen this way used to freeze the window for good), /dev/zero never ends, a folder is not a
file. Each refusal is the reader's own error, naming what the path is."""

from __future__ import annotations

import os

import pytest

from vaeviz.core.data.datasets import DatasetError, load_npz, read_idx
from vaeviz.core.data.pointset_io import CsvError, import_csv
from vaeviz.core.session import SessionError, read_session
from vaeviz.core.vae.checkpoint import CheckpointError, load_checkpoint

READERS = {
    "session": (read_session, SessionError, "s.json"),
    "csv": (import_csv, CsvError, "p.csv"),
    "idx": (read_idx, DatasetError, "i-idx3-ubyte"),
    "npz": (load_npz, DatasetError, "d.npz"),
    "checkpoint": (load_checkpoint, CheckpointError, "m.safetensors"),
}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
@pytest.mark.parametrize("reader", list(READERS))
def test_a_fifo_is_refused_without_blocking(tmp_path, reader):
    read, error, name = READERS[reader]
    os.mkfifo(tmp_path / name)
    with pytest.raises(error, match="a pipe"):
        read(tmp_path / name)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
@pytest.mark.parametrize("reader", list(READERS))
def test_a_device_is_refused_unread(reader):
    read, error, _name = READERS[reader]
    with pytest.raises(error, match="a device"):
        read("/dev/zero")


@pytest.mark.parametrize("reader", ["session", "csv", "idx", "npz", "checkpoint"])
def test_a_folder_is_refused(tmp_path, reader):
    read, error, name = READERS[reader]
    (tmp_path / name).mkdir()
    with pytest.raises(error, match="a folder|not a regular file|not an .npz"):
        read(tmp_path / name)
