"""The user's own images: image folders (flat or one folder per class) and .npz archives."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

from vaeviz.core.data.datasets import (
    DatasetError,
    ImageDataset,
    load_image_folder,
    load_npz,
    make_shapes,
    save_npz,
)


def grey(folder, name, value=128, size=(4, 3)):
    """Write a uniform grey PNG of size (width, height)."""
    folder.mkdir(parents=True, exist_ok=True)
    Image.new("L", size, value).save(folder / name)
    return folder / name


# --- image folders ----------------------------------------------------------------------------------


def test_flat_folder(tmp_path):
    grey(tmp_path, "b.png", 255)
    grey(tmp_path, "a.png", 0)
    Image.new("RGB", (4, 3), (255, 255, 255)).save(tmp_path / "c.jpg")
    ds = load_image_folder(tmp_path)
    assert ds.images.shape == (3, 3, 4) and ds.images.dtype == np.float32
    assert ds.labels is None and ds.label_names is None
    assert ds.images[0].max() == 0.0 and ds.images[1].min() == 1.0  # sorted by name: a, b, c
    assert ds.images[2].min() > 0.95
    assert ds.name == tmp_path.name and "3 images" in ds.source


def test_colour_alpha_and_16_bit(tmp_path):
    Image.new("RGB", (2, 2), (255, 0, 0)).save(tmp_path / "red.png")
    Image.new("RGBA", (2, 2), (255, 255, 255, 0)).save(tmp_path / "clear.png")
    Image.new("LA", (2, 2), (255, 128)).save(tmp_path / "half.png")
    Image.fromarray(np.full((2, 2), 65535, np.uint16)).save(tmp_path / "wide.png")
    Image.new("1", (2, 2), 1).save(tmp_path / "z1.bmp")
    ds = load_image_folder(tmp_path)
    values = dict(zip(["clear", "half", "red", "wide", "z1"], ds.images[:, 0, 0], strict=True))
    assert values["red"] == pytest.approx(0.299, abs=0.01)  # luminance
    assert values["clear"] == 0.0  # transparent counts as black background
    assert values["half"] == pytest.approx(0.5, abs=0.01)
    assert values["wide"] == 1.0 and values["z1"] == 1.0


def test_class_subfolders(tmp_path):
    grey(tmp_path / "zebra", "1.png", 10)
    grey(tmp_path / "ant", "1.png", 20)
    grey(tmp_path / "ant", "2.png", 30)
    (tmp_path / "ant" / "notes.txt").write_text("hi")
    (tmp_path / "README").write_text("about")
    (tmp_path / "empty-class").mkdir()
    (tmp_path / ".hidden").mkdir()
    grey(tmp_path / ".hidden", "x.png")
    ds = load_image_folder(tmp_path)
    assert ds.label_names == ["ant", "zebra"]
    assert ds.labels.tolist() == [0, 0, 1]
    assert ds.labels.dtype == np.int64
    assert "3 images in 2 class folders" in ds.source
    assert "ignored 2 files without an image extension" in ds.source


def test_mixed_sizes_name_two_files(tmp_path):
    grey(tmp_path, "a.png", size=(28, 28))
    grey(tmp_path, "b.png", size=(28, 28))
    grey(tmp_path, "c.png", size=(32, 30))
    with pytest.raises(DatasetError, match=r"a.png is 28x28 but c.png is 32x30 \(width x height\)"):
        load_image_folder(tmp_path)
    ds = load_image_folder(tmp_path, size=16)
    assert ds.images.shape == (3, 16, 16)
    assert np.allclose(ds.images, 128 / 255, atol=0.01)  # uniform images stay uniform
    assert load_image_folder(tmp_path, size=(40, 20)).images.shape == (3, 40, 20)  # enlarging too
    assert "resized to 20x40" in load_image_folder(tmp_path, size=(40, 20)).source


def test_file_with_image_extension_that_does_not_decode(tmp_path):
    grey(tmp_path / "cats", "ok.png")
    (tmp_path / "cats" / "broken.png").write_bytes(b"this is no png")
    with pytest.raises(DatasetError, match=r"could not read image cats/broken.png"):
        load_image_folder(tmp_path)


def test_truncated_image(tmp_path):
    path = grey(tmp_path, "a.png", size=(64, 64))
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64), dtype=np.uint8)).save(path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(DatasetError, match="could not read image a.png"):
        load_image_folder(tmp_path)


def test_empty_and_missing_folders(tmp_path):
    with pytest.raises(DatasetError, match="no image files in"):
        load_image_folder(tmp_path)
    (tmp_path / "a.txt").write_text("x")
    (tmp_path / "b.csv").write_text("x")
    with pytest.raises(
        DatasetError, match=r"no image files in .*\(ignored 2 files without an image extension\)"
    ):
        load_image_folder(tmp_path)
    with pytest.raises(DatasetError, match="folder does not exist"):
        load_image_folder(tmp_path / "missing")


def test_top_level_images_and_class_folders_do_not_mix(tmp_path):
    grey(tmp_path, "loose.png")
    grey(tmp_path / "cls", "a.png")
    with pytest.raises(DatasetError, match="mixes images .* with class sub-folders"):
        load_image_folder(tmp_path)


def test_bad_size_argument(tmp_path):
    grey(tmp_path, "a.png")
    with pytest.raises(ValueError, match="size"):
        load_image_folder(tmp_path, size=0)


# --- npz ----------------------------------------------------------------------------------------


def test_npz_uint8_is_scaled(tmp_path):
    images = np.array([[[0, 255], [51, 102]]], np.uint8)
    np.savez(tmp_path / "d.npz", images=images)
    ds = load_npz(tmp_path / "d.npz")
    assert ds.images.dtype == np.float32
    assert np.array_equal(ds.images[0], np.array([[0.0, 1.0], [0.2, 0.4]], np.float32))
    assert ds.name == "d" and ds.labels is None


def test_npz_channel_axis_float_and_labels(tmp_path):
    images = np.random.default_rng(0).random((5, 1, 6, 7))
    np.savez(
        tmp_path / "d.npz",
        images=images,
        labels=np.array([0, 1, 2, 1, 0], np.uint8),
        label_names=["x", "y", "z"],
    )
    ds = load_npz(tmp_path / "d.npz")
    assert ds.images.shape == (5, 6, 7) and ds.images.dtype == np.float32
    assert ds.labels.dtype == np.int64 and ds.labels.tolist() == [0, 1, 2, 1, 0]
    assert ds.label_names == ["x", "y", "z"]


def test_npz_missing_images_lists_keys(tmp_path):
    np.savez(tmp_path / "d.npz", x_train=np.zeros((2, 3, 3)), y_train=np.zeros(2))
    with pytest.raises(DatasetError, match="d.npz has no 'images' array; keys found: x_train, y_train"):
        load_npz(tmp_path / "d.npz")


def test_npz_nan(tmp_path):
    images = np.zeros((3, 2, 2), np.float32)
    images[1, 0, 1] = np.nan
    np.savez(tmp_path / "d.npz", images=images)
    with pytest.raises(DatasetError, match="1 pixel is NaN in image 1"):
        load_npz(tmp_path / "d.npz")


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        (dict(images=np.zeros((2, 3, 3), np.int32)), "must be uint8 .0-255. or float .0-1.; got int32"),
        (dict(images=np.zeros((2, 3, 3, 3))), r"shape \(N, H, W\) or \(N, 1, H, W\)"),
        (dict(images=np.full((2, 3, 3), 2.0)), r"\[0, 1\]"),
        (dict(images=np.zeros((2, 3, 3)), labels=np.zeros(2)), "'labels' in d.npz must be integers"),
        (dict(images=np.zeros((2, 3, 3)), labels=np.zeros(3, np.int64)), "2 images but 3 labels"),
        (
            dict(images=np.zeros((2, 3, 3)), labels=np.zeros(2, int), label_names=np.zeros(2)),
            "must be a 1-d array of strings",
        ),
        (
            dict(images=np.zeros((2, 3, 3)), meta=np.array([{"a": 1}], dtype=object)),
            "cannot be loaded safely",
        ),
    ],
)
def test_npz_bad_content(tmp_path, arrays, message):
    np.savez(tmp_path / "d.npz", **arrays)
    with pytest.raises(DatasetError, match=message):
        load_npz(tmp_path / "d.npz")


def test_npz_not_an_archive(tmp_path):
    (tmp_path / "t.npz").write_text("hello")
    with pytest.raises(DatasetError, match="t.npz is not an .npz archive"):
        load_npz(tmp_path / "t.npz")
    np.save(tmp_path / "a.npy", np.zeros(3))
    with pytest.raises(DatasetError, match="not an .npz archive"):
        load_npz(tmp_path / "a.npy")
    with pytest.raises(DatasetError, match="file does not exist"):
        load_npz(tmp_path / "missing.npz")


@pytest.mark.parametrize("compressed", [False, True])
def test_save_load_round_trip(tmp_path, compressed):
    ds = make_shapes(n=40, seed=5)
    path = save_npz(tmp_path / "shapes.data", ds, compressed=compressed)
    assert path == tmp_path / "shapes.data"
    assert [p.name for p in tmp_path.iterdir()] == ["shapes.data"]  # as named, no temp file
    back = load_npz(path)
    assert back.name == ds.name and back.source == ds.source
    assert np.array_equal(back.images, ds.images) and np.array_equal(back.labels, ds.labels)
    assert back.label_names == ds.label_names
    assert set(back.factors) == set(ds.factors)
    assert np.array_equal(back.factors["rotation"], ds.factors["rotation"])


def test_save_replaces_and_unlabelled_round_trip(tmp_path):
    path = tmp_path / "d.npz"
    path.write_bytes(b"old")
    ds = ImageDataset(name="plain", images=np.full((2, 3, 3), 0.25, np.float32))
    save_npz(path, ds)
    back = load_npz(path)
    assert back.labels is None and back.factors is None and back.name == "plain"
    assert back.source == f"npz file {path}"


def test_photo_sized_images_are_downsampled_as_they_load(tmp_path):
    """Three 1024² photos used to build a multi-gigabyte model: they now load at 64 px a side."""
    rng = np.random.default_rng(0)
    for i in range(3):
        Image.fromarray(rng.integers(0, 256, (1024, 768, 3), dtype=np.uint8)).save(tmp_path / f"p{i}.jpg")
    ds = load_image_folder(tmp_path)
    assert ds.images.shape == (3, 64, 48)
    assert "downsampled to at most 64 pixels a side" in ds.source


def test_an_image_declaring_too_many_pixels_is_refused_before_decoding(tmp_path):
    """A 12000 × 12000 PNG compresses to ~140 KB but would decode to 144 megapixels."""
    Image.new("L", (12000, 12000)).save(tmp_path / "huge.png", optimize=True)
    with pytest.raises(DatasetError, match="is 12000x12000 pixels; the limit is 24 megapixels"):
        load_image_folder(tmp_path)


def test_an_npz_asking_for_gigabytes_is_refused_before_reading(tmp_path):
    """A small archive whose array header (or zip directory) asks for more than the limit."""
    import io
    import zipfile

    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False,
                                                  "shape": (60000, 1000, 1000)})
    path = tmp_path / "liar.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("images.npy", header.getvalue() + b"\0" * 64)
    with pytest.raises(DatasetError, match="holds arrays of more than 96 MB"):
        load_npz(path)
    bomb = tmp_path / "bomb.npz"
    np.savez_compressed(bomb, images=np.zeros((200, 1000, 1000), np.uint8))  # 200 MB of zeros, ~200 KB
    assert bomb.stat().st_size < 1_000_000
    with pytest.raises(DatasetError, match="expands to more than 96 MB"):
        load_npz(bomb)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_special_files_are_refused(tmp_path):
    os.mkfifo(tmp_path / "pipe.npz")
    with pytest.raises(DatasetError, match="a pipe"):
        load_npz(tmp_path / "pipe.npz")
    folder = tmp_path / "images"
    folder.mkdir()
    Image.new("L", (8, 8)).save(folder / "a.png")
    os.mkfifo(folder / "b.png")  # not a regular file: not an image either, and never opened
    assert load_image_folder(folder).images.shape == (1, 8, 8)
