"""The distributed training loop: what ``train_vae`` runs under torchrun.

torchrun starts one process per worker and sets ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``,
``MASTER_ADDR`` and ``MASTER_PORT``. Every process:

1. checks its arguments and loads the whole data set (before joining the group, so a bad argument
   stops every process at once instead of leaving the others waiting);
2. joins the process group: ``gloo`` on the CPU, ``nccl`` on CUDA (device ``cuda:LOCAL_RANK``);
3. builds the same model from ``--seed`` and wraps it in DistributedDataParallel, which also
   broadcasts rank 0's weights, so all ranks start equal;
4. each epoch trains on its own shard of a shuffled order (a DistributedSampler with the seed and
   ``set_epoch``: the order changes every epoch and the shards never overlap; the last shard is
   padded by repetition so every rank takes the same number of steps). ``--batch`` is per process.
   DDP averages the gradients, so every rank applies the same Adam update and the weights stay equal;
5. sums the loss terms of all ranks at the end of each epoch (one all-reduce): rank 0 prints them;
6. rank 0 evaluates the final weights on the whole data and saves the unwrapped model; a barrier
   keeps the group alive until it is done; every process leaves the group.

The loss is the core's (:func:`vaeviz.core.vae.loss.terms_from_output`), so single-process and
distributed runs minimise exactly the same thing.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DistributedSampler

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
from vaeviz.core.vae.loss import terms_from_output
from vaeviz.core.vae.models import build_model

EPS_STREAM = 1_000_003  # ε seeds: seed + EPS_STREAM * (rank + 1), a different noise stream per rank


def distributed_env() -> tuple[int, int, int] | None:
    """Return ``(rank, world_size, local_rank)`` under torchrun, ``None`` for a plain process."""
    if "RANK" not in os.environ or "WORLD_SIZE" not in os.environ:
        return None
    try:
        rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
        local = int(os.environ.get("LOCAL_RANK", rank))
    except ValueError:
        raise UsageError("RANK, WORLD_SIZE and LOCAL_RANK must be integers "
                         "(are you using torchrun?)") from None
    if world < 1 or not 0 <= rank < world or local < 0:
        raise UsageError(f"inconsistent torchrun environment: RANK={rank}, WORLD_SIZE={world}, "
                         f"LOCAL_RANK={local}")
    return rank, world, local


def shard_indices(n: int, world: int, rank: int, seed: int, epoch: int) -> list[int]:
    """This rank's indices for one epoch (torch's DistributedSampler: shuffled with seed + epoch, padded)."""
    sampler = DistributedSampler(range(n), num_replicas=world, rank=rank, shuffle=True, seed=seed)
    sampler.set_epoch(epoch)
    return list(sampler)


def run_distributed(args: argparse.Namespace, env: tuple[int, int, int]) -> int:
    """Train with DistributedDataParallel; only rank 0 prints and saves. Return the exit status."""
    from training.train_vae import PROG, model_config, training_record

    rank, world, local = env
    try:
        out = check_output(args.out)
        device = resolve_device(args.device, local_rank=local)
        data = load_data(args.dataset, images=args.images, labels=args.labels, npz=args.npz,
                         n_images=args.n_images, name=args.dataset_name)
        config = model_config(args, data.image_shape)
    except UsageError:
        if rank == 0:
            raise
        return 2  # rank 0 reports it, once
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo", rank=rank, world_size=world)
    try:
        return _train(args, rank, world, device, out, data, config, PROG, training_record)
    finally:
        dist.destroy_process_group()


def _train(args, rank, world, device, out, data, config, prog, training_record) -> int:
    log = rank == 0
    model = build_model(config, seed=args.seed).to(device)
    ddp = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    optimiser = torch.optim.Adam(ddp.parameters(), lr=args.lr)
    images = torch.from_numpy(data.images)[:, None].to(device)
    n = images.shape[0]
    shard = math.ceil(n / world)
    batch = min(args.batch, shard)
    per_epoch = math.ceil(shard / batch)
    total = (per_epoch * args.epochs if args.max_steps is None
             else min(per_epoch * args.epochs, args.max_steps))
    gen = torch.Generator(device=device)
    gen.manual_seed(args.seed + EPS_STREAM * (rank + 1))
    if log:
        print(f"training {describe(config)} on {data.name}: {n:,} images; "
              f"{world} processes × {shard:,} images each; {args.epochs} epochs × {per_epoch} steps of "
              f"{batch} per process (stop at step {total}); lr {args.lr:g}, seed {args.seed}, "
              f"backend {dist.get_backend()}, device {device}", flush=True)
    started = time.perf_counter()
    step, epoch, last_elbo, failed = 0, 0, math.nan, False
    while step < total:
        epoch += 1
        order = torch.tensor(shard_indices(n, world, rank, args.seed, epoch - 1), device=device)
        sums = torch.zeros(4, dtype=torch.float64, device=device)  # image-weighted loss, recon, kl; count
        epoch_start = time.perf_counter()
        for position in range(per_epoch):
            x = images[order[position * batch:(position + 1) * batch]]
            terms = terms_from_output(config, x, ddp(x, generator=gen))
            optimiser.zero_grad(set_to_none=True)
            terms.loss.backward()  # DDP all-reduces (averages) the gradients here
            optimiser.step()
            count = x.shape[0]
            sums += torch.stack([terms.loss.detach().double() * count, terms.recon.detach().double() * count,
                                 terms.kl.detach().double() * count,
                                 torch.tensor(float(count), dtype=torch.float64, device=device)])
            step += 1
            if step >= total:
                break
        dist.all_reduce(sums)  # every rank gets the same totals, so all take the same decision below
        seconds = time.perf_counter() - epoch_start
        loss, recon, kl, seen = sums.tolist()
        loss, recon, kl = loss / seen, recon / seen, kl / seen
        if not all(math.isfinite(v) for v in (loss, recon, kl)):
            if log:
                print(f"{prog}: error: the loss became {loss} in epoch {epoch} (is the learning rate "
                      f"{args.lr:g} too high?); no checkpoint written", file=sys.stderr)
            failed = True
            break
        last_elbo = -(recon + kl)
        if log:
            print(progress_line(epoch, args.epochs, step, total, recon, kl, seen / max(seconds, 1e-9)),
                  flush=True)
    train_seconds = time.perf_counter() - started
    write_digest_if_requested(model, rank)
    status = 1 if failed else 0
    if log and not failed:
        metrics = evaluate(model, data.images, device)
        metrics["train_elbo"] = last_elbo
        record = training_record(args, device, world, step, train_seconds)
        try:
            print(save(out, model, data, epoch, metrics, record), flush=True)  # the unwrapped module
            print(f"done in {train_seconds:.1f} s", flush=True)
        except (OSError, ValueError) as exc:
            print(f"{prog}: error: cannot write {out}: {exc}", file=sys.stderr)
            status = 1
    dist.barrier()  # keep the group up until rank 0 has saved
    return status
