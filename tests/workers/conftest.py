"""The Qt-free scheduler tests' fixture (the started compute worker, ``compute``, is in tests/conftest.py)."""

from __future__ import annotations

# The Qt-free scheduler tests' fixture: a Scheduler running in a plain thread (see scheduler_harness.py).
from scheduler_harness import h  # noqa: E402, F401

