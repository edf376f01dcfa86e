"""resources_dir/resource_path: frozen bundle first, then the wheel's _resources, then the checkout."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from vaeviz.core import resources
from vaeviz.core.resources import resource_path, resources_dir

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def fresh_cache():
    """resources_dir is cached; start and end every test with an empty cache."""
    resources_dir.cache_clear()
    yield
    resources_dir.cache_clear()


def test_source_checkout_uses_repo_resources(monkeypatch):
    """In a source checkout (no bundle, no _resources) the repo's resources/ folder is used."""
    monkeypatch.delattr(sys, "_MEIPASS", raising=False)
    assert not (REPO / "vaeviz" / "_resources").exists()
    assert resources_dir() == REPO / "resources"
    assert resources_dir().is_dir()


def test_frozen_bundle_preferred(monkeypatch, tmp_path):
    """With sys._MEIPASS set and a resources folder inside, that folder wins."""
    (tmp_path / "resources").mkdir()
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources_dir() == tmp_path / "resources"


def test_bundle_without_resources_falls_back(monkeypatch, tmp_path):
    """A bundle missing resources/ does not hide the other candidates."""
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources_dir() == REPO / "resources"


def test_empty_meipass_ignored(monkeypatch):
    """An empty _MEIPASS is treated as not frozen (not as the current folder)."""
    monkeypatch.setattr(sys, "_MEIPASS", "", raising=False)
    assert resources_dir() == REPO / "resources"


def fake_package(monkeypatch, root: Path) -> Path:
    """Make resources.py believe it lives in ``root/vaeviz/core``; return the fake package folder."""
    package = root / "vaeviz"
    (package / "core").mkdir(parents=True)
    monkeypatch.setattr(resources, "__file__", str(package / "core" / "resources.py"))
    monkeypatch.delattr(sys, "_MEIPASS", raising=False)
    return package


def test_installed_wheel_uses_package_resources(monkeypatch, tmp_path):
    """An installed wheel's vaeviz/_resources is used, before any resources/ beside the package."""
    package = fake_package(monkeypatch, tmp_path)
    (package / "_resources").mkdir()
    (tmp_path / "resources").mkdir()
    assert resources_dir() == package / "_resources"


def test_order_bundle_beats_wheel(monkeypatch, tmp_path):
    """Frozen bundle > wheel's _resources."""
    package = fake_package(monkeypatch, tmp_path / "site")
    (package / "_resources").mkdir()
    (tmp_path / "bundle" / "resources").mkdir(parents=True)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "bundle"), raising=False)
    assert resources_dir() == tmp_path / "bundle" / "resources"


def test_nothing_found_names_every_place(monkeypatch, tmp_path):
    """When no candidate exists, FileNotFoundError lists all the places looked at."""
    package = fake_package(monkeypatch, tmp_path)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "bundle"), raising=False)
    with pytest.raises(FileNotFoundError) as err:
        resources_dir()
    message = str(err.value)
    for place in (tmp_path / "bundle" / "resources", package / "_resources", tmp_path / "resources"):
        assert str(place) in message


def test_result_is_cached_until_cleared(monkeypatch, tmp_path):
    """The answer is computed once; cache_clear makes it look again."""
    monkeypatch.delattr(sys, "_MEIPASS", raising=False)
    first = resources_dir()
    (tmp_path / "resources").mkdir()
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources_dir() == first
    resources_dir.cache_clear()
    assert resources_dir() == tmp_path / "resources"


def test_resource_path_existing(monkeypatch):
    """resource_path joins parts under resources_dir and checks existence (folders count)."""
    monkeypatch.delattr(sys, "_MEIPASS", raising=False)
    assert resource_path("icons") == REPO / "resources" / "icons"
    assert resource_path() == REPO / "resources"


def test_resource_path_missing():
    """A missing resource raises FileNotFoundError naming the full path."""
    with pytest.raises(FileNotFoundError, match=r"missing resource: .*no-such-icon\.png"):
        resource_path("icons", "no-such-icon.png")


def test_resource_path_in_bundle(monkeypatch, tmp_path):
    """resource_path follows resources_dir into the bundle."""
    (tmp_path / "resources" / "icons").mkdir(parents=True)
    (tmp_path / "resources" / "icons" / "x.png").write_bytes(b"png")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resource_path("icons", "x.png").read_bytes() == b"png"
