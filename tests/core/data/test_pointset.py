"""PointSet: edits with exact undo/redo, move merging, observers, limits, and the presets."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vaeviz.core.data.pointset import UNLABELLED, PointSet, PointSetChange


def state(ps: PointSet):
    labels = ps.labels
    return ps.points.copy(), None if labels is None else labels.copy()


def assert_state(ps: PointSet, expected) -> None:
    points, labels = expected
    np.testing.assert_array_equal(ps.points, points)
    assert ps.points.dtype == np.float64 and ps.points.shape == (len(points), 2)
    if labels is None:
        assert ps.labels is None
    else:
        np.testing.assert_array_equal(ps.labels, labels)
        assert ps.labels.dtype == np.int64


def labelled(n: int = 6) -> PointSet:
    pts = np.arange(2 * n, dtype=float).reshape(n, 2)
    return PointSet(pts, np.arange(n) % 3)


def recorder(ps: PointSet) -> list[PointSetChange]:
    changes: list[PointSetChange] = []
    ps.subscribe(changes.append)
    return changes


def check_undo_redo(ps: PointSet, edit) -> None:
    """Run ``edit``; undo must restore the state before it and redo the state after, bumping version."""
    before = state(ps)
    edit(ps)
    after = state(ps)
    v = ps.version
    assert ps.undo()
    assert_state(ps, before)
    assert ps.version == v + 1
    assert ps.redo()
    assert_state(ps, after)
    assert ps.version == v + 2


# ---------------------------------------------------------------------------- read access


def test_empty_and_initial_state():
    """A new set is empty, unlabelled, version 0, with nothing to undo; initial data are not undoable."""
    ps = PointSet()
    assert len(ps) == 0 and ps.points.shape == (0, 2) and ps.labels is None and ps.version == 0
    assert not ps.can_undo and not ps.can_redo and ps.undo_text == "Undo" and ps.redo_text == "Redo"
    ps = labelled(4)
    assert len(ps) == 4 and ps.labels.tolist() == [0, 1, 2, 0] and not ps.can_undo


def test_read_access_is_read_only_and_a_stable_snapshot():
    """Handed-out arrays cannot be written, and later edits (even in-place moves) do not change them."""
    ps = labelled(3)
    pts, lab = ps.points, ps.labels
    with pytest.raises(ValueError):
        pts[0, 0] = 99.0
    with pytest.raises(ValueError):
        lab[0] = 5
    ps.move(0, (50.0, 50.0))
    ps.move(0, (60.0, 60.0))
    assert pts[0].tolist() == [0.0, 1.0]
    assert ps.points[0].tolist() == [60.0, 60.0]


def test_input_arrays_are_copied():
    """Changing the caller's array after an edit does not reach the model."""
    src = np.array([[1.0, 2.0]])
    ps = PointSet(src)
    ps.add(src)
    src[0, 0] = 42.0
    assert ps.points[:, 0].tolist() == [1.0, 1.0]


# ---------------------------------------------------------------------------- edits + undo/redo


def test_add_undo_redo_and_labels():
    """Added points get label -1 when the set has labels; undo/redo restore exactly."""
    ps = labelled()
    check_undo_redo(ps, lambda p: p.add([[100.0, 1.0], [101.0, 2.0]]))
    assert ps.labels[-2:].tolist() == [UNLABELLED, UNLABELLED]
    assert ps.undo_text == "Undo add 2 points"
    ps2 = PointSet()
    assert ps2.add((3.0, 4.0)) == 1  # one (2,) point is fine
    assert ps2.labels is None and ps2.undo_text == "Undo add 1 point"


def test_add_nothing_is_not_an_edit():
    ps = labelled()
    assert ps.add(np.zeros((0, 2))) == 0 and ps.add([]) == 0
    assert ps.version == 0 and not ps.can_undo


def test_spray_uniform_disc_and_undo():
    """Spray draws from the uniform disc: all inside the radius, about a quarter within half of it."""
    ps = labelled()
    check_undo_redo(ps, lambda p: p.spray((5.0, -5.0), 2.0, 4000, np.random.default_rng(1)))
    assert len(ps) == 4006 and ps.undo_text == "Undo spray 4,000 points"
    d = np.hypot(*(ps.points[6:] - [5.0, -5.0]).T)
    assert d.max() <= 2.0
    assert 0.22 < np.mean(d <= 1.0) < 0.28
    assert (ps.labels[6:] == UNLABELLED).all()


def test_spray_is_reproducible_with_a_seed():
    a, b = PointSet(), PointSet()
    a.spray((0, 0), 1.0, 25, np.random.default_rng(7))
    b.spray((0, 0), 1.0, 25, np.random.default_rng(7))
    np.testing.assert_array_equal(a.points, b.points)
    assert a.undo_text == "Undo spray 25 points"
    assert a.spray((0, 0), 1.0, 0) == 0 and a.undo_text == "Undo spray 25 points"


