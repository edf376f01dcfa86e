"""The offline training CLI: tiny runs that write loadable checkpoints, argument errors, and DDP on 2 CPUs."""

from __future__ import annotations

import math
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # `training/` is not installed: import it from the checkout
    sys.path.insert(0, str(REPO))

from training.common import DIGEST_ENV, mnist_name, weights_digest  # noqa: E402
from training.ddp import shard_indices  # noqa: E402
from training.train_vae import main  # noqa: E402
from vaeviz.core.data.datasets import make_shapes, save_npz, write_idx  # noqa: E402
from vaeviz.core.vae.checkpoint import load_checkpoint  # noqa: E402

TINY = ["--n-images", "96", "--hidden", "32,16", "--batch", "32", "--epochs", "2", "--device", "cpu",
        "--threads", "1"]


DDP_VARS = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")


@pytest.fixture(autouse=True)
def not_under_torchrun(monkeypatch):
    """In-process runs must take the single-process path even if the test runner is distributed."""
    for name in DDP_VARS:
        monkeypatch.delenv(name, raising=False)


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(OMP_NUM_THREADS="1", PYTHONPATH=str(REPO) + os.pathsep + env.get("PYTHONPATH", ""), **extra)
    for name in DDP_VARS:
        env.pop(name, None)
    return env


def _run(args: list[str], timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=REPO, env=_env(**env), capture_output=True, text=True,
                          timeout=timeout)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _check_metrics(meta) -> None:
    for key in ("elbo", "recon", "kl", "loss", "train_elbo"):
        assert math.isfinite(meta.metrics[key]), key
    assert meta.metrics["elbo"] == pytest.approx(-(meta.metrics["recon"] + meta.metrics["kl"]))


def test_cli_module_trains_and_writes_a_loadable_checkpoint(tmp_path):
    out = tmp_path / "tiny.safetensors"
    proc = _run(["-m", "training.train_vae", "--dataset", "shapes", *TINY, "--max-steps", "5",
                 "--out", str(out)])
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stdout.splitlines() if line.startswith("epoch")]
    assert len(lines) == 2 and "ELBO" in lines[0] and "KL" in lines[0] and "samples/s" in lines[0]
    assert "step 5/5" in lines[-1]
    model, meta = load_checkpoint(out)
    assert meta.config.kind == "mlp-vae" and meta.config.latent_dim == 2 and meta.config.hidden == (32, 16)
    assert meta.dataset == "shapes" and meta.epoch == 2
    assert meta.extra["training"]["steps"] == 5 and meta.extra["data"]["n_images"] == 96
    _check_metrics(meta)
    assert meta.metrics["kl"] > 0


@pytest.mark.parametrize("kind", ["mlp-ae", "conv-vae"])
def test_other_kinds_train_in_process(tmp_path, kind, capsys):
    out = tmp_path / f"{kind}.safetensors"
    argv = ["--dataset", "shapes", *TINY, "--model", kind, "--channels", "4,8", "--max-steps", "3",
            "--beta", "2", "--out", str(out)]
    assert main(argv) == 0, capsys.readouterr().err
    model, meta = load_checkpoint(out)
    assert meta.config.kind == kind and meta.config.beta == 2.0
    _check_metrics(meta)
    if kind == "mlp-ae":
        assert meta.metrics["kl"] == 0


def test_same_seed_same_weights_and_seed_matters(tmp_path, capsys):
    digests = []
    for name, seed in (("a", "0"), ("b", "0"), ("c", "1")):
        out = tmp_path / f"{name}.safetensors"
        assert main(["--dataset", "shapes", *TINY, "--seed", seed, "--out", str(out)]) == 0
        digests.append(weights_digest(load_checkpoint(out)[0]))
    assert digests[0] == digests[1] != digests[2]


