"""Colour keys: blended soft colours quantised to 12 bits, their RGB, packed pixels and brushes."""

import numpy as np

from vaeviz.ui.em.layers import density_lut
from vaeviz.ui.items.colour_keys import blend_keys, key_rgb, keys_packed, keys_rgb
from vaeviz.ui.items.pixels import pack_rgb32


def test_lut_and_keys():
    assert density_lut().shape == (256, 4)
    keys = np.array([0x000, 0x888, 0xF3A, 0xFFF], dtype=np.uint16)
    assert [tuple(c) for c in keys_rgb(keys)] == [key_rgb(int(k)) for k in keys]
    rgb = keys_rgb(keys).astype(np.uint32)
    assert np.array_equal(keys_packed(keys), rgb[:, 0] | (rgb[:, 1] << 8) | (rgb[:, 2] << 16))
    assert pack_rgb32(np.array([[1, 2, 3]]))[0] == 0xFF010203


def test_blend_keys_are_pure_colours_for_certain_points():
    keys = blend_keys(np.array([[1.0, 0, 0], [0, 1.0, 0], [0.5, 0.5, 0]]), np.eye(3))
    assert list(keys) == [0xF00, 0x0F0, 0x880]
