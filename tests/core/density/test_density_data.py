"""The Density lab's data: presets (deterministic, true densities normalised) and densities from images
(bright pixels get the samples; every bad file gives a DensityInputError with a message)."""

from __future__ import annotations

import math
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from vaeviz.core.data import density_image
from vaeviz.core.data.density_image import (
    density_from_brightness,
    load_image_density,
    sample_image_density,
)
from vaeviz.core.data.density_presets import DENSITY_PRESETS, DensityInputError, make_density_preset
from vaeviz.core.grid import cell_centres

RECT = (0.0, 0.0, 4.0, 2.0)


# --- presets ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(DENSITY_PRESETS))
def test_density_presets_are_deterministic_float64_points(name):
    spec = DENSITY_PRESETS[name]
    a = make_density_preset(name, 300, seed=4)
    b = spec.make(300, 4)
    np.testing.assert_array_equal(a.points, b.points)
    assert a.points.shape == (300, spec.dim) and a.points.dtype == np.float64
    assert np.isfinite(a.points).all()
    assert not np.array_equal(a.points, make_density_preset(name, 300, seed=5).points)
    assert make_density_preset(name, 0).points.shape == (0, spec.dim)


@pytest.mark.parametrize("name,rect", [("blobs", (-8.0, -7.0, 8.0, 9.0)),
                                       ("checkerboard", (-3.0, -3.0, 3.0, 3.0))])
def test_density_preset_true_densities_integrate_to_one(name, rect):
    data = make_density_preset(name, 500)
    res = 600
    xs, ys = cell_centres(rect, res)
    gx, gy = np.meshgrid(xs, ys)
    logp = data.log_density(np.stack([gx.ravel(), gy.ravel()], axis=1))
    assert not np.isnan(logp).any()
    area = (rect[2] - rect[0]) * (rect[3] - rect[1]) / res**2
    assert np.exp(logp).sum() * area == pytest.approx(1.0, abs=2e-3)
    assert np.isfinite(data.log_density(data.points)).all()  # every sample lies where the density is > 0


def test_density_the_1d_mixture_is_the_lecture_one():
    data = make_density_preset("1-D mixture", 20000, seed=0)
    x = data.points[:, 0]
    assert np.mean(x < 0) == pytest.approx(0.5, abs=0.02)
    assert x[x < 0].mean() == pytest.approx(-10, abs=0.1) and x[x < 0].std() == pytest.approx(2, abs=0.1)
    assert x[x > 0].mean() == pytest.approx(10, abs=0.1) and x[x > 0].std() == pytest.approx(3, abs=0.1)
    grid = np.linspace(-40, 40, 8001)
    p = np.exp(data.log_density(grid[:, None]))
    assert p.sum() * (grid[1] - grid[0]) == pytest.approx(1.0, abs=1e-6)
    # at x = -10: the first bump's peak plus the second's tail, 20 = 6.7 σ away
    root = math.sqrt(2 * math.pi)
    expected = 0.5 / (2 * root) + 0.5 * math.exp(-0.5 * (20 / 3) ** 2) / (3 * root)
    assert float(np.exp(data.log_density(np.array([[-10.0]])))[0]) == pytest.approx(expected, rel=1e-6)


def test_density_preset_bad_requests_are_refused():
    with pytest.raises(DensityInputError, match="unknown preset"):
        make_density_preset("nope")
    with pytest.raises(DensityInputError, match="whole number"):
        make_density_preset("rings", -1)


# --- densities from images --------------------------------------------------------------------------