def test_mnist_idx_and_npz_files(tmp_path, capsys):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(40, 28, 28), dtype=np.uint8)
    write_idx(tmp_path / "img.idx", pixels)
    write_idx(tmp_path / "lab.idx", rng.integers(0, 10, size=40, dtype=np.uint8))
    out = tmp_path / "idx.safetensors"
    argv = ["--dataset", "mnist-idx", "--images", str(tmp_path / "img.idx"), "--labels",
            str(tmp_path / "lab.idx"), "--hidden", "16", "--batch", "16", "--epochs", "1", "--n-images", "32",
            "--out", str(out)]
    assert main(argv) == 0, capsys.readouterr().err
    meta = load_checkpoint(out)[1]
    assert meta.dataset == "mnist-idx:img.idx"  # not the MNIST test split
    assert meta.extra["data"] == {"source": meta.extra["data"]["source"], "n_images": 32, "available": 40}

    save_npz(tmp_path / "mine.npz", make_shapes(24, seed=3))
    out = tmp_path / "npz.safetensors"
    assert main(["--dataset", "npz", "--npz", str(tmp_path / "mine.npz"), "--hidden", "16", "--epochs", "1",
                 "--dataset-name", "my shapes", "--out", str(out)]) == 0
    assert load_checkpoint(out)[1].dataset == "my shapes"


def test_mnist_test_split_is_recognised_by_content(tmp_path, monkeypatch):
    import training.common as common

    pixels = np.random.default_rng(1).integers(0, 256, size=(10000, 2, 2), dtype=np.uint8) / np.float32(255)
    monkeypatch.setitem(common.MNIST_FILES, "test-images",
                        common.MNIST_FILES["test-images"].__class__("x", "u", common._idx_sha256(pixels)))
    assert mnist_name(pixels, Path("a.gz")) == "mnist-t10k"
    assert mnist_name(pixels[::-1].copy(), Path("a.gz")) == "mnist-idx:a.gz"


def test_distributed_shards_cover_the_data_and_reshuffle():
    shards = [shard_indices(10, 3, rank, seed=0, epoch=0) for rank in range(3)]
    assert all(len(s) == 4 for s in shards)  # padded to equal length
    assert set().union(*shards) == set(range(10))
    assert shard_indices(10, 3, 1, seed=0, epoch=0) == shards[1]  # deterministic
    assert shard_indices(10, 3, 1, seed=0, epoch=1) != shards[1]  # set_epoch reshuffles


