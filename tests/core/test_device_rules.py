"""Device code keeps to the rules every backend accepts (issue #16), checked on the CPU.

The device paths — the fast EM's torch-only operations (what CUDA and MPS run), VAE training,
decoding and the importance-sampled log p(x) — run inside :class:`tests.device_rules.DeviceRules`: no
float64 made by torch, no ``.numpy()`` before ``.cpu()``, no operation MPS lacks. ``pytest -m device``
runs the same paths on a real CUDA or MPS device where there is one.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from tests.device_rules import DeviceRules  # noqa: E402
from vaeviz.core.device import available_devices  # noqa: E402
from vaeviz.core.em.algorithm import em_fast_steps, init_random  # noqa: E402
from vaeviz.core.vae.decoding import decode_grid, decode_points, encode_dataset  # noqa: E402
from vaeviz.core.vae.likelihood import importance_log_px  # noqa: E402
from vaeviz.core.vae.models import ModelConfig, build_model  # noqa: E402
from vaeviz.core.vae.train import TrainConfig, train_steps  # noqa: E402


def real_devices() -> list[str]:
    return [name for name in available_devices() if name != "cpu"]


def test_the_rules_catch_each_kind_of_violation():
    t = torch.ones(8)
    with DeviceRules() as rules:
        t.double()
        t.numpy()
        torch.linalg.eigh(torch.eye(2))
        t.cpu().numpy()  # allowed: off the device first
        t.sum()  # allowed: float32
    assert len(rules.violations) == 3, rules.violations
    assert any("float64" in v for v in rules.violations)
    assert any(".numpy()" in v for v in rules.violations)
    assert any("eigh" in v for v in rules.violations)


def _em_data(n: int = 9000):
    rng = np.random.default_rng(0)
    labels = rng.integers(3, size=n)
    x = np.array([[0.0, 0.0], [5.0, 1.0], [1.0, 6.0]])[labels] + rng.normal(size=(n, 2))
    return x, labels


def _run_fast_em(device: str, keep_responsibilities: bool) -> list:
    x, labels = _em_data()
    init = init_random(x, 3, rng=0)
    limit = len(x) if keep_responsibilities else 0
    return list(em_fast_steps(x, init, "full", max_iter=4, device=device, z_true=labels, torch_ops_only=True,
                              responsibilities_limit=limit, chunk_size=4096))


@pytest.mark.parametrize("keep_responsibilities", [True, False])
def test_fast_em_device_path_keeps_to_the_rules(keep_responsibilities):
    with DeviceRules() as rules:
        states = _run_fast_em("cpu", keep_responsibilities)
    assert rules.violations == []
    assert states[-1].precision_note is None  # the float32 path itself ran, not the float64 fallback


def _model():
    return build_model(ModelConfig(kind="mlp-vae", image_shape=(1, 8, 8), hidden=(32,)), seed=0)


def _images(n: int = 64) -> np.ndarray:
    return np.random.default_rng(0).uniform(size=(n, 1, 8, 8)).astype(np.float32)


def _train_and_decode(device: str) -> np.ndarray:
    model = _model()
    reports = [r for r in train_steps(model, TrainConfig(batch_size=16, epochs=1), _images(), device=device)
               if r is not None]
    assert reports and np.isfinite(reports[-1].loss)
    encode_dataset(model, _images(16))
    decode_points(model, np.zeros((3, 2), np.float32))
    estimate = importance_log_px(model, _images(1)[0, 0], k=50)
    assert estimate.elbo <= estimate.log_px[-1] + 4 * estimate.stderr[-1]
    return decode_grid(model, n=3)


def test_vae_training_and_decoding_keep_to_the_rules():
    with DeviceRules() as rules:
        grid = _train_and_decode("cpu")
    assert rules.violations == []
    assert np.isfinite(grid).all()


def _fit_kl(device: str):
    from vaeviz.core.kl.fit import fit_steps
    from vaeviz.core.kl.targets import Gaussian, Mixture

    p = Mixture.of([0.5, 0.5], [[-2.0, 0.0], [2.0, 0.0]], [0.5 * np.eye(2), 0.5 * np.eye(2)])
    ends = []
    for objective in ("reverse", "forward", "alpha"):
        *_, last = fit_steps(p, Gaussian([0.5, 0.0], np.eye(2)), "full", objective, n_samples=200, steps=5,
                             device=device)
        ends.append(last)
    return ends


def test_kl_fits_keep_to_the_rules():
    with DeviceRules() as rules:
        ends = _fit_kl("cpu")
    assert rules.violations == []
    assert all(end.stopped is None and np.isfinite(end.objective) for end in ends)


@pytest.mark.device
@pytest.mark.parametrize("device", real_devices() or [pytest.param("none", marks=pytest.mark.skip(
    reason="no CUDA or MPS device on this machine"))])
def test_device_paths_run_on_the_real_device(device):
    cpu = _run_fast_em("cpu", True)
    on_device = _run_fast_em(device, True)
    assert on_device[-1].log_likelihood == pytest.approx(cpu[-1].log_likelihood, rel=1e-5)
    assert np.isfinite(_train_and_decode(device)).all()
    assert all(end.stopped is None for end in _fit_kl(device))
