"""Thread counts: the worker's libraries leave a core to the GUI; OpenBLAS is limited before numpy loads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from vaeviz.runtime import compute_threads, limit_blas_threads


def test_compute_threads_leave_a_core_unless_told(monkeypatch):
    monkeypatch.delenv("VAEVIZ_TORCH_THREADS", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    assert compute_threads() == 7
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert compute_threads() == 1
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert compute_threads() == 1
    monkeypatch.setenv("VAEVIZ_TORCH_THREADS", "3")
    assert compute_threads() == 3


def test_a_users_openblas_setting_is_kept(monkeypatch):
    monkeypatch.setenv("VAEVIZ_TORCH_THREADS", "2")
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "5")
    limit_blas_threads()
    assert os.environ["OPENBLAS_NUM_THREADS"] == "5"
    monkeypatch.delenv("OPENBLAS_NUM_THREADS")
    limit_blas_threads()
    assert os.environ["OPENBLAS_NUM_THREADS"] == "2"


def test_the_app_entry_limits_openblas_before_numpy_loads(isolated_settings):
    # A fresh interpreter: the command runs (export --list imports numpy through the docks' registry),
    # then OpenBLAS reports the thread count it started with.
    code = ("import json, sys; from vaeviz.app import main; main(['export', '--list']); "
            "from threadpoolctl import threadpool_info; "
            "print(json.dumps([i['num_threads'] for i in threadpool_info() "
            "if i['internal_api'] == 'openblas']))")
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    env.update(VAEVIZ_TORCH_THREADS="1", QT_QPA_PLATFORM="offscreen",
               VAEVIZ_CONFIG_DIR=str(isolated_settings))
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                            text=True, timeout=120,
                            cwd=Path(__file__).resolve().parents[1], check=True)
    counts = json.loads(result.stdout.splitlines()[-1])
    assert counts and set(counts) == {1}
