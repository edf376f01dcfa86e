"""One training step's gradient in short pieces, for while a latency-critical request is waiting.

:func:`split_gradient` computes the same gradient as ``elbo_terms(model, x, generator=gen).loss.backward()``
(up to float rounding where two paths meet, e.g. μ's gradient from z and from the KL term), but as a
sequence of layer-sized pieces with a pause (``yield None``) whenever the next piece would take the
current chunk over ``CHUNK_MACS`` multiply-accumulates (about 0.3 ms on one CPU thread). Each pause lets
the compute worker serve a request (a drag's decode) after at most one chunk.

How: the encoder and decoder ``nn.Sequential`` are cut into groups (a layer with parameters plus the
parameter-free layers after it, e.g. Linear+ReLU); the forward runs group by group, each on a
*detached* copy of the previous group's output, so each group has its own small autograd graph. The
backward then walks the groups in reverse: each group's backward gets the gradient of its output (from
the group after it) and gives its parameters' gradients and its input's gradient. A group too costly
for one chunk does its backward in two calls (``inputs=[input]`` then ``inputs=params``), as the two
matrix products of a linear layer's backward are about equally long. The KL term's gradient enters at
the latent heads; the ε noise is drawn exactly as in a full step.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass

import torch
from torch import nn

from vaeviz.core.vae.loss import kl_divergence, reconstruction_nll
from vaeviz.core.vae.models import Autoencoder, LatentModel

# Work between two pauses (multiply-accumulates, or their equivalent). Measured with benchmarks/vae.py on
# 2 cores: 40M gave a drag p99 of 5-14 ms while training, 20M 4.2-5.7 ms, 10M 4.4-4.7 ms (goal 5) at an
# unchanged training throughput while nothing waits (steps are only split while a request is urgent).
CHUNK_MACS = 10_000_000
ELEMENT_COST = 40  # an element-wise op (ReLU, the loss) per element, in multiply-accumulates


@dataclass(frozen=True)
class SplitPlan:
    """A model's encoder and decoder cut into groups of layers (see the module docstring)."""

    encoder: tuple[tuple[nn.Module, ...], ...]
    decoder: tuple[tuple[nn.Module, ...], ...]


def split_plan(model: LatentModel) -> SplitPlan | None:
    """Return the model's :class:`SplitPlan`, or ``None`` for a structure this module does not know
    (a subclass with its own ``forward``, non-sequential parts): train such models with whole steps."""
    if type(model) not in (LatentModel, Autoencoder):
        return None
    if not (isinstance(model.encoder, nn.Sequential) and isinstance(model.decoder, nn.Sequential)):
        return None
    encoder, decoder = _groups(model.encoder), _groups(model.decoder)
    return SplitPlan(encoder, decoder) if encoder and decoder else None


def _groups(seq: nn.Sequential) -> tuple[tuple[nn.Module, ...], ...]:
    groups: list[list[nn.Module]] = []
    leading: list[nn.Module] = []  # parameter-free layers before the first one with parameters
    for layer in seq:
        if any(True for _ in layer.parameters()):
            groups.append([*leading, layer])
            leading = []
        elif groups:
            groups[-1].append(layer)
        else:
            leading.append(layer)
    if leading:  # no layer with parameters at all
        groups.append(leading)
    return tuple(tuple(g) for g in groups)


def _macs(group: tuple[nn.Module, ...], h: torch.Tensor) -> int:
    """Estimate a group's forward cost for input ``h`` (one matrix product of its backward costs as much)."""
    numel, total = h.numel(), 0
    for layer in group:
        if isinstance(layer, nn.Linear):
            total += numel * layer.out_features
            numel = numel // layer.in_features * layer.out_features
        elif isinstance(layer, nn.Conv2d):
            k = math.prod(layer.kernel_size) * layer.out_channels // layer.groups
            stride = math.prod(layer.stride)
            total += numel * k // stride
            numel = numel // layer.in_channels * layer.out_channels // stride
        elif isinstance(layer, nn.ConvTranspose2d):
            k = math.prod(layer.kernel_size) * layer.out_channels // layer.groups
            stride = math.prod(layer.stride)
            total += numel * k
            numel = numel // layer.in_channels * layer.out_channels * stride
        else:
            total += numel * ELEMENT_COST
    return total


def _params(group: tuple[nn.Module, ...]) -> list[torch.Tensor]:
    return [p for layer in group for p in layer.parameters() if p.requires_grad]


def _run(group: tuple[nn.Module, ...], h: torch.Tensor) -> torch.Tensor:
    for layer in group:
        h = layer(h)
    return h


