"""What the single-process and the distributed training loops share: data, device, metrics, saving.

Nothing here parses the command line (see :mod:`training.train_vae`) or touches process groups (see
:mod:`training.ddp`). Problems the user can fix (a missing file, an unknown device…) raise
:class:`UsageError`, which the CLI turns into one line on stderr and exit status 2.
"""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vaeviz.core.data.datasets import DatasetError, load_mnist_pair, load_npz, load_shipped_mnist, make_shapes
from vaeviz.core.data.datasets.download import MNIST_FILES
from vaeviz.core.vae.checkpoint import save_checkpoint
from vaeviz.core.vae.loss import terms_from_output
from vaeviz.core.vae.models import LatentModel

SHAPES_N = 10000
SHAPES_SEED = 0
EVAL_SEED = 12345  # ε of the final evaluation pass: fixed, so the stored metrics are reproducible
DIGEST_ENV = "VAEVIZ_TRAIN_DIGEST_DIR"
"""Test hook: when set to a folder, every process writes ``rank<R>.sha256`` with its final weights' hash."""


class UsageError(Exception):
    """A bad argument or unreadable data: reported in one line, exit status 2."""


@dataclass(frozen=True)
class TrainData:
    """The training images and what to call them in the checkpoint's metadata."""

    images: np.ndarray  # float32 (N, H, W) in [0, 1]
    labels: np.ndarray | None
    name: str  # the checkpoint's ``dataset`` field, e.g. "shapes" or "mnist-t10k"
    source: str  # where the images came from, for people
    total: int  # images available before --n-images

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return (1, int(self.images.shape[1]), int(self.images.shape[2]))


def _idx_sha256(pixels: np.ndarray) -> str:
    """SHA-256 of the IDX bytes of float images that came from uint8 (what MNIST_FILES checks)."""
    raw = np.rint(pixels * 255.0).astype(np.uint8)
    n, h, w = raw.shape
    header = b"\x00\x00\x08\x03" + n.to_bytes(4, "big") + h.to_bytes(4, "big") + w.to_bytes(4, "big")
    digest = hashlib.sha256(header)
    digest.update(raw.tobytes())
    return digest.hexdigest()


def mnist_name(pixels: np.ndarray, images_path: Path) -> str:
    """``"mnist-t10k"`` when the images are exactly the MNIST test split, else ``"mnist-idx:<file>"``."""
    if len(pixels) == 10000 and _idx_sha256(pixels) == MNIST_FILES["test-images"].sha256:
        return "mnist-t10k"
    return f"mnist-idx:{images_path.name}"


def _existing_file(option: str, value: str | None) -> Path:
    if not value:
        raise UsageError(f"{option} is required for this --dataset")
    path = Path(value)
    if not path.is_file():
        raise UsageError(f"{option} {value}: no such file")
    return path


def load_data(dataset: str, *, images: str | None = None, labels: str | None = None, npz: str | None = None,
              n_images: int | None = None, name: str | None = None) -> TrainData:
    """Load the training set named by the CLI options.

    ``shapes`` is ``make_shapes(n_images or 10000, seed=0)``; ``mnist`` is the MNIST test split shipped in
    ``resources/`` (stored as ``mnist-t10k``); for these and for files, ``n_images`` keeps the first
    ``n_images`` images. ``name`` overrides the data set name stored in the checkpoint.
    """
    try:
        if dataset == "shapes":
            ds = make_shapes(n=n_images or SHAPES_N, seed=SHAPES_SEED)
            pixels, found, label = ds.images, ds.labels, "shapes"
            total = len(ds)
        elif dataset == "mnist":
            ds = load_shipped_mnist()
            total = len(ds)
            # The first n_images of the shipped test split: the rest are held out (recognisability).
            label = "mnist-t10k"
            pixels, found = ds.images[:n_images], ds.labels[:n_images]
        elif dataset == "mnist-idx":
            images_path = _existing_file("--images", images)
            ds = load_mnist_pair(images_path, _existing_file("--labels", labels))
            total = len(ds)
            label = mnist_name(ds.images, images_path)
            pixels, found = ds.images[:n_images], ds.labels[:n_images]
        elif dataset == "npz":
            npz_path = _existing_file("--npz", npz)
            ds = load_npz(npz_path)
            total = len(ds)
            label = f"npz:{ds.name}"
            pixels = ds.images[:n_images]
            found = None if ds.labels is None else ds.labels[:n_images]
        else:
            raise UsageError(f"unknown dataset {dataset!r}")
    except DatasetError as exc:
        raise UsageError(f"cannot use the {dataset} data: {exc}") from None
    return TrainData(images=np.array(pixels, dtype=np.float32, order="C"), labels=found,
                     name=name or label, source=ds.source, total=total)