def test_erase_near_undo_restores_order_and_labels():
    """Erasing inside the (inclusive) radius, then undo, puts every point back at its old index."""
    ps = PointSet([[0, 0], [1, 0], [5, 5], [2, 0], [0, 1], [9, 9]], [0, 1, 2, 0, 1, 2])
    before = state(ps)
    assert ps.erase_near((0.0, 0.0), 1.0) == 3  # (0,0), (1,0) and (0,1); the edge counts
    assert ps.points.tolist() == [[5, 5], [2, 0], [9, 9]] and ps.labels.tolist() == [2, 0, 2]
    assert ps.undo_text == "Undo erase 3 points"
    ps.undo()
    assert_state(ps, before)
    check_undo_redo(ps, lambda p: p.erase_near((1.5, 0.0), 0.6))


def test_erase_nothing_is_not_an_edit():
    ps = labelled()
    assert ps.erase_near((1000.0, 1000.0), 1.0) == 0
    assert ps.version == 0 and not ps.can_undo


def test_move_undo_redo():
    ps = labelled()
    check_undo_redo(ps, lambda p: p.move(2, (7.5, -1.0)))
    assert ps.points[2].tolist() == [7.5, -1.0] and ps.undo_text == "Undo move point"


def test_drag_merges_into_one_undo_entry():
    """Many moves of one point form one entry; undo goes back to where the drag started."""
    ps = labelled()
    ps.add([[0.0, 0.0]])
    start = state(ps)
    v = ps.version
    for x in range(1, 30):
        ps.move(1, (x, x))
    assert ps.version == v + 29  # every step is still a change the views must see
    ps.end_move()
    end = state(ps)
    ps.undo()
    assert_state(ps, start)
    assert ps.undo_text == "Undo add 1 point"
    ps.redo()
    assert_state(ps, end)


@pytest.mark.parametrize(
    "between",
    [
        lambda p: p.end_move(),
        lambda p: p.add([[0.0, 0.0]]),
        lambda p: (p.undo(), p.redo()),
    ],
    ids=["end_move", "other edit", "undo+redo"],
)
def test_drags_are_separated(between):
    """end_move, another edit or undo/redo close the drag: the next move is a new entry."""
    ps = labelled()
    ps.move(1, (1.0, 1.0))
    ps.move(1, (2.0, 2.0))
    between(ps)
    mid = state(ps)
    ps.move(1, (3.0, 3.0))
    ps.undo()
    assert_state(ps, mid)


def test_moves_of_different_points_do_not_merge():
    ps = labelled()
    ps.move(1, (1.0, 1.0))
    mid = state(ps)
    ps.move(2, (2.0, 2.0))
    ps.undo()
    assert_state(ps, mid)


def test_move_to_same_place_and_bad_moves():
    ps = labelled()
    ps.move(0, ps.points[0])
    assert ps.version == 0 and not ps.can_undo
    with pytest.raises(IndexError):
        ps.move(6, (0, 0))
    with pytest.raises(IndexError):
        ps.move(-1, (0, 0))
    with pytest.raises(ValueError, match="finite"):
        ps.move(0, (np.nan, 0))
    assert ps.version == 0


def test_replace_and_clear_undo_redo():
    ps = labelled()
    check_undo_redo(ps, lambda p: p.replace([[1, 2], [3, 4]], None, text="load preset x"))
    assert ps.undo_text == "Undo load preset x" and ps.labels is None
    check_undo_redo(ps, lambda p: p.replace([[1, 2], [3, 4], [5, 6]], [0, 1, 1], text="import a.csv"))
    assert ps.labels.tolist() == [0, 1, 1]
    check_undo_redo(ps, lambda p: p.clear())
    assert len(ps) == 0 and ps.labels is None and ps.undo_text == "Undo clear"
    v = ps.version
    ps.clear()  # already empty: nothing to record
    assert ps.version == v and ps.undo_text == "Undo clear"


def test_replace_validates_labels():
    ps = labelled()
    with pytest.raises(ValueError, match="shape"):
        ps.replace([[1, 2]], [0, 1])
    with pytest.raises(ValueError, match="integers"):
        ps.replace([[1, 2]], [0.5])
    ps.replace([[1, 2]], [2.0])  # whole floats are fine
    assert ps.labels.dtype == np.int64 and ps.labels.tolist() == [2]


def test_new_edit_clears_redo():
    ps = labelled()
    ps.add([[1.0, 1.0]])
    ps.add([[2.0, 2.0]])
    ps.undo()
    assert ps.can_redo and ps.redo_text == "Redo add 1 point"
    ps.erase_near((0.0, 1.0), 0.1)
    assert not ps.can_redo and ps.redo_text == "Redo"
    assert not ps.redo()


def test_nothing_to_undo_or_redo():
    ps = labelled()
    assert not ps.undo() and not ps.redo() and ps.version == 0


def test_history_is_bounded():
    """Only the newest max_history entries are kept; the memory budget also drops old entries."""
    ps = PointSet(max_history=3)
    for i in range(5):
        ps.add([[i, i]])
    undone = 0
    while ps.undo():
        undone += 1
    assert undone == 3 and len(ps) == 2
    big = PointSet(max_history_bytes=10_000)
    for _ in range(5):
        big.add(np.zeros((400, 2)))  # 6.4 kB each: only the newest fits the budget
    assert big.undo() and not big.undo()
    ps.clear_history()
    assert not ps.can_undo and not ps.can_redo


