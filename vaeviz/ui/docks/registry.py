"""The registered lab docks, in View-menu order, and their presets for the export CLI.

A lab registers itself by putting its dock class here. Dock classes are
light: they import pyqtgraph and their lab's modules only in ``build()``.
"""

from __future__ import annotations

from dataclasses import dataclass

from vaeviz.ui.density.dock import DensityDock
from vaeviz.ui.docks.base import LabDock, Preset
from vaeviz.ui.em.dock import EmDock
from vaeviz.ui.kl.dock import KlDock
from vaeviz.ui.vae.dock import LatentDock

DOCK_CLASSES: list[type[LabDock]] = [DensityDock, EmDock, KlDock, LatentDock]


def dock_ids() -> list[str]:
    return [cls.dock_id for cls in DOCK_CLASSES]


def dock_class(dock_id: str) -> type[LabDock]:
    """Return the dock class for an id; ``KeyError`` naming the known ids otherwise."""
    for cls in DOCK_CLASSES:
        if cls.dock_id == dock_id:
            return cls
    raise KeyError(f"unknown dock '{dock_id}' (known: {', '.join(dock_ids())})")


@dataclass(frozen=True)
class PresetRef:
    dock_id: str
    name: str
    description: str


def all_presets() -> list[PresetRef]:
    """Every registered preset, dock by dock."""
    return [PresetRef(cls.dock_id, p.name, p.description) for cls in DOCK_CLASSES for p in cls.presets()]


def find_preset(dock_id: str, name: str) -> Preset:
    """Return a dock's preset; ``KeyError`` with a helpful message if the dock or preset is unknown."""
    presets = {p.name: p for p in dock_class(dock_id).presets()}
    if name not in presets:
        raise KeyError(f"unknown preset '{name}' for dock '{dock_id}' "
                       f"(known: {', '.join(presets) or 'none'})")
    return presets[name]
