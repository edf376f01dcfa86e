"""A small VAE on 2-D points: the lecture's intractable density p(x) = ∫ p(z) p(x|z) dz made visible.

The model: a prior p(z) = N(0, I) on a latent of size 1 or 2; a decoder MLP giving a Gaussian
p(x|z) = N(μ_θ(z), diag σ_θ(z)²) on the plane, with σ_θ = softplus(·) + ``SIGMA_FLOOR`` so that p(x) is
a proper, bounded density on R²; an encoder MLP giving q(z|x) = N(μ_φ(x), diag exp(log σ²_φ(x))).
Training maximises the ELBO (β = 1, so that it is a lower bound on log p(x)) with Adam.

The points are standardised inside the model (u = (x − mean) / scale per coordinate) so one learning
rate and one σ floor suit any data units; every density this module reports is in the *original* data
units: log p_x(x) = log p_u(u) − Σ_d log scale_d (the log-Jacobian of the standardisation).

Three views of log p(x) at a point x:

* the ELBO, E_q[log p(x|z)] − KL(q(z|x) ‖ p(z)): the KL in closed form, the reconstruction term the mean
  over the same K samples z_k ~ q(z|x) the importance sampler uses (with its standard error). So it is
  below log p̂_K in expectation, not draw by draw (with a sampled KL, Jensen would order every draw, at the
  price of the KL's Monte Carlo noise, large where q(z|x) is wide);
* importance sampling, log p̂_K(x) = logsumexp_k [log p(x|z_k) + log p(z_k) − log q(z_k|x)] − log K,
  ≤ log p(x) in expectation and tending to it as K grows; with K = 1 its expectation is the ELBO. Its
  standard error is the delta method's: the standard error of the mean of the weights w_k over their
  mean, std(w)/(√K · mean(w));
* quadrature (:func:`exact_log_px_quadrature`): with a latent of size 1 or 2 the integral itself can be
  computed on a fine grid of z; p(x) is then a mixture of the decoder's Gaussians at the grid's nodes,
  weighted by the prior. This is the reference the other two are checked against.

The standard error is itself a Monte Carlo estimate and cannot see weights that were never drawn: far from
the data, where q(z|x) misses where the posterior p(z|x) lies, log p̂_K can be many nats below log p(x)
while its standard error looks small. The quadrature shows where.

The noise ε of the K samples (z_k = μ_φ(x) + σ_φ(x) ε_k) is drawn once per seed and shared by every point
(common random numbers): the maps are then smooth functions of x, their Monte Carlo error varies slowly
over the plane instead of as speckle, and a point's value does not depend on how a grid is chunked.

Networks run in float32 on the job's torch device; statistics are float64 on the host. Only this module
of :mod:`vaeviz.core.density` imports torch.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional

from vaeviz.core.density.estimators import DensityInputError
from vaeviz.core.grid import Rect, cell_centres
from vaeviz.core.jobs import JobContext, JobFactory

LATENT_SIZES = (1, 2)
DATA_DIM = 2
SIGMA_FLOOR = 1e-2  # decoder σ's lower bound, in standardised units: keeps p(x|z) and so p(x) bounded
SCALE_FLOOR = 1e-2  # a coordinate's scale is at least this fraction of the other's (points on a line)
MAX_K = 100_000
MAX_RES = 2048
# Decoder rows (points × samples, or points × quadrature nodes) per chunk, each chunk one progress report;
# a sixteenth of that while a request waits, so that it waits for a small piece only.
CHUNK_ROWS = 1 << 16
URGENT_CHUNK_ROWS = 1 << 12
QUADRATURE_CHUNK_ROWS = 1 << 18  # a quadrature row is one entry of a product: far cheaper than a decoder row
Z_LIMIT = 7.0  # quadrature box [−7, 7]^L: the prior's mass outside it is below 1e-11 per axis
QUADRATURE_NODES = {1: 4001, 2: 201}  # per axis; 101 already agree to 1e-4 on a trained moons model
_LOG_2PI = math.log(2.0 * math.pi)


@dataclass(frozen=True)
class PointVaeSettings:
    """How to build and train a point VAE.

    Parameters
    ----------
    latent_size
        1 or 2 (quadrature gives the exact log p(x) for both).
    hidden
        Width of the two hidden layers of the encoder and of the decoder.
    steps
        Adam steps.
    batch_size
        Points per step (all of them when there are fewer).
    lr
        Adam's learning rate.
    seed
        Seeds the initial weights, the batches and the reparameterisation noise.
    report_every
        Yield a :class:`PointVaeProgress` every this many steps (and after the last).

    Notes
    -----
    β is fixed at 1 (:attr:`beta`): with any other weight on the KL the objective is no longer a lower bound
    on log p(x), and the lab's comparison of the ELBO with log p(x) would be meaningless.
    """

    latent_size: int = 1
    hidden: int = 64
    steps: int = 2000
    batch_size: int = 256
    lr: float = 3e-3
    seed: int = 0
    report_every: int = 50

    def __post_init__(self) -> None:
        if self.latent_size not in LATENT_SIZES:
            raise DensityInputError(f"the latent size must be 1 or 2, got {self.latent_size!r}")
        for name in ("hidden", "steps", "batch_size", "report_every"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise DensityInputError(f"{name} must be an integer ≥ 1, got {value!r}")
        if not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and self.lr > 0):
            raise DensityInputError(f"the learning rate must be a finite number > 0, got {self.lr!r}")
        if not isinstance(self.seed, int) or isinstance(self.seed, bool) or self.seed < 0:
            raise DensityInputError(f"the seed must be an integer ≥ 0, got {self.seed!r}")

    @property
    def beta(self) -> float:
        return 1.0


@dataclass(frozen=True, eq=False)
class PointVaeModel:
    """A trained point VAE, as plain read-only numpy on the host: safe to hand to another thread.

    ``weights`` are the networks' parameters by name (float32, CPU); ``mean`` and ``scale`` the
    standardisation u = (x − mean) / scale; ``train_elbo`` the ELBO per point on the training data in
    data units (one sample per point, a fixed seed) after ``steps`` steps.
    """

    settings: PointVaeSettings
    weights: tuple[tuple[str, np.ndarray], ...]
    mean: np.ndarray  # (2,)
    scale: np.ndarray  # (2,)
    steps: int
    train_elbo: float

    @property
    def latent_size(self) -> int:
        return self.settings.latent_size

    @property
    def log_jacobian(self) -> float:
        """Σ_d log scale_d: subtract it from a log density in standardised units to get data units."""
        return float(np.log(self.scale).sum())


@dataclass(frozen=True)
class PointVaeProgress:
    """A training snapshot: ``elbo`` is the mean ELBO per point (data units, nats) of the batches since the
    previous snapshot; ``fraction`` and ``message`` are what the status bar reads."""

    step: int
    total: int
    elbo: float
    fraction: float
    message: str
    stopped: str | None = None  # why training stopped early (the loss stopped being finite), else None


@dataclass(frozen=True)
class MapsProgress:
    """How far :func:`density_maps_job` is (the status bar reads ``fraction`` and ``message``)."""

    fraction: float
    message: str


@dataclass(frozen=True, eq=False)
class PointVaeMaps:
    """log p(x) and the ELBO on the ``res`` × ``res`` cell centres of ``rect`` (rows = y, cols = x).

    All maps are read-only float64 (res, res), in nats, in data units. ``elbo`` is the closed-form KL with the
    reconstruction term averaged over the same ``k_samples`` samples as ``log_px``; ``elbo_se`` is that
    average's standard error, ``log_px_se`` the importance sampler's (delta method; NaN when K = 1).
    """

    rect: Rect
    res: int
    k_samples: int
    seed: int
    elbo: np.ndarray
    elbo_se: np.ndarray
    log_px: np.ndarray
    log_px_se: np.ndarray


# ---------------------------------------------------------------------------------------------- networks


class _Networks(nn.Module):
    def __init__(self, latent_size: int, hidden: int) -> None:
        super().__init__()
        self.latent_size = latent_size
        self.encoder = nn.Sequential(nn.Linear(DATA_DIM, hidden), nn.SiLU(), nn.Linear(hidden, hidden),
                                     nn.SiLU(), nn.Linear(hidden, 2 * latent_size))
        self.decoder = nn.Sequential(nn.Linear(latent_size, hidden), nn.SiLU(), nn.Linear(hidden, hidden),
                                     nn.SiLU(), nn.Linear(hidden, 2 * DATA_DIM))

    def encode(self, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """q(z|u): mean and log variance."""
        out = self.encoder(u)
        return out[:, :self.latent_size], out[:, self.latent_size:]

    def decode(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """p(u|z): mean and standard deviation, the latter floored so the density stays bounded."""
        out = self.decoder(z)
        return out[:, :DATA_DIM], functional.softplus(out[:, DATA_DIM:]) + SIGMA_FLOOR


def _initial_weights(latent_size: int, hidden: int, seed: int) -> dict[str, torch.Tensor]:
    # torch's default Linear initialisation (uniform ±1/√fan_in), drawn from a numpy generator: the same
    # weights on every device, without touching torch's global random state (other jobs share it).
    rng = np.random.default_rng(seed)
    shapes = _Networks(latent_size, hidden).state_dict()
    weights = {}
    for name, tensor in shapes.items():
        fan_in = tensor.shape[1] if tensor.ndim == 2 else shapes[name.replace("bias", "weight")].shape[1]
        bound = 1.0 / math.sqrt(fan_in)
        weights[name] = torch.from_numpy(rng.uniform(-bound, bound, tuple(tensor.shape)).astype(np.float32))
    return weights


def _networks(model: PointVaeModel, device: torch.device) -> _Networks:
    nets = _Networks(model.settings.latent_size, model.settings.hidden)
    nets.load_state_dict({name: torch.from_numpy(array.copy()) for name, array in model.weights})
    return nets.to(device).eval()


def _gaussian_log_density(x: torch.Tensor, mean: torch.Tensor, log_sigma: torch.Tensor) -> torch.Tensor:
    """log N(x; mean, diag σ²) summed over the last axis."""
    return -0.5 * (((x - mean) * torch.exp(-log_sigma)) ** 2 + _LOG_2PI).sum(-1) - log_sigma.sum(-1)


def _standard_normal_log_density(z: torch.Tensor) -> torch.Tensor:
    return -0.5 * (z * z + _LOG_2PI).sum(-1)


def _analytic_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(μ, diag e^logvar) ‖ N(0, I)) per row."""
    return 0.5 * (mu * mu + logvar.exp() - 1.0 - logvar).sum(-1)


