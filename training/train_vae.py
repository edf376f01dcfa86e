"""Train a VAE or autoencoder offline and save it as a vaeviz checkpoint.

Single process::

    python -m training.train_vae --dataset shapes --model mlp-vae --latent 2 --epochs 30 \\
        --out resources/checkpoints/shapes-vae.safetensors

Several processes (DistributedDataParallel; same arguments, ``--batch`` is per process)::

    torchrun --nproc_per_node 4 -m training.train_vae --dataset mnist-idx \\
        --images train-images-idx3-ubyte.gz --labels train-labels-idx1-ubyte.gz --out mnist.safetensors

A single process trains with the core's :func:`vaeviz.core.vae.train.train_steps`; under torchrun
(``RANK`` and ``WORLD_SIZE`` in the environment) :mod:`training.ddp` runs the distributed loop. Exit
status: 0 done, 1 training diverged or the checkpoint could not be written, 2 bad arguments or data.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Sequence

from training.common import (
    UsageError,
    check_output,
    describe,
    evaluate,
    load_data,
    progress_line,
    resolve_device,
    save,
    write_digest_if_requested,
)

DATASETS = ("mnist", "shapes", "mnist-idx", "npz")
MODELS = ("mlp-vae", "conv-vae", "mlp-ae", "conv-ae")
DEVICES = ("auto", "cpu", "cuda", "mps")
PROG = "train_vae"


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _number(minimum: float, strict: bool):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not math.isfinite(value) or value < minimum or (strict and value == minimum):
            raise argparse.ArgumentTypeError(f"must be a finite number {'>' if strict else '≥'} {minimum:g}, "
                                             f"got {text}")
        return value

    return parse


def _sizes(text: str) -> tuple[int, ...]:
    if text.strip().lower() in ("", "none"):
        return ()
    try:
        values = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError("expected comma-separated integers like 512,256, "
                                         f"got {text!r}") from None
    if any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"sizes must be positive, got {text!r}")
    return values


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Train a VAE/autoencoder and save a vaeviz .safetensors checkpoint. "
        "Runs unchanged under torchrun (DistributedDataParallel, --batch per process).")
    data = parser.add_argument_group("data")
    data.add_argument("--dataset", required=True, choices=DATASETS,
                      help="shapes: make_shapes(10000, seed=0); mnist-idx: --images/--labels IDX files "
                           "(raw or .gz); npz: an .npz with an 'images' array")
    data.add_argument("--images", help="IDX images file (--dataset mnist-idx)")
    data.add_argument("--labels", help="IDX labels file (--dataset mnist-idx)")
    data.add_argument("--npz", help=".npz archive (--dataset npz)")
    data.add_argument("--n-images", type=_positive_int,
                      help="shapes: generate this many; files: keep the first this many (default: all)")
    data.add_argument("--dataset-name", help="data set name stored in the checkpoint (default: automatic)")
    model = parser.add_argument_group("model")
    model.add_argument("--model", default="mlp-vae", choices=MODELS, help="default: %(default)s")
    model.add_argument("--latent", type=_positive_int, default=2, help="latent size (default: %(default)s)")
    model.add_argument("--beta", type=_number(0.0, strict=False), default=1.0,
                       help="KL weight of the loss (default: %(default)s)")
    model.add_argument("--hidden", type=_sizes, default=(512, 256),
                       help="hidden layer sizes, e.g. 512,256 (default) or none")
    model.add_argument("--channels", type=_sizes, default=(32, 64),
                       help="conv models: channels of the stride-2 convolutions (default: 32,64)")
    model.add_argument("--decoder", choices=("bernoulli", "gaussian"), default="bernoulli",
                       help="default: %(default)s")
    train = parser.add_argument_group("training")
    train.add_argument("--epochs", type=_positive_int, default=10, help="default: %(default)s")
    train.add_argument("--batch", type=_positive_int, default=128,
                       help="images per step (per process under torchrun; default: %(default)s)")
    train.add_argument("--lr", type=_number(0.0, strict=True), default=1e-3,
                       help="Adam (default: %(default)s)")
    train.add_argument("--seed", type=int, default=0, help="weights, shuffling and ε (default: %(default)s)")
    train.add_argument("--max-steps", type=_positive_int,
                       help="stop after this many steps (quick runs, tests)")
    train.add_argument("--device", choices=DEVICES, default="auto", help="default: %(default)s")
    train.add_argument("--threads", type=_positive_int,
                       help="CPU threads per process (default: torch's choice; 1 under torchrun)")
    parser.add_argument("--out", required=True, help="checkpoint to write (.safetensors)")
    return parser


def _check_combination(args: argparse.Namespace) -> None:
    files = {"--images": args.images, "--labels": args.labels, "--npz": args.npz}
    allowed = {"mnist": (), "shapes": (), "mnist-idx": ("--images", "--labels"),
               "npz": ("--npz",)}[args.dataset]
    stray = [opt for opt, value in files.items() if value is not None and opt not in allowed]
    if stray:
        raise UsageError(f"{' and '.join(stray)} cannot be used with --dataset {args.dataset}")


def model_config(args: argparse.Namespace, image_shape: tuple[int, int, int]):
    from vaeviz.core.vae.models import ModelConfig

    try:
        return ModelConfig(kind=args.model, image_shape=image_shape, latent_dim=args.latent,
                           hidden=args.hidden, channels=args.channels, decoder=args.decoder,
                           beta=float(args.beta))
    except ValueError as exc:
        raise UsageError(f"invalid model: {exc}") from None


def training_record(args: argparse.Namespace, device, world_size: int, steps: int, seconds: float) -> dict:
    """What the checkpoint's ``extra["training"]`` says about the run."""
    return {"command": "python -m training.train_vae", "model": args.model, "latent": args.latent,
            "beta": args.beta, "epochs": args.epochs, "batch": args.batch, "lr": args.lr, "seed": args.seed,
            "max_steps": args.max_steps, "device": str(device), "world_size": world_size, "steps": steps,
            "seconds": round(seconds, 2)}


