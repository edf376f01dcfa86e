"""KL benchmark: the cost of one fit step, and how fast the lecture's Example 2 converges (issue #15).

1. ``kl_step_ms_1000_samples``: one Adam step of the reverse fit (KL(q‖p), 1,000 samples, full-covariance
   q, p the default two-Gaussian mixture) with the compute worker's torch thread count
   (:func:`vaeviz.runtime.compute_threads`), timed over 400 steps without snapshots, best of 3 runs.
2. ``kl_fit_converge_s_example2``: fit time (snapshots every 10 steps included, as the dock runs it) until
   both fits of the ``lecture-example-2`` preset are within 0.01 nats of their optimum at its learning
   rate: the forward fit's KL(p‖q) of the moment-matched Gaussian, and the reverse fit's KL(q‖p) of a
   long, small-step reference fit. KL values are checked by grid quadrature outside the timed part.

3. ``kl_dock_frame_ms``: one fit frame shown and painted in the real dock (median of 100), and
4. ``kl_drag_p_frame_ms``: a move of p's mean until its heatmap, contours and both KL values are painted
   (median of 100 moves), both on the real compute worker: see :mod:`benchmarks._kl_dock`.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

STEPS = 400
RUNS = 3
BOX = ((-9.0, 9.0), (-9.0, 9.0))


def _step_ms(p, start) -> list[float]:
    from vaeviz.core.kl.fit import fit_steps

    out = []
    for _ in range(RUNS):
        gen = fit_steps(p, start, "full", "reverse", n_samples=1000, steps=STEPS, report_every=STEPS)
        next(gen)
        t0 = time.perf_counter()
        for _ in gen:
            pass
        out.append((time.perf_counter() - t0) / STEPS * 1000)
    return out


def _converge_s(state) -> dict:
    from vaeviz.core.kl.fit import fit_steps, moment_match
    from vaeviz.core.kl.quadrature import grid_kl

    p = state.target.build()
    f = state.fit
    forward_best = grid_kl(p, moment_match(p), BOX, 500)
    *_, reference = fit_steps(p, f.start(), f.family, "reverse", f.lr / 5, 4000, 3000, f.seed + 7,
                              report_every=3000)
    reverse_best = grid_kl(reference.q, p, BOX, 500)
    times = {}
    for objective, best in (("forward", forward_best), ("reverse", reverse_best)):
        gen = fit_steps(p, f.start(), f.family, objective, f.lr, f.samples, 3000, f.seed, report_every=10)
        spent, reached = 0.0, None
        while True:
            t0 = time.perf_counter()
            snap = next(gen, None)
            spent += time.perf_counter() - t0
            if snap is None:
                break
            value = grid_kl(p, snap.q, BOX, 300) if objective == "forward" else grid_kl(snap.q, p, BOX, 300)
            if value <= best + 0.01:
                reached = snap.step
                break
        times[objective] = {"seconds": round(spent, 3), "step": reached, "optimum": round(best, 4)}
    return times


def _dock_figures() -> dict:
    from benchmarks._dock_frames import on_real_worker
    from benchmarks._kl_dock import measure

    return on_real_worker(measure)


def run() -> dict:
    import torch

    from vaeviz.core.kl.presets import preset
    from vaeviz.core.kl.state import KLLabState
    from vaeviz.core.kl.targets import Gaussian
    from vaeviz.runtime import compute_threads

    previous = torch.get_num_threads()
    torch.set_num_threads(compute_threads())
    try:
        p = KLLabState().target.build()
        steps = _step_ms(p, Gaussian([0.5, 0.0], np.eye(2)))
        converge = _converge_s(preset("lecture-example-2").state)
    finally:
        torch.set_num_threads(previous)
    reached = all(c["step"] is not None for c in converge.values())
    dock = _dock_figures()
    return {
        "kl_dock_frame_ms": dock["frame"]["median_ms"],
        "kl_drag_p_frame_ms": dock["drag"]["median_ms"],
        "kl_step_ms_1000_samples": round(min(steps), 3),
        "kl_fit_converge_s_example2": round(max(c["seconds"] for c in converge.values()), 3) if reached
        else float("inf"),
        "details": {"step_ms_each_run": [round(s, 3) for s in steps],
                    "median_step_ms": round(statistics.median(steps), 3),
                    "converge_example2": converge, "torch_threads": compute_threads(),
                    "dock_frame": dock["frame"], "drag_p": dock["drag"]},
    }