@pytest.mark.parametrize(("argv", "message"), [
    (["--dataset", "cifar", "--out", "x.safetensors"], "invalid choice"),
    (["--dataset", "shapes", "--model", "gan", "--out", "x.safetensors"], "invalid choice"),
    (["--dataset", "shapes"], "--out"),
    (["--dataset", "shapes", "--epochs", "0", "--out", "x.safetensors"], "must be at least 1"),
    (["--dataset", "shapes", "--lr", "-1", "--out", "x.safetensors"], "finite number > 0"),
    (["--dataset", "shapes", "--beta", "nan", "--out", "x.safetensors"], "finite number"),
    (["--dataset", "shapes", "--hidden", "5,x", "--out", "x.safetensors"], "comma-separated"),
    (["--dataset", "shapes", "--out", "model.pt"], ".safetensors files"),
    (["--dataset", "shapes", "--out", "no/such/folder/m.safetensors"], "does not exist"),
    (["--dataset", "shapes", "--npz", "a.npz", "--out", "m.safetensors"],
     "cannot be used with --dataset shapes"),
    (["--dataset", "mnist-idx", "--labels", "l.gz", "--out", "m.safetensors"], "--images is required"),
    (["--dataset", "mnist-idx", "--images", "nope.gz", "--labels", "l.gz", "--out", "m.safetensors"],
     "no such file"),
    (["--dataset", "npz", "--out", "m.safetensors"], "--npz is required"),
])
def test_bad_arguments_exit_2_with_a_message(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert not list(tmp_path.glob("*.safetensors"))


def test_unreadable_and_unsuitable_data_exit_2(tmp_path, capsys):
    (tmp_path / "junk.gz").write_bytes(b"not an idx file at all")
    out = str(tmp_path / "m.safetensors")
    argv = ["--dataset", "mnist-idx", "--images", str(tmp_path / "junk.gz"),
            "--labels", str(tmp_path / "junk.gz"),
            "--out", out]
    assert main(argv) == 2
    assert "cannot use the mnist-idx data" in capsys.readouterr().err
    (tmp_path / "data.npz").write_bytes(b"PK-ish garbage")
    assert main(["--dataset", "npz", "--npz", str(tmp_path / "data.npz"), "--out", out]) == 2
    assert "npz" in capsys.readouterr().err
    save_npz(tmp_path / "odd.npz", make_shapes(8, seed=0, size=10))  # 10×10: not divisible by 4
    assert main(["--dataset", "npz", "--npz", str(tmp_path / "odd.npz"), "--model", "conv-vae",
                 "--out", out]) == 2
    assert "invalid model" in capsys.readouterr().err
    assert not Path(out).exists()


def test_divergence_exits_1_without_a_checkpoint(tmp_path, capsys):
    out = tmp_path / "m.safetensors"
    assert main(["--dataset", "shapes", *TINY, "--lr", "1e8", "--out", str(out)]) == 1
    assert "too high" in capsys.readouterr().err
    assert not out.exists()


def test_bad_arguments_exit_status_2_from_the_command_line(tmp_path):
    proc = _run(["-m", "training.train_vae", "--dataset", "shapes", "--out", str(tmp_path / "m.pth")])
    assert proc.returncode == 2
    assert proc.stderr.startswith("train_vae: error:") and ".safetensors" in proc.stderr


@pytest.mark.slow
def test_ddp_two_cpu_processes_keep_identical_weights(tmp_path):
    out = tmp_path / "ddp.safetensors"
    digests = tmp_path / "digests"
    digests.mkdir()
    proc = _run(["-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
                 "--master_port", str(_free_port()), "-m", "training.train_vae", "--dataset", "shapes",
                 "--n-images", "200", "--hidden", "32,16", "--batch", "16", "--epochs", "2",
                 "--max-steps", "10",
                 "--device", "cpu", "--out", str(out)], timeout=90, **{DIGEST_ENV: str(digests)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = [line for line in proc.stdout.splitlines() if line.startswith("epoch")]
    assert len(lines) == 2, proc.stdout  # only rank 0 logs: 7 steps per epoch, stopped at step 10
    assert "2 processes × 100 images each" in proc.stdout and "backend gloo" in proc.stdout
    assert proc.stdout.count("saved ") == 1
    rank0, rank1 = ((digests / f"rank{r}.sha256").read_text().strip() for r in (0, 1))
    assert rank0 == rank1
    model, meta = load_checkpoint(out)
    assert weights_digest(model) == rank0  # rank 0 saved the trained (unwrapped) weights
    assert meta.extra["training"]["world_size"] == 2 and meta.extra["training"]["steps"] == 10
    _check_metrics(meta)


SHIPPED = {  # file: (dataset, kind, beta, recognisability goal)
    "mnist10k-vae": ("mnist-t10k", "mlp-vae", 1.0, 0.85),
    "mnist10k-ae": ("mnist-t10k", "mlp-ae", 1.0, 0.6),
    "mnist10k-vae-beta4": ("mnist-t10k", "mlp-vae", 4.0, 0.6),
}


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_checkpoints_load_and_decode_varied_images(name):
    from vaeviz.core.vae.train import decode_grid

    path = REPO / "resources" / "checkpoints" / f"{name}.safetensors"
    model, meta = load_checkpoint(path)
    dataset, kind, beta, goal = SHIPPED[name]
    assert ((meta.dataset, meta.config.kind, meta.config.beta, meta.config.latent_dim)
            == (dataset, kind, beta, 2))
    _check_metrics(meta)
    figure = meta.metrics["recognisability"]  # written by training.recognisability (issue #12's goals)
    assert figure["ratio"] >= goal and figure["held_out"] == [9000, 10000] and figure["n_test"] == 1000
    grid = decode_grid(model, z_range=3.0, n=10)
    assert grid.shape == (100, 28, 28)
    assert grid.var(axis=0).mean() > 0.01  # the decodings differ across the latent plane


def test_shipped_checkpoints_fit_the_size_budget():
    folder = REPO / "resources" / "checkpoints"
    assert sum(p.stat().st_size for p in folder.glob("*.safetensors")) <= 40e6
