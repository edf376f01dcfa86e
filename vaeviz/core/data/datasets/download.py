"""Download MNIST and Fashion-MNIST into the user's cache folder, on request only, step by step.

Downloads are generators of :class:`DownloadProgress`, so the app's compute worker can advance them
one chunk at a time, show a progress bar and cancel by closing the generator. Nothing half-written is
ever left behind: data goes to a temporary file beside the target, is checked against its SHA-256, and
only then takes the target's name with ``os.replace``.

Checksums. The registry stores the SHA-256 of the *decompressed* IDX content of each ``.gz`` file, and
downloads of it are checked with ``checksum_of="gunzipped"``. Mirrors re-compress files (the gzip
wrapper, hence the hash of the ``.gz`` bytes, differs between copies of the same data), but the IDX
content is the data set itself and must match bit for bit. Where no verified checksum is known the
entry's ``sha256`` is None, and downloading it is refused unless the caller passes
``allow_unverified=True``.

Only ``urllib`` is used; proxies from the usual environment variables are honoured.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from vaeviz.core.data.datasets.base import DatasetError, ImageDataset
from vaeviz.core.data.datasets.idx import DIGIT_LABELS, FASHION_LABELS, load_mnist_pair
from vaeviz.core.limits import DOWNLOAD, human_size, reason

MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
"""Mirror of the original MNIST files (the one PyTorch uses)."""

FASHION_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
"""Official host of the Fashion-MNIST files (Zalando Research)."""

CHUNK = 64 * 1024


@dataclass(frozen=True)
class RemoteFile:
    """One downloadable file of a data set.

    Attributes
    ----------
    name : str
        File name, used in the cache folder too.
    url : str
        Where to download it from.
    sha256 : str or None
        SHA-256 (hex) of the decompressed content; None when no verified value is known.
    """

    name: str
    url: str
    sha256: str | None


_NAMES = {
    "train-images": "train-images-idx3-ubyte.gz",
    "train-labels": "train-labels-idx1-ubyte.gz",
    "test-images": "t10k-images-idx3-ubyte.gz",
    "test-labels": "t10k-labels-idx1-ubyte.gz",
}


def _files(base: str, sha256: dict[str, str]) -> dict[str, RemoteFile]:
    return {
        key: RemoteFile(name=name, url=base + name, sha256=sha256.get(key)) for key, name in _NAMES.items()
    }


# The t10k values were computed from verified copies of the MNIST test split (class counts 980 1135
# 1032 1010 982 892 958 1028 974 1009): SHA-256 of the gunzipped IDX bytes. No verified SHA-256 is known
# here for the other files (their publishers list MD5 only), so they need allow_unverified=True.
MNIST_FILES: dict[str, RemoteFile] = _files(
    MNIST_URL,
    {
        "test-images": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "test-labels": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
)
"""MNIST files by ``"<split>-<images|labels>"``."""

FASHION_FILES: dict[str, RemoteFile] = _files(FASHION_URL, {})
"""Fashion-MNIST files by ``"<split>-<images|labels>"`` (no verified checksums yet)."""

REGISTRY: dict[str, dict[str, RemoteFile]] = {"mnist": MNIST_FILES, "fashion": FASHION_FILES}
_TITLES = {"mnist": ("MNIST", DIGIT_LABELS), "fashion": ("Fashion-MNIST", FASHION_LABELS)}


@dataclass(frozen=True)
class DownloadProgress:
    """One step of a download.

    Attributes
    ----------
    fraction : float or None
        Progress in [0, 1]; None while the total size is unknown (show a busy indicator).
    bytes_done : int
        Bytes received so far (of the current file).
    bytes_total : int or None
        Size announced by the server, None when it announced none.
    message : str
        One line for a status bar, e.g. "downloading t10k-images-idx3-ubyte.gz: 0.8 of 1.6 MB".
    """

    fraction: float | None
    bytes_done: int
    bytes_total: int | None
    message: str


def cache_dir() -> Path:
    """Return the folder for downloaded data (created on first download, not here).

    ``$VAEVIZ_CACHE_DIR`` if set; else ``$XDG_CACHE_HOME/vaeviz``; else ``%LOCALAPPDATA%\\vaeviz\\cache``
    on Windows and ``~/.cache/vaeviz`` elsewhere.

    Returns
    -------
    pathlib.Path
        The folder (it may not exist yet).
    """
    override = os.environ.get("VAEVIZ_CACHE_DIR")
    if override:
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg).expanduser() / "vaeviz"
    local = os.environ.get("LOCALAPPDATA")
    if sys.platform == "win32" and local:
        return Path(local) / "vaeviz" / "cache"
    return Path.home() / ".cache" / "vaeviz"


_EXPAND_STEP = 1 << 20


class _Hasher:
    """SHA-256 of a file's bytes, or of what they decompress to (``gunzipped``)."""

    def __init__(self, checksum_of: str, name: str, max_expanded: int = DOWNLOAD.max_expanded_bytes) -> None:
        if checksum_of not in ("file", "gunzipped"):
            raise ValueError(f"checksum_of must be 'file' or 'gunzipped', got {checksum_of!r}")
        self.sha = hashlib.sha256()
        self.name = name
        self.unzip = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS) if checksum_of == "gunzipped" else None
        self.max_expanded = max_expanded
        self.expanded = 0

    def update(self, data: bytes) -> None:
        if self.unzip is None:
            self.sha.update(data)
            return
        try:
            while data:
                # In bounded pieces: one compressed megabyte may expand to a gigabyte.
                piece = self.unzip.decompress(data, _EXPAND_STEP)
                self.expanded += len(piece)
                if self.expanded > self.max_expanded:
                    raise DatasetError(f"{self.name} expands to more than {human_size(self.max_expanded)} "
                                       "(the limit)")
                self.sha.update(piece)
                if self.unzip.eof:
                    data = self.unzip.unused_data.lstrip(b"\x00")  # next gzip member, if any
                    self.unzip = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
                else:
                    data = self.unzip.unconsumed_tail
        except zlib.error as err:
            raise DatasetError(f"{self.name} is not a valid gzip file: {reason(err)}") from err

    def hexdigest(self) -> str:
        return self.sha.hexdigest()


