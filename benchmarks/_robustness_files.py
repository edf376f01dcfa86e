"""The bad input files of :mod:`benchmarks.robustness`: every reader, every kind of hostile file.

:func:`make_cases` writes them into a folder and returns one :class:`Case` per file (or folder, or pair of
IDX files) in a fixed order. Nothing here imports Qt; torch only to write the one valid checkpoint the
checkpoint cases are mutated from. Big files are sparse (``truncate``) or compressed, so the whole set
takes a few megabytes of disk and a few seconds to write.
"""

from __future__ import annotations

import copy
import gzip
import io
import json
import os
import pickle
import random
import struct
import zipfile
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from vaeviz.core import limits

MB = 1 << 20
# The readers as the app calls them (see robustness.py for which thread runs each).
READERS = ("session", "csv", "idx", "idx-pair", "npz", "folder", "checkpoint")
# A file name per reader for the special files (FIFOs, folders, sparse files...).
NAMES = {"session": "session.json", "csv": "points.csv", "idx": "train-images-idx3-ubyte",
         "npz": "images.npz", "checkpoint": "model.safetensors"}
SIZE_LIMITS = {"session": limits.SESSION, "csv": limits.CSV, "idx": limits.IDX, "npz": limits.NPZ,
               "checkpoint": limits.CHECKPOINT}


@dataclass
class Case:
    """One bad input: ``reader`` opens ``path`` (for ``idx-pair``: ``paths``, images then labels)."""

    id: str
    reader: str
    path: str
    what: str
    paths: list[str] = field(default_factory=list)
    heavy: bool = False  # large (if sparse or compressed) or slow to open: left out of the quick run

    def to_dict(self) -> dict:
        return asdict(self)


class _Writer:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.cases: list[Case] = []
        self.rng = random.Random(13)
        self.quick = False  # leave out the heavy cases (and do not write them)

    def path(self, case_id: str, name: str) -> Path:
        folder = self.root / case_id
        folder.mkdir(parents=True, exist_ok=True)
        return folder / name

    def add(self, case_id: str, reader: str, path: Path | str, what: str, *, paths=(), heavy=False) -> None:
        if heavy and self.quick:
            return
        assert all(c.id != case_id for c in self.cases), case_id
        self.cases.append(Case(case_id, reader, str(path), what, [str(p) for p in paths], heavy))

    def file(self, case_id: str, reader: str, name: str, data, what: str, heavy: bool = False) -> Path | None:
        """Write ``data`` (bytes, or a function returning them: heavy data is only made when used)."""
        if heavy and self.quick:
            return None
        path = self.path(case_id, name)
        path.write_bytes(data() if callable(data) else data)
        self.add(case_id, reader, path, what, heavy=heavy)
        return path

    def random_bytes(self, n: int) -> bytes:
        return bytes(self.rng.getrandbits(8) for _ in range(n))

    def flip(self, data: bytes, positions) -> bytes:
        out = bytearray(data)
        for pos in positions:
            out[pos] ^= 0xFF
        return bytes(out)


# ----- valid files the mutations start from ----------------------------------------------------------
def _idx_bytes(images: np.ndarray) -> bytes:
    header = bytes([0, 0, 8, images.ndim]) + b"".join(d.to_bytes(4, "big") for d in images.shape)
    return header + images.astype(np.uint8).tobytes()