def _backward(group, h_in: torch.Tensor, out, grad, cost: int) -> Iterator[int]:
    """Backward of one group: announce each part's cost (``yield``) before doing it."""
    params = _params(group)
    wants_input = h_in.requires_grad
    if wants_input and params and 2 * cost > CHUNK_MACS:
        yield cost
        torch.autograd.backward(out, grad, retain_graph=True, inputs=[h_in])
        yield cost
        torch.autograd.backward(out, grad, inputs=params)
    elif wants_input or params:
        yield cost * (int(wants_input) + int(bool(params)))
        torch.autograd.backward(out, grad, inputs=[*params, h_in] if wants_input else params)


def _work(model: LatentModel, plan: SplitPlan, x: torch.Tensor, beta: float | None,
          gen: torch.Generator) -> Generator[int, None, list[float]]:
    """The step as pieces: ``yield cost`` before each piece; return ``[loss, recon, kl]`` (batch means).

    The gradient is left in the parameters' ``.grad`` (which must be ``None`` or zero before).
    """
    config = model.config
    weight = config.beta if beta is None else beta
    encoder: list = []  # (group, input, output, cost), in forward order
    decoder: list = []
    h = x
    for group in plan.encoder:
        cost = _macs(group, h)
        yield cost
        h_in = h.detach().requires_grad_(bool(encoder))  # the first group's input is the data
        h = _run(group, h_in)
        encoder.append((group, h_in, h, cost))
    yield h.numel() * (ELEMENT_COST + 2 * config.latent_dim)
    features = h.detach().requires_grad_()
    mu = model.mu_head(features)
    heads = [model.mu_head]
    if config.variational:
        logvar = model.logvar_head(features)
        heads.append(model.logvar_head)
        z = model.reparameterise(mu, logvar, generator=gen)  # the same ε draw as a full step's
        kl = kl_divergence(mu, logvar).mean()
    else:
        z, kl = mu, None
    h = z
    for group in plan.decoder:
        cost = _macs(group, h)
        yield cost
        h_in = h.detach().requires_grad_()
        h = _run(group, h_in)
        decoder.append((group, h_in, h, cost))
    yield h.numel() * ELEMENT_COST
    logits = h.detach().requires_grad_()
    decoded = torch.sigmoid(logits) if config.decoder == "gaussian" else logits  # as model.decode
    recon = reconstruction_nll(decoded, x, config.decoder, config.decoder_sigma).mean()
    if kl is None:
        terms = torch.stack([recon, recon, torch.zeros_like(recon)])
    else:
        terms = torch.stack([recon + weight * kl, recon, kl])  # as loss.terms_from_output
    values = terms.detach().cpu().tolist()
    if not all(math.isfinite(v) for v in values):
        return values  # training stops here: no gradient needed

    yield h.numel() * ELEMENT_COST
    recon.backward()
    grad = logits.grad
    for group, h_in, out, cost in reversed(decoder):
        yield from _backward(group, h_in, out, grad, cost)
        grad = h_in.grad
    yield features.numel() * (ELEMENT_COST + 4 * config.latent_dim)
    head_params = [p for head in heads for p in head.parameters() if p.requires_grad]
    if kl is None:
        torch.autograd.backward([z], [grad], inputs=[*head_params, features])
    else:
        torch.autograd.backward([z, weight * kl], [grad, None], inputs=[*head_params, features])
    grad = features.grad
    for group, h_in, out, cost in reversed(encoder):
        yield from _backward(group, h_in, out, grad, cost)
        grad = h_in.grad
    return values


def split_gradient(model: LatentModel, plan: SplitPlan, x: torch.Tensor, beta: float | None,
                   gen: torch.Generator, seen: Callable[[], object]
                   ) -> Generator[None, None, tuple[list[float], float]]:
    """Compute the gradient of ``x``'s mean loss into ``.grad`` in chunks, yielding ``None`` between
    chunks and after the last one (so a request gets in before the optimiser step too).

    ``seen`` is called after each pause (the caller's "was a request waiting" bookkeeping). Returns the
    batch means ``[loss, recon, kl]`` and the seconds spent suspended at the yields.
    """
    work = _work(model, plan, x, beta, gen)
    spent, suspended = 0, 0.0
    while True:
        try:
            cost = next(work)
        except StopIteration as stop:
            values = stop.value
            break
        if spent and spent + cost > CHUNK_MACS:
            paused = time.perf_counter()
            yield None
            suspended += time.perf_counter() - paused
            seen()
            spent = 0
        spent += cost
    paused = time.perf_counter()
    yield None
    suspended += time.perf_counter() - paused
    seen()
    return values, suspended
