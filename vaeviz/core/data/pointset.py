"""The app-wide 2-D data set shared by the Density and GMM/EM labs (Qt-free).

:class:`PointSet` holds ``points`` (N, 2) float64 and optional integer ``labels`` (N,) — the true
component ``z`` when a preset sampled the data from a known mixture, ``None`` when nobody knows.
Every edit is a command on an undo stack, and every change bumps ``version`` and calls the
subscribers synchronously with a :class:`PointSetChange`; the Qt side re-emits that as a signal.
Arrays handed out are read-only snapshots (copy-on-write), so a worker may keep one while the user edits.
"""

from __future__ import annotations

import itertools
import math
import operator
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from vaeviz.core.limits import MAX_COORDINATE, bounded_message

MAX_POINTS = 1_000_000
MAX_HISTORY = 200
# 200 undo entries of a million-point replace would be 3 GB; the byte budget drops old entries first
MAX_HISTORY_BYTES = 256 * 2**20
UNLABELLED = -1
"""Label of a point nobody drew from the true mixture (e.g. added by hand)."""


def _readonly(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.flags.writeable = False
    return view


def check_points(points, *, what: str = "points") -> np.ndarray:
    """Return ``points`` ((N, 2); one (2,) point or an empty sequence is fine) as a new float64 array.

    Raises ``ValueError`` (naming ``what``) for non-numbers, a wrong shape or a NaN/inf coordinate.
    """
    try:
        arr = np.array(points, dtype=np.float64)  # always a copy: the caller may change theirs later
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} must be numbers in an (N, 2) array ({bounded_message(str(exc), 120)})") \
            from None
    if arr.size == 0:
        return np.zeros((0, 2))
    if arr.shape == (2,):
        arr = arr.reshape(1, 2)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"{what} must have shape (N, 2), got {arr.shape}")
    finite = np.isfinite(arr).all(axis=1)
    if not finite.all():
        row = int(np.argmin(finite))
        raise ValueError(
            f"{what}: row {row} is ({arr[row, 0]}, {arr[row, 1]}); "
            "all coordinates must be finite (no NaN/inf)"
        )
    too_large = np.abs(arr).max(axis=1) > MAX_COORDINATE
    if too_large.any():
        row = int(np.argmax(too_large))
        raise ValueError(
            f"{what}: row {row} is ({arr[row, 0]:g}, {arr[row, 1]:g}); coordinates must lie within "
            f"±{MAX_COORDINATE:g} (rescale the data)"
        )
    return np.ascontiguousarray(arr)


def check_labels(labels, n: int) -> np.ndarray | None:
    """Return ``labels`` as a new int64 (n,) array (``None`` stays ``None``), or raise ``ValueError``.

    Integer-valued floats (``1.0``) are accepted because spreadsheets like to write them.
    """
    if labels is None:
        return None
    arr = np.asarray(labels)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(f"labels must have shape ({n},) to match the points, got {arr.shape}")
    whole = arr.dtype.kind == "f" and np.isfinite(arr).all() and (arr == np.round(arr)).all()
    if not (whole or arr.dtype.kind in "iu" or arr.size == 0):
        raise ValueError("labels must be integers")
    return arr.astype(np.int64)


@dataclass(frozen=True)
class PointSetChange:
    """What one change did, passed to every subscriber.

    ``kind`` is ``"reset"`` (anything may have changed; ``indices`` empty), ``"add"`` (appended at
    ``indices``), ``"erase"`` (removed; ``indices`` numbered *before* the change), ``"insert"``
    (undone erase; ``indices`` numbered *after* the change) or ``"move"`` (one point). ``indices`` is
    a sorted read-only int64 array, ``version`` the model's version after the change and ``origin``
    ``"edit"``, ``"undo"`` or ``"redo"``.
    """

    kind: str
    indices: np.ndarray
    version: int
    origin: str = "edit"


def _plural(n: int) -> str:
    return f"{n:,} point" if n == 1 else f"{n:,} points"


