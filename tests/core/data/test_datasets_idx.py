"""IDX files (MNIST format): round trips raw and .gz, and clear errors for bad files."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from vaeviz.core.data.datasets import (
    DIGIT_LABELS,
    FASHION_LABELS,
    DatasetError,
    load_mnist_pair,
    read_idx,
    write_idx,
)


def header(type_code: int, *dims: int) -> bytes:
    return bytes([0, 0, type_code, len(dims)]) + b"".join(d.to_bytes(4, "big") for d in dims)


@pytest.mark.parametrize("name", ["a-idx3-ubyte", "a-idx3-ubyte.gz"])
@pytest.mark.parametrize(
    "array",
    [
        np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4),
        np.array([3, 1, 4, 1, 5], np.uint8),
        np.array([[-2, 300], [7, -32768]], np.int16),
        np.array([1, -(2**31)], np.int32),
        np.array([-1, 127], np.int8),
        np.linspace(0, 1, 6, dtype=np.float32).reshape(3, 2),
        np.array([np.pi, -1e300]),
        np.zeros((0, 28, 28), np.uint8),
    ],
    ids=lambda a: f"{a.dtype}{a.shape}",
)
def test_round_trip(tmp_path, name, array):
    path = write_idx(tmp_path / name, array)
    back = read_idx(path)
    assert back.dtype == array.dtype and back.dtype.isnative
    assert back.shape == array.shape
    assert np.array_equal(back, array)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == name.endswith(".gz")


def test_header_layout_is_big_endian(tmp_path):
    write_idx(tmp_path / "x", np.array([[1, 2, 3]], np.int16))
    assert (tmp_path / "x").read_bytes() == header(0x0B, 1, 3) + b"\x00\x01\x00\x02\x00\x03"


def test_gzip_is_detected_by_content_not_name(tmp_path):
    data = header(0x08, 3) + b"\x07\x08\x09"
    (tmp_path / "labels-without-gz-suffix").write_bytes(gzip.compress(data))
    assert read_idx(tmp_path / "labels-without-gz-suffix").tolist() == [7, 8, 9]


def test_gz_output_is_reproducible(tmp_path):
    a = write_idx(tmp_path / "a.gz", np.ones((2, 2), np.uint8)).read_bytes()
    b = write_idx(tmp_path / "b.gz", np.ones((2, 2), np.uint8)).read_bytes()
    assert a == b


def test_truncated_pixels_message(tmp_path):
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(header(0x08, 10000, 28, 28) + bytes(1000)))
    with pytest.raises(DatasetError) as err:
        read_idx(path)
    assert str(err.value) == (
        "t10k-images-idx3-ubyte.gz is truncated: expected 7,840,000 bytes of pixels, found 1,000"
    )


def test_truncated_labels_raw(tmp_path):
    path = tmp_path / "labels"
    path.write_bytes(header(0x08, 10) + bytes(4))
    with pytest.raises(DatasetError, match="expected 10 bytes of labels, found 4"):
        read_idx(path)


def test_truncated_gzip_stream(tmp_path):
    """A .gz cut in the middle (an interrupted download) says how much data is missing."""
    full = gzip.compress(header(0x08, 50, 28, 28) + np.random.default_rng(0).bytes(50 * 784))
    path = tmp_path / "cut.gz"
    path.write_bytes(full[: len(full) // 2])
    with pytest.raises(DatasetError, match=r"cut.gz is truncated: expected 39,200 bytes of pixels, found \d"):
        read_idx(path)


def test_gzip_missing_only_its_trailer(tmp_path):
    full = gzip.compress(header(0x08, 4) + b"\x01\x02\x03\x04")
    path = tmp_path / "cut.gz"
    path.write_bytes(full[:-8])  # CRC and size gone, all data there
    with pytest.raises(DatasetError, match="truncated: its gzip stream ends before the end marker"):
        read_idx(path)


def test_truncated_header(tmp_path):
    (tmp_path / "h").write_bytes(header(0x08, 10, 28, 28)[:9])
    with pytest.raises(DatasetError, match="h is truncated: expected 16 bytes of header for 3 dimensions"):
        read_idx(tmp_path / "h")
    (tmp_path / "tiny").write_bytes(b"\x00\x00")
    with pytest.raises(DatasetError, match="tiny is truncated"):
        read_idx(tmp_path / "tiny")


@pytest.mark.parametrize(
    ("data", "magic"),
    [
        (b"\x12\x34\x56\x78" + bytes(8), "0x12345678"),
        (b"\x89PNG\r\n\x1a\n" + bytes(8), "0x89504E47"),
        (b"\x00\x00\x07\x01" + bytes(8), "0x00000701"),  # unknown element type
        (b"\x00\x00\x08\x00", "0x00000800"),  # zero dimensions
    ],
)
def test_wrong_magic(tmp_path, data, magic):
    (tmp_path / "f").write_bytes(data)
    with pytest.raises(DatasetError, match=f"wrong magic number {magic}: f is not an IDX file"):
        read_idx(tmp_path / "f")


def test_trailing_bytes_and_corrupt_gzip_and_missing_file(tmp_path):
    (tmp_path / "long").write_bytes(header(0x08, 2) + b"\x01\x02\x03")
    with pytest.raises(DatasetError, match="1 bytes more than its header announces"):
        read_idx(tmp_path / "long")
    (tmp_path / "bad.gz").write_bytes(b"\x1f\x8b" + bytes(30))
    with pytest.raises(DatasetError, match="bad.gz is not a valid gzip file"):
        read_idx(tmp_path / "bad.gz")
    with pytest.raises(DatasetError, match="file does not exist"):
        read_idx(tmp_path / "nope")


def test_write_refuses_unstorable_dtypes(tmp_path):
    with pytest.raises(DatasetError, match="IDX cannot store int64"):
        write_idx(tmp_path / "x", np.zeros(3, np.int64))
    with pytest.raises(DatasetError, match="1 to 255 dimensions"):
        write_idx(tmp_path / "x", np.uint8(3))
    assert list(tmp_path.iterdir()) == []


def make_pair(folder, n_images=6, n_labels=6, labels=None, suffix=".gz"):
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=(n_images, 5, 4), dtype=np.uint8)
    images[0, 0, 0] = 255
    if labels is None:
        labels = np.arange(n_labels, dtype=np.uint8) % 10
    ip = write_idx(folder / f"imgs-idx3-ubyte{suffix}", images)
    lp = write_idx(folder / f"lbls-idx1-ubyte{suffix}", np.asarray(labels, np.uint8))
    return ip, lp, images


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_load_mnist_pair(tmp_path, suffix):
    ip, lp, images = make_pair(tmp_path, suffix=suffix)
    ds = load_mnist_pair(ip, lp)
    assert ds.name == "MNIST"
    assert ds.images.dtype == np.float32 and ds.images.shape == (6, 5, 4)
    assert ds.images[0, 0, 0] == 1.0  # 255 maps exactly to 1
    assert np.allclose(ds.images, images / 255.0, atol=1e-7)
    assert ds.labels.dtype == np.int64 and ds.labels.tolist() == [0, 1, 2, 3, 4, 5]
    assert ds.label_names == DIGIT_LABELS
    assert ip.name in ds.source and lp.name in ds.source


def test_fashion_label_names(tmp_path):
    ip, lp, _ = make_pair(tmp_path)
    assert load_mnist_pair(ip, lp, name="Fashion-MNIST (test)").label_names == FASHION_LABELS
    assert len(FASHION_LABELS) == 10 and FASHION_LABELS[9] == "Ankle boot"
    custom = load_mnist_pair(ip, lp, name="x", label_names=[f"c{i}" for i in range(6)])
    assert custom.label_names[5] == "c5"


def test_count_mismatch(tmp_path):
    ip, lp, _ = make_pair(tmp_path, n_images=120, n_labels=118)
    with pytest.raises(DatasetError, match="^120 images but 118 labels"):
        load_mnist_pair(ip, lp)


def test_label_out_of_range(tmp_path):
    ip, lp, _ = make_pair(tmp_path, labels=[0, 1, 2, 12, 4, 5])
    with pytest.raises(DatasetError, match="label 12 at index 3 is out of range for 10 label names"):
        load_mnist_pair(ip, lp)


def test_swapped_files(tmp_path):
    ip, lp, _ = make_pair(tmp_path)
    with pytest.raises(
        DatasetError, match=r"expected uint8 images \(N, rows, columns\) \(magic 0x00000803\)"
    ):
        load_mnist_pair(lp, ip)


def test_a_decompression_bomb_stops_at_the_limit(tmp_path, monkeypatch):
    """1 MB of gzip that expands to 1 GB (it used to take 2 GB before being refused) is cut off at the
    IDX limit: the error comes after at most that many bytes were produced."""
    import tracemalloc

    from vaeviz.core import limits
    from vaeviz.core.data.datasets import idx as idx_module

    monkeypatch.setattr(idx_module, "IDX", limits.FileLimit("IDX file", 10 * limits.MB, 8 * limits.MB))
    path = tmp_path / "bomb-idx3-ubyte.gz"
    zeros = gzip.compress(b"\0" * (64 * limits.MB), compresslevel=9)
    path.write_bytes(gzip.compress(header(0x08, 65536, 32, 32)) + zeros)
    tracemalloc.start()
    try:
        with pytest.raises(DatasetError, match="expands to more than 8.0 MB"):
            read_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 40 * limits.MB


def test_a_header_asking_for_more_than_the_file_holds_is_refused_without_allocating(tmp_path):
    """A 20-byte file whose header claims 60000 × 60000 × 60000 elements: truncated, nothing allocated."""
    path = tmp_path / "liar-idx3-ubyte"
    path.write_bytes(header(0x08, 60000, 60000, 60000) + b"\0" * 4)
    with pytest.raises(DatasetError, match="is truncated"):
        read_idx(path)


@pytest.mark.parametrize("name", ["w-idx3-ubyte", "w-idx3-ubyte.gz"])
def test_what_is_read_is_writable_and_native(tmp_path, name):
    """Read arrays are the caller's to change (the compressed path keeps the decompressed buffer)."""
    images = np.arange(24, dtype=np.int16).reshape(2, 3, 4)
    write_idx(tmp_path / name, images)
    got = read_idx(tmp_path / name)
    assert got.flags.writeable and got.dtype.isnative and np.array_equal(got, images)
    got[0, 0, 0] = 7
