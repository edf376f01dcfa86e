"""CSV export and import of 2-D point sets (``x,y`` or ``x,y,label``).

Import is strict but forgiving about layout: an optional header line, comma / semicolon / whitespace
separators, blank lines and ``#`` comments. Anything else stops with a :class:`CsvError` naming the
line, and nothing is changed: :func:`import_csv` only returns arrays, and :func:`load_csv` hands them
to :meth:`PointSet.replace` only after the whole file parsed.
"""

from __future__ import annotations

import math
import os
from array import array
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from vaeviz.core.atomic import write_text_atomic
from vaeviz.core.data.pointset import MAX_POINTS, PointSet, check_labels, check_points
from vaeviz.core.limits import CSV, MAX_COORDINATE, MAX_FIELD_CHARS, quote, read_bytes

# Three fields of at most MAX_FIELD_CHARS and their separators: a longer line is not a point.
MAX_LINE_CHARS = 3 * MAX_FIELD_CHARS + 10


class CsvError(ValueError):
    """A CSV file that cannot be imported; the message names the line and the reason.

    Attributes
    ----------
    line : int or None
        1-based line number of the problem, ``None`` for whole-file problems.
    """

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message if line is None else f"line {line}: {message}")
        self.line = line


def export_csv(path: str | os.PathLike, points, labels=None) -> Path:
    """Write ``points`` (and ``labels``) as CSV atomically (temp file in the same folder + ``os.replace``).

    Parameters
    ----------
    path : str or os.PathLike
        Target file; left untouched if anything fails.
    points : array_like
        (N, 2) finite coordinates.
    labels : array_like, optional
        (N,) integer labels; adds a ``label`` column.

    Returns
    -------
    pathlib.Path
        The written path.
    """
    pts = check_points(points)
    lab = check_labels(labels, len(pts))
    # repr is the shortest text that reads back to the identical float, so a round trip is exact
    if lab is None:
        rows = [f"{x!r},{y!r}" for x, y in pts.tolist()]
        header = "x,y"
    else:
        rows = [f"{x!r},{y!r},{z}" for (x, y), z in zip(pts.tolist(), lab.tolist(), strict=True)]
        header = "x,y,label"
    return write_text_atomic(path, "\n".join([header, *rows]) + "\n")


def _split(line: str) -> list[str]:
    if ";" in line:
        # semicolon files come from locales that write decimal commas: "1,5;2" means 1.5 and 2
        return [
            f.strip().replace(",", ".") if f.count(",") == 1 and "." not in f else f.strip()
            for f in line.split(";")
        ]
    if "," in line:
        return [f.strip() for f in line.split(",")]
    return line.split()


def _number(text: str) -> float | None:
    if "_" in text:  # float() accepts "1_000"; a CSV value with an underscore is a typo
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` one at a time, without a list of them all ("\r\n" ends are stripped later;
    a file of old Mac "\r" ends is read as such)."""
    if "\n" not in text and "\r" in text:
        text = text.replace("\r", "\n")
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        if end < 0:
            end = len(text)
        yield text[start:end]
        start = end + 1


def parse_csv_text(text: str, max_points: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray | None]:
    """Parse CSV text; see :func:`import_csv` for the format and the errors."""
    # Flat arrays of machine numbers, lines read one at a time: a list of lines and of tuples of floats
    # would cost ~100 bytes a point (a 50 MB file: gigabytes).
    coords = array("d")
    labels = array("q")
    ncols = 0  # columns of the data rows, fixed by the first one
    first_line = 0  # line of the first data row (or of the header), for messages
    header_seen = False
    for lineno, raw in enumerate(_lines(text), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if len(line) > MAX_LINE_CHARS:
            raise CsvError(f"the line is {len(line):,} characters long; a point's line is at most "
                           f"{MAX_LINE_CHARS}", lineno)
        fields = _split(line)
        if len(fields) not in (2, 3):
            raise CsvError(f"expected 2 or 3 columns, found {len(fields)}", lineno)
        values = [_number(f) for f in fields]
        if not coords and not header_seen and all(v is None for v in values):
            header_seen, ncols, first_line = True, len(fields), lineno  # a header such as "x,y,label"
            continue
        if ncols and len(fields) != ncols:
            raise CsvError(f"found {len(fields)} columns but line {first_line} has {ncols}", lineno)
        ncols = ncols or len(fields)
        first_line = first_line or lineno
        for field, value in zip(fields, values, strict=True):
            if value is None:
                raise CsvError(f"{quote(field)} is not a number", lineno)
            if not math.isfinite(value):
                raise CsvError(f"value is NaN/inf ({quote(field)})", lineno)
            if abs(value) > MAX_COORDINATE:
                raise CsvError(f"{quote(field)} is beyond ±{MAX_COORDINATE:g}; rescale the data", lineno)
        if ncols == 3:
            if values[2] != int(values[2]) or abs(values[2]) > 2**62:
                raise CsvError(f"label {quote(fields[2])} is not a whole number", lineno)
            labels.append(int(values[2]))
        if len(coords) >= 2 * max_points:
            raise CsvError(f"the file has more than {max_points:,} points (the limit)", lineno)
        coords.append(values[0])
        coords.append(values[1])
    if not coords:
        raise CsvError("no points found")
    points = np.frombuffer(coords, dtype=np.float64).reshape(-1, 2).copy()
    return points, (np.frombuffer(labels, dtype=np.int64).copy() if ncols == 3 else None)


def import_csv(path: str | os.PathLike, max_points: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray | None]:
    """Read points (and labels) from a CSV file without touching any data set.

    Parameters
    ----------
    path : str or os.PathLike
        UTF-8 text file (a BOM is fine). Each data line holds ``x, y`` or ``x, y, label`` separated
        by commas, semicolons (then ``1,5`` is read as 1.5) or whitespace. An optional header line,
        blank lines and ``#`` comments (whole-line or trailing) are skipped.
    max_points : int
        Refuse files with more points than this.

    Returns
    -------
    points : numpy.ndarray
        (N, 2) float64, all finite.
    labels : numpy.ndarray or None
        (N,) int64 when the file has a third column, else ``None``.

    Raises
    ------
    CsvError
        With the line, e.g. ``"line 7: 'abc' is not a number"``,
        ``"line 3: expected 2 or 3 columns, found 4"``, ``"line 9: value is NaN/inf ('nan')"``,
        or ``"no points found"``.
        A special file (FIFO, device, folder), a file over the size limit or one that cannot be read
        also raise it, with the reason.
    """
    data = read_bytes(path, CSV, CsvError)  # a regular file within the size limit
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CsvError("the file is not UTF-8 text", data.count(b"\n", 0, exc.start) + 1) from None
    return parse_csv_text(text, max_points)


def load_csv(pointset: PointSet, path: str | os.PathLike) -> int:
    """Import ``path`` into ``pointset`` as one undoable step; return the number of points.

    The data set is unchanged when reading, parsing or the point limit fails.
    """
    points, labels = import_csv(path, pointset.max_points)
    pointset.replace(points, labels, text=f"import {Path(path).name}")
    return len(points)