# ---------------------------------------------------------------------------- limits and validation


def test_max_points_refuses_and_changes_nothing():
    ps = PointSet(np.zeros((8, 2)), max_points=10)
    before, v = state(ps), ps.version
    with pytest.raises(ValueError, match="limit of 10"):
        ps.add(np.ones((3, 2)))
    with pytest.raises(ValueError, match="limit"):
        ps.spray((0, 0), 1.0, 3, np.random.default_rng(0))
    with pytest.raises(ValueError, match="limit is 10"):
        ps.replace(np.zeros((11, 2)))
    assert_state(ps, before)
    assert ps.version == v and not ps.can_undo
    assert ps.add(np.ones((2, 2))) == 2  # exactly at the limit is fine
    with pytest.raises(ValueError, match="limit"):
        PointSet(np.zeros((11, 2)), max_points=10)


def test_default_limit_is_a_million():
    ps = PointSet()
    with pytest.raises(ValueError, match="1,000,000"):
        ps.spray((0, 0), 1.0, 1_000_001)
    assert len(ps) == 0


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_points_are_refused(bad):
    ps = labelled()
    with pytest.raises(ValueError, match=r"row 1 .*finite"):
        ps.add([[0.0, 0.0], [1.0, bad]])
    with pytest.raises(ValueError, match="finite"):
        ps.replace([[bad, 0.0]])
    with pytest.raises(ValueError, match="centre"):
        ps.spray((bad, 0.0), 1.0, 5)
    with pytest.raises(ValueError, match="radius"):
        ps.erase_near((0.0, 0.0), bad)
    assert ps.version == 0 and len(ps) == 6


@pytest.mark.parametrize("bad", [[1.0, 2.0, 3.0], [[1.0]], [["a", "b"]], [[1, 2], [3]]])
def test_bad_shapes_and_values_are_refused(bad):
    with pytest.raises(ValueError):
        PointSet().add(bad)


def test_bad_spray_arguments():
    ps = PointSet()
    with pytest.raises(ValueError, match="count"):
        ps.spray((0, 0), 1.0, -1)
    with pytest.raises(TypeError):
        ps.spray((0, 0), 1.0, 2.5)
    with pytest.raises(ValueError, match="radius"):
        ps.spray((0, 0), -1.0, 3)


# ---------------------------------------------------------------------------- property: undo all


coord = st.floats(-10, 10, allow_nan=False)
edit = st.one_of(
    st.tuples(st.just("add"), st.lists(st.tuples(coord, coord), min_size=0, max_size=4)),
    st.tuples(
        st.just("spray"), st.tuples(coord, coord, st.floats(0, 5), st.integers(0, 6), st.integers(0, 99))
    ),
    st.tuples(st.just("erase"), st.tuples(coord, coord, st.floats(0, 6))),
    st.tuples(st.just("move"), st.tuples(st.integers(0, 50), coord, coord)),
    st.tuples(st.just("end_move"), st.none()),
    st.tuples(st.just("replace"), st.tuples(st.integers(0, 6), st.booleans())),
    st.tuples(st.just("clear"), st.none()),
    st.tuples(st.just("undo"), st.none()),
    st.tuples(st.just("redo"), st.none()),
)


def run(ps: PointSet, op) -> None:
    name, arg = op
    if name == "add":
        ps.add(arg)
    elif name == "spray":
        x, y, r, n, seed = arg
        ps.spray((x, y), r, n, np.random.default_rng(seed))
    elif name == "erase":
        ps.erase_near(arg[:2], arg[2])
    elif name == "move" and len(ps):
        ps.move(arg[0] % len(ps), arg[1:])
    elif name == "end_move":
        ps.end_move()
    elif name == "replace":
        n, with_labels = arg
        ps.replace(np.arange(2.0 * n).reshape(n, 2), np.arange(n) if with_labels else None)
    elif name == "clear":
        ps.clear()
    elif name == "undo":
        ps.undo()
    elif name == "redo":
        ps.redo()


@settings(max_examples=150, deadline=None)
@given(with_labels=st.booleans(), ops=st.lists(edit, max_size=25))
def test_random_edits_then_undo_all_restores_original(with_labels, ops):
    """Any edit sequence, undone completely, gives the original back; redo replays to the end state."""
    ps = labelled(5) if with_labels else PointSet(np.arange(10.0).reshape(5, 2))
    original = state(ps)
    versions = [ps.version]
    ps.subscribe(lambda c: versions.append(c.version))
    for op in ops:
        run(ps, op)
    final = state(ps)
    steps = 0
    while ps.undo():
        steps += 1
    assert_state(ps, original)
    for _ in range(steps):
        ps.redo()
    assert_state(ps, final)
    assert versions == list(range(len(versions)))  # one notification per change, in order
