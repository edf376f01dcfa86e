"""Constants, helpers and worker-side jobs of the VAE benchmark (:mod:`benchmarks.vae`).

The jobs run in the compute thread; ``state`` holds the worker's objects (model, data).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np

from benchmarks._qt_wait import spin
from vaeviz.core.jobs import single

CHECKPOINT = "mnist10k-vae.safetensors"  # the default model
# Drag position updates as fast as the app takes mouse moves (pyqtgraph's mouseRateLimit, set by the app):
# 500 per second, more than twice a fast display's rate.
INPUT_INTERVAL_MS = 2
DRAG_S = 2.0  # per session
DRAG_SESSIONS = 3  # idle worker: best of these (lowest p99); while training: one session
DRAG_WARMUP_S = 0.5
HEARTBEAT_MS = 2
HEARTBEAT_S = 3.0
IDLE_HEARTBEAT_S = 1.0
GRID_N = 20
GRID_S = 1.0  # per block
GRID_BLOCKS = 3
GRID_VARIANT_S = 0.7
TRAIN_N = 4000
RATIO_N = 10_000
RATIO_BATCH = 128
RATIO_EPOCHS = 1
RATIO_WARMUP_ROUNDS = 1
RATIO_ROUNDS = 3
IMAGE_VIEW_PX = 280
TIMEOUT_S = 60.0


# ----- helpers -------------------------------------------------------------------------------------------
def _spin(done: Callable[[], bool], timeout_s: float = TIMEOUT_S) -> bool:
    return spin(done, timeout_s)


def _wait_s(seconds: float) -> None:
    end = time.perf_counter() + seconds
    _spin(lambda: time.perf_counter() >= end, seconds + 5)


def _ms_stats(prefix: str, values_s: list[float]) -> dict:
    from benchmarks import percentile

    ms = [v * 1000 for v in values_s]
    return {f"{prefix}p50_ms": round(percentile(ms, 50), 3), f"{prefix}p99_ms": round(percentile(ms, 99), 3),
            f"{prefix}max_ms": round(max(ms), 3), f"{prefix}count": len(ms)}


def _call(bridge, fn: Callable, key: str = "bench-vae-call"):
    """Run ``fn(ctx)`` in the worker as a latest-wins request and return its result (GUI thread waits)."""
    outcome: dict = {}
    def failed(message: str, details: str) -> None:
        outcome.update(error=(message, details))

    bridge.request(key, single(fn), lambda r: outcome.update(result=r), failed)
    if not _spin(lambda: bool(outcome)) or "error" in outcome:
        error = outcome.get("error", ("timeout", ""))
        raise RuntimeError(f"worker request {key} failed: {error[0]}\n{error[1]}")
    return outcome["result"]


def _run_job(bridge, factory: Callable, name: str, timeout_s: float = TIMEOUT_S):
    """Run a long job in the worker and return its result (GUI thread waits)."""
    outcome: dict = {}
    bridge.submit(factory, name, on_finished=lambda r: outcome.update(result=r),
                  on_failed=lambda m, d: outcome.update(error=(m, d)))
    if not _spin(lambda: bool(outcome), timeout_s) or "error" in outcome:
        error = outcome.get("error", ("timeout", ""))
        raise RuntimeError(f"worker job {name} failed: {error[0]}\n{error[1]}")
    return outcome["result"]


# ----- worker-side jobs (run in the compute thread; ``state`` holds the worker's objects) -----------------
def _load_model(state: dict):
    def fn(ctx):
        import torch

        from vaeviz.core.resources import resource_path
        from vaeviz.core.vae.checkpoint import load_checkpoint
        from vaeviz.core.vae.train import decode_points

        model, meta = load_checkpoint(resource_path("checkpoints", CHECKPOINT), device=ctx.device)
        state["model"] = model
        state["config"] = meta.config
        decode_points(model, np.zeros(2, np.float32))  # first call: lazy kernels and allocations
        return {"model": meta.config.describe(), "torch_threads": torch.get_num_threads(),
                "parameters": sum(p.numel() for p in model.parameters())}

    return fn


def _decode(state: dict, seq: int, z: np.ndarray):
    def fn(ctx):
        from vaeviz.core.vae.train import decode_points

        t0 = time.perf_counter()
        image = decode_points(state["model"], z)[0]
        return seq, image, time.perf_counter() - t0

    return fn


def _make_data(state: dict, key: str, n: int):
    def fn(ctx):
        from vaeviz.core.data.datasets import load_shipped_mnist

        t0 = time.perf_counter()
        # the default data set's first n images; writable, for torch.from_numpy
        state[key] = np.array(load_shipped_mnist().images[:n], dtype=np.float32)
        return time.perf_counter() - t0

    return fn


def _train_forever(state: dict):
    """Long job: train the drag's model on 4,000 MNIST digits until cancelled (the app's settings)."""

    def factory(ctx):
        from vaeviz.core.vae.train import TrainConfig, train_steps

        config = TrainConfig(lr=1e-3, batch_size=128, epochs=100_000, seed=0, guard_every=5)
        # urgent: as the app's train_job, so waiting decode requests get in between chunks of a step
        return train_steps(state["model"], config, state["train"], device=ctx.device, urgent=ctx.urgent)

    return factory


IW_CALLS = 30


def _importance_job(state: dict):
    """Long job: ``importance_log_px`` with K = 1000 on one image, IW_CALLS times (after a warm-up)."""

    def factory(ctx):
        from vaeviz.core.vae.likelihood import importance_log_px

        image = state["train"][0]
        importance_log_px(state["model"], image, k=1000)  # warm-up
        times = []
        for seed in range(IW_CALLS):
            t0 = time.perf_counter()
            importance_log_px(state["model"], image, k=1000, seed=seed)
            times.append(time.perf_counter() - t0)
            yield len(times)
        return {"times": times}

    return factory


def _grid_job(state: dict, seconds: float, variant: str = "float32"):
    """Long job: ``decode_grid(model, n=20)`` back to back for ``seconds``; yields after each grid."""

    def factory(ctx):
        import contextlib

        import torch

        from vaeviz.core.vae.train import decode_grid

        model = state["model"]
        if variant == "bfloat16_autocast":
            autocast = torch.autocast("cpu", dtype=torch.bfloat16)
        else:
            autocast = contextlib.nullcontext()
        times = []
        with autocast:
            decode_grid(model, n=GRID_N)  # warm-up
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            t0 = time.perf_counter()
            with autocast:
                tiles = decode_grid(model, n=GRID_N)
            times.append(time.perf_counter() - t0)
            yield len(times)
        return {"times": times, "elapsed_s": time.perf_counter() - start, "shape": list(tiles.shape),
                "torch_threads": torch.get_num_threads()}

    return factory


def _grid_breakdown(state: dict):
    """Where a 20x20 grid's decode goes: each decoder layer and the display conversion, timed alone."""

    def fn(ctx):
        import torch

        from vaeviz.core.vae.train import latent_grid

        model = state["model"]
        z = torch.from_numpy(latent_grid(3.0, GRID_N, model.config.latent_dim))
        out: dict = {}
        flops = 0
        with torch.inference_mode():
            h = z
            for i, layer in enumerate(model.decoder):
                samples = []
                for _ in range(15):
                    t0 = time.perf_counter()
                    y = layer(h)
                    samples.append(time.perf_counter() - t0)
                name = type(layer).__name__
                if isinstance(layer, torch.nn.Linear):
                    name += f" {layer.in_features}->{layer.out_features}"
                    flops += 2 * h.shape[0] * layer.in_features * layer.out_features
                out[f"{i}: {name}"] = round(statistics.median(samples) * 1000, 3)
                h = y
            samples = []
            for _ in range(15):
                t0 = time.perf_counter()
                torch.sigmoid(h)[:, 0].float().numpy()
                samples.append(time.perf_counter() - t0)
            out["sigmoid + to numpy"] = round(statistics.median(samples) * 1000, 3)
        total = sum(v for v in out.values())
        out["sum_ms"] = round(total, 3)
        out["gflop_per_grid"] = round(flops / 1e9, 4)
        out["gflops_achieved"] = round(flops / (total / 1000) / 1e9, 1)
        out["torch_threads"] = torch.get_num_threads()
        return out

    return fn


