"""The offline default data set: anti-aliased grey shapes whose factors of variation are known.

Every image shows one white shape on black (like MNIST digits) drawn with a random position, size,
rotation and stroke thickness. Because the generator knows these factors exactly, the lab can ask
questions MNIST cannot answer, e.g. "which latent dimension tracks the x position?".

Rendering is vectorised numpy: each pixel is split into ``SUPERSAMPLE x SUPERSAMPLE`` sub-pixels, each
sub-pixel is tested against the shape's implicit inside/outside function in the shape's own rotated
frame, and the pixel value is the fraction of sub-pixels inside (box-filter anti-aliasing). Pixel values
are therefore exact multiples of 1 / SUPERSAMPLE**2, and the output is bit-identical for a given seed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from vaeviz.core.data.datasets.base import ImageDataset

SHAPE_NAMES: list[str] = ["circle", "square", "triangle", "cross", "ring", "semicircle"]
"""Class names, in label order."""

SUPERSAMPLE = 4
"""Sub-pixels per pixel side; 4 gives 17 grey levels on edges, plenty at 28x28."""

SCALE_RANGE = (0.2, 0.38)
"""Radius of the shape's bounding circle as a fraction of the image side."""

THICKNESS_RANGE = (0.3, 0.55)
"""Stroke width of ring and cross as a fraction of the radius (solid shapes ignore it)."""

MARGIN = 1.0
"""Pixels kept free between the bounding circle and the image border, so no shape is ever clipped."""

_CHUNK = 256  # images rendered at once: keeps the sub-pixel arrays (~1 MB each) in cache

_SQRT3_2 = np.float32(np.sqrt(3.0) / 2.0)
_SEMI_R = np.float32(2.0 / np.sqrt(5.0))


# Inside tests in the shape's frame: u to the right, v downwards, both in units of the radius, so
# every shape fits in the unit circle. ``t`` is the stroke width (same units), shaped to broadcast.
def _circle(u: np.ndarray, v: np.ndarray, t: np.ndarray) -> np.ndarray:
    return u * u + v * v <= 1.0


def _square(u: np.ndarray, v: np.ndarray, t: np.ndarray) -> np.ndarray:
    # Half-side 0.7 puts the corners at radius 0.99: inside the unit circle at any rotation.
    return (np.abs(u) <= 0.7) & (np.abs(v) <= 0.7)


def _triangle(u: np.ndarray, v: np.ndarray, t: np.ndarray) -> np.ndarray:
    # Equilateral, inscribed in the unit circle, apex up (v = -1) at rotation 0: three half-planes
    # whose outward normals point down, down-left... at distance 0.5 (the inradius).
    half_v = 0.5 * v
    return (v <= 0.5) & (_SQRT3_2 * u - half_v <= 0.5) & (-_SQRT3_2 * u - half_v <= 0.5)


def _cross(u: np.ndarray, v: np.ndarray, t: np.ndarray) -> np.ndarray:
    au, av = np.abs(u), np.abs(v)
    half = 0.5 * t
    # Arms reach 0.95 (not 1) so their square ends stay inside the unit circle at any rotation.
    return ((au <= half) & (av <= 0.95)) | ((av <= half) & (au <= 0.95))


def _ring(u: np.ndarray, v: np.ndarray, t: np.ndarray) -> np.ndarray:
    r2 = u * u + v * v
    inner = 1.0 - t
    return (r2 <= 1.0) & (r2 >= inner * inner)


def _semicircle(u: np.ndarray, v: np.ndarray, t: np.ndarray) -> np.ndarray:
    # Flat side down at rotation 0, so rotation is visible (unlike circle and ring). The disk of radius
    # R = 2/sqrt(5) is centred at v = R/2 so that the half-disk's bounding box is centred on (0, 0) and
    # its corners (+-R, R/2) lie on the unit circle.
    w = v - _SEMI_R / 2
    return (u * u + w * w <= _SEMI_R * _SEMI_R) & (w <= 0.0)


_INSIDE: list[Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]] = [
    _circle,
    _square,
    _triangle,
    _cross,
    _ring,
    _semicircle,
]


