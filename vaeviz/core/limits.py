"""Input limits: what any file vaeviz reads may be, and may ask for.

Every reader of user-chosen files goes through here, so one hostile or broken file cannot take the
machine's memory, hang a thread or flood the screen:

- **regular files only**: FIFOs, devices, sockets and folders are refused *before* they are opened
  (opening a FIFO blocks until a writer appears; ``/dev/zero`` never ends);
- **a size per kind of file**, checked on the open file (so a file swapped after the check is still
  caught) and again while reading (a file that grows is cut off at the limit, not read on);
- **bounded decompression**: streams are decompressed in chunks into at most a stated number of bytes;
- **bounded requests**: how many points, pixels, parameters or nesting levels a file may ask for;
- **bounded messages**: a field quoted in a message shows its first characters and its length.

The limits are named here and stated in the README ("Limits on files"). Each reader raises its own
error type (``CsvError``, ``SessionError``, ``DatasetError``, ``CheckpointError``): the functions below
take the error class to raise, so callers keep catching what they already catch.
"""

from __future__ import annotations

import os
import stat
import zlib
from dataclasses import dataclass

MB = 1 << 20


@dataclass(frozen=True)
class FileLimit:
    """How large a file of one kind may be on disk, and what its content may expand to."""

    what: str  # how messages name the kind of file, e.g. "session file"
    max_bytes: int  # on disk
    max_expanded_bytes: int = 0  # after decompression (0: the kind is never compressed)


# A session holds at most 200,000 points (and labels) as indented JSON text (~14 MB) plus each dock's
# small state.
SESSION = FileLimit("session file", 24 * MB)
# CSV: a million points (the point set's limit) at up to ~60 characters per line.
CSV = FileLimit("CSV file", 64 * MB)
# IDX (MNIST-style): the 60,000-image training split is 47 MB raw, 9.9 MB compressed. The limits keep
# what a hostile file of any kind can cost below ~200 MB of memory.
IDX = FileLimit("IDX file", 96 * MB, max_expanded_bytes=96 * MB)
# .npz image arrays, counted as the float32 images they become (uint8 pixels count four times).
NPZ = FileLimit("NPZ file", 96 * MB, max_expanded_bytes=96 * MB)
# One image of an image folder (PNG/JPEG), on disk.
IMAGE = FileLimit("image file", 32 * MB)
# Model checkpoints (safetensors): the largest model the lab builds is a few MB.
CHECKPOINT = FileLimit("checkpoint file", 128 * MB)
# A downloaded file (MNIST parts are ≤ 10 MB compressed).
DOWNLOAD = FileLimit("download", 64 * MB, max_expanded_bytes=128 * MB)

# |coordinate| of a 2-D point: a million squared coordinates (covariances, distances) still sum to a
# finite float64 (1e100² · 1e6 = 1e206), so EM never meets an overflow.
MAX_COORDINATE = 1e100
# width × height a single image may declare (a 12000² PNG asks for 144 M; a 6000 × 4000 photo is 24 M)
MAX_IMAGE_PIXELS = 24_000_000
# Images load at most this many pixels on a side (larger ones are downsampled as they are decoded): the
# lab's models take 28 × 28 to 64 × 64 images, and a photo-sized input would build a gigabyte model.
MAX_IMAGE_SIDE = 64
# Parameters of a model a checkpoint may describe (the lab's largest has ~1.1 M; 25 M float32 = 100 MB),
# checked from its metadata before the model is built.
MAX_MODEL_PARAMETERS = 25_000_000
MAX_MODEL_LAYERS = 16  # hidden layers and conv stages together (the lab's models have 2 to 4)
MAX_IMAGES = 100_000  # images in one folder (at 64 × 64 float32: 1.6 GB would be the worst case)
MAX_FIELD_CHARS = 100  # a CSV field longer than this is not a number anyone typed
MAX_JSON_DEPTH = 32
# Values and arrays a session may hold, counted on the text before it is parsed (a parsed value costs
# ~30 bytes, a list ~70): 200,000 points with labels are ~600,000 values and 200,000 arrays.
MAX_JSON_VALUES = 1_000_000
MAX_JSON_ARRAYS = 300_000  # session documents nest 5 levels; deeper is not a vaeviz file
MESSAGE_FIELD_CHARS = 40  # how much of a bad field a message quotes
MESSAGE_CHARS = 400  # the longest message the message bar and dialogs show

_READ_CHUNK = 1 * MB


