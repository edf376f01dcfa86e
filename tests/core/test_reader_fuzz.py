"""Fuzzing every file reader: random bytes and mutated valid files raise only the reader's own error
type (a clear message for the user), never anything else, and never allocate beyond a small bound.

Each example is a file the test writes; peak Python allocations while reading it are measured with
tracemalloc (numpy's allocations are traced too).
"""

from __future__ import annotations

import gzip
import io
import json
import tracemalloc
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from vaeviz.core.data.datasets import DatasetError, load_image_folder, load_npz, read_idx, write_idx
from vaeviz.core.data.pointset_io import CsvError, import_csv
from vaeviz.core.session import FORMAT, SessionError, read_session

PEAK_LIMIT = 64 << 20  # no example here is larger than a few kilobytes: 64 MB means "bounded"
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _mutations(valid: bytes):
    """Valid bytes with a few bytes flipped, a piece cut out, or random bytes inserted."""
    flips = st.lists(st.tuples(st.integers(0, max(len(valid) - 1, 0)), st.integers(0, 255)), max_size=8)

    @st.composite
    def mutate(draw):
        data = bytearray(valid)
        for pos, value in draw(flips):
            if data:
                data[pos % len(data)] = value
        if draw(st.booleans()) and data:
            a = draw(st.integers(0, len(data)))
            b = draw(st.integers(a, len(data)))
            del data[a:b]
        if draw(st.booleans()):
            at = draw(st.integers(0, len(data)))
            data[at:at] = draw(st.binary(max_size=64))
        return bytes(data)

    return mutate()


def _inputs(valid: bytes):
    return st.one_of(st.binary(max_size=2048), _mutations(valid))


def _read_bounded(read, path, error: type[Exception]) -> None:
    tracemalloc.start()
    try:
        try:
            read(path)
        except error as exc:
            assert str(exc), "an error without a message"
            assert len(str(exc)) < 1000, "a message must be short"
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < PEAK_LIMIT


def _csv_bytes() -> bytes:
    return b"x,y,label\n0.5,1.25,0\n-3,4e2,1\n# comment\n7;8,5;2\n"


def _session_bytes() -> bytes:
    doc = {"format": FORMAT, "version": 1, "app_version": "0.1",
           "docks": {"em": {"version": 1, "settings": {"k": 3}}, "kl": {}}}
    return json.dumps(doc).encode()


def _idx_bytes(compressed: bool) -> bytes:
    buffer = io.BytesIO()
    images = np.arange(2 * 4 * 4, dtype=np.uint8).reshape(2, 4, 4)
    header = bytes([0, 0, 8, 3]) + b"".join(d.to_bytes(4, "big") for d in images.shape)
    raw = header + images.tobytes()
    buffer.write(gzip.compress(raw, mtime=0) if compressed else raw)
    return buffer.getvalue()


def _npz_bytes() -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, images=np.zeros((2, 4, 4), np.uint8), labels=np.array([0, 1]))
    return buffer.getvalue()


def _png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (6, 5), 100).save(buffer, format="PNG")
    return buffer.getvalue()


def _checkpoint_bytes() -> bytes:
    import tempfile
    from pathlib import Path

    from vaeviz.core.vae.checkpoint import save_checkpoint
    from vaeviz.core.vae.models import ModelConfig, build_model

    config = ModelConfig(kind="mlp-vae", image_shape=(1, 4, 4), hidden=(8,))
    with tempfile.TemporaryDirectory() as folder:
        path = save_checkpoint(Path(folder) / "m.safetensors", build_model(config, seed=0))
        return path.read_bytes()


def _read_checkpoint(path):
    from vaeviz.core.vae.checkpoint import load_checkpoint

    return load_checkpoint(path)


def _checkpoint_error():
    from vaeviz.core.vae.checkpoint import CheckpointError

    return CheckpointError


# reader -> (file name, valid bytes to mutate, read, error type); image folders read the folder
READERS = {
    "csv": ("f.csv", _csv_bytes, import_csv, lambda: CsvError),
    "session": ("s.json", _session_bytes, read_session, lambda: SessionError),
    "idx-raw": ("f-idx3-ubyte", lambda: _idx_bytes(False), read_idx, lambda: DatasetError),
    "idx-gzip": ("f-idx3-ubyte", lambda: _idx_bytes(True), read_idx, lambda: DatasetError),
    "npz": ("f.npz", _npz_bytes, load_npz, lambda: DatasetError),
    "image-folder": ("images/a.png", _png_bytes, lambda path: load_image_folder(path.parent),
                     lambda: DatasetError),
    "checkpoint": ("m.safetensors", lambda: CHECKPOINT_BYTES, _read_checkpoint, _checkpoint_error),
}


@pytest.mark.parametrize("reader", list(READERS))
@FUZZ
@given(data=st.data())
def test_reader(tmp_path, reader, data):
    name, valid, read, error = READERS[reader]
    path = tmp_path / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data.draw(_inputs(valid())))
    _read_bounded(read, path, error())


def test_the_valid_seeds_are_valid(tmp_path):
    """The files the mutations start from are read without error (else the fuzzing starts nowhere)."""
    (tmp_path / "f.csv").write_bytes(_csv_bytes())
    assert len(import_csv(tmp_path / "f.csv")[0]) == 3
    (tmp_path / "s.json").write_bytes(_session_bytes())
    assert read_session(tmp_path / "s.json")["format"] == FORMAT
    for compressed in (False, True):
        (tmp_path / "i").write_bytes(_idx_bytes(compressed))
        assert read_idx(tmp_path / "i").shape == (2, 4, 4)
    (tmp_path / "f.npz").write_bytes(_npz_bytes())
    assert load_npz(tmp_path / "f.npz").images.shape == (2, 4, 4)
    folder = tmp_path / "images"
    folder.mkdir()
    (folder / "a.png").write_bytes(_png_bytes())
    assert load_image_folder(folder).images.shape == (1, 5, 6)
    write_idx(tmp_path / "w.gz", np.zeros((1, 2, 2), np.uint8))  # (the writer used by the IDX tests)
    with zipfile.ZipFile(io.BytesIO(_npz_bytes())) as archive:
        assert sorted(archive.namelist()) == ["images.npy", "labels.npy"]


CHECKPOINT_BYTES = _checkpoint_bytes()
