"""Errors as the user reads them: the worker reports ``"TypeName: text"``; this says what it means.

Our own errors and the operating system's are written for the user and keep their text (without the
type's name); a few others become plain words; anything else is an internal error, whose details go
to the log file (see :mod:`vaeviz.log_file`), never to the message bar.
"""

from __future__ import annotations

from vaeviz.core.limits import bounded_message

# Errors whose text is written for the user: shown without the exception's name.
USER_ERRORS = frozenset({
    "LabError", "DatasetError", "CheckpointError", "CsvError", "SessionError", "DensityInputError",
    "ValueError", "OSError", "FileNotFoundError", "IsADirectoryError", "NotADirectoryError",
    "FileExistsError",
})
# Errors whose text is not: shown as what they mean.
PLAIN_WORDS = {
    "MemoryError": "there is not enough memory for this",
    "RecursionError": "the input is nested too deeply",
    "PermissionError": "permission denied",
    "TimeoutError": "the operation timed out",
}
INTERNAL = "an internal error stopped this (details: the error button in the status bar, and the log file)"


def readable(message: str) -> str:
    """``message`` (``"TypeName: text"`` or plain text) as the user should read it, bounded in length."""
    name, sep, text = message.partition(": ")
    if not sep and message.isidentifier() and message.endswith(("Error", "Exception")):
        name, text = message, ""  # a bare type name, e.g. "MemoryError"
    elif not sep or not name.isidentifier():
        return bounded_message(message)
    if name in USER_ERRORS:
        return bounded_message(text or name)
    if name in PLAIN_WORDS:
        return PLAIN_WORDS[name]
    return INTERNAL
