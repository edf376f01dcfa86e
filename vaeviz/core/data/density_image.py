"""A density from an image: brightness is probability, for the Density lab's "draw your own density".

:func:`load_image_density` reads a PNG/JPEG (any Pillow mode: 16-bit, palette, grey, RGB, with alpha
composited over black) through the input limits: a regular file of at most ``limits.IMAGE`` bytes, decoded
from memory, its pixel count checked on the header before any pixel is decoded (a 20000 × 20000 PNG
"decompression bomb" is refused, never decoded; a JPEG is checked at the size draft mode decodes it at, down
to 1/8 of its own, so a 20000 × 20000 JPEG is read as 2500 × 2500), and anything larger than
:data:`MAX_DENSITY_SIDE` on its long side downsampled while it is decoded (JPEG draft mode, then Pillow's
box ``reduce``) with a note.
The brightness (0 black … 1 white) normalised to sum 1 is the probability of each pixel.

:func:`sample_image_density` draws points: a pixel by its probability, then a uniform point inside it,
with image row 0 at the *top* of the rectangle (y grows upwards in the plot).

Pillow is imported inside the functions that need it.
"""

from __future__ import annotations

import io
import math
import os
import warnings
from dataclasses import dataclass

import numpy as np

from vaeviz.core.data.datasets.files import _to_grey
from vaeviz.core.data.density_presets import DensityInputError
from vaeviz.core.grid import Rect
from vaeviz.core.limits import IMAGE, MAX_IMAGE_PIXELS, read_bytes, reason

MAX_DENSITY_SIDE = 512  # pixels on the long side of the density; larger images are downsampled


@dataclass(frozen=True, eq=False)
class ImageDensity:
    """A discrete density over an image's pixels.

    Attributes
    ----------
    probabilities : numpy.ndarray
        (H, W) float64, ≥ 0, summing to 1; row 0 is the image's top row.
    source_size : tuple of int
        The file's (width, height) in pixels.
    note : str
        Empty, or what was done to the image (downsampled).
    """

    probabilities: np.ndarray
    source_size: tuple[int, int]
    note: str = ""

    def log_density(self, rect: Rect, points) -> np.ndarray:
        """log p at (n, 2) points when the image covers ``rect``: log(probability / pixel area); -inf
        on black pixels and outside the rectangle (the density is 0 there)."""
        x0, y0, x1, y1 = (float(v) for v in rect)
        h, w = self.probabilities.shape
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        col = np.floor((pts[:, 0] - x0) / (x1 - x0) * w)
        row = np.floor((y1 - pts[:, 1]) / (y1 - y0) * h)  # row 0 at the top
        inside = (col >= 0) & (col < w) & (row >= 0) & (row < h)
        safe_row = np.where(inside, row, 0).astype(np.int64)
        safe_col = np.where(inside, col, 0).astype(np.int64)
        p = self.probabilities[safe_row, safe_col]
        area = (x1 - x0) * (y1 - y0) / (w * h)
        with np.errstate(divide="ignore"):
            return np.where(inside, np.log(p / area), -np.inf)


def density_from_brightness(brightness, source_size: tuple[int, int] | None = None,
                            note: str = "") -> ImageDensity:
    """An :class:`ImageDensity` from an (H, W) array of brightness ≥ 0 (row 0 at the top)."""
    arr = np.asarray(brightness, dtype=np.float64)
    if arr.ndim != 2 or arr.size == 0:
        raise DensityInputError(f"an image density needs a non-empty 2-D brightness array, got {arr.shape}")
    if not np.isfinite(arr).all() or arr.min() < 0:
        raise DensityInputError("the image's brightness must be finite and ≥ 0")
    total = float(arr.sum())
    if not total > 0:
        raise DensityInputError("the image is black everywhere: no density to sample")
    probabilities = arr / total
    probabilities.setflags(write=False)
    size = source_size or (arr.shape[1], arr.shape[0])
    return ImageDensity(probabilities, size, note)


def _open(data: bytes):
    """The image in ``data``, not decoded yet. A JPEG is opened by its plugin directly: Image.open refuses
    a header above Pillow's bomb limit, but a JPEG can be decoded at 1/8 of its size (draft mode), so a
    20,000² scan costs 2,500² pixels; its decoded size is checked against ours before any pixel is read."""
    from PIL import Image, JpegImagePlugin

    if data[:3] == b"\xff\xd8\xff":
        return JpegImagePlugin.JpegImageFile(io.BytesIO(data))
    return Image.open(io.BytesIO(data))