# ---------------------------------------------------------------------------------------------- checks


def _check_points(points, what: str = "points", at_least: int = 1) -> np.ndarray:
    try:
        array = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DensityInputError(f"the {what} are not numbers") from exc
    if array.ndim != 2 or array.shape[1] != DATA_DIM:
        raise DensityInputError(f"the {what} must be 2-D points, an array of shape (n, 2); "
                                 f"got shape {array.shape}")
    if len(array) < at_least:
        raise DensityInputError(f"a point VAE needs at least {at_least} {what}, got {len(array)}")
    if not np.isfinite(array).all():
        raise DensityInputError(f"the {what} contain values that are not finite numbers (NaN or infinity)")
    return array


def _check_k(k: int) -> int:
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or not 1 <= k <= MAX_K:
        raise DensityInputError(f"the number of samples K must be an integer from 1 to {MAX_K:,}, got {k!r}")
    return int(k)


def _standardisation(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = points.mean(axis=0)
    spread = points.std(axis=0)
    widest = float(spread.max())
    if not widest > 0.0:
        raise DensityInputError("all the points are the same point: there is no spread to fit a density to")
    # points on a line: give the flat coordinate a small scale rather than divide by zero
    return mean, np.maximum(spread, SCALE_FLOOR * widest)


# ---------------------------------------------------------------------------------------------- training


def train_point_vae_job(points, settings: PointVaeSettings = PointVaeSettings()) -> JobFactory:
    """A job training a point VAE on ``points`` (n, 2) in data units.

    Returns
    -------
    JobFactory
        Its generator yields :class:`PointVaeProgress` snapshots every ``settings.report_every`` steps and
        ``None`` (a preemption point) after a step while ``ctx.urgent()``; it returns a
        :class:`PointVaeModel`. It runs on ``ctx.torch_device()``.

    Raises
    ------
    DensityInputError
        At once (not when the job runs) for fewer than 2 points, points that are all the same, not finite
        or not of shape (n, 2).

    Notes
    -----
    Deterministic for a given seed and device. If the loss stops being finite (too high a learning rate),
    the weights of the previous snapshot are restored, a snapshot with ``stopped`` set is yielded and the
    job returns the model with those weights.
    """
    data = _check_points(points, at_least=2)
    mean, scale = _standardisation(data)
    standardised = ((data - mean) / scale).astype(np.float32)

    def factory(ctx: JobContext) -> Iterator[PointVaeProgress | None]:
        return _train(standardised, mean, scale, settings, ctx)

    return factory


def _train(standardised: np.ndarray, mean: np.ndarray, scale: np.ndarray, settings: PointVaeSettings,
           ctx: JobContext) -> Iterator[PointVaeProgress | None]:
    device = ctx.torch_device()
    latent = settings.latent_size
    log_jacobian = float(np.log(scale).sum())
    nets = _Networks(latent, settings.hidden)
    nets.load_state_dict(_initial_weights(latent, settings.hidden, settings.seed))
    nets.to(device).train()
    data = torch.from_numpy(standardised).to(device)
    n = len(standardised)
    batch = min(settings.batch_size, n)
    per_epoch = math.ceil(n / batch)
    # A CPU generator: the same batches and noise on every device; its draws are moved to the device.
    generator = torch.Generator(device="cpu").manual_seed(settings.seed)
    optimiser = torch.optim.Adam(nets.parameters(), lr=settings.lr)
    live = list(nets.state_dict().values())  # aliases of the parameters: copy_ restores them in place
    saved = [t.detach().clone() for t in live]
    total = settings.steps
    elbo_sum, elbo_count = 0.0, 0

    def model_now(step: int) -> PointVaeModel:
        weights = tuple((name, _frozen(t.detach().cpu().numpy().copy()))
                        for name, t in nets.state_dict().items())
        elbo = _train_elbo(nets, data, latent) - log_jacobian
        return PointVaeModel(settings, weights, _frozen(mean.copy()), _frozen(scale.copy()), step, elbo)

    for step in range(1, total + 1):
        position = (step - 1) % per_epoch
        if position == 0:
            order = torch.randperm(n, generator=generator)
        index = order[position * batch:(position + 1) * batch].to(device)
        u = data[index]
        eps = torch.randn((len(index), latent), generator=generator).to(device)
        mu, logvar = nets.encode(u)
        z = mu + torch.exp(0.5 * logvar) * eps
        x_mean, x_sigma = nets.decode(z)
        elbo = _gaussian_log_density(u, x_mean, torch.log(x_sigma)) - _analytic_kl(mu, logvar)
        loss = -elbo.mean()
        value = float(loss.detach().cpu())
        if not math.isfinite(value):
            with torch.no_grad():
                for target, source in zip(live, saved, strict=True):
                    target.copy_(source)
            done_before = step - 1 - (step - 1) % settings.report_every
            reason = (f"the ELBO became {-value} at step {step} (is the learning rate {settings.lr:g} too "
                      f"high?); the weights after step {done_before} were restored")
            yield PointVaeProgress(step, total, math.nan, step / total, f"stopped: {reason}", reason)
            return model_now(done_before)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        elbo_sum += -value * len(index)
        elbo_count += len(index)
        if step % settings.report_every and step < total:
            if ctx.urgent():
                yield None
            continue
        with torch.no_grad():
            for target, source in zip(saved, live, strict=True):
                target.copy_(source)
        mean_elbo = elbo_sum / elbo_count - log_jacobian
        elbo_sum, elbo_count = 0.0, 0
        head = "finished" if step == total else f"step {step}/{total}"
        message = f"{head} · ELBO {mean_elbo:.3f} per point"
        yield PointVaeProgress(step, total, mean_elbo, step / total, message)
    return model_now(total)


def _frozen(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


@torch.no_grad()
def _train_elbo(nets: _Networks, data: torch.Tensor, latent: int) -> float:
    """Mean ELBO per point in standardised units, one sample per point from a fixed seed."""
    was_training = nets.training
    nets.eval()
    try:
        generator = torch.Generator(device="cpu").manual_seed(0)
        eps = torch.randn((len(data), latent), generator=generator).to(data.device)
        mu, logvar = nets.encode(data)
        x_mean, x_sigma = nets.decode(mu + torch.exp(0.5 * logvar) * eps)
        elbo = _gaussian_log_density(data, x_mean, torch.log(x_sigma)) - _analytic_kl(mu, logvar)
        return float(elbo.mean().cpu())
    finally:
        nets.train(was_training)


# ---------------------------------------------------------------------------------------------- log p(x)


def _shared_noise(k: int, latent: int, seed: int) -> torch.Tensor:
    generator = torch.Generator(device="cpu").manual_seed(seed)
    return torch.randn((k, latent), generator=generator)


@torch.no_grad()
def _importance_chunk(nets: _Networks, u: np.ndarray, eps: torch.Tensor,
                      device: torch.device) -> tuple[np.ndarray, ...]:
    """log p̂_K, its standard error, the ELBO and its standard error at standardised points ``u`` (m, 2)."""
    m, k, latent = len(u), eps.shape[0], eps.shape[1]
    x = torch.from_numpy(u.astype(np.float32)).to(device)
    mu, logvar = nets.encode(x)
    std = torch.exp(0.5 * logvar)
    z = mu[:, None, :] + std[:, None, :] * eps.to(device)[None]  # (m, k, L)
    x_mean, x_sigma = nets.decode(z.reshape(m * k, latent))
    log_px_z = _gaussian_log_density(x.repeat_interleave(k, 0), x_mean, torch.log(x_sigma)).reshape(m, k)
    # log q(z_k|x) from ε directly: z − μ = σ ε exactly, with no cancellation
    log_q = _standard_normal_log_density(eps.to(device))[None] - 0.5 * logvar.sum(-1, keepdim=True)
    log_w = (log_px_z + _standard_normal_log_density(z) - log_q).cpu().numpy().astype(np.float64)
    recon = log_px_z.cpu().numpy().astype(np.float64)
    kl = _analytic_kl(mu, logvar).cpu().numpy().astype(np.float64)
    top = log_w.max(axis=1, keepdims=True)
    ratios = np.exp(log_w - top)
    mean_ratio = ratios.mean(axis=1)
    log_px = top[:, 0] + np.log(mean_ratio)
    elbo = recon.mean(axis=1) - kl
    if k > 1:
        log_px_se = ratios.std(axis=1, ddof=1) / (math.sqrt(k) * mean_ratio)
        elbo_se = recon.std(axis=1, ddof=1) / math.sqrt(k)
    else:
        log_px_se = elbo_se = np.full(m, math.nan)
    return log_px, log_px_se, elbo, elbo_se


def point_log_px(model: PointVaeModel, x, k: int = 1000, seed: int = 0,
                 device: str = "cpu") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Importance-sampled log p(x) at points ``x`` (n, 2) in data units, with ``k`` samples of q(z|x).

    Returns
    -------
    log_px, log_px_se, elbo
        Float64 (n,) in nats, data units: log p̂_K(x), its standard error (delta method; NaN for K = 1) and
        the ELBO (closed-form KL, reconstruction averaged over the same K samples). The same values as
        :func:`density_maps_job` gives at these points for the same ``k`` and ``seed``.
    """
    points = _check_points(x, at_least=0)
    k = _check_k(k)
    dev = torch.device(device)
    nets = _networks(model, dev)
    eps = _shared_noise(k, model.latent_size, seed)
    u = (points - model.mean) / model.scale
    out = [np.empty(len(points)) for _ in range(4)]
    step = max(1, CHUNK_ROWS // k)
    for start in range(0, len(points), step):
        for target, part in zip(out, _importance_chunk(nets, u[start:start + step], eps, dev), strict=True):
            target[start:start + step] = part
    log_px, log_px_se, elbo, _ = out
    return log_px - model.log_jacobian, log_px_se, elbo - model.log_jacobian


def _check_grid(rect: Rect, res: int) -> None:
    x0, y0, x1, y1 = (float(v) for v in rect)
    if not (all(math.isfinite(v) for v in (x0, y0, x1, y1)) and x1 > x0 and y1 > y0):
        raise DensityInputError(f"the rectangle must be finite with x1 > x0 and y1 > y0, got {rect}")
    if not isinstance(res, (int, np.integer)) or isinstance(res, bool) or not 1 <= res <= MAX_RES:
        raise DensityInputError(f"the grid resolution must be an integer from 1 to {MAX_RES}, got {res!r}")


def _grid_points(rect: Rect, res: int) -> np.ndarray:
    xs, ys = cell_centres(rect, res)
    gx, gy = np.meshgrid(xs, ys)  # rows = y, cols = x
    return np.column_stack([gx.ravel(), gy.ravel()])


def density_maps_job(model: PointVaeModel, rect: Rect, res: int, k_samples: int = 256,
                     seed: int = 0) -> JobFactory:
    """A job computing the ELBO and importance-sampled log p(x) maps on ``cell_centres(rect, res)``.

    Returns
    -------
    JobFactory
        Its generator yields :class:`MapsProgress` after each chunk of the grid (and ``None`` preemption
        points between smaller chunks while ``ctx.urgent()``) and returns a :class:`PointVaeMaps`.
        Deterministic from ``seed``: the K noise draws are shared by every cell (see the module docstring).

    Raises
    ------
    DensityInputError
        At once, for a bad rectangle, resolution or K.
    """
    _check_grid(rect, res)
    k = _check_k(k_samples)
    rect = tuple(float(v) for v in rect)

    def factory(ctx: JobContext) -> Iterator[MapsProgress | None]:
        device = ctx.torch_device()
        nets = _networks(model, device)
        eps = _shared_noise(k, model.latent_size, seed)
        u = (_grid_points(rect, res) - model.mean) / model.scale
        n = len(u)
        out = [np.empty(n) for _ in range(4)]
        start = 0
        while start < n:
            urgent = ctx.urgent()
            step = max(1, (URGENT_CHUNK_ROWS if urgent else CHUNK_ROWS) // k)
            parts = _importance_chunk(nets, u[start:start + step], eps, device)
            for target, part in zip(out, parts, strict=True):
                target[start:start + step] = part
            start = min(n, start + step)
            if urgent and start < n:
                yield None
            else:
                yield MapsProgress(start / n, f"log p(x): {start:,}/{n:,} cells")
        log_px, log_px_se, elbo, elbo_se = (a.reshape(res, res) for a in out)
        shift = model.log_jacobian
        maps = (elbo - shift, elbo_se, log_px - shift, log_px_se)
        return PointVaeMaps(rect, res, k, seed, *(_frozen(m) for m in maps))

    return factory


# ---------------------------------------------------------------------------------------------- quadrature


def _quadrature_nodes(latent: int, nodes: int | None, z_limit: float) -> tuple[torch.Tensor, torch.Tensor]:
    """The nodes of a uniform grid over [−z_limit, z_limit]^L and log of their weights Δz^L φ(z)."""
    per_axis = QUADRATURE_NODES[latent] if nodes is None else int(nodes)
    if per_axis < 2:
        raise DensityInputError(f"the quadrature needs at least 2 nodes per axis, got {per_axis}")
    axis = torch.linspace(-z_limit, z_limit, per_axis, dtype=torch.float64)
    spacing = 2.0 * z_limit / (per_axis - 1)
    z = axis[:, None] if latent == 1 else torch.cartesian_prod(axis, axis)
    # the trapezoid rule; with a Gaussian weight vanishing at the ends it is the midpoint rule's equal
    log_weight = _standard_normal_log_density(z) + latent * math.log(spacing)
    return z.float(), log_weight


@torch.no_grad()
def _quadrature_chunks(model: PointVaeModel, points: np.ndarray, nodes: int | None, z_limit: float,
                       device: torch.device, urgent=None) -> Iterator[tuple[int, np.ndarray] | None]:
    """Yield (end, log p_u at points[start:end]) chunk by chunk (``None`` between smaller ones if urgent).

    The decoder does not depend on x, so it runs once, on the device; the mixture of its Gaussians is then
    evaluated on the host in float64, as one matrix product per chunk: log N(x; μ_j, σ_j²) is linear in
    (x_d², x_d, 1). float64 because that expansion cancels terms as large as (x/σ)², which float32 (and
    MPS, which has no float64) would leave wrong by ~1e-3 for a narrow σ.
    """
    nets = _networks(model, device)
    z, log_weight = _quadrature_nodes(model.latent_size, nodes, z_limit)
    x_mean, x_sigma = nets.decode(z.to(device))
    mu = x_mean.cpu().double()
    sigma = x_sigma.cpu().double()
    precision = sigma ** -2
    constant = -0.5 * (mu * mu * precision).sum(1) - torch.log(sigma).sum(1) - 0.5 * DATA_DIM * _LOG_2PI
    coefficients = torch.cat([-0.5 * precision.T, (mu * precision).T, (constant + log_weight)[None]])
    u = torch.from_numpy((points - model.mean) / model.scale)
    features = torch.cat([u * u, u, torch.ones(len(u), 1, dtype=torch.float64)], dim=1)  # (n, 5)
    start = 0
    while start < len(u):
        hurry = urgent is not None and urgent()
        step = max(1, (URGENT_CHUNK_ROWS if hurry else QUADRATURE_CHUNK_ROWS) // len(z))
        log_terms = features[start:start + step] @ coefficients
        start = min(len(u), start + step)
        yield start, torch.logsumexp(log_terms, dim=1).numpy()
        if hurry and start < len(u):
            yield None


def exact_log_px_quadrature(model: PointVaeModel, x, nodes: int | None = None, z_limit: float = Z_LIMIT,
                            device: str = "cpu") -> np.ndarray:
    """log p(x) = log ∫ p(z) p(x|z) dz by quadrature on a uniform grid of z, at points ``x`` (n, 2).

    Parameters
    ----------
    nodes
        Nodes per latent axis (default ``QUADRATURE_NODES[latent_size]``). The integrand in z is as narrow
        as σ_θ / |dμ_θ/dz|, so a decoder with sharp features needs more; comparing with twice as many is a
        check of convergence.
    z_limit
        The grid covers [−z_limit, z_limit]^L; the prior mass outside is neglected.

    Returns
    -------
    np.ndarray
        Float64 (n,), log p(x) in nats, data units (the decoder in float32, the mixture in float64).
    """
    points = _check_points(x, at_least=0)
    result = np.empty(len(points))
    start = 0
    for item in _quadrature_chunks(model, points, nodes, z_limit, torch.device(device)):
        if item is not None:
            end, values = item
            result[start:end] = values
            start = end
    return result - model.log_jacobian


def exact_map_job(model: PointVaeModel, rect: Rect, res: int, nodes: int | None = None,
                  z_limit: float = Z_LIMIT) -> JobFactory:
    """A job computing :func:`exact_log_px_quadrature` on ``cell_centres(rect, res)``: the lab's optional
    "exact" reference. Yields :class:`MapsProgress` (``None`` while urgent); returns float64 (res, res)."""
    _check_grid(rect, res)
    rect = tuple(float(v) for v in rect)

    def factory(ctx: JobContext) -> Iterator[MapsProgress | None]:
        points = _grid_points(rect, res)
        result = np.empty(len(points))
        start = 0
        for item in _quadrature_chunks(model, points, nodes, z_limit, ctx.torch_device(), ctx.urgent):
            if item is None:
                yield None
                continue
            end, values = item
            result[start:end] = values
            start = end
            yield MapsProgress(end / len(points), f"exact log p(x): {end:,}/{len(points):,} cells")
        return _frozen(result.reshape(res, res) - model.log_jacobian)

    return factory


# ---------------------------------------------------------------------------------------------- sampling


@torch.no_grad()
def sample_point_vae(model: PointVaeModel, n: int, seed: int = 0, device: str = "cpu") -> np.ndarray:
    """``n`` samples (n, 2) of p_model in data units: z ~ N(0, I), x ~ p(x|z)."""
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
        raise DensityInputError(f"the number of samples must be an integer ≥ 0, got {n!r}")
    dev = torch.device(device)
    nets = _networks(model, dev)
    generator = torch.Generator(device="cpu").manual_seed(seed)
    z = torch.randn((int(n), model.latent_size), generator=generator)
    noise = torch.randn((int(n), DATA_DIM), generator=generator)
    x_mean, x_sigma = nets.decode(z.to(dev))
    u = (x_mean + x_sigma * noise.to(dev)).cpu().numpy().astype(np.float64)
    return u * model.scale + model.mean