def _bright_top_left(path, mode="L", size=(40, 20)):
    """A black image with a white block in its top-left quarter."""
    arr = np.zeros((size[1], size[0]), dtype=np.uint8)
    arr[: size[1] // 2, : size[0] // 2] = 255
    Image.fromarray(arr, "L").convert(mode).save(path)
    return path


def test_density_image_samples_fall_where_the_image_is_bright(tmp_path):
    density = load_image_density(_bright_top_left(tmp_path / "block.png"))
    assert density.probabilities.shape == (20, 40)
    assert density.probabilities.sum() == pytest.approx(1.0)
    pts = sample_image_density(density, RECT, 2000, rng=3)
    assert pts.shape == (2000, 2) and pts.dtype == np.float64
    # the top-left quarter of the image is the top-left quarter of the rectangle (y up)
    assert (pts[:, 0] >= 0).all() and (pts[:, 0] <= 2.0).all()
    assert (pts[:, 1] >= 1.0).all() and (pts[:, 1] <= 2.0).all()
    np.testing.assert_array_equal(pts, sample_image_density(density, RECT, 2000, rng=3))
    # its log-density: uniform on the block, 0 elsewhere, normalised
    logp = density.log_density(RECT, np.array([[0.5, 1.5], [3.0, 0.5], [9.0, 9.0]]))
    assert logp[0] == pytest.approx(-math.log(2.0 * 1.0)) and np.isneginf(logp[1:]).all()


def test_density_image_row_zero_is_the_top_of_the_rectangle():
    arr = np.zeros((4, 4))
    arr[0, 3] = 1.0  # the top-right pixel only
    pts = sample_image_density(density_from_brightness(arr), (0.0, 0.0, 4.0, 4.0), 100, rng=0)
    assert (pts[:, 0] >= 3).all() and (pts[:, 1] >= 3).all()


@pytest.mark.parametrize("mode", ["L", "RGB", "I;16", "P", "LA", "1"])
def test_density_image_any_mode_reads_as_brightness(tmp_path, mode):
    path = tmp_path / f"block_{mode.replace(';', '')}.png"
    if mode == "I;16":
        arr = np.zeros((20, 40), dtype=np.uint16)
        arr[:10, :20] = 65535
        Image.fromarray(arr).save(path)  # uint16: a 16-bit greyscale PNG
        with Image.open(path) as img:
            assert img.mode in ("I;16", "I")
    else:
        _bright_top_left(path, mode)
    density = load_image_density(path)
    p = density.probabilities
    assert p[:10, :20].sum() == pytest.approx(1.0)
    assert p[10:, :].sum() == 0 and p[:, 20:].sum() == 0


def test_density_image_alpha_is_composited_over_black(tmp_path):
    rgba = np.zeros((10, 10, 4), dtype=np.uint8)
    rgba[..., :3] = 255  # white everywhere…
    rgba[:5, :, 3] = 255  # …but opaque only in the top half
    Image.fromarray(rgba, "RGBA").save(tmp_path / "alpha.png")
    p = load_image_density(tmp_path / "alpha.png").probabilities
    assert p[:5].sum() == pytest.approx(1.0) and p[5:].sum() == 0
    # a palette image with a transparent index likewise
    pal = Image.new("P", (10, 10), 1)
    pal.putpalette([0, 0, 0, 255, 255, 255] + [0] * 762)
    pal.paste(0, (0, 5, 10, 10))
    pal.info["transparency"] = 0
    pal.save(tmp_path / "palette.png", transparency=0)
    p = load_image_density(tmp_path / "palette.png").probabilities
    assert p[:5].sum() == pytest.approx(1.0)


def test_density_large_images_are_downsampled_with_a_note(tmp_path):
    arr = np.zeros((300, 1200), dtype=np.uint8)
    arr[:, :600] = 200
    Image.fromarray(arr).save(tmp_path / "wide.png")
    density = load_image_density(tmp_path / "wide.png")
    assert density.probabilities.shape == (128, 512)
    assert density.source_size == (1200, 300)
    assert "downsampled" in density.note
    assert density.probabilities[:, :256].sum() == pytest.approx(1.0)
    Image.fromarray(arr).convert("RGB").save(tmp_path / "wide.jpg", quality=95)
    jpeg = load_image_density(tmp_path / "wide.jpg")
    assert jpeg.probabilities.shape == (128, 512) and "downsampled" in jpeg.note
    assert jpeg.probabilities[:, :250].sum() > 0.97


def _png_header_only(path, width, height):
    """A PNG that claims width × height pixels (1-bit grey) but holds almost no data: a bomb's header."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
                     + chunk(b"IEND", b""))
    return path


def _black(path):
    Image.new("L", (8, 8), 0).save(path)
    return path


def _text(path):
    path.write_text("this is not an image\n")
    return path


def _empty(path):
    path.write_bytes(b"")
    return path


def _truncated(path):
    _bright_top_left(path)
    path.write_bytes(path.read_bytes()[:60])
    return path


@pytest.mark.parametrize("make,match", [
    (_black, "black everywhere"),
    (_text, "not an image"),
    (_empty, "empty"),
    (_truncated, "could not read|not an image"),
    (lambda p: _png_header_only(p, 20000, 20000), "megapixels"),
    (lambda p: _png_header_only(p, 6000, 5000), "megapixels"),  # under Pillow's limit, over ours
], ids=["black", "text", "empty", "truncated", "bomb 20000x20000", "30 megapixels"])
def test_density_bad_images_give_a_message(tmp_path, make, match):
    path = make(tmp_path / "bad.png")
    with pytest.raises(DensityInputError, match=match):
        load_image_density(path)


def test_density_image_file_limits_apply(tmp_path, monkeypatch):
    with pytest.raises(DensityInputError, match="folder"):
        load_image_density(tmp_path)
    with pytest.raises(DensityInputError, match="cannot read"):
        load_image_density(tmp_path / "missing.png")
    path = _bright_top_left(tmp_path / "block.png")
    monkeypatch.setattr(density_image, "MAX_IMAGE_PIXELS", 100)
    with pytest.raises(DensityInputError, match="40x20"):
        load_image_density(path)


def test_density_image_sampling_checks_its_arguments():
    density = density_from_brightness(np.ones((2, 2)))
    with pytest.raises(DensityInputError, match="whole number"):
        sample_image_density(density, RECT, -1)
    with pytest.raises(DensityInputError, match="rectangle"):
        sample_image_density(density, (1.0, 0.0, 0.0, 1.0), 5)
    assert sample_image_density(density, RECT, 0).shape == (0, 2)
    with pytest.raises(DensityInputError, match="black"):
        density_from_brightness(np.zeros((3, 3)))
    with pytest.raises(DensityInputError, match="finite"):
        density_from_brightness(np.array([[np.nan, 1.0]]))


def test_density_a_jpeg_over_the_pixel_limit_is_read_at_a_fraction_of_its_size(tmp_path, monkeypatch):
    from PIL import Image

    monkeypatch.setattr(density_image, "MAX_IMAGE_PIXELS", 100_000)  # stands for 24 megapixels
    big = np.zeros((1000, 1000), np.uint8)
    big[:500, :500] = 255  # bright top left
    Image.fromarray(big).save(tmp_path / "big.jpg", quality=90)
    Image.fromarray(big).save(tmp_path / "big.png")
    density = load_image_density(tmp_path / "big.jpg", max_side=100)
    assert "downsampled from 1000x1000" in density.note and density.probabilities.shape == (100, 100)
    assert density.probabilities[:50, :50].sum() > 0.95  # the bright quarter is where the mass is
    with pytest.raises(DensityInputError, match="1000x1000.*megapixels"):
        load_image_density(tmp_path / "big.png", max_side=100)  # a PNG has no cheap reduced decode
    with pytest.raises(DensityInputError, match="reduced size a JPEG"):
        load_image_density(tmp_path / "big.jpg", max_side=900)  # no reduction asked: too many pixels