def resolve_device(preference: str, local_rank: int | None = None) -> torch.device:
    """Return the torch device for ``--device`` (``auto``: cuda, then mps, then cpu).

    ``local_rank`` is given under torchrun: CUDA then means ``cuda:LOCAL_RANK`` and MPS is refused
    (DistributedDataParallel has no MPS backend).
    """
    cuda = torch.cuda.is_available()
    mps_backend = getattr(torch.backends, "mps", None)
    mps = mps_backend is not None and mps_backend.is_available()
    if preference == "auto":
        preference = "cuda" if cuda else ("mps" if mps and local_rank is None else "cpu")
    if preference == "cuda":
        if not cuda:
            raise UsageError("--device cuda: CUDA is not available here (use --device cpu or auto)")
        if local_rank is None:
            return torch.device("cuda")
        if local_rank >= torch.cuda.device_count():
            raise UsageError(f"LOCAL_RANK {local_rank} but only {torch.cuda.device_count()} CUDA device(s)")
        return torch.device("cuda", local_rank)
    if preference == "mps":
        if local_rank is not None:
            raise UsageError("--device mps cannot be used with torchrun (DDP has no MPS backend); use cpu")
        if not mps:
            raise UsageError("--device mps: Apple MPS is not available here (use --device cpu or auto)")
        return torch.device("mps")
    if preference == "cpu":
        return torch.device("cpu")
    raise UsageError(f"unknown device {preference!r}")


def describe(config) -> str:
    """The model's one-line description, with β for the VAEs."""
    return config.describe() + (f", β={config.beta:g}" if config.variational else "")


def progress_line(epoch: int, epochs: int, step: int, total: int, recon: float, kl: float,
                  rate: float) -> str:
    """One progress line: epoch, step, ELBO = −(recon + KL), its two terms and the throughput."""
    width = len(str(epochs))
    return (f"epoch {epoch:>{width}}/{epochs}  step {step}/{total}  ELBO {-(recon + kl):9.3f}  "
            f"recon {recon:9.3f}  KL {kl:7.3f}  {rate:9,.0f} samples/s")


@torch.no_grad()
def evaluate(model: LatentModel, images: np.ndarray, device: torch.device, batch: int = 1000,
             beta: float | None = None) -> dict[str, float]:
    """Return the final weights' ELBO terms averaged over ``images`` (one fixed-seed ε per image)."""
    was_training = model.training
    model.eval()
    gen = torch.Generator(device=device)
    gen.manual_seed(EVAL_SEED)
    sums = torch.zeros(3, dtype=torch.float64, device=device)
    try:
        for start in range(0, len(images), batch):
            x = torch.from_numpy(images[start:start + batch])[:, None].to(device)
            terms = terms_from_output(model.config, x, model(x, generator=gen), beta=beta)
            sums += torch.stack([terms.loss, terms.recon, terms.kl]).double() * x.shape[0]
    finally:
        model.train(was_training)
    loss, recon, kl = (sums / len(images)).tolist()
    return {"elbo": -(recon + kl), "recon": recon, "kl": kl, "loss": loss}


def weights_digest(model: torch.nn.Module) -> str:
    """SHA-256 over the state dict's names, dtypes, shapes and bytes (equal digests = equal weights)."""
    digest = hashlib.sha256()
    for key, tensor in sorted(model.state_dict().items()):
        t = tensor.detach().to("cpu").contiguous()
        digest.update(f"{key}:{t.dtype}:{tuple(t.shape)};".encode())
        digest.update(t.numpy().tobytes())
    return digest.hexdigest()


def write_digest_if_requested(model: torch.nn.Module, rank: int) -> None:
    """Test hook (see :data:`DIGEST_ENV`): write this process's final weights' digest."""
    folder = os.environ.get(DIGEST_ENV)
    if folder:
        Path(folder, f"rank{rank}.sha256").write_text(weights_digest(model) + "\n")


def check_output(path: str) -> Path:
    """Check ``--out`` before any training: a ``.safetensors`` name in an existing folder."""
    out = Path(path)
    if out.suffix.lower() != ".safetensors":
        raise UsageError(f"--out {path}: checkpoints are .safetensors files (e.g. model.safetensors)")
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"--out {path}: the folder {folder} does not exist")
    if out.is_dir():
        raise UsageError(f"--out {path} is a folder")
    return out


def save(out: Path, model: LatentModel, data: TrainData, epoch: int, metrics: dict[str, float],
         training: dict[str, Any]) -> str:
    """Save the checkpoint and return the line to print about it."""
    finite = {k: (float(v) if math.isfinite(v) else None) for k, v in metrics.items()}
    extra = {"training": training, "data": {"source": data.source, "n_images": len(data.images),
                                            "available": data.total}}
    save_checkpoint(out, model, dataset=data.name, epoch=epoch, metrics=finite, extra=extra)
    size = out.stat().st_size / 1e6
    return (f"saved {out} ({size:.1f} MB): dataset {data.name}, epoch {epoch}, ELBO {metrics['elbo']:.3f} "
            f"(recon {metrics['recon']:.3f}, KL {metrics['kl']:.3f})")