def _ratio_job(state: dict):
    """Long job: alternate train_steps and a pytorch/examples-style loop, one epoch each, same thread."""

    def run_ours(config, images) -> float:
        from vaeviz.core.vae.models import build_model
        from vaeviz.core.vae.train import TrainConfig, train_steps

        model = build_model(config, seed=0)
        settings = TrainConfig(lr=1e-3, batch_size=RATIO_BATCH, epochs=RATIO_EPOCHS, seed=0, guard_every=5)
        t0 = time.perf_counter()
        for _ in train_steps(model, settings, images):
            pass
        return time.perf_counter() - t0

    def run_reference(config, images) -> float:
        import torch
        from torch.utils.data import DataLoader, TensorDataset

        from vaeviz.core.vae.loss import elbo_terms
        from vaeviz.core.vae.models import build_model

        model = build_model(config, seed=0)
        t0 = time.perf_counter()
        loader = DataLoader(TensorDataset(torch.from_numpy(images).unsqueeze(1)), batch_size=RATIO_BATCH,
                            shuffle=True)
        optimizer = torch.optim.Adam(model.parameters())
        model.train()
        for _ in range(RATIO_EPOCHS):
            train_loss = 0.0
            for (x,) in loader:
                optimizer.zero_grad()
                loss = elbo_terms(model, x).loss
                loss.backward()
                train_loss += loss.item()
                optimizer.step()
        return time.perf_counter() - t0

    def factory(ctx):
        import torch

        images = state["ratio"]
        config = state["config"]
        samples = RATIO_N * RATIO_EPOCHS
        rates: dict[str, list[float]] = {"ours": [], "reference": []}
        runs = {"ours": run_ours, "reference": run_reference}
        for round_ in range(RATIO_WARMUP_ROUNDS + RATIO_ROUNDS):
            order = ("ours", "reference") if round_ % 2 == 0 else ("reference", "ours")
            for kind in order:
                elapsed = runs[kind](config, images)
                if round_ >= RATIO_WARMUP_ROUNDS:
                    rates[kind].append(samples / elapsed)
                yield kind
        return {"rates": rates, "torch_threads": torch.get_num_threads()}

    return factory