def make_shapes(n: int = 10000, seed: int = 0, size: int = 28) -> ImageDataset:
    """Generate the built-in shapes data set.

    Parameters
    ----------
    n : int
        Number of images (>= 1). Classes are balanced: their counts differ by at most one.
    seed : int
        Seed of the numpy generator; the same ``(n, seed, size)`` always gives bit-identical output.
    size : int
        Side of the square images in pixels (>= 8).

    Returns
    -------
    ImageDataset
        float32 images (n, size, size) in [0, 1], int64 labels indexing :data:`SHAPE_NAMES`, and
        ``factors``: float32 arrays ``x`` and ``y`` (centre of the bounding circle in pixels, from the
        top-left corner of the image), ``scale`` (its radius as a fraction of ``size``), ``rotation``
        (radians in [0, 2*pi), counter-clockwise as seen on screen; invisible on circle and ring) and
        ``thickness`` (stroke width of ring and cross as a fraction of the radius).

    Raises
    ------
    ValueError
        If ``n`` < 1 or ``size`` < 8.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if size < 8:
        raise ValueError(f"size must be at least 8 pixels, got {size}")
    rng = np.random.default_rng(seed)
    k = len(SHAPE_NAMES)
    # Balanced classes in random order (a permutation, not independent draws, so counts are exact).
    labels = rng.permutation(np.arange(n, dtype=np.int64) % k)
    scale = rng.uniform(*SCALE_RANGE, size=n)
    radius = scale * size
    # Centre uniform over the positions where the bounding circle (plus margin) stays in the image.
    lo = radius + MARGIN
    hi = size - radius - MARGIN
    x = lo + (hi - lo) * rng.random(n)
    y = lo + (hi - lo) * rng.random(n)
    rotation = rng.uniform(0.0, 2.0 * np.pi, size=n)
    thickness = rng.uniform(*THICKNESS_RANGE, size=n)

    # Round the factors to float32 *before* drawing, so render_shapes(ds.labels, **ds.factors)
    # reproduces the images bit for bit.
    factors = {
        name: value.astype(np.float32)
        for name, value in (
            ("x", x),
            ("y", y),
            ("scale", scale),
            ("rotation", rotation),
            ("thickness", thickness),
        )
    }
    images = render_shapes(labels, size=size, **factors)
    return ImageDataset(
        name="Shapes",
        images=images,
        labels=labels,
        label_names=list(SHAPE_NAMES),
        source=f"generated: make_shapes(n={n}, seed={seed}, size={size}), "
               f"{SUPERSAMPLE}x{SUPERSAMPLE} supersampling",
        factors=factors,
    )


def render_shapes(
    labels: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    scale: np.ndarray,
    rotation: np.ndarray,
    thickness: np.ndarray,
    size: int = 28,
) -> np.ndarray:
    """Draw shapes with given factors (the renderer behind :func:`make_shapes`).

    Useful to draw "the same shape, moved a little" next to what a model decodes.

    Parameters
    ----------
    labels : array of int, shape (m,)
        Class of each shape, an index into :data:`SHAPE_NAMES`.
    x, y, scale, rotation, thickness : array of float, shape (m,)
        Factors as described in :func:`make_shapes` (scalars broadcast). Shapes that reach past the
        border are clipped.
    size : int
        Side of the square images in pixels.

    Returns
    -------
    numpy.ndarray
        float32 (m, size, size) in [0, 1], multiples of ``1 / SUPERSAMPLE**2``.
    """
    labels = np.asarray(labels, dtype=np.int64).reshape(-1)
    m = len(labels)
    if m and (labels.min() < 0 or labels.max() >= len(SHAPE_NAMES)):
        raise ValueError(f"labels must lie in 0..{len(SHAPE_NAMES) - 1}")
    x, y, scale, rotation, thickness = (
        np.broadcast_to(np.asarray(a, dtype=np.float64), (m,)) for a in (x, y, scale, rotation, thickness)
    )
    if m and scale.min() <= 0:
        raise ValueError("scale must be positive")
    images = np.empty((m, size, size), dtype=np.float32)
    for cls, inside in enumerate(_INSIDE):
        members = np.flatnonzero(labels == cls)
        for start in range(0, len(members), _CHUNK):
            idx = members[start : start + _CHUNK]
            images[idx] = _render(
                inside, x[idx], y[idx], scale[idx] * size, rotation[idx], thickness[idx], size
            )
    return images


def _render(
    inside: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray],
    x: np.ndarray,
    y: np.ndarray,
    radius: np.ndarray,
    rotation: np.ndarray,
    thickness: np.ndarray,
    size: int,
) -> np.ndarray:
    """Render one chunk of shapes of one class; returns float32 (m, size, size)."""
    s = SUPERSAMPLE
    m = len(x)
    # Sub-pixel centres along one axis, in pixel units (pixel i spans [i, i + 1)).
    grid = ((np.arange(size * s, dtype=np.float32) + 0.5) / s).astype(np.float32)
    cos = (np.cos(rotation) / radius).astype(np.float32)[:, None]
    sin = (np.sin(rotation) / radius).astype(np.float32)[:, None]
    dx = grid[None, :] - x.astype(np.float32)[:, None]  # (m, S): depends on the column only
    dy = grid[None, :] - y.astype(np.float32)[:, None]  # (m, S): depends on the row only
    # Rotating the sampling frame by -rotation turns the shape by +rotation on screen (y points down,
    # so counter-clockwise on screen is a negative angle in the maths frame).
    # u = cos*dx - sin*dy and v = sin*dx + cos*dy are sums of a row term and a column term, so
    # broadcasting two (m, S) arrays builds the (m, S, S) frame with one addition each.
    u = (cos * dx)[:, None, :] - (sin * dy)[:, :, None]
    v = (sin * dx)[:, None, :] + (cos * dy)[:, :, None]
    t = thickness.astype(np.float32)[:, None, None]
    hits = inside(u, v, t)
    # Box filter: count the sub-pixels inside each pixel. uint8 sums are exact (at most s*s = 16), and
    # adding s strided slices is ~10x faster than ndarray.sum over the small axes.
    blocks = hits.view(np.uint8).reshape(m, size, s, size, s)
    cols = blocks[..., 0].copy()
    for j in range(1, s):
        cols += blocks[..., j]
    counts = cols[:, :, 0].copy()
    for i in range(1, s):
        counts += cols[:, :, i]
    return counts.astype(np.float32) * np.float32(1.0 / (s * s))