def file_sha256(path: str | os.PathLike, checksum_of: Literal["file", "gunzipped"] = "file") -> str:
    """SHA-256 (hex) of a file, or of its gunzipped content with ``checksum_of="gunzipped"``.

    Raises
    ------
    DatasetError
        If ``checksum_of="gunzipped"`` and the file is not valid gzip.
    """
    path = Path(path)
    hasher = _Hasher(checksum_of, path.name)
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            hasher.update(block)
    return hasher.hexdigest()


def download_steps(
    url: str,
    dest: str | os.PathLike,
    sha256: str | None,
    *,
    timeout: float = 30.0,
    chunk: int = CHUNK,
    base_url: str | None = None,
    checksum_of: Literal["file", "gunzipped"] = "file",
    allow_unverified: bool = False,
    max_bytes: int = DOWNLOAD.max_bytes,
) -> Generator[DownloadProgress, None, Path]:
    """Download ``url`` to ``dest`` step by step, verifying its SHA-256 before it takes the name.

    Parameters
    ----------
    url : str
        http(s) address of the file.
    dest : str or path-like
        Target file; its folder is created if needed.
    sha256 : str or None
        Expected SHA-256 (hex). None is refused unless ``allow_unverified`` is true.
    timeout : float
        Seconds to wait for the connection and for each read.
    chunk : int
        Bytes read per step (one progress report per chunk).
    base_url : str, optional
        Replaces everything before the last ``/`` of ``url`` (e.g. a local mirror or a test server).
    checksum_of : {"file", "gunzipped"}
        Hash the bytes as downloaded, or what they decompress to (for gzip files; see module notes).
    allow_unverified : bool
        Accept a file whose checksum is unknown (``sha256=None``). Only for data whose integrity the
        user accepts to trust to the transport.
    max_bytes : int
        The most bytes accepted (``vaeviz.core.limits.DOWNLOAD``): a larger announced length is refused
        before anything is written, and a stream that goes on is stopped at this many bytes.

    Yields
    ------
    DownloadProgress
        First a "connecting" step (fraction 0), then one step per chunk; the last has fraction 1.

    Returns
    -------
    pathlib.Path
        ``dest`` (as ``StopIteration.value``).

    Raises
    ------
    DatasetError
        "could not download ... (offline?): <reason>" when the server cannot be reached or times out;
        the HTTP status when it answers with an error; "checksum mismatch for ...: expected ..., got ..."
        when the content is wrong; a refusal when ``sha256`` is None and ``allow_unverified`` is false.
        In every case (and when the generator is closed early) the temporary file is removed and
        ``dest`` is untouched.
    """
    if base_url:
        url = base_url.rstrip("/") + "/" + url.rsplit("/", 1)[-1]
    dest = Path(dest)
    name = dest.name
    if sha256 is None and not allow_unverified:
        raise DatasetError(
            f"refusing to download {name}: no verified SHA-256 is known for it "
            "(pass allow_unverified=True to accept it unchecked)"
        )
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise DatasetError(f"could not download {url}: only http and https addresses are supported")
    if chunk < 1:
        raise ValueError(f"chunk must be positive, got {chunk}")
    hasher = _Hasher(checksum_of, name)
    yield DownloadProgress(0.0, 0, None, f"connecting to {parts.netloc} for {name}")

    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    done = False
    try:
        with os.fdopen(fd, "wb") as out:
            # A fresh opener per download reads the proxy settings at call time, not at first import.
            opener = urllib.request.build_opener()
            request = urllib.request.Request(url, headers={"User-Agent": "vaeviz"})
            try:
                response = opener.open(request, timeout=timeout)
            except urllib.error.HTTPError as err:
                raise DatasetError(f"could not download {url}: HTTP {err.code} {err.reason}") from err
            except urllib.error.URLError as err:
                raise DatasetError(f"could not download {url} (offline?): {err.reason}") from err
            except (TimeoutError, OSError, http.client.HTTPException) as err:
                raise DatasetError(
                    f"could not download {url} (offline?): {err or type(err).__name__}"
                ) from err
            with response:
                length = response.headers.get("Content-Length")
                total = int(length) if length and length.isdigit() else None
                if total is not None and total > max_bytes:
                    raise DatasetError(f"refusing to download {name}: the server announces "
                                       f"{human_size(total)}, more than the limit of {human_size(max_bytes)}")
                received = 0
                while True:
                    try:
                        block = response.read(chunk)
                    except (TimeoutError, OSError, http.client.HTTPException) as err:
                        reason = f"timed out after {timeout:g} s" if isinstance(err, TimeoutError) else err
                        raise DatasetError(f"could not download {url} (offline?): {reason}") from err
                    if not block:
                        break
                    if received + len(block) > max_bytes:  # an endless stream stops here, not at a full disk
                        raise DatasetError(f"stopped downloading {name}: it is larger than the limit of "
                                           f"{human_size(max_bytes)}")
                    out.write(block)
                    hasher.update(block)
                    received += len(block)
                    fraction = min(received / total, 1.0) if total else None
                    size = (
                        f"{received / 1e6:.1f} of {total / 1e6:.1f} MB"
                        if total
                        else f"{received / 1e6:.1f} MB"
                    )
                    yield DownloadProgress(fraction, received, total, f"downloading {name}: {size}")
            if total is not None and received != total:
                raise DatasetError(
                    f"could not download {url}: the connection ended after {received:,} of {total:,} bytes"
                )
            out.flush()
            os.fsync(out.fileno())
        got = hasher.hexdigest()
        if sha256 is not None and got.lower() != sha256.lower():
            what = " (SHA-256 of the decompressed content)" if checksum_of == "gunzipped" else ""
            raise DatasetError(f"checksum mismatch for {name}: expected {sha256.lower()}, got {got}{what}")
        os.replace(tmp, dest)
        done = True
    finally:
        # Runs on errors and on GeneratorExit (the caller closed us early): no half-written file stays.
        if not done:
            tmp.unlink(missing_ok=True)
    yield DownloadProgress(1.0, received, total, f"downloaded {name}")
    return dest


