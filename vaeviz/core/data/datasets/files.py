"""Load the user's own images: a folder of image files, or an ``.npz`` archive; save ``.npz``.

Pillow is imported inside the functions that need it, so importing the package stays cheap.
"""

from __future__ import annotations

import io
import math
import os
import warnings
import zipfile
from pathlib import Path

import numpy as np

from vaeviz.core.atomic import write_bytes_atomic
from vaeviz.core.data.datasets.base import DatasetError, ImageDataset
from vaeviz.core.limits import (
    IMAGE,
    MAX_IMAGE_PIXELS,
    MAX_IMAGE_SIDE,
    MAX_IMAGES,
    NPZ,
    check_regular_file,
    human_size,
    read_bytes,
    reason,
)

IMAGE_EXTENSIONS = frozenset(
    {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm", ".pbm", ".pnm"}
)
"""File name endings (lower case) taken as images by :func:`load_image_folder`."""


def _is_image(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_EXTENSIONS


def _visible(folder: Path) -> list[Path]:
    # Hidden entries (.DS_Store, .git, editor swap files) are never data and not worth reporting.
    return sorted(p for p in folder.iterdir() if not p.name.startswith("."))


def load_image_folder(folder: str | os.PathLike, size: int | tuple[int, int] | None = None) -> ImageDataset:
    """Load every image file of a folder as a grey data set.

    Two layouts are understood: image files directly in ``folder`` (no labels), or one sub-folder per
    class holding that class's images (labels = sub-folder names, sorted). Deeper folders are ignored.

    Parameters
    ----------
    folder : str or path-like
        The folder to read.
    size : int or (height, width), optional
        Resize every image to this size. Without it, all images must have the same size.

    Returns
    -------
    ImageDataset
        float32 images in [0, 1]. Colour is converted to luminance; transparent pixels count as
        black (the background). ``source`` says how many files without an image extension were ignored.

    Raises
    ------
    DatasetError
        If the folder is missing or holds no images, an image file cannot be decoded (naming it),
        sizes differ without ``size`` (naming two differing files), or images sit both directly in
        the folder and in class sub-folders.
    """
    root = Path(folder)
    if not root.is_dir():
        raise DatasetError(f"folder does not exist: {root}")
    entries = _visible(root)
    top_images = [p for p in entries if p.is_file() and _is_image(p)]
    ignored = sum(1 for p in entries if p.is_file() and not _is_image(p))
    classes: list[tuple[str, list[Path]]] = []
    for sub in (p for p in entries if p.is_dir()):
        children = _visible(sub)
        images = [p for p in children if p.is_file() and _is_image(p)]
        ignored += sum(1 for p in children if p.is_file() and not _is_image(p))
        if images:
            classes.append((sub.name, images))
    note = (
        f" (ignored {ignored} file{'s' if ignored != 1 else ''} without an image extension)"
        if ignored
        else ""
    )
    if top_images and classes:
        raise DatasetError(
            f"{root} mixes images ({top_images[0].name}, ...) with class sub-folders ({classes[0][0]}, ...); "
            "put every image in a class sub-folder, or none"
        )
    if not top_images and not classes:
        raise DatasetError(f"no image files in {root}{note}")
    target = (size, size) if isinstance(size, int) else tuple(size) if size is not None else None
    if target is not None and (len(target) != 2 or min(target) < 1):
        raise ValueError(f"size must be a positive int or (height, width), got {size!r}")

    paths = top_images or [p for _, images in classes for p in images]
    if len(paths) > MAX_IMAGES:
        raise DatasetError(f"{root} holds {len(paths):,} images; the limit is {MAX_IMAGES:,}")
    labels = None if top_images else np.repeat(np.arange(len(classes)), [len(imgs) for _, imgs in classes])
    pixels: list[np.ndarray] = []
    largest = 0  # the longest side seen, to say when images were downsampled
    for path in paths:
        array, side = _read_grey(path, root, target)
        largest = max(largest, side)
        if pixels and array.shape != pixels[0].shape:
            first = paths[0].relative_to(root)
            (h0, w0), (h1, w1) = pixels[0].shape, array.shape
            raise DatasetError(
                f"images differ in size: {first} is {w0}x{h0} but {path.relative_to(root)} is {w1}x{h1} "
                "(width x height); choose a size to resize them all"
            )
        pixels.append(array)
    downsampled = f", downsampled to at most {MAX_IMAGE_SIDE} pixels a side"
    layout = f"{len(paths)} images" + (f" in {len(classes)} class folders" if classes else "")
    return ImageDataset(
        name=root.name or str(root),
        images=np.stack(pixels),
        labels=None if labels is None else labels.astype(np.int64),
        label_names=None if top_images else [name for name, _ in classes],
        source=f"image folder {root}: {layout}"
        + (f", resized to {target[1]}x{target[0]}" if target else "")
        + (downsampled if not target and largest > MAX_IMAGE_SIDE else "")
        + note,
    )


def _read_grey(path: Path, root: Path, target: tuple[int, int] | None) -> tuple[np.ndarray, int]:
    """Decode one image to float32 (H, W) in [0, 1], resized to ``target`` (height, width) if given, and
    downsampled to :data:`MAX_IMAGE_SIDE` if not; also return the file's longest side."""
    from PIL import Image  # lazy: Pillow is only needed when a folder is actually loaded

    # Decoded from memory: Pillow reads a chunk with fp.read(claimed length), and a file object would
    # allocate the claimed length (a 40-byte PNG can claim 80 MB); a buffer returns only what is there.
    data = read_bytes(path, IMAGE, DatasetError)
    try:
        with warnings.catch_warnings():  # Pillow's own bomb warning: the size is checked below instead
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
        with img:
            width, height = img.size
            if width * height > MAX_IMAGE_PIXELS:  # checked on the header, before any pixel is decoded
                raise DatasetError(
                    f"image {path.relative_to(root)} is {width}x{height} pixels; the limit is "
                    f"{MAX_IMAGE_PIXELS / 1e6:g} megapixels")
            if target is None and max(width, height) > MAX_IMAGE_SIDE:
                scale = MAX_IMAGE_SIDE / max(width, height)  # a lab model takes at most this side
                target = (max(1, round(height * scale)), max(1, round(width * scale)))
            if target is not None and min(width / target[1], height / target[0]) >= 2:
                img.draft(img.mode, (target[1], target[0]))  # JPEG: decode at a reduced size already
            img.load()
            if target is not None:
                factor = min(width // target[1], height // target[0])
                if factor >= 2 and img.mode in ("L", "RGB", "RGBA", "LA", "I", "F"):
                    img = img.reduce(factor)  # box-averaged in its own mode, before the float copy
            grey = _to_grey(img)
            if target is not None and grey.size != (target[1], target[0]):
                # Box filtering averages every source pixel when shrinking (no aliasing); bicubic is
                # smoother when enlarging, and the clip below removes its small overshoot.
                shrink = grey.size[0] >= target[1] and grey.size[1] >= target[0]
                resample = Image.Resampling.BOX if shrink else Image.Resampling.BICUBIC
                grey = grey.resize((target[1], target[0]), resample)
    except Image.UnidentifiedImageError:
        raise DatasetError(f"could not read image {path.relative_to(root)}: not an image format Pillow "
                           "reads, or a damaged file") from None
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as err:
        raise DatasetError(f"could not read image {path.relative_to(root)}: {reason(err)}") from err
    return np.clip(np.asarray(grey, dtype=np.float32), 0.0, 1.0), max(width, height)


def _to_grey(img):
    """Pillow image of any mode -> mode "F" image with values in [0, 1]."""
    from PIL import Image

    if img.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        # 16-bit greyscale (and 32-bit "I", which Pillow also uses for 16-bit PNGs): full range 0..65535.
        return Image.fromarray(np.asarray(img, dtype=np.float32) / np.float32(65535.0), mode="F")
    if img.mode == "F":
        return img
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info:
        # Composite on black: transparent areas are background, like the black of MNIST.
        rgba = img.convert("RGBA")
        black = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
        img = Image.alpha_composite(black, rgba)
    return Image.fromarray(np.asarray(img.convert("L"), dtype=np.float32) / np.float32(255.0), mode="F")


def load_npz(path: str | os.PathLike) -> ImageDataset:
    """Load a data set from a numpy ``.npz`` archive.

    Parameters
    ----------
    path : str or path-like
        Archive with key ``images``: (N, H, W) or (N, 1, H, W), uint8 0..255 (scaled to [0, 1]), bool,
        or float 0..1; optional ``labels`` (N,) integers, ``label_names`` (strings), ``name`` and
        ``source`` (strings), and ``factor_<name>`` arrays (as written by :func:`save_npz`).

    Returns
    -------
    ImageDataset

    Raises
    ------
    DatasetError
        If the file is missing or not an ``.npz`` archive, ``images`` is missing (the message lists the
        keys found), or any array has the wrong shape, type or values (e.g. NaN pixels).
    """
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"file does not exist: {path}")
    check_regular_file(path, NPZ, DatasetError)
    if not zipfile.is_zipfile(path):
        raise DatasetError(f"{path.name} is not an .npz archive (numpy.savez writes them)")
    _check_npz_sizes(path)
    try:
        with np.load(path, allow_pickle=False) as archive:  # never unpickle: a data file must not run code
            arrays = {key: archive[key] for key in archive.files}
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as err:
        raise DatasetError(f"{path.name} is not a valid .npz archive: {reason(err)}") from err
    except ValueError as err:  # e.g. object arrays, which would need pickle
        raise DatasetError(f"{path.name} holds an array that cannot be loaded safely: {reason(err)}") \
            from err
    if "images" not in arrays:
        found = ", ".join(sorted(arrays)) or "none"
        raise DatasetError(f"{path.name} has no 'images' array; keys found: {found}")
    images = arrays["images"]
    if images.ndim == 4 and images.shape[1] == 1:
        images = images[:, 0]  # channel-first single channel, as torch code writes it
    if images.ndim != 3:
        raise DatasetError(
            f"'images' in {path.name} must have shape (N, H, W) or (N, 1, H, W); got {images.shape}"
        )
    if images.dtype != np.uint8 and images.dtype != np.bool_ and images.dtype.kind != "f":
        raise DatasetError(
            f"'images' in {path.name} must be uint8 (0-255) or float (0-1); got {images.dtype}"
        )
    labels = arrays.get("labels")  # checked before the images are converted (that costs memory)
    if labels is not None:
        if labels.dtype.kind not in "iu":
            raise DatasetError(f"'labels' in {path.name} must be integers; got {labels.dtype}")
        labels = labels.astype(np.int64)
    if images.dtype == np.uint8:
        images = np.divide(images, np.float32(255.0), dtype=np.float32)
    else:
        images = images.astype(np.float32, copy=False)
    names = arrays.get("label_names")
    if names is not None:
        if names.dtype.kind not in "US" or names.ndim != 1:
            raise DatasetError(
                f"'label_names' in {path.name} must be a 1-d array of strings; got {names.dtype}"
            )
        names = [str(x) for x in names.astype(str)]
    factors = {key[len("factor_") :]: value for key, value in arrays.items() if key.startswith("factor_")}
    return ImageDataset(
        name=_string(arrays, "name", path.stem),
        images=images,
        labels=labels,
        label_names=names,
        source=_string(arrays, "source", "") or f"npz file {path}",
        factors=factors or None,
    )


def _check_npz_sizes(path: Path) -> None:
    """Refuse an archive whose arrays would expand beyond the NPZ limit, before any is read.

    Both what the zip directory says and what each array's own header asks for are checked: numpy
    allocates the header's shape before reading, so a small file could otherwise ask for gigabytes.
    """
    cap = NPZ.max_expanded_bytes
    total = 0
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                total += info.file_size
                if total > cap:
                    raise DatasetError(f"{path.name} expands to more than {human_size(cap)} (the limit)")
                if not info.filename.endswith(".npy"):
                    continue
                with archive.open(info) as member:
                    total += _npy_bytes(member, path.name) - info.file_size  # the larger of the two
                if total > cap:
                    raise DatasetError(f"{path.name} holds arrays of more than {human_size(cap)} (the limit)")
    except DatasetError:
        raise
    except Exception as err:  # zipfile and numpy's header parser raise many types for broken files
        raise DatasetError(f"{path.name} is not a valid .npz archive: {reason(err)}") from None


def _npy_bytes(member, name: str) -> int:
    """The bytes an .npy member's header asks for, counted at four bytes or more an element."""
    fmt = np.lib.format
    version = fmt.read_magic(member)
    if version == (1, 0):
        shape, _fortran, dtype = fmt.read_array_header_1_0(member)
    elif version == (2, 0):
        shape, _fortran, dtype = fmt.read_array_header_2_0(member)
    else:
        raise DatasetError(f"{name} uses .npy format version {version}, which vaeviz does not read")
    return math.prod(shape) * max(dtype.itemsize, 4)  # as the float32 images the data set holds


def _string(arrays: dict[str, np.ndarray], key: str, default: str) -> str:
    value = arrays.get(key)
    if value is None or value.ndim != 0 or value.dtype.kind not in "US":
        return default
    return str(value)


def save_npz(path: str | os.PathLike, ds: ImageDataset, compressed: bool = False) -> Path:
    """Save a data set as ``.npz`` (readable by :func:`load_npz`), atomically.

    Parameters
    ----------
    path : str or path-like
        Target file, written as given (no ``.npz`` is appended); its folder must exist.
    ds : ImageDataset
        The data set; images are stored as float32, so the round trip is exact.
    compressed : bool
        Deflate the archive (smaller, slower).

    Returns
    -------
    pathlib.Path
        The path written.
    """
    arrays: dict[str, np.ndarray] = {"images": np.asarray(ds.images), "name": np.array(ds.name)}
    if ds.source:
        arrays["source"] = np.array(ds.source)
    if ds.labels is not None:
        arrays["labels"] = np.asarray(ds.labels)
    if ds.label_names is not None:
        arrays["label_names"] = np.array(ds.label_names, dtype=str)
    for key, value in (ds.factors or {}).items():
        arrays[f"factor_{key}"] = np.asarray(value)
    buffer = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buffer, **arrays)
    return write_bytes_atomic(path, buffer.getvalue())
