"""Downloads against a local HTTP server on 127.0.0.1: checksums, progress, offline errors, cache, cancel."""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import socket
import threading

import numpy as np
import pytest

from vaeviz.core.data.datasets import (
    FASHION_FILES,
    MNIST_FILES,
    DatasetError,
    RemoteFile,
    cache_dir,
    download_steps,
    fetch_mnist,
    file_sha256,
    run_steps,
    write_idx,
)
from vaeviz.core.data.datasets import download as download_module


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


class QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that hangs up early (a cancelled download) is expected here


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch):
    """A proxy from the environment must not intercept requests to the local server."""
    for var in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def served(tmp_path):
    """(folder, base_url): files written to folder are served at base_url until the test ends."""
    folder = tmp_path / "served"
    folder.mkdir()
    server = QuietServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield folder, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def closed_port_url():
    """An address on this machine where nothing listens."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def files_in(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("VAEVIZ_CACHE_DIR", str(tmp_path / "mine"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("VAEVIZ_CACHE_DIR")
    assert cache_dir() == tmp_path / "xdg" / "vaeviz"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "vaeviz"


def test_registry():
    for files, base in (
        (MNIST_FILES, download_module.MNIST_URL),
        (FASHION_FILES, download_module.FASHION_URL),
    ):
        assert set(files) == {"train-images", "train-labels", "test-images", "test-labels"}
        for remote in files.values():
            assert remote.url == base + remote.name
            assert remote.sha256 is None or (len(remote.sha256) == 64 and int(remote.sha256, 16) >= 0)
    assert MNIST_FILES["test-images"].sha256 and MNIST_FILES["test-labels"].sha256


def test_good_checksum(served, tmp_path):
    folder, base = served
    data = np.random.default_rng(0).bytes(300_000)
    (folder / "blob.bin").write_bytes(data)
    dest = tmp_path / "cache" / "sub" / "blob.bin"
    steps = []
    result = run_steps(download_steps(base + "blob.bin", dest, sha(data), chunk=64 * 1024), steps.append)
    assert result == dest
    assert dest.read_bytes() == data
    assert files_in(dest.parent) == ["blob.bin"]  # no temp file left
    fractions = [s.fraction for s in steps]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert fractions == sorted(fractions) and len(set(fractions)) >= 5
    assert all(s.bytes_total == len(data) for s in steps[1:])
    assert "downloading blob.bin: " in steps[2].message


def test_bad_checksum_leaves_nothing(served, tmp_path):
    folder, base = served
    (folder / "blob.bin").write_bytes(b"not what was expected")
    dest = tmp_path / "cache" / "blob.bin"
    with pytest.raises(DatasetError) as err:
        run_steps(download_steps(base + "blob.bin", dest, "ab" * 32))
    assert (
        str(err.value)
        == f"checksum mismatch for blob.bin: expected {'ab' * 32}, got {sha(b'not what was expected')}"
    )
    assert files_in(dest.parent) == []


def test_bad_checksum_keeps_an_existing_good_file(served, tmp_path):
    folder, base = served
    (folder / "blob.bin").write_bytes(b"evil")
    dest = tmp_path / "blob.bin"
    dest.write_bytes(b"old good")
    with pytest.raises(DatasetError, match="checksum mismatch"):
        run_steps(download_steps(base + "blob.bin", dest, sha(b"old good")))
    assert dest.read_bytes() == b"old good"


def test_gunzipped_checksum_ignores_the_gzip_wrapper(served, tmp_path):
    folder, base = served
    content = b"IDX content " * 1000
    (folder / "a.gz").write_bytes(gzip.compress(content, compresslevel=1, mtime=123))
    dest = tmp_path / "a.gz"
    run_steps(download_steps(base + "a.gz", dest, sha(content), checksum_of="gunzipped"))
    assert gzip.decompress(dest.read_bytes()) == content
    assert file_sha256(dest, "gunzipped") == sha(content)
    assert file_sha256(dest) == sha(dest.read_bytes())
    (folder / "plain").write_bytes(content)
    with pytest.raises(DatasetError, match="plain is not a valid gzip file"):
        run_steps(download_steps(base + "plain", tmp_path / "plain", sha(content), checksum_of="gunzipped"))
    assert not (tmp_path / "plain").exists()


def test_unreachable_server_says_offline(closed_port_url, tmp_path):
    with pytest.raises(DatasetError, match=r"could not download http://127.0.0.1:\d+/x.bin \(offline\?\): "):
        run_steps(download_steps(closed_port_url + "x.bin", tmp_path / "x.bin", "00" * 32, timeout=5))
    assert files_in(tmp_path) == []


def test_server_that_never_answers_times_out(tmp_path):
    with socket.socket() as listener:  # accepts connections (the kernel does) but never replies
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/x.bin"
        with pytest.raises(DatasetError, match=r"\(offline\?\): .*timed out"):
            run_steps(download_steps(url, tmp_path / "x.bin", "00" * 32, timeout=0.3))
    assert files_in(tmp_path) == []


def test_http_error(served, tmp_path):
    _, base = served
    with pytest.raises(DatasetError, match="HTTP 404"):
        run_steps(download_steps(base + "missing.bin", tmp_path / "m", "00" * 32))
    assert files_in(tmp_path) == ["served"]


def test_unknown_checksum_needs_explicit_consent(served, tmp_path):
    folder, base = served
    (folder / "u.bin").write_bytes(b"data")
    with pytest.raises(DatasetError, match="refusing to download u.bin: no verified SHA-256"):
        run_steps(download_steps(base + "u.bin", tmp_path / "u.bin", None))
    assert not (tmp_path / "u.bin").exists()
    run_steps(download_steps(base + "u.bin", tmp_path / "u.bin", None, allow_unverified=True))
    assert (tmp_path / "u.bin").read_bytes() == b"data"


def test_only_http_urls(tmp_path):
    with pytest.raises(DatasetError, match="only http and https"):
        run_steps(download_steps("file:///etc/passwd", tmp_path / "p", "00" * 32))


def test_base_url_override(served, tmp_path):
    folder, base = served
    (folder / "f.bin").write_bytes(b"abc")
    run_steps(
        download_steps("https://example.invalid/data/f.bin", tmp_path / "f.bin", sha(b"abc"), base_url=base)
    )
    assert (tmp_path / "f.bin").read_bytes() == b"abc"


def test_closing_early_removes_the_temp_file(served, tmp_path):
    folder, base = served
    data = bytes(200_000)
    (folder / "big.bin").write_bytes(data)
    dest_folder = tmp_path / "cache"
    steps = download_steps(base + "big.bin", dest_folder / "big.bin", sha(data), chunk=1024)
    next(steps)  # connecting
    next(steps)  # first chunk: the temp file exists now
    assert len(files_in(dest_folder)) == 1 and files_in(dest_folder)[0].endswith(".part")
    steps.close()
    assert files_in(dest_folder) == []


# --- fetch_mnist ------------------------------------------------------------------------------------


@pytest.fixture
def tiny_mnist(served, monkeypatch):
    """Serve a 12-image 'MNIST test split' and put its real checksums in the registry."""
    folder, base = served
    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, (12, 28, 28), dtype=np.uint8)
    labels = (np.arange(12) % 10).astype(np.uint8)
    write_idx(folder / "t10k-images-idx3-ubyte.gz", images)
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", labels)
    registry = {}
    for key, name in (
        ("test-images", "t10k-images-idx3-ubyte.gz"),
        ("test-labels", "t10k-labels-idx1-ubyte.gz"),
    ):
        registry[key] = RemoteFile(
            name, "https://unused.invalid/" + name, file_sha256(folder / name, "gunzipped")
        )
    monkeypatch.setitem(download_module.REGISTRY, "mnist", registry)
    return base, images, labels


def test_fetch_mnist_downloads_and_loads(tiny_mnist, tmp_path):
    base, images, labels = tiny_mnist
    cache = tmp_path / "cache"
    steps = []
    ds = run_steps(fetch_mnist("mnist", "test", base_url=base, cache=cache), steps.append)
    assert ds.name == "MNIST (test)" and len(ds) == 12
    assert np.array_equal(ds.labels, labels)
    assert np.allclose(ds.images * 255, images, atol=1e-4)
    assert files_in(cache) == ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    fractions = [s.fraction for s in steps]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_fetch_mnist_uses_cached_files(tiny_mnist, tmp_path, closed_port_url):
    base, _, labels = tiny_mnist
    cache = tmp_path / "cache"
    run_steps(fetch_mnist("mnist", "test", base_url=base, cache=cache))
    steps = []
    ds = run_steps(fetch_mnist("mnist", "test", base_url=closed_port_url, cache=cache), steps.append)
    assert np.array_equal(ds.labels, labels)  # no network needed
    assert any("using cached" in s.message for s in steps)


def test_fetch_mnist_replaces_a_corrupt_cached_file(tiny_mnist, tmp_path):
    base, _, labels = tiny_mnist
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "t10k-labels-idx1-ubyte.gz").write_bytes(b"garbage")
    ds = run_steps(fetch_mnist("mnist", "test", base_url=base, cache=cache))
    assert np.array_equal(ds.labels, labels)


def test_fetch_mnist_default_cache_folder(tiny_mnist, tmp_path, monkeypatch):
    monkeypatch.setenv("VAEVIZ_CACHE_DIR", str(tmp_path / "c"))
    run_steps(fetch_mnist("mnist", "test", base_url=tiny_mnist[0]))
    assert files_in(tmp_path / "c" / "mnist") == ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]


def test_fetch_refuses_unverified_files_before_any_download(tmp_path, closed_port_url):
    with pytest.raises(DatasetError, match="refusing to download train-images-idx3-ubyte.gz, train-labels"):
        run_steps(fetch_mnist("fashion", "train", base_url=closed_port_url, cache=tmp_path / "c"))
    assert not (tmp_path / "c").exists()
    with pytest.raises(DatasetError, match="offline"):  # with consent it goes on to the (missing) network
        run_steps(
            fetch_mnist(
                "fashion", "train", base_url=closed_port_url, cache=tmp_path / "c", allow_unverified=True
            )
        )


def test_fetch_unknown_kind_or_split(tmp_path):
    with pytest.raises(DatasetError, match="unknown data set 'cifar'"):
        run_steps(fetch_mnist("cifar", cache=tmp_path))
    with pytest.raises(DatasetError, match="unknown split 'valid'"):
        run_steps(fetch_mnist("mnist", "valid", cache=tmp_path))


def test_a_file_announced_larger_than_the_limit_is_refused_before_writing(served, tmp_path):
    folder, base = served
    (folder / "big.bin").write_bytes(b"\1" * 300_000)
    dest = tmp_path / "cache" / "big.bin"
    with pytest.raises(DatasetError, match="the server announces 293.0 KB, more than the limit of 97.7 KB"):
        run_steps(download_steps(base + "big.bin", dest, "00" * 32, max_bytes=100_000))
    assert files_in(dest.parent) == []


def test_an_endless_stream_stops_at_the_limit(tmp_path):
    """A server that sends bytes for ever without a length (it used to fill 315 MB of disk before the
    checksum refused it) is cut off at max_bytes, and nothing is left on disk."""
    stop = threading.Event()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def serve():
        conn, _ = listener.accept()
        with conn:
            conn.recv(4096)
            conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n")
            try:
                while not stop.is_set():
                    conn.sendall(b"\0" * 65536)
            except OSError:
                pass  # the client hung up at the limit

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/endless.bin"
    dest = tmp_path / "cache" / "endless.bin"
    try:
        with pytest.raises(DatasetError, match="larger than the limit of 488.3 KB"):
            run_steps(download_steps(url, dest, "00" * 32, max_bytes=500_000))
    finally:
        stop.set()
        listener.close()
        thread.join(5)
    assert files_in(dest.parent) == []


def test_a_gzip_bomb_stops_the_checksum_at_the_expansion_limit():
    hasher = download_module._Hasher("gunzipped", "bomb.gz", max_expanded=1_000_000)
    with pytest.raises(DatasetError, match="bomb.gz expands to more than 976.6 KB"):
        hasher.update(gzip.compress(b"\0" * 5_000_000))
    assert hasher.expanded <= 1_000_000 + (1 << 20)
