"""The offline shapes data set, and the ImageDataset type with its validation messages."""

from __future__ import annotations

import numpy as np
import pytest

from vaeviz.core.data.datasets import (
    SHAPE_NAMES,
    DatasetError,
    ImageDataset,
    load_default,
    make_shapes,
    render_shapes,
    run_steps,
    validate,
)


@pytest.fixture(scope="module")
def shapes() -> ImageDataset:
    return make_shapes(n=1201, seed=7)


# --- the shapes generator ---------------------------------------------------------------------------


def test_same_seed_is_bit_identical(shapes):
    """The same (n, seed, size) gives identical images, labels and factors."""
    again = make_shapes(n=1201, seed=7)
    assert np.array_equal(shapes.images, again.images)
    assert np.array_equal(shapes.labels, again.labels)
    assert shapes.factors.keys() == again.factors.keys()
    for key in shapes.factors:
        assert np.array_equal(shapes.factors[key], again.factors[key])


def test_other_seed_differs(shapes):
    other = make_shapes(n=1201, seed=8)
    assert not np.array_equal(shapes.images, other.images)


def test_n_is_exact():
    assert len(make_shapes(n=1, seed=0)) == 1
    assert len(make_shapes(n=37, seed=0)) == 37


def test_types_shapes_and_range(shapes):
    assert shapes.images.dtype == np.float32
    assert shapes.images.shape == (1201, 28, 28)
    assert shapes.labels.dtype == np.int64
    assert shapes.images.min() == 0.0
    assert shapes.images.max() == 1.0
    assert shapes.label_names == SHAPE_NAMES
    assert 5 <= len(SHAPE_NAMES) <= 10


def test_class_balance(shapes):
    counts = np.bincount(shapes.labels, minlength=len(SHAPE_NAMES))
    assert counts.max() - counts.min() <= 1
    assert counts.sum() == 1201


def test_anti_aliased_edges(shapes):
    """Edges have grey levels, all exact multiples of 1/16 (4x4 supersampling)."""
    values = np.unique(shapes.images)
    assert len(values) == 17
    assert np.array_equal(values * 16, np.round(values * 16))


def test_every_image_shows_a_shape_inside_the_border(shapes):
    assert (shapes.images.reshape(len(shapes), -1).sum(axis=1) > 5).all()
    border = np.concatenate(
        [shapes.images[:, 0], shapes.images[:, -1], shapes.images[:, :, 0], shapes.images[:, :, -1]]
    )
    assert border.max() == 0.0  # the one-pixel margin: no shape is clipped


def test_factors(shapes):
    f = shapes.factors
    assert set(f) == {"x", "y", "scale", "rotation", "thickness"}
    for value in f.values():
        assert value.shape == (1201,) and value.dtype == np.float32
    radius = f["scale"] * 28
    assert (f["x"] - radius >= 0.99).all() and (f["x"] + radius <= 27.01).all()
    assert (f["y"] - radius >= 0.99).all() and (f["y"] + radius <= 27.01).all()
    assert (f["rotation"] >= 0).all() and (f["rotation"] < 2 * np.pi).all()


def test_circle_centroid_is_the_position_factor(shapes):
    """x and y are pixel coordinates of the centre, from the top-left corner of the image."""
    circles = np.flatnonzero(shapes.labels == SHAPE_NAMES.index("circle"))
    rows, cols = np.mgrid[0:28, 0:28] + 0.5
    for i in circles[:20]:
        img = shapes.images[i]
        assert (img * cols).sum() / img.sum() == pytest.approx(shapes.factors["x"][i], abs=0.05)
        assert (img * rows).sum() / img.sum() == pytest.approx(shapes.factors["y"][i], abs=0.05)


def test_render_shapes_reproduces_the_data_set(shapes):
    again = render_shapes(shapes.labels[:300], size=28, **{k: v[:300] for k, v in shapes.factors.items()})
    assert np.array_equal(again, shapes.images[:300])


def test_rotation_is_counter_clockwise_on_screen():
    """The semicircle's flat side is down at rotation 0 and on the right after a quarter turn."""
    semi = SHAPE_NAMES.index("semicircle")
    up, quarter = render_shapes([semi, semi], 14.0, 14.0, 0.4, [0.0, np.pi / 2], 0.4)
    assert up[14:].sum() > up[:14].sum() * 1.2
    assert quarter[:, 14:].sum() > quarter[:, :14].sum() * 1.2