def _npz_bytes(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def _png(width: int, height: int, rows: int | None = None, end: bool = True) -> bytes:
    """A grey 8-bit PNG of zeros, streamed (a 12000² one is ~140 KB); ``rows`` < height cuts the pixels."""
    squeeze = zlib.compressobj(9)
    row = b"\x00" * (width + 1)
    parts = []
    for _ in range(height if rows is None else rows):
        parts.append(squeeze.compress(row))
    parts.append(squeeze.flush() if rows is None else squeeze.flush(zlib.Z_SYNC_FLUSH))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    body = _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", b"".join(parts))
    return b"\x89PNG\r\n\x1a\n" + body + (_png_chunk(b"IEND", b"") if end else b"")


def _checkpoint_bytes(root: Path) -> bytes:
    from vaeviz.core.vae.checkpoint import save_checkpoint
    from vaeviz.core.vae.models import ModelConfig, build_model

    config = ModelConfig(kind="mlp-vae", image_shape=(1, 4, 4), hidden=(8,))
    return save_checkpoint(root / "valid.safetensors", build_model(config, seed=0)).read_bytes()


def _safetensors(header: dict, payload: bytes = b"") -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + payload


def _split_safetensors(data: bytes) -> tuple[dict, bytes]:
    size = struct.unpack("<Q", data[:8])[0]
    return json.loads(data[8:8 + size]), data[8 + size:]


# ----- special files: the same for every reader --------------------------------------------------------
def _special(w: _Writer, reader: str) -> None:
    name = NAMES[reader]
    limit = SIZE_LIMITS[reader]
    w.file(f"{reader}-empty", reader, name, b"", "an empty file")
    w.file(f"{reader}-random-4k", reader, name, w.random_bytes(4096), "4 KB of random bytes")
    w.file(f"{reader}-random-1m", reader, name, os.urandom(1 * MB), "1 MB of random bytes")
    if hasattr(os, "mkfifo"):
        fifo = w.path(f"{reader}-fifo", name)
        os.mkfifo(fifo)
        w.add(f"{reader}-fifo", reader, fifo, "a FIFO (no writer: opening it would block)")
    w.add(f"{reader}-dev-zero", reader, "/dev/zero", "/dev/zero itself (never ends)")
    link = w.path(f"{reader}-link-dev-zero", name)
    os.symlink("/dev/zero", link)
    w.add(f"{reader}-link-dev-zero", reader, link, "a symlink to /dev/zero named like the file")
    folder = w.path(f"{reader}-folder", name)
    folder.mkdir()
    w.add(f"{reader}-folder", reader, folder, "a folder named like the file")
    w.add(f"{reader}-missing", reader, w.path(f"{reader}-missing", "x").parent / name, "a missing file")
    sparse = w.path(f"{reader}-sparse-over", name)
    with open(sparse, "wb") as f:
        f.truncate(limit.max_bytes + 1)
    w.add(f"{reader}-sparse-over", reader, sparse,
          f"a sparse file of {limit.max_bytes + 1:,} bytes (1 byte over the {limit.what} limit)")
    sparse = w.path(f"{reader}-sparse-under", name)
    with open(sparse, "wb") as f:
        f.truncate(limit.max_bytes - 1 * MB)
    w.add(f"{reader}-sparse-under", reader, sparse,
          f"a sparse file of zeros 1 MB under the {limit.what} limit", heavy=True)


# ----- per reader -------------------------------------------------------------------------------------
def _csv(w: _Writer) -> None:
    f = lambda case_id, data, what, heavy=False: w.file(case_id, "csv", "points.csv", data, what, heavy)  # noqa: E731
    valid = b"x,y,label\n0.5,1.25,0\n-3,4e2,1\n"
    f("csv-field-1mb", b"x,y\n" + b"1" * MB + b",2\n", "a 1 MB field")
    f("csv-field-1mb-text", b"x,y\n1," + b"a" * MB + b"\n", "a 1 MB text field")
    f("csv-number-50mb", lambda: b"x,y\n" + b"9" * (50 * MB) + b",1\n", "a 50 MB number", heavy=True)
    f("csv-lines-50mb", lambda: b"0,0\n" + b"1,2,3,4\n" * (6 * MB), "6 M lines of 4 columns (50 MB)",
      heavy=True)
    f("csv-1e300", b"x,y\n0,1e300\n", "a coordinate of 1e300 (beyond ±1e100)")
    f("csv-1e100000", b"x,y\n0,1e100000\n", "1e100000 (overflows to inf)")
    f("csv-nan", b"x,y\nnan,0\n", "NaN")
    f("csv-inf", b"x,y\n0,-inf\n", "-inf")
    f("csv-1000001-points", b"x,y\n" + b"0,0\n" * 1_000_001, "1,000,001 points (limit 1,000,000)")
    f("csv-4-columns", b"1,2,3,4\n", "4 columns")
    f("csv-ragged", b"1,2\n1,2,3\n", "a 3-column line after 2-column lines")
    f("csv-label-float", b"1,2,1.5\n", "a label of 1.5")
    f("csv-label-huge", b"1,2," + b"9" * 60 + b"\n", "a label of 10**60")
    f("csv-latin1", "x,y\n1,2 # café\n".encode("latin-1"), "latin-1 bytes (not UTF-8)")
    f("csv-utf16", "x,y\n1,2\n".encode("utf-16"), "UTF-16 with a BOM")
    f("csv-nul", b"1,2\n\x00\x00\x00\n", "NUL bytes")
    f("csv-header-only", b"x,y,label\n", "only a header")
    f("csv-truncated", valid[:len(valid) - 4], "a valid file cut mid-line (one column left)")
    f("csv-bit-flipped", valid.replace(b"1.25", b"1.2\xda"), "a valid file with a bit-flipped digit")
    f("csv-long-line", b"1,2" + b"," * (2 * MB) + b"\n", "a 2 MB line of commas")


def _sessions(w: _Writer, template: dict) -> None:
    def doc_file(case_id: str, what: str, doc=None, text: str | bytes | None = None, heavy=False) -> None:
        if heavy and w.quick:
            return
        data = text if text is not None else json.dumps(doc)
        w.file(case_id, "session", "session.json", data.encode() if isinstance(data, str) else data, what,
               heavy)

    def edited(keys: tuple, value):
        doc = copy.deepcopy(template)
        node = doc["docks"]
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value
        return doc

    good = json.dumps(template)
    doc_file("session-nested-lists-200k", "JSON lists nested 200,000 deep",
             text="[" * 200_000 + "]" * 200_000)
    doc_file("session-nested-objects-200k", "JSON objects nested 200,000 deep",
             text='{"a":' * 200_000 + "1" + "}" * 200_000)
    doc_file("session-nested-33", "a session nested 33 levels deep (limit 32)",
             edited(("em", "extra"), json.loads("[" * 30 + "]" * 30)))
    doc_file("session-wrong-format", "another program's JSON", {**template, "format": "other"})
    doc_file("session-newer", "a newer session version", {**template, "version": 99})
    doc_file("session-version-text", "version as text", {**template, "version": "1"})
    doc_file("session-version-bool", "version true", {**template, "version": True})
    doc_file("session-version-huge", "version 10**30",
             text=good.replace('"version": 1', '"version": 1' + "0" * 30, 1))
    doc_file("session-docks-list", "docks as a list", {**template, "docks": [1, 2]})
    doc_file("session-dock-text", "a dock's state as text", {**template, "docks": {"em": "x"}})
    doc_file("session-top-list", "a JSON list", [template])
    doc_file("session-em-show-list", "em.show as a list", edited(("em", "show"), [1, 2]))
    doc_file("session-em-settings-list", "em.settings as a list", edited(("em", "settings"), [1, 2]))
    doc_file("session-latent-view-list", "latent.view as a list", edited(("latent", "view"), [1]))
    doc_file("session-latent-data-list", "latent.data as a list", edited(("latent", "data"), [1]))
    doc_file("session-seed-1e30", "a seed of 1e30", edited(("em", "settings", "seed"), 1e30))
    doc_file("session-seed-text", "a seed of 'abc'", edited(("em", "settings", "seed"), "abc"))
    doc_file("session-k-bool", "K true", edited(("em", "settings", "k"), True))
    doc_file("session-k-huge", "K 10**12", edited(("em", "settings", "k"), 10**12))
    if not w.quick:
        doc_file("session-points-1000001", "1,000,001 points",
                 edited(("em", "data"), {"points": [[0.0, 0.0]] * 1_000_001, "labels": None}), heavy=True)
        doc_file("session-picks-many", "1,000,001 picks", edited(("latent", "picks"), [0] * 1_000_001),
                 heavy=True)
    doc_file("session-point-1e300", "a point at 1e300",
             edited(("em", "data"), {"points": [[0.0, 1e300]], "labels": None}))
    doc_file("session-point-nan", "a NaN point",
             edited(("em", "data"), {"points": [[float("nan"), 0.0]], "labels": None}))
    eye = [[1.0, 0.0], [0.0, 1.0]]
    doc_file("session-mixture-means-huge", "mixture means of 1e300",
             edited(("em", "mixture"), {"weights": [1 / 3] * 3, "means": [[1e300, 1e300]] * 3,
                                        "covariances": [eye] * 3, "covariance_type": "full"}))
    doc_file("session-picks-1e12", "a pick of 10**12", edited(("latent", "picks"), [10**12]))
    doc_file("session-picks-negative", "a pick of -1", edited(("latent", "picks"), [-1]))
    doc_file("session-latent-dim-huge", "latent size 10**9",
             edited(("latent", "model", "latent_dim"), 10**9))
    doc_file("session-grid-huge", "a 10**6 manifold grid", edited(("latent", "view", "grid_n"), 10**6))
    doc_file("session-dock-name-5mb", "a 5 MB dock name",
             {**template, "docks": {**template["docks"], "x" * (5 * MB): {"version": 1}}})
    doc_file("session-preset-name-5mb", "a 5 MB data preset name",
             edited(("em", "data_preset", "name"), "x" * (5 * MB)))
    doc_file("session-not-utf8", "latin-1 bytes", text=good.replace("blobs", "blöbs").encode("latin-1"))
    doc_file("session-utf16", "UTF-16 text", text=good.encode("utf-16"))
    doc_file("session-truncated", "a valid session cut in half", text=good[: len(good) // 2])
    doc_file("session-bit-flipped", "a valid session with its first brace bit-flipped",
             text=w.flip(good.encode(), [0]))
    doc_file("session-whitespace-30mb", "30 MB of spaces, then {}", text=" " * (30 * MB) + "{}", heavy=True)


def _idx(w: _Writer) -> None:
    f = lambda case_id, data, what, heavy=False: w.file(case_id, "idx", "train-images-idx3-ubyte", data, what,  # noqa: E731
                                                       heavy)
    images = np.arange(2 * 4 * 4, dtype=np.uint8).reshape(2, 4, 4)
    valid = _idx_bytes(images)
    f("idx-wrong-magic", w.flip(valid, [0]), "a bit-flipped magic number")
    f("idx-ndim-0", bytes([0, 0, 8, 0]), "0 dimensions")
    f("idx-type-unknown", bytes([0, 0, 0x42, 1, 0, 0, 0, 1, 0]), "an unknown element type")
    f("idx-header-cut", valid[:9], "a header cut short")
    f("idx-huge-dims", bytes([0, 0, 8, 3]) + b"\xff\xff\xff\xff" * 3 + b"\x00" * 16,
      "a header claiming 4294967295³ pixels")
    f("idx-255-dims", bytes([0, 0, 8, 255]) + b"\x00\x00\x00\x02" * 255,
      "255 dimensions of 2 (2**255 pixels)")
    f("idx-truncated", valid[:-5], "a valid file cut short")
    f("idx-trailing", valid + b"\x00" * 7, "trailing bytes")
    packed = gzip.compress(valid, mtime=0)
    f("idx-gz-truncated", packed[: len(packed) // 2], "a gzip file cut in half")
    f("idx-gz-corrupt", w.flip(packed, [12, 13, 14]), "a gzip file with corrupted deflate data")
    f("idx-gz-crc", packed[:-8] + b"\x00" * 8, "a gzip file with a wrong CRC and size")
    f("idx-gz-garbage-after", packed + b"garbage!", "a gzip file with garbage after its member")
    mnist_header = bytes([0, 0, 8, 3, 0, 0, 0xEA, 0x60, 0, 0, 0, 28, 0, 0, 0, 28])  # 60000 × 28 × 28
    f("idx-gz-bomb", lambda: _gzip_zeros(256 * MB, header=mnist_header),
      "a gzip bomb: 256 MB of zeros in ~250 KB", heavy=True)
    f("idx-gz-near-limit", lambda: _gzip_zeros(limits.IDX.max_expanded_bytes - MB,
                                       header=bytes([0, 0, 8, 1, 0, 0, 0, 1])),
      "gzip expanding to 1 MB under the limit, with a header announcing 1 byte", heavy=True)
    f("idx-gz-members", lambda: b"".join(gzip.compress(b"\x00" * MB, mtime=0) for _ in range(200)),
      "200 gzip members of 1 MB of zeros each", heavy=True)
    labels = np.array([0, 1, 2], np.uint8)
    pair = w.path("idx-pair-count-mismatch", "x").parent
    (pair / "images-idx3-ubyte").write_bytes(valid)
    (pair / "labels-idx1-ubyte").write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 3]) + labels.tobytes())
    w.add("idx-pair-count-mismatch", "idx-pair", pair / "images-idx3-ubyte", "2 images but 3 labels",
          paths=[pair / "images-idx3-ubyte", pair / "labels-idx1-ubyte"])
    pair = w.path("idx-pair-swapped", "x").parent
    (pair / "images-idx3-ubyte").write_bytes(valid)
    (pair / "labels-idx1-ubyte").write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 2, 0, 1]))
    w.add("idx-pair-swapped", "idx-pair", pair / "labels-idx1-ubyte", "labels given as the images",
          paths=[pair / "labels-idx1-ubyte", pair / "images-idx3-ubyte"])
    pair = w.path("idx-pair-labels-fifo", "x").parent
    (pair / "images-idx3-ubyte").write_bytes(valid)
    os.mkfifo(pair / "labels-idx1-ubyte")
    w.add("idx-pair-labels-fifo", "idx-pair", pair / "images-idx3-ubyte",
          "a valid images file, labels a FIFO",
          paths=[pair / "images-idx3-ubyte", pair / "labels-idx1-ubyte"])