def fetch_mnist(
    kind: Literal["mnist", "fashion"] = "mnist",
    split: Literal["test", "train"] = "test",
    base_url: str | None = None,
    *,
    cache: str | os.PathLike | None = None,
    allow_unverified: bool = False,
    timeout: float = 30.0,
) -> Generator[DownloadProgress, None, ImageDataset]:
    """Download (if needed) and load MNIST or Fashion-MNIST, step by step.

    Parameters
    ----------
    kind : {"mnist", "fashion"}
        Which data set.
    split : {"test", "train"}
        10,000 test images or 60,000 training images.
    base_url : str, optional
        Download from this folder address instead of the registry's URL (mirrors, tests).
    cache : str or path-like, optional
        Folder for the files; default ``cache_dir() / kind``.
    allow_unverified : bool
        Accept files without a known SHA-256 (see the module notes); cached ones are then reused as is.
    timeout : float
        Seconds per connection and read.

    Yields
    ------
    DownloadProgress
        Overall progress over both files; the last step has fraction 1.

    Returns
    -------
    ImageDataset
        As ``StopIteration.value``; :func:`~vaeviz.core.data.datasets.base.run_steps` fetches it for callers
        without a progress bar.

    Raises
    ------
    DatasetError
        See :func:`download_steps`; also for an unknown kind or split, or files that fail to load.
    """
    if kind not in REGISTRY:
        raise DatasetError(f"unknown data set {kind!r}; choose one of {', '.join(REGISTRY)}")
    if split not in ("test", "train"):
        raise DatasetError(f"unknown split {split!r}; choose 'test' or 'train'")
    files = [REGISTRY[kind][f"{split}-images"], REGISTRY[kind][f"{split}-labels"]]
    unverified = [f.name for f in files if f.sha256 is None]
    if unverified and not allow_unverified:  # refuse before touching the network or the cache
        raise DatasetError(
            f"refusing to download {', '.join(unverified)}: no verified SHA-256 is known "
            "(pass allow_unverified=True to accept unchecked files)"
        )
    folder = Path(cache) if cache is not None else cache_dir() / kind
    paths = []
    for i, remote in enumerate(files):
        dest = folder / remote.name
        paths.append(dest)
        if dest.is_file() and (remote.sha256 is None or _cached_ok(dest, remote.sha256)):
            yield DownloadProgress((i + 1) / len(files), 0, None, f"using cached {remote.name}")
            continue
        steps = download_steps(
            remote.url,
            dest,
            remote.sha256,
            timeout=timeout,
            base_url=base_url,
            checksum_of="gunzipped",
            allow_unverified=allow_unverified,
        )
        for step in steps:
            part = step.fraction if step.fraction is not None else 0.0
            yield DownloadProgress((i + part) / len(files), step.bytes_done, step.bytes_total, step.message)
    title, labels = _TITLES[kind]
    name = f"{title} ({split})"
    yield DownloadProgress(1.0, 0, None, f"reading {name}")
    return load_mnist_pair(paths[0], paths[1], name=name, label_names=labels)


def _cached_ok(path: Path, sha256: str) -> bool:
    try:
        return file_sha256(path, "gunzipped") == sha256.lower()
    except (DatasetError, OSError):
        return False  # unreadable or corrupt: download it again