def test_scale_and_thickness_change_the_ink():
    ring = SHAPE_NAMES.index("ring")
    small, big, thin, thick = render_shapes(
        [ring] * 4, 14.0, 14.0, [0.2, 0.35, 0.35, 0.35], 0.0, [0.4, 0.4, 0.3, 0.55]
    )
    assert big.sum() > small.sum()
    assert thick.sum() > thin.sum()


def test_other_sizes_and_bad_arguments():
    ds = make_shapes(n=12, seed=1, size=48)
    assert ds.images.shape == (12, 48, 48)
    with pytest.raises(ValueError, match="n must be at least 1"):
        make_shapes(n=0)
    with pytest.raises(ValueError, match="size"):
        make_shapes(n=5, size=4)
    with pytest.raises(ValueError, match="labels"):
        render_shapes([99], 1, 1, 0.3, 0, 0.3)


def test_load_default_is_the_shapes_set():
    ds = load_default(n=30, seed=2)
    assert np.array_equal(ds.images, make_shapes(n=30, seed=2).images)


# --- ImageDataset and validate ----------------------------------------------------------------------


def good(n: int = 4, **kwargs) -> dict:
    base = dict(name="t", images=np.zeros((n, 3, 3), np.float32), labels=np.arange(n, dtype=np.int64) % 2)
    base.update(label_names=["a", "b"])
    base.update(kwargs)
    return base


def test_arrays_are_read_only():
    images = np.zeros((2, 3, 3), np.float32)
    ds = ImageDataset(**good(2, images=images))
    with pytest.raises(ValueError):
        ds.images[0, 0, 0] = 1.0
    with pytest.raises(ValueError):
        ds.labels[0] = 1
    images[0, 0, 0] = 0.5  # the caller's own array stays writable
    assert len(ds) == 2 and ds.image_shape == (3, 3)


def test_nan_pixels_are_named():
    images = np.zeros((20, 4, 4), np.float32)
    images[17, :3, 0] = np.nan
    with pytest.raises(DatasetError, match=r"^3 pixels are NaN in image 17$"):
        ImageDataset(name="t", images=images)
    images[19, 0, 0] = np.inf
    with pytest.raises(DatasetError, match=r"3 pixels are NaN in image 17 \(and 1 more image\)"):
        ImageDataset(name="t", images=images)


def test_infinite_and_out_of_range_pixels():
    images = np.zeros((3, 2, 2), np.float32)
    images[1, 0, 0] = -np.inf
    with pytest.raises(DatasetError, match="1 pixel is infinite in image 1"):
        ImageDataset(name="t", images=images)
    images[1, 0, 0] = 1.5
    with pytest.raises(DatasetError, match=r"\[0, 1\]; image 1 has values from 0 to 1.5"):
        ImageDataset(name="t", images=images)


def test_label_count_mismatch():
    with pytest.raises(DatasetError, match="^120 images but 118 labels$"):
        ImageDataset(**good(120, labels=np.zeros(118, np.int64)))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (dict(images=np.zeros((2, 3, 3), np.float64)), "images must be float32, got float64"),
        (dict(images=np.zeros((2, 9), np.float32)), r"shape \(N, H, W\)"),
        (dict(images=np.zeros((0, 3, 3), np.float32), labels=np.zeros(0, np.int64)), "no images"),
        (dict(labels=np.array([0, 1, 0, 1], np.int32)), "labels must be int64, got int32"),
        (dict(labels=np.array([0, 1, 2, 1])), "label 2 at index 2 is out of range for 2 label names"),
        (dict(labels=np.array([0, -1, 0, 1])), "label -1 at index 1 is negative"),
        (dict(labels=None), "2 label names given but no labels"),
        (dict(label_names=["a", 3]), "label names must be strings"),
        (dict(factors={"x": np.zeros(3)}), "factor 'x' has shape"),
    ],
)
def test_validation_messages(change, message):
    with pytest.raises(DatasetError, match=message):
        ImageDataset(**good(**change))


def test_validate_is_callable_on_its_own_and_dataset_error_is_a_value_error():
    ds = ImageDataset(**good())
    validate(ds)
    assert issubclass(DatasetError, ValueError)
    assert "4 images of 3x3, 2 classes" in repr(ds)


def test_run_steps_returns_the_generator_value():
    def steps():
        yield 1
        yield 2
        return "done"

    seen = []
    assert run_steps(steps(), seen.append) == "done"
    assert seen == [1, 2]