def quote(text: str, limit: int = MESSAGE_FIELD_CHARS) -> str:
    """``text`` for a message: repr-quoted, cut to ``limit`` characters with its length when longer."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}… ({len(text):,} characters)"


def bounded_message(text: str, limit: int = MESSAGE_CHARS) -> str:
    """A message cut to ``limit`` characters (with an ellipsis) so no widget lays out megabytes."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def human_size(n: int) -> str:
    """A byte count as people read it: "512 bytes", "3.4 KB", "40 MB"."""
    if n < 1024:
        return f"{n:,} bytes"
    if n < MB:
        return f"{n / 1024:,.1f} KB"
    return f"{n / MB:,.1f} MB" if n < 10 * MB else f"{n / MB:,.0f} MB"


def reason(exc: BaseException, limit: int = 200) -> str:
    """An exception's text for a message: bounded (a library's error may quote the whole input)."""
    return bounded_message(str(exc), limit)


def _kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def check_regular_file(path: str | os.PathLike, limit: FileLimit, error: type[Exception]) -> int:
    """Raise ``error`` unless ``path`` is a regular file within ``limit``; return its size.

    Uses ``stat`` only: nothing is opened, so a FIFO cannot block here.
    """
    try:
        info = os.stat(path)
    except OSError as exc:
        raise error(f"cannot read the {limit.what}: {exc.strerror or exc}") from None
    _check_info(info, limit, error)
    return info.st_size


def _check_info(info: os.stat_result, limit: FileLimit, error: type[Exception]) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise error(f"the {limit.what} is {_kind_of(info.st_mode)}, not a regular file")
    if info.st_size > limit.max_bytes:
        raise error(f"the {limit.what} is {human_size(info.st_size)}; the limit is "
                    f"{human_size(limit.max_bytes)}")


def read_bytes(path: str | os.PathLike, limit: FileLimit, error: type[Exception]) -> bytes:
    """The bytes of a regular file of at most ``limit.max_bytes``; ``error`` otherwise.

    The file is opened non-blocking and checked again on the open descriptor, so a path swapped for a
    FIFO after :func:`check_regular_file` cannot block; reading stops at the limit if the file grows.
    """
    check_regular_file(path, limit, error)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise error(f"cannot read the {limit.what}: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        _check_info(info, limit, error)
        # One read of the announced size and a byte more (to notice a file that grew): a regular file
        # answers it whole, into one bytes object; chunks joined at the end would hold the content twice.
        data = os.read(fd, info.st_size + 1)
        pieces, total = [data], len(data)
        while data:
            if total > limit.max_bytes:
                raise error(f"the {limit.what} grew beyond the limit of {human_size(limit.max_bytes)} "
                            "while it was read")
            data = os.read(fd, min(_READ_CHUNK, limit.max_bytes + 1 - total) or 1)
            pieces.append(data)
            total += len(data)
        return pieces[0] if len(pieces) <= 2 else b"".join(pieces)
    except OSError as exc:
        raise error(f"cannot read the {limit.what}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def gunzip(data: bytes, limit: FileLimit, error: type[Exception], name: str = "") -> tuple[bytearray, bool]:
    """Decompress every gzip member of ``data`` into at most ``limit.max_expanded_bytes``.

    Returns ``(expanded, complete)``: ``complete`` is False for a stream cut short (what could be
    decompressed is kept, so callers can say how much is missing). Raises ``error`` for data that is not
    gzip, or that expands beyond the limit (a decompression bomb is stopped after the limit, not after
    it has filled the memory).
    """
    cap = limit.max_expanded_bytes
    what = name or f"the {limit.what}"
    out = bytearray()  # grown in place: pieces joined at the end would hold the content twice
    total = 0
    rest = data
    try:
        while rest:
            unzip = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            pending = rest
            while pending and not unzip.eof:
                piece = unzip.decompress(pending, cap - total + 1)
                total += len(piece)
                if total > cap:
                    raise error(f"{what} expands to more than {human_size(cap)} (the limit)")
                out += piece
                pending = unzip.unconsumed_tail
            if not unzip.eof:
                return out, False
            rest = unzip.unused_data
            if rest.strip(b"\x00") == b"":  # some writers pad after the last member with zeros
                break
    except zlib.error as exc:
        raise error(f"{what} is not a valid gzip file: {exc}") from None
    return out, True


def check_json_depth(value: object, error: type[Exception], limit: int = MAX_JSON_DEPTH) -> None:
    """Raise ``error`` if ``value`` (parsed JSON) nests lists and objects deeper than ``limit``."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            raise error(f"the document nests more than {limit} levels deep")
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