def _gzip_zeros(n: int, header: bytes = b"") -> bytes:
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [squeeze.compress(header)]
    block = b"\x00" * MB
    for _ in range(n // MB):
        parts.append(squeeze.compress(block))
    parts.append(squeeze.compress(b"\x00" * (n % MB)))
    parts.append(squeeze.flush())
    return b"".join(parts)


def _npy_header(shape: tuple, descr: str = "|u1", version: tuple = (1, 0)) -> bytes:
    text = repr({"descr": descr, "fortran_order": False, "shape": shape}).encode()
    text += b" " * (63 - (len(text) + 10) % 64) + b"\n"
    length = struct.pack("<H", len(text)) if version == (1, 0) else struct.pack("<I", len(text))
    return b"\x93NUMPY" + bytes(version) + length + text


def _zip(members: dict[str, bytes], deflate: bool = True) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _npz_zero_bomb(path: Path, n: int, shape: tuple, extra: dict[str, bytes] | None = None) -> None:
    """An .npz whose images.npy is ``n`` bytes of zeros, deflated (written in pieces)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("images.npy", "w", force_zip64=True) as member:
            member.write(_npy_header(shape))
            block = b"\x00" * MB
            for _ in range(n // MB):
                member.write(block)
            member.write(b"\x00" * (n % MB))
        for name, data in (extra or {}).items():
            archive.writestr(name, data)


def _npz(w: _Writer) -> None:
    f = lambda case_id, data, what, heavy=False: w.file(case_id, "npz", "images.npz", data, what, heavy)  # noqa: E731
    valid = _npz_bytes(images=np.zeros((2, 4, 4), np.uint8), labels=np.array([0, 1]))
    f("npz-no-images", _npz_bytes(pixels=np.zeros((2, 4, 4), np.uint8)), "no 'images' array")
    f("npz-object-array", _npz_bytes(images=np.array([{"a": 1}, None], dtype=object)),
      "an object array (would need pickle)")
    f("npz-images-2d", _npz_bytes(images=np.zeros((4, 4), np.uint8)), "2-D images")
    f("npz-images-complex", _npz_bytes(images=np.zeros((2, 4, 4), np.complex64)), "complex images")
    f("npz-labels-float", _npz_bytes(images=np.zeros((2, 4, 4), np.uint8), labels=np.array([0.5, 1.5])),
      "float labels")
    f("npz-label-names-2d", _npz_bytes(images=np.zeros((2, 4, 4), np.uint8), label_names=np.zeros((2, 2))),
      "2-D numeric label names")
    f("npz-pickle-named-npz", pickle.dumps({"images": [1, 2, 3]}), "a pickle named .npz")
    f("npz-huge-shape", _zip({"images.npy": _npy_header((10**6, 10**6, 10**6)) + b"\x00" * 64}),
      "an .npy header claiming 10¹⁸ bytes, 64 bytes of data")
    f("npz-npy-version-3", _zip({"images.npy": _npy_header((2, 2), version=(3, 0)) + b"\x00" * 4}),
      ".npy format version 3.0")
    f("npz-npy-bad-header", _zip({"images.npy": b"\x93NUMPY\x01\x00\x10\x00{'descr': os.sys}\n"}),
      "an .npy header that is not a literal")
    f("npz-truncated", valid[: len(valid) // 2], "a valid archive cut in half")
    f("npz-bit-flipped", w.flip(valid, range(60, 70)), "a valid archive with bit-flipped member data")
    lying = bytearray(_zip({"images.npy": _npy_header((2, 4, 4)) + b"\x00" * 32}))
    central = lying.rfind(b"PK\x01\x02")
    lying[central + 24:central + 28] = struct.pack("<I", 0xFFFFFFF0)  # uncompressed size in the directory
    f("npz-lying-size", bytes(lying), "a zip directory claiming a 4 GB member")
    if w.quick:
        return
    bomb = w.path("npz-deflate-bomb", "images.npz")
    _npz_zero_bomb(bomb, 256 * MB, (256, 1024, 1024))
    w.add("npz-deflate-bomb", "npz", bomb, "a deflate bomb: 256 MB of zeros in ~250 KB", heavy=True)
    near = w.path("npz-near-limit-bad-labels", "images.npz")
    n = limits.NPZ.max_expanded_bytes - 2 * MB
    _npz_zero_bomb(near, n, (n // 4096, 64, 64),
                   extra={"labels.npy": _npy_header((2,), "<f8") + b"\x00" * 16})
    w.add("npz-near-limit-bad-labels", "npz", near,
          "uint8 images 2 MB under the expanded limit (deflated) with float labels", heavy=True)


def _checkpoints(w: _Writer, valid: bytes) -> None:
    f = lambda case_id, data, what, name="model.safetensors", heavy=False: w.file(  # noqa: E731
        case_id, "checkpoint", name, data, what, heavy)
    header, payload = _split_safetensors(valid)
    meta = header["__metadata__"]
    config = json.loads(meta["config"])

    def with_config(**changes) -> bytes:
        h = copy.deepcopy(header)
        h["__metadata__"]["config"] = json.dumps({**config, **changes})
        return _safetensors(h, payload)

    for protocol in (2, 4, 5):
        f(f"checkpoint-pickle-p{protocol}", pickle.dumps({"weights": [1.0] * 10}, protocol=protocol),
          f"a pickle (protocol {protocol}) named .safetensors")
    f("checkpoint-pt-name", valid, "a valid checkpoint named .pt", name="model.pt")
    f("checkpoint-zip", _zip({"archive/data.pkl": pickle.dumps([1])}), "a torch.save-style zip")
    f("checkpoint-header-2e63", struct.pack("<Q", 2**63) + b"{}", "a header length of 2**63")
    f("checkpoint-header-not-json", struct.pack("<Q", 10) + b"{not json}", "a header that is not JSON")
    f("checkpoint-header-list", _safetensors([1, 2]), "a header that is a JSON list")  # type: ignore[arg-type]
    tensors_only = {k: v for k, v in header.items() if k != "__metadata__"}
    f("checkpoint-no-metadata", _safetensors(tensors_only, payload),
      "tensors without vaeviz metadata")
    newer = copy.deepcopy(header)
    newer["__metadata__"]["format_version"] = "99"
    f("checkpoint-newer", _safetensors(newer, payload), "a newer checkpoint format")
    f("checkpoint-hidden-huge", with_config(hidden=[100_000, 100_000]),
      "metadata claiming 100,000² hidden layers")
    f("checkpoint-image-huge", with_config(image_shape=[1, 100_000, 100_000]),
      "metadata claiming 100,000² images")
    f("checkpoint-latent-huge", with_config(latent_dim=10**9), "metadata claiming a latent size of 10**9")
    f("checkpoint-many-layers", with_config(hidden=[8] * 100_000), "metadata claiming 100,000 hidden layers",
      heavy=True)
    f("checkpoint-config-list", with_config(hidden="x" * 1000), "a text where layer sizes belong")
    f("checkpoint-kind-unknown", with_config(kind="gan"), "an unknown model kind")
    f("checkpoint-metrics-nested", _safetensors({**header, "__metadata__": {
        **meta, "metrics": "[" * 100_000 + "]" * 100_000}}, payload), "metrics nested 100,000 deep")
    shapes = copy.deepcopy(header)
    first = next(k for k in shapes if k != "__metadata__")
    shapes[first]["shape"] = [3, 3]
    f("checkpoint-shape-mismatch", _safetensors(shapes, payload), "a tensor whose shape does not match")
    offsets = copy.deepcopy(header)
    offsets[first]["data_offsets"] = [0, 2**40]
    f("checkpoint-offsets-beyond", _safetensors(offsets, payload), "data offsets beyond the file")
    nan = bytearray(payload)
    start = header[first]["data_offsets"][0]
    nan[start:start + 4] = struct.pack("<f", float("nan"))
    f("checkpoint-nan-weight", _safetensors(header, bytes(nan)), "a NaN weight")
    f("checkpoint-truncated", valid[: len(valid) - 100], "a valid checkpoint cut short")
    f("checkpoint-bit-flipped", w.flip(valid, [8]), "a bit-flipped header")


def _folders(w: _Writer) -> None:
    def folder(case_id: str, files, what: str, heavy: bool = False) -> Path | None:
        if heavy and w.quick:
            return None
        root = w.path(case_id, "images")
        root.mkdir()
        for name, data in (files() if callable(files) else files).items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes(data)
        w.add(case_id, "folder", root, what, heavy=heavy)
        return root

    good = _png(6, 5)
    folder("folder-empty", {}, "an empty folder")
    folder("folder-random", {"a.png": w.random_bytes(4096)}, "4 KB of random bytes named a.png")
    folder("folder-empty-png", {"a.png": b""}, "an empty a.png")
    folder("folder-png-12000", lambda: {"a.png": _png(12000, 12000)}, "a 12000² PNG (144 megapixels)",
           heavy=True)
    folder("folder-png-claims-12000", {"a.png": _png(12000, 12000, rows=1)},
           "a PNG claiming 12000² with one row of pixels")
    folder("folder-png-65535x1", {"a.png": _png(65535, 1)[:100]}, "a 65535×1 PNG cut short")
    folder("folder-png-40mp-cut", lambda: {"a.png": _png(6300, 6300, rows=3000, end=False)},
           "a 39.7-megapixel PNG cut at half its rows", heavy=True)
    folder("folder-png-40mp-then-bad", lambda: {"a.png": _png(6300, 6300), "b.png": w.random_bytes(100)},
           "a 39.7-megapixel PNG (within the limit), then a corrupt one", heavy=True)
    folder("folder-png-truncated", {"a.png": good[:40]}, "a PNG cut short")
    folder("folder-png-bad-crc", {"a.png": w.flip(good, [30])}, "a PNG with a bit-flipped header (bad CRC)")
    folder("folder-sizes-differ", {"a.png": _png(4, 4), "b.png": _png(5, 5)}, "images of different sizes")
    folder("folder-mixed-layout", {"a.png": good, "cats/b.png": good}, "images beside class folders")
    folder("folder-gif-huge-screen", {"a.gif": b"GIF89a\xff\xff\xff\xff\x00\x00\x00;"},
           "a GIF claiming a 65535² screen")
    folder("folder-jpeg-truncated", {"a.jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01"}, "a JPEG cut short")
    folder("folder-bmp-huge", {"a.bmp": b"BM" + struct.pack("<IHHI", 0, 0, 0, 54) + struct.pack(
        "<IiiHHIIiiII", 40, 100_000, 100_000, 1, 24, 0, 0, 0, 0, 0, 0)}, "a BMP header claiming 100,000²")
    root = folder("folder-png-fifo", {}, "a FIFO named a.png")
    os.mkfifo(root / "a.png")
    root = folder("folder-png-dev-zero", {}, "a.png a symlink to /dev/zero")
    os.symlink("/dev/zero", root / "a.png")
    root = folder("folder-png-is-folder", {}, "a folder named a.png")
    (root / "a.png").mkdir()
    root = folder("folder-png-sparse", {}, "a.png a sparse file over the image limit")
    with open(root / "a.png", "wb") as fh:
        fh.truncate(limits.IMAGE.max_bytes + 1)
    root = folder("folder-png-sparse-under", {}, "a.png sparse zeros 1 MB under the image limit", heavy=True)
    if root is not None:
        with open(root / "a.png", "wb") as fh:
            fh.truncate(limits.IMAGE.max_bytes - MB)
    file_path = w.path("folder-is-a-file", "images")
    file_path.write_bytes(good)
    w.add("folder-is-a-file", "folder", file_path, "a file where the folder belongs")
    w.add("folder-missing", "folder", w.path("folder-missing", "x").parent / "images", "a missing folder")
    w.add("folder-dev-zero", "folder", "/dev/zero", "/dev/zero as the folder")
    root = folder("folder-too-many", {}, f"{limits.MAX_IMAGES + 1:,} empty .png files", heavy=True)
    for i in range(limits.MAX_IMAGES + 1 if root is not None else 0):
        (root / f"{i}.png").touch()


def make_cases(root: str | os.PathLike, session_template: dict, quick: bool = False) -> list[Case]:
    """Write every bad input under ``root`` (a fresh folder) and return the cases, in a fixed order.

    ``session_template`` is a valid session document (the app's own, from ``FileActions.session_document``)
    the session cases are edited from. ``quick`` leaves out the heavy cases (for the smoke test).
    """
    w = _Writer(Path(root))
    w.quick = quick
    for reader in ("session", "csv", "idx", "npz", "checkpoint"):
        _special(w, reader)
    _sessions(w, session_template)
    _csv(w)
    _idx(w)
    _npz(w)
    _checkpoints(w, _checkpoint_bytes(Path(root)))
    _folders(w)
    return w.cases
