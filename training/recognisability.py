"""How recognisable a checkpoint's reconstructions are, written into the checkpoint's metadata.

    python -m training.recognisability CHECKPOINT [CHECKPOINT ...] [--train 9000] [--reference 5000]

The measure (issue #12): a 1-nearest-neighbour classifier whose references are ``--reference`` images
the model trained on labels held-out images — ones the model never saw — twice: the originals, and the
model's reconstructions of them (decoded at the mean of q(z|x), or at z = encoder(x) for an autoencoder).
The figure is accuracy on reconstructions / accuracy on originals: 1 means the reconstructions are as
recognisable as the digits themselves; chance is 1/classes over that.

Data: the shipped MNIST test split. The shipped checkpoints trained on its first ``--train`` images
(``--n-images 9000`` in ``training/reproduce.sh``); the held-out images are the rest. The result goes
into ``metrics["recognisability"]`` (the app shows it in the Explain tab); the weights are unchanged.
Exit status 0; 2 for a bad argument or an unreadable checkpoint.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import numpy as np
import torch

from vaeviz.core.data.datasets import load_shipped_mnist
from vaeviz.core.vae.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from vaeviz.core.vae.decoding import decode_points, encode_dataset

PROG = "recognisability"


def nearest_neighbour_labels(queries: np.ndarray, references: np.ndarray, labels: np.ndarray,
                             batch: int = 500) -> np.ndarray:
    """Label of the nearest reference image (Euclidean distance on the pixels) for each query image."""
    ref = torch.from_numpy(references.reshape(len(references), -1).astype(np.float32))
    ref_sq = (ref * ref).sum(dim=1)
    out = np.empty(len(queries), dtype=labels.dtype)
    for start in range(0, len(queries), batch):
        q = torch.from_numpy(queries[start: start + batch].reshape(-1, ref.shape[1]).astype(np.float32))
        # ‖q - r‖² = ‖q‖² - 2 q·r + ‖r‖²; ‖q‖² is the same for every reference, so it can be left out.
        out[start: start + len(q)] = labels[torch.argmin(ref_sq[None, :] - 2.0 * q @ ref.T, dim=1).numpy()]
    return out


def reconstructions(model, images: np.ndarray) -> np.ndarray:
    """Decodings of the images at the mean of q(z|x) (the encoder's output for an autoencoder)."""
    mu, _ = encode_dataset(model, images[:, None] if images.ndim == 3 else images)
    return decode_points(model, mu).reshape(images.shape)


def recognisability(model, train_images: np.ndarray, train_labels: np.ndarray, test_images: np.ndarray,
                    test_labels: np.ndarray, n_reference: int = 5000) -> dict:
    """Accuracy of 1-NN on held-out originals and on their reconstructions, and the ratio of the two."""
    references, ref_labels = train_images[:n_reference], train_labels[:n_reference]
    originals = float(np.mean(nearest_neighbour_labels(test_images, references, ref_labels) == test_labels))
    recon = reconstructions(model, test_images)
    rebuilt = float(np.mean(nearest_neighbour_labels(recon, references, ref_labels) == test_labels))
    return {"ratio": round(rebuilt / originals, 4), "originals": round(originals, 4),
            "reconstructions": round(rebuilt, 4), "n_test": int(len(test_images)),
            "n_reference": int(len(references)), "chance": round(1 / len(np.unique(train_labels)), 4)}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoints", nargs="+", help=".safetensors files trained on the shipped MNIST")
    parser.add_argument("--train", type=int, default=9000,
                        help="the checkpoints trained on the first this many images (default: %(default)s)")
    parser.add_argument("--reference", type=int, default=5000,
                        help="training images the classifier compares with (default: %(default)s)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    data = load_shipped_mnist()
    if not 0 < args.reference <= args.train < len(data):
        print(f"{PROG}: error: need 0 < --reference ≤ --train < {len(data)}", file=sys.stderr)
        return 2
    train_x, train_y = data.images[: args.train], data.labels[: args.train]
    test_x, test_y = data.images[args.train:], data.labels[args.train:]
    for path in args.checkpoints:
        try:
            model, meta = load_checkpoint(path)
        except (CheckpointError, OSError) as exc:
            print(f"{PROG}: error: {path}: {exc}", file=sys.stderr)
            return 2
        result = recognisability(model, train_x, train_y, test_x, test_y, args.reference)
        result["held_out"] = [args.train, len(data)]
        metrics = {**meta.metrics, "recognisability": result}
        save_checkpoint(path, model, dataset=meta.dataset, epoch=meta.epoch, metrics=metrics,
                        extra=meta.extra)
        print(f"{path}: reconstructions {result['reconstructions']:.3f} / originals {result['originals']:.3f}"
              f" = {result['ratio']:.3f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
