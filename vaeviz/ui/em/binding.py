"""The side panel bound to the lab state: widgets show an :class:`~vaeviz.core.em.state.EmLabState` and
turn each edit into a new one.

:meth:`StateBinding.show` writes a state into the widgets with their signals blocked (so showing a state
never edits it); every widget's edit becomes ``dataclasses.replace(current state, ...)`` handed to
``apply`` (the lab's ``apply_state``, which validates it, calls :meth:`show` and reacts). The widgets are
never the record of what the user chose.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from PySide6.QtWidgets import QWidget

from vaeviz.core.em.state import EmLabState
from vaeviz.ui.em.controls import SidePanel

SHOW_KEYS = ("heatmap", "contours", "kmeans", "complete")


class StateBinding:
    """Connects the side panel's state widgets to ``apply(new_state)``; ``current()`` is the lab's state."""

    def __init__(self, side: SidePanel, current: Callable[[], EmLabState],
                 apply: Callable[[EmLabState], None]) -> None:
        self.side = side
        self._current = current
        self._apply = apply
        self._connect()

    # ----- state → widgets ------------------------------------------------------------------------
    def _widgets(self) -> list[QWidget]:
        s = self.side
        return [s.mode, s.data_preset, s.n_points, s.k, s.cov_type, s.init, s.seed, s.floor, s.reg,
                s.heatmap, s.contours, s.kmeans, s.complete, s.align, *s.tools.values(), s.weights_1d,
                *s.means_1d, *s.sigmas_1d]

    def show(self, state: EmLabState) -> None:
        """Write ``state`` into the widgets without any of them reporting an edit."""
        widgets = self._widgets()
        before = [w.blockSignals(True) for w in widgets]  # restored, not cleared: calls may nest
        try:
            self._write(state)
        finally:
            for widget, old in zip(widgets, before, strict=True):
                widget.blockSignals(old)

    def _write(self, state: EmLabState) -> None:
        s, m = self.side, state.model
        s.mode.setCurrentIndex(s.mode.findData(state.mode))
        s.data_preset.setCurrentIndex(s.data_preset.findData(state.data.preset))
        s.n_points.setValue(state.data.n)
        s.k.setValue(m.k)
        s.cov_type.setCurrentIndex(s.cov_type.findData(m.covariance_type))
        s.init.setCurrentIndex(s.init.findData(m.init))
        s.seed.setValue(m.seed)
        s.floor.setChecked(m.floor)
        index = s.reg.findData(float(m.reg))
        if index < 0:  # a floor from a session that the list does not offer
            s.reg.addItem(f"{float(m.reg):g}", float(m.reg))
            index = s.reg.count() - 1
        s.reg.setCurrentIndex(index)
        for key in SHOW_KEYS:
            getattr(s, key).setChecked(getattr(state.display, key))
        s.align.setChecked(state.align)
        s.tools[state.tool].setChecked(True)
        o = state.oned
        s.weights_1d.setCurrentIndex(s.weights_1d.findData(o.weights))
        for k in range(2):
            s.means_1d[k].setValue(o.means[k])
            s.sigmas_1d[k].setValue(o.sigmas[k])

    # ----- widgets → state ------------------------------------------------------------------------
    def _connect(self) -> None:
        s = self.side
        s.mode.currentIndexChanged.connect(lambda _i: self._edit(mode=s.mode.currentData()))
        s.data_preset.currentIndexChanged.connect(self._on_data_preset_changed)
        s.n_points.valueChanged.connect(lambda n: self._edit_data(n=n))
        s.k.valueChanged.connect(lambda k: self._edit_model(k=k))
        s.cov_type.currentIndexChanged.connect(self._on_cov_type_changed)
        s.init.currentIndexChanged.connect(lambda _i: self._edit_model(init=s.init.currentData()))
        s.seed.valueChanged.connect(lambda seed: self._edit_model(seed=seed))
        s.floor.toggled.connect(lambda on: self._edit_model(floor=on))
        s.reg.currentIndexChanged.connect(lambda _i: self._edit_model(reg=float(s.reg.currentData())))
        for key in SHOW_KEYS:
            getattr(s, key).toggled.connect(lambda on, key=key: self._edit_display(**{key: on}))
        s.align.toggled.connect(lambda on: self._edit(align=on))
        for name, button in s.tools.items():
            button.toggled.connect(lambda on, name=name: self._on_tool_toggled(name, on))
        s.weights_1d.currentIndexChanged.connect(self._on_weights_1d_changed)
        for spin in (*s.means_1d, *s.sigmas_1d):
            spin.valueChanged.connect(self._on_oned_values_changed)

    def _edit(self, **changes) -> None:
        self._apply(replace(self._current(), **changes))

    def _edit_data(self, **changes) -> None:
        self._edit(data=replace(self._current().data, **changes))

    def _edit_model(self, **changes) -> None:
        self._edit(model=replace(self._current().model, **changes))

    def _edit_display(self, **changes) -> None:
        self._edit(display=replace(self._current().display, **changes))

    def _edit_oned(self, **changes) -> None:
        self._edit(oned=replace(self._current().oned, **changes))

    def _on_tool_toggled(self, name: str, on: bool) -> None:
        if on:
            self._edit(tool=name)

    def _on_data_preset_changed(self, _index: int) -> None:
        self._edit_data(preset=self.side.data_preset.currentData())

    def _on_cov_type_changed(self, _index: int) -> None:
        self._edit_model(covariance_type=self.side.cov_type.currentData())

    def _on_weights_1d_changed(self, _index: int) -> None:
        self._edit_oned(weights=self.side.weights_1d.currentData())

    def _on_oned_values_changed(self, _value: float) -> None:
        means = tuple(spin.value() for spin in self.side.means_1d)
        sigmas = tuple(spin.value() for spin in self.side.sigmas_1d)
        self._edit_oned(means=means, sigmas=sigmas)


def with_oned(state: EmLabState, **changes) -> EmLabState:
    """``state`` with some of its 1-D page's values changed."""
    return replace(state, oned=replace(state.oned, **changes))

