"""CSV export/import of point sets: exact round trips, forgiving layout, errors that name the line."""

from __future__ import annotations

import numpy as np
import pytest

from vaeviz.core import atomic
from vaeviz.core.data.pointset import PointSet
from vaeviz.core.data.pointset_io import CsvError, export_csv, import_csv, load_csv, parse_csv_text


def write(tmp_path, text: str, name: str = "data.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_round_trip_without_labels(tmp_path):
    """Export then import gives back bit-identical floats (including awkward ones)."""
    pts = np.array([[0.1, -2.5], [1e-300, 1e99], [np.pi, -0.0], [123456789.123456789, 5e-324]])
    path = export_csv(tmp_path / "p.csv", pts)
    assert path == tmp_path / "p.csv"
    assert path.read_text().splitlines()[0] == "x,y"
    back, labels = import_csv(path)
    assert labels is None and back.dtype == np.float64
    np.testing.assert_array_equal(back, pts)


def test_round_trip_with_labels(tmp_path):
    rng = np.random.default_rng(0)
    pts, lab = rng.normal(size=(500, 2)), rng.integers(-1, 4, size=500)
    path = export_csv(str(tmp_path / "l.csv"), pts, lab)
    assert path.read_text().splitlines()[0] == "x,y,label"
    back, back_labels = import_csv(path)
    np.testing.assert_array_equal(back, pts)
    np.testing.assert_array_equal(back_labels, lab)
    assert back_labels.dtype == np.int64


def test_round_trip_of_a_point_set(tmp_path):
    ps = PointSet([[1.5, 2.5], [3.0, 4.0]], [0, 1])
    export_csv(tmp_path / "s.csv", ps.points, ps.labels)
    other = PointSet()
    assert load_csv(other, tmp_path / "s.csv") == 2
    np.testing.assert_array_equal(other.points, ps.points)
    np.testing.assert_array_equal(other.labels, ps.labels)
    assert other.undo_text == "Undo import s.csv"
    other.undo()
    assert len(other) == 0


def test_export_is_atomic(tmp_path, monkeypatch):
    """A failed write leaves the old file intact and no temporary file behind."""
    target = tmp_path / "out.csv"
    target.write_text("old\n")

    def failing_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(atomic.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        export_csv(target, [[1.0, 2.0]])
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_export_refuses_bad_data(tmp_path):
    with pytest.raises(ValueError, match="finite"):
        export_csv(tmp_path / "x.csv", [[1.0, np.nan]])
    with pytest.raises(ValueError, match="shape"):
        export_csv(tmp_path / "x.csv", [[1.0, 2.0]], [1, 2])
    with pytest.raises(OSError):
        export_csv(tmp_path / "missing" / "x.csv", [[1.0, 2.0]])
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "text",
    [
        "1,2\n3,4\n",
        "x,y\n1,2\n3,4\n",
        "X ; Y\n1;2\n3;4",
        "1 2\n3\t4\n",
        "# exported by hand\n\n  1, 2  # first\n\n# comment\n3,4\n\n",
        "\ufeffx,y\r\n1,2\r\n3,4\r\n",
        "x;y\n1,0;2\n3;4,0\n",  # decimal commas with semicolons
        "1e0, 2.0\n+3., 4\n",
    ],
    ids=["plain", "header", "semicolon", "whitespace", "comments", "bom-crlf", "decimal-comma", "formats"],
)
def test_accepted_layouts(tmp_path, text):
    points, labels = import_csv(write(tmp_path, text))
    assert points.tolist() == [[1.0, 2.0], [3.0, 4.0]] and labels is None


def test_labels_column():
    points, labels = parse_csv_text("x,y,label\n1,2,0\n3,4,-1\n5,6,2.0\n")
    assert points.shape == (3, 2) and labels.tolist() == [0, -1, 2] and labels.dtype == np.int64


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("x,y\n1,2\n3,4\n5,6\n6,7\n7,8\nabc,2\n", 7, "line 7: 'abc' is not a number"),
        ("1,2\n3,4\n1,2,3,4\n", 3, "line 3: expected 2 or 3 columns, found 4"),
        ("5\n", 1, "line 1: expected 2 or 3 columns, found 1"),
        ("# c\n\n1,2\n\n3,4\n\n\n\n1,nan\n", 9, "line 9: value is NaN/inf"),
        ("1,2\n-inf 3\n", 2, "line 2: value is NaN/inf"),
        ("1;2;0\n3;;1\n", 2, "line 2: '' is not a number"),
        ("1,2\n3,4,1\n", 2, "line 2: found 3 columns but line 1 has 2"),
        ("x,y,label\n1,2\n", 2, "line 2: found 2 columns but line 1 has 3"),
        ("1,2,0\n3,4,0.5\n", 2, "line 2: label '0.5' is not a whole number"),
        ("1,2\nx,y\n", 2, "line 2: 'x' is not a number"),  # a header only counts before the data
        ("1_000,2\n", 1, "line 1: '1_000' is not a number"),
    ],
)
def test_errors_name_the_line(tmp_path, text, line, message):
    with pytest.raises(CsvError) as info:
        import_csv(write(tmp_path, text))
    assert str(info.value).startswith(message)
    assert info.value.line == line
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "x,y\n", "x,y\n# nothing\n"])
def test_no_points_found(tmp_path, text):
    with pytest.raises(CsvError, match="^no points found$") as info:
        import_csv(write(tmp_path, text))
    assert info.value.line is None