def run_single(args: argparse.Namespace) -> int:
    """Train in this process with the core's ``train_steps``; save; return the exit status."""
    from vaeviz.core.vae.models import build_model
    from vaeviz.core.vae.train import TrainConfig, train_steps

    out = check_output(args.out)
    device = resolve_device(args.device)
    data = load_data(args.dataset, images=args.images, labels=args.labels, npz=args.npz,
                     n_images=args.n_images, name=args.dataset_name)
    config = model_config(args, data.image_shape)
    model = build_model(config, seed=args.seed)
    n = len(data.images)
    per_epoch = math.ceil(n / min(args.batch, n))
    train = TrainConfig(lr=args.lr, batch_size=args.batch, epochs=args.epochs, seed=args.seed,
                        device=str(device), max_steps=args.max_steps, report_every=per_epoch, guard_every=20)
    total = (per_epoch * args.epochs if args.max_steps is None
             else min(per_epoch * args.epochs, args.max_steps))
    print(f"training {describe(config)} on {data.name}: {n:,} images; "
          f"{args.epochs} epochs × {per_epoch} steps of {min(args.batch, n)} (stop at step {total}); "
          f"lr {args.lr:g}, seed {args.seed}, device {device}", flush=True)
    started = time.perf_counter()
    last = None
    for report in train_steps(model, train, data.images, data.labels, device=str(device)):
        if report.stopped_reason:
            print(f"{PROG}: error: {report.stopped_reason}", file=sys.stderr)
            return 1
        print(progress_line(report.epoch, report.epochs, report.step, report.total_steps, report.recon,
                            report.kl, report.samples_per_s), flush=True)
        last = report
    seconds = time.perf_counter() - started
    metrics = evaluate(model, data.images, device)
    metrics["train_elbo"] = last.elbo  # the last epoch's average over training steps
    write_digest_if_requested(model, 0)
    record = training_record(args, device, 1, last.step, seconds)
    try:
        print(save(out, model, data, last.epoch, metrics, record), flush=True)
    except (OSError, ValueError) as exc:
        print(f"{PROG}: error: cannot write {out}: {exc}", file=sys.stderr)
        return 1
    print(f"done in {seconds:.1f} s", flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit status (2 for bad arguments or unreadable data)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed the usage and the problem
        return int(exc.code or 0)
    import torch

    from training.ddp import distributed_env

    threads = torch.get_num_threads()
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        _check_combination(args)
        env = distributed_env()
        if env is None:
            return run_single(args)
        from training.ddp import run_distributed

        return run_distributed(args, env)
    except UsageError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    finally:
        torch.set_num_threads(threads)  # main() may be called in-process (tests)


if __name__ == "__main__":
    status = main()
    if os.environ.get("WORLD_SIZE"):  # launched by torchrun
        # Seen here: after a complete, saved run, gloo's background threads sometimes abort the C++ teardown
        # at interpreter exit ("terminate called without an active exception", SIGABRT), failing the whole
        # launch. The process group is already destroyed and the checkpoint written, so skip the destructors.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    sys.exit(status)