@dataclass(eq=False)
class _Command:
    """One undoable edit: ``forward``/``backward`` call the model's primitives, return (kind, indices)."""

    text: str
    forward: Callable[[], tuple[str, np.ndarray]]
    backward: Callable[[], tuple[str, np.ndarray]]
    nbytes: int
    move_index: int | None = None  # set for moves, which may absorb the next move of the same point
    move_target: np.ndarray | None = None


def _one_point(value, what: str = "centre") -> np.ndarray:
    c = check_points(value, what=what)
    if c.shape != (1, 2):
        raise ValueError(f"{what} must be one (x, y) point")
    return c[0]


def _radius(radius: float) -> float:
    radius = float(radius)
    if not (math.isfinite(radius) and radius >= 0):
        raise ValueError(f"radius must be a finite number >= 0, got {radius}")
    return radius


class PointSet:
    """Mutable 2-D data set with undo/redo and synchronous change notification.

    ``points``/``labels`` give the initial state (not undoable; ``labels=None`` when the true
    components are unknown). Edits beyond ``max_points`` raise ``ValueError`` and change nothing.
    The undo history keeps at most ``max_history`` entries (at least 1) within
    ``max_history_bytes`` of memory, dropping the oldest first (the newest is always kept).

    Drags: consecutive :meth:`move` calls on the same point merge into one undo entry until
    :meth:`end_move` is called (on mouse release), or any other edit, undo or redo happens.
    Editing from inside a subscriber callback raises ``RuntimeError``: it would deliver changes
    out of order to the subscribers not yet called.
    """

    def __init__(
        self,
        points=None,
        labels=None,
        *,
        max_points: int = MAX_POINTS,
        max_history: int = MAX_HISTORY,
        max_history_bytes: int = MAX_HISTORY_BYTES,
    ) -> None:
        self.max_points = int(max_points)
        self.max_history = max(1, int(max_history))
        self.max_history_bytes = int(max_history_bytes)
        pts = check_points([] if points is None else points)
        if len(pts) > self.max_points:
            raise ValueError(f"cannot hold {len(pts):,} points: the limit is {self.max_points:,}")
        self._points = pts
        self._labels = check_labels(labels, len(pts))
        # True once self._points may be referenced elsewhere (handed out or held by a command)
        self._points_shared = False
        self._version = 0
        self._undo: deque[_Command] = deque()
        self._redo: list[_Command] = []
        self._open_move: _Command | None = None
        self._subscribers: dict[int, Callable[[PointSetChange], None]] = {}
        self._keys = itertools.count()
        self._notifying = False

    @property
    def points(self) -> np.ndarray:
        """Read-only (N, 2) float64 snapshot; later edits never change it."""
        self._points_shared = True
        return _readonly(self._points)

    @property
    def labels(self) -> np.ndarray | None:
        """Read-only (N,) int64 true labels (``UNLABELLED`` for hand-added points), or ``None``."""
        return None if self._labels is None else _readonly(self._labels)

    @property
    def version(self) -> int:
        """Incremented on every change (edits, undo and redo)."""
        return self._version

    def __len__(self) -> int:
        return self._points.shape[0]

    def subscribe(self, callback: Callable[[PointSetChange], None]) -> Callable[[], None]:
        """Call ``callback(change)`` after every change; return a function that unsubscribes.

        Callbacks run synchronously in subscription order. If one raises, the others still run and
        the first exception is re-raised afterwards (the change itself has already happened).
        """
        key = next(self._keys)
        self._subscribers[key] = callback

        def unsubscribe() -> None:
            self._subscribers.pop(key, None)

        return unsubscribe

    def add(self, points) -> int:
        """Append points (label ``UNLABELLED`` if the set has labels); return how many were added."""
        pts = check_points(points)
        return self._add("add", pts)

    def spray(self, centre, radius: float, count: int, rng: np.random.Generator | None = None) -> int:
        """Add ``count`` points drawn uniformly from the disc of ``radius`` around ``centre``.

        A uniform disc (not a Gaussian) so the points stay inside the brush circle the user sees;
        ``rng`` makes the spray reproducible. Returns the number of points added.
        """
        c = _one_point(centre)
        radius = _radius(radius)
        count = operator.index(count)
        if count < 0:
            raise ValueError(f"count must be >= 0, got {count}")
        self._check_capacity(count)  # before sampling, so a huge count never allocates
        rng = np.random.default_rng() if rng is None else rng
        r = radius * np.sqrt(rng.random(count))  # sqrt: uniform per area, not per radius
        theta = 2.0 * np.pi * rng.random(count)
        pts = c + np.column_stack((r * np.cos(theta), r * np.sin(theta)))
        return self._add("spray", pts)

    def erase_near(self, centre, radius: float) -> int:
        """Remove every point within ``radius`` (inclusive) of ``centre``; return how many."""
        c = _one_point(centre)
        radius = _radius(radius)
        self._check_editable()
        idx = np.flatnonzero(((self._points - c) ** 2).sum(axis=1) <= radius * radius)
        if len(idx) == 0:
            return 0
        pts, labels = self._points[idx], None if self._labels is None else self._labels[idx]
        forward, backward = (lambda: self._remove(idx)), (lambda: self._insert(idx, pts, labels))
        self._do(f"erase {_plural(len(idx))}", forward, backward, (idx, pts, labels))
        return len(idx)

    def move(self, index: int, new_pos) -> None:
        """Move point ``index`` to ``new_pos``; consecutive moves of one point merge (see class notes)."""
        self._check_editable()
        index = operator.index(index)
        if not 0 <= index < len(self):
            raise IndexError(f"point index {index} out of range for {len(self)} points")
        pos = _one_point(new_pos, what="new position")
        if np.array_equal(pos, self._points[index]):
            return
        top = self._undo[-1] if self._undo else None
        if self._open_move is not None and top is self._open_move and top.move_index == index:
            top.move_target[:] = pos  # the entry's forward step now lands on the latest position
            self._notify(*top.forward(), "edit")
            return
        old, target = self._points[index].copy(), pos
        forward = lambda: self._set_position(index, target)  # noqa: E731
        backward = lambda: self._set_position(index, old)  # noqa: E731
        self._do("move point", forward, backward, (old, target), index, target)
        self._open_move = self._undo[-1]

    def end_move(self) -> None:
        """Close the current drag so the next :meth:`move` starts a new undo entry."""
        self._open_move = None

    def replace(self, points, labels=None, text: str = "replace data") -> None:
        """Replace everything (presets, CSV import) as one undoable step named ``text``."""
        self._check_editable()
        pts = check_points(points)
        if len(pts) > self.max_points:
            raise ValueError(f"cannot load {len(pts):,} points: the limit is {self.max_points:,}")
        lab = check_labels(labels, len(pts))
        self._do_replace(text, pts, lab)

    def clear(self) -> None:
        """Remove all points and labels (undoable); does nothing when already empty."""
        self._check_editable()
        if len(self) == 0 and self._labels is None:
            return
        self._do_replace("clear", np.zeros((0, 2)), None)

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @property
    def undo_text(self) -> str:
        """Menu text such as ``"Undo spray 25 points"``; plain ``"Undo"`` when there is nothing."""
        return f"Undo {self._undo[-1].text}" if self._undo else "Undo"

    @property
    def redo_text(self) -> str:
        """Menu text such as ``"Redo erase 3 points"``; plain ``"Redo"`` when there is nothing."""
        return f"Redo {self._redo[-1].text}" if self._redo else "Redo"

    def undo(self) -> bool:
        """Undo the latest edit; return ``False`` when there was nothing to undo."""
        return self._step(self._undo, self._redo, "undo")

    def redo(self) -> bool:
        """Redo the latest undone edit; return ``False`` when there was nothing to redo."""
        return self._step(self._redo, self._undo, "redo")

    def clear_history(self) -> None:
        """Forget all undo/redo entries (e.g. after loading a session); the data stay."""
        self._undo.clear()
        self._redo.clear()
        self._open_move = None

    def _step(self, source, target, origin: str) -> bool:
        self._check_editable()
        self._open_move = None
        if not source:
            return False
        cmd = source.pop()
        change = cmd.backward() if origin == "undo" else cmd.forward()
        target.append(cmd)
        self._notify(*change, origin)
        return True

    def _check_editable(self) -> None:
        if self._notifying:
            raise RuntimeError("the point set cannot be edited from inside a change callback")

    def _check_capacity(self, extra: int) -> None:
        total, limit = len(self) + extra, self.max_points
        if total > limit:
            raise ValueError(f"cannot add {extra:,} points: {total:,} would exceed the limit of {limit:,}")

    def _add(self, verb: str, pts: np.ndarray) -> int:
        self._check_editable()
        if len(pts) == 0:
            return 0
        self._check_capacity(len(pts))
        labels = None if self._labels is None else np.full(len(pts), UNLABELLED, dtype=np.int64)
        n = len(self)
        forward = lambda: self._append(pts, labels)  # noqa: E731
        backward = lambda: self._remove(np.arange(n, n + len(pts)))  # noqa: E731
        self._do(f"{verb} {_plural(len(pts))}", forward, backward, (pts, labels))
        return len(pts)

    def _do_replace(self, text: str, pts: np.ndarray, labels: np.ndarray | None) -> None:
        old_pts, old_labels = self._points, self._labels
        forward, backward = (lambda: self._reset(pts, labels)), (lambda: self._reset(old_pts, old_labels))
        self._do(text, forward, backward, (pts, labels, old_pts, old_labels))

    def _do(self, text: str, forward, backward, arrays: tuple, move_index=None, move_target=None) -> None:
        nbytes = sum(a.nbytes for a in arrays if a is not None)  # for the history's memory budget
        cmd = _Command(text, forward, backward, nbytes, move_index, move_target)
        change = cmd.forward()
        self._open_move = None
        self._redo.clear()
        self._undo.append(cmd)
        budget = sum(c.nbytes for c in self._undo)
        while len(self._undo) > 1 and (len(self._undo) > self.max_history or budget > self.max_history_bytes):
            budget -= self._undo.popleft().nbytes
        self._notify(*change, "edit")

    def _notify(self, kind: str, indices: np.ndarray, origin: str) -> None:
        self._version += 1
        change = PointSetChange(kind, _readonly(indices), self._version, origin)
        errors: list[Exception] = []
        self._notifying = True
        try:
            for callback in list(self._subscribers.values()):
                try:
                    callback(change)
                except Exception as exc:  # one broken view must not starve the others
                    errors.append(exc)
        finally:
            self._notifying = False
        if errors:
            raise errors[0]

    # Primitives used by the commands; each returns (kind, indices) for the notification.
    def _append(self, pts: np.ndarray, labels: np.ndarray | None) -> tuple[str, np.ndarray]:
        n = len(self)
        self._points, self._points_shared = np.concatenate((self._points, pts)), False
        if self._labels is not None:
            self._labels = np.concatenate((self._labels, labels))
        return "add", np.arange(n, n + len(pts), dtype=np.int64)

    def _remove(self, idx: np.ndarray) -> tuple[str, np.ndarray]:
        self._points, self._points_shared = np.delete(self._points, idx, axis=0), False
        if self._labels is not None:
            self._labels = np.delete(self._labels, idx)
        return "erase", idx

    def _insert(self, idx: np.ndarray, pts: np.ndarray, labels: np.ndarray | None) -> tuple[str, np.ndarray]:
        # idx are sorted positions in the final array; np.insert wants positions in the current one
        at = idx - np.arange(len(idx))
        self._points, self._points_shared = np.insert(self._points, at, pts, axis=0), False
        if self._labels is not None:
            self._labels = np.insert(self._labels, at, labels)
        return "insert", idx

    def _set_position(self, index: int, pos: np.ndarray) -> tuple[str, np.ndarray]:
        if self._points_shared:  # copy-on-write keeps handed-out snapshots unchanged
            self._points, self._points_shared = self._points.copy(), False
        self._points[index] = pos
        return "move", np.array([index], dtype=np.int64)

    def _reset(self, points: np.ndarray, labels: np.ndarray | None) -> tuple[str, np.ndarray]:
        self._points, self._labels = points, labels
        self._points_shared = True  # the command keeps a reference to this array
        return "reset", np.zeros(0, dtype=np.int64)