def test_not_utf8(tmp_path):
    path = tmp_path / "bin.csv"
    path.write_bytes(b"1,2\n3,4\n\xff\xfe,1\n")
    with pytest.raises(CsvError, match="line 3: .*UTF-8"):
        import_csv(path)


def test_too_many_points(tmp_path):
    path = write(tmp_path, "".join(f"{i},{i}\n" for i in range(11)))
    with pytest.raises(CsvError, match="line 11: .*more than 10 points"):
        import_csv(path, max_points=10)
    assert len(import_csv(path, max_points=11)[0]) == 11


def test_missing_file_is_a_csv_error_saying_so(tmp_path):
    with pytest.raises(CsvError, match="No such file or directory"):
        import_csv(tmp_path / "nope.csv")


@pytest.mark.parametrize(
    "text", ["1,2\n3,abc\n", "1,2\n3,inf\n", "", "1,2,3,4\n", "1,2\n3,4\n5,6\n"], ids=str.strip
)
def test_failed_import_leaves_the_data_set_unchanged(tmp_path, text):
    """Import then replace only on success: a bad file (or too many points) changes nothing."""
    ps = PointSet([[9.0, 9.0]], [1], max_points=2)
    changes: list = []
    ps.subscribe(changes.append)
    with pytest.raises(ValueError):
        load_csv(ps, write(tmp_path, text))
    assert ps.points.tolist() == [[9.0, 9.0]] and ps.labels.tolist() == [1]
    assert ps.version == 0 and not ps.can_undo and changes == []


def test_coordinates_whose_squares_overflow_are_refused_with_the_line(tmp_path):
    """1e300 parses as a float, but its square overflows: refused on import, before EM meets it."""
    path = tmp_path / "huge.csv"
    path.write_text("x,y\n0,0\n1e300,2\n")
    with pytest.raises(CsvError, match=r"line 3: '1e300' is beyond ±1e\+100"):
        import_csv(path)


def test_a_megabyte_field_is_refused_quickly_and_quoted_short(tmp_path):
    """A 1 MB non-numeric field (it used to cost gigabytes of memory in the message) gives a short
    message: the line's length, not its content."""
    path = tmp_path / "long.csv"
    path.write_text("x,y\n0,0\n" + "a" * 1_000_000 + ",1\n")
    with pytest.raises(CsvError) as caught:
        import_csv(path)
    message = str(caught.value)
    assert message.startswith("line 3: the line is 1,000,002 characters long") and len(message) < 120


def test_a_bad_field_is_quoted_with_its_first_characters_and_length(tmp_path):
    path = tmp_path / "word.csv"
    path.write_text("0,0\n" + "b" * 90 + ",1\n")
    with pytest.raises(CsvError) as caught:
        import_csv(path)
    assert str(caught.value) == f"line 2: {'b' * 40!r}… (90 characters) is not a number"


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path, monkeypatch):
    from vaeviz.core import limits
    from vaeviz.core.data import pointset_io

    monkeypatch.setattr(pointset_io, "CSV", limits.FileLimit("CSV file", 1000))
    path = tmp_path / "big.csv"
    path.write_text("1,2\n" * 400)
    with pytest.raises(CsvError, match="the CSV file is 1.6 KB; the limit is 1,000 bytes"):
        import_csv(path)


def test_old_mac_and_windows_line_ends():
    for text in ("x,y\r1,2\r3,4\r", "x,y\r\n1,2\r\n3,4\r\n"):
        points, _ = parse_csv_text(text)
        assert points.tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_a_wrong_first_line_is_refused_without_reading_the_rest_into_lists():
    """A 50 MB file of four-column lines used to cost +430 MB (every line split before the first check)."""
    import tracemalloc

    text = "1,2,3,4\n" * 2_000_000
    tracemalloc.start()
    try:
        with pytest.raises(CsvError, match="line 1: expected 2 or 3 columns"):
            parse_csv_text(text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 40 << 20