def load_image_density(path: str | os.PathLike, max_side: int = MAX_DENSITY_SIDE) -> ImageDensity:
    """Read an image file as a density (brightness → probability).

    Parameters
    ----------
    path : str or path-like
    max_side : int
        Larger images are downsampled to this many pixels on their long side (box filter).

    Raises
    ------
    DensityInputError
        Not a regular file, too large on disk or in pixels, not an image, empty, damaged, or black
        everywhere; the message says which.
    """
    from PIL import Image  # lazy: Pillow is only needed when an image is actually loaded

    name = os.path.basename(os.fspath(path)) or os.fspath(path)
    # Decoded from memory: a file object would let Pillow allocate what a chunk header claims.
    data = read_bytes(path, IMAGE, DensityInputError)
    if not data:
        raise DensityInputError(f"{name} is empty: there is no image in it")
    note = ""
    try:
        with warnings.catch_warnings():  # Pillow's own bomb warning: the size is checked below instead
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = _open(data)
        with img:
            width, height = img.size
            target = None
            if max(width, height) > max_side:
                scale = max_side / max(width, height)
                target = (max(1, round(width * scale)), max(1, round(height * scale)))
                img.draft(img.mode, target)  # JPEG: decoded at down to 1/8 of its size (img.size says)
            decoded = img.size[0] * img.size[1]
            if decoded > MAX_IMAGE_PIXELS:  # from the header (and the draft), before any pixel is decoded
                raise DensityInputError(f"{name} is {width}x{height} pixels; the limit is "
                                        f"{MAX_IMAGE_PIXELS / 1e6:g} megapixels"
                                        + (" (counted at the reduced size a JPEG can be read at)"
                                           if img.format == "JPEG" else ""))
            img.load()
            if target is not None:
                factor = min(img.size[0] // target[0], img.size[1] // target[1])
                if factor >= 2 and img.mode in ("L", "RGB", "RGBA", "LA", "I", "F"):
                    img = img.reduce(factor)  # box-averaged in its own mode, before the float copy
            grey = _to_grey(img)
            if target is not None:
                if grey.size != target:
                    grey = grey.resize(target, Image.Resampling.BOX)  # box: every source pixel counts
                note = f"downsampled from {width}x{height} to {target[0]}x{target[1]} pixels"
    except DensityInputError:
        raise
    except Image.DecompressionBombError:  # Pillow's own, larger limit, met when the header is read
        raise DensityInputError(f"{name} claims too many pixels; the limit is "
                                f"{MAX_IMAGE_PIXELS / 1e6:g} megapixels") from None
    except Image.UnidentifiedImageError:
        raise DensityInputError(f"{name} is not an image Pillow can read (PNG, JPEG, …), or it is damaged") \
            from None
    except (OSError, ValueError, SyntaxError, MemoryError) as err:
        raise DensityInputError(f"could not read the image {name}: {reason(err)}") from None
    brightness = np.clip(np.asarray(grey, dtype=np.float64), 0.0, 1.0)
    return density_from_brightness(brightness, (width, height), note)


def sample_image_density(density: ImageDensity, rect: Rect, n: int, rng=None) -> np.ndarray:
    """Draw n points from an image density covering ``rect`` = (x0, y0, x1, y1).

    A pixel is picked with its probability, then a point uniformly inside it; row 0 of the image is at
    the top of the rectangle (y1). Deterministic given a seed or a Generator's state.

    Returns
    -------
    numpy.ndarray, shape (n, 2), float64
    """
    if isinstance(n, bool) or int(n) != n or n < 0:
        raise DensityInputError(f"the number of points must be a whole number ≥ 0, got {n!r}")
    x0, y0, x1, y1 = (float(v) for v in rect)
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)) or not (x1 > x0 and y1 > y0):
        raise DensityInputError(f"the rectangle {rect!r} is empty or not finite")
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    h, w = density.probabilities.shape
    flat = rng.choice(h * w, size=int(n), p=density.probabilities.ravel())
    row, col = np.divmod(flat, w)
    u = rng.uniform(size=(int(n), 2))
    x = x0 + (col + u[:, 0]) * (x1 - x0) / w
    y = y1 - (row + u[:, 1]) * (y1 - y0) / h
    return np.stack([x, y], axis=1)
