"""Read and write IDX files, the format of MNIST and Fashion-MNIST, raw or gzip-compressed.

An IDX file is a 4-byte magic number ``00 00 TT DD`` (TT = element type, DD = number of dimensions),
DD big-endian uint32 dimension sizes, then the elements, big-endian, in C order.
"""

from __future__ import annotations

import gzip
import math
import os
from pathlib import Path

import numpy as np

from vaeviz.core.atomic import write_bytes_atomic
from vaeviz.core.data.datasets.base import DatasetError, ImageDataset
from vaeviz.core.limits import IDX, gunzip, read_bytes

IMAGES_MAGIC = 0x00000803
"""Magic number of an IDX file of uint8 with 3 dimensions (MNIST images)."""

LABELS_MAGIC = 0x00000801
"""Magic number of an IDX file of uint8 with 1 dimension (MNIST labels)."""

DIGIT_LABELS: list[str] = [str(d) for d in range(10)]
"""Class names of MNIST."""

FASHION_LABELS: list[str] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]
"""Class names of Fashion-MNIST, in label order."""

# Element type code -> big-endian numpy dtype, as defined by the IDX format.
_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES: dict[np.dtype, int] = {dtype.newbyteorder("="): code for code, dtype in _TYPES.items()}

_GZIP_MAGIC = b"\x1f\x8b"


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (raw, or gzip-compressed whatever its name) into a numpy array.

    Parameters
    ----------
    path : str or path-like
        The file, e.g. ``t10k-images-idx3-ubyte.gz``.

    Returns
    -------
    numpy.ndarray
        The elements in native byte order with the file's dimensions, e.g. uint8 (10000, 28, 28).

    Raises
    ------
    DatasetError
        If the file is missing, is not IDX ("wrong magic number 0x...: not an IDX file"), is truncated
        ("... is truncated: expected 7,840,000 bytes of pixels, found 1,000") or has trailing bytes.
    """
    path = Path(path)
    name = path.name
    if not path.exists():
        raise DatasetError(f"file does not exist: {path}")
    raw = read_bytes(path, IDX, DatasetError)  # a regular file within the size limit
    complete = True
    if raw[:2] == _GZIP_MAGIC:  # detect by content: names lie, IDX files start with two zero bytes
        raw, complete = gunzip(raw, IDX, DatasetError, name)  # at most IDX's expanded size
    if len(raw) < 4:
        raise DatasetError(f"{name} is truncated: expected at least 4 bytes of header, found {len(raw):,}")
    magic = int.from_bytes(raw[:4], "big")
    type_code, ndim = raw[2], raw[3]
    if raw[0] != 0 or raw[1] != 0 or type_code not in _TYPES or ndim == 0:
        raise DatasetError(f"wrong magic number 0x{magic:08X}: {name} is not an IDX file")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DatasetError(
            f"{name} is truncated: expected {header:,} bytes of header for {ndim} dimensions, "
            f"found {len(raw):,}"
        )
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = _TYPES[type_code]
    expected = math.prod(shape) * dtype.itemsize  # Python ints: a lying header cannot overflow
    found = len(raw) - header
    what = "pixels" if ndim >= 2 else "labels" if type_code == 0x08 else "data"
    if found < expected:
        raise DatasetError(f"{name} is truncated: expected {expected:,} bytes of {what}, found {found:,}")
    if found > expected:
        raise DatasetError(
            f"{name} has {found - expected:,} bytes more than its header announces "
            f"({'x'.join(map(str, shape))} {dtype.newbyteorder('=').name}): not a valid IDX file"
        )
    if not complete:
        # All elements are there but the gzip trailer is not: the download was cut at the very end.
        raise DatasetError(f"{name} is truncated: its gzip stream ends before the end marker")
    array = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    # Native order and writable. Decompressed data is a bytearray the array may keep (no second copy of
    # up to the IDX limit); the bytes of a raw file are read-only, so those are copied.
    return array.astype(dtype.newbyteorder("="), copy=not isinstance(raw, bytearray))


def write_idx(path: str | os.PathLike, array: np.ndarray) -> Path:
    """Write an array as an IDX file, gzip-compressed when the name ends with ``.gz``; atomic.

    Parameters
    ----------
    path : str or path-like
        Target file; its folder must exist.
    array : numpy.ndarray
        uint8, int8, int16, int32, float32 or float64, with 1 to 255 dimensions.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    DatasetError
        If the dtype or the number of dimensions cannot be stored in IDX.
    """
    array = np.asarray(array)
    code = _CODES.get(array.dtype.newbyteorder("="))
    if code is None:
        names = ", ".join(d.newbyteorder("=").name for d in _TYPES.values())
        raise DatasetError(f"IDX cannot store {array.dtype}; use one of {names}")
    if not 1 <= array.ndim <= 255:
        raise DatasetError(f"IDX needs 1 to 255 dimensions, got {array.ndim}")
    header = bytes([0, 0, code, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    data = header + np.ascontiguousarray(array, dtype=_TYPES[code]).tobytes()
    path = Path(path)
    if path.name.endswith(".gz"):
        data = gzip.compress(data, compresslevel=6, mtime=0)  # mtime=0: same array, same bytes
    return write_bytes_atomic(path, data)


def load_mnist_pair(
    images_path: str | os.PathLike,
    labels_path: str | os.PathLike,
    name: str = "MNIST",
    label_names: list[str] | None = None,
) -> ImageDataset:
    """Load an images file and a labels file in the MNIST IDX layout as an :class:`ImageDataset`.

    Parameters
    ----------
    images_path : str or path-like
        IDX file of uint8 (N, H, W), magic 0x00000803, raw or .gz.
    labels_path : str or path-like
        IDX file of uint8 (N,), magic 0x00000801, raw or .gz.
    name : str
        Name of the data set.
    label_names : list of str, optional
        Class names; the default is :data:`DIGIT_LABELS`, or :data:`FASHION_LABELS` when ``name``
        mentions "fashion".

    Returns
    -------
    ImageDataset
        Pixels scaled from 0..255 to [0, 1] (float32), labels as int64.

    Raises
    ------
    DatasetError
        On any problem of either file, e.g. "10,000 images but 9,000 labels".
    """
    images_path, labels_path = Path(images_path), Path(labels_path)
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    _expect(images_path.name, images, 3, "images (N, rows, columns)")
    _expect(labels_path.name, labels, 1, "labels (N,)")
    if len(images) != len(labels):
        raise DatasetError(
            f"{len(images):,} images but {len(labels):,} labels "
            f"({images_path.name} and {labels_path.name} do not belong together)"
        )
    if label_names is None:
        label_names = FASHION_LABELS if "fashion" in name.lower() else DIGIT_LABELS
    # Division (not multiplication by 1/255) so that 255 maps to exactly 1.0.
    pixels = np.divide(images, np.float32(255.0), dtype=np.float32)
    folder = images_path.parent
    return ImageDataset(
        name=name,
        images=pixels,
        labels=labels.astype(np.int64),
        label_names=list(label_names),
        source=f"IDX files {images_path.name} and {labels_path.name} in {folder}",
    )


def _expect(name: str, array: np.ndarray, ndim: int, what: str) -> None:
    if array.dtype != np.uint8 or array.ndim != ndim:
        raise DatasetError(
            f"{name} holds {array.dtype} with {array.ndim} dimensions {array.shape}; "
            f"expected uint8 {what} (magic 0x{0x800 + ndim:08X})"
        )
