"""Help → About credits the shipped data set and its licence."""

from __future__ import annotations

from types import SimpleNamespace

from vaeviz.ui.dialogs import about_text


def test_about_credits_mnist_and_its_licence(qapp):
    text = about_text(SimpleNamespace(runtime={}, device_description=""))
    assert "MNIST" in text and "LeCun" in text and "CC BY-SA 3.0" in text
    assert "creativecommons.org/licenses/by-sa/3.0" in text
