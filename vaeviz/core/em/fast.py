"""Fast float32 EM on torch for large data sets (N ~ 1e5–1e6, K ≤ 20), same snapshots as the float64 path.

How it is fast:

* Quadratic features. With φ(x) = (x_i x_j for i ≤ j, x_i, 1) — for d = 2: x1², x1x2, x2², x1, x2, 1 —
  log π_k + log N(x | μ_k, Σ_k) is linear in φ(x), so the log-joints of all K components are one
  (K, F) @ (F, N) matmul. The M-step needs only the moments Σ_n r_nk φ(x_n): one more (K, N) @ (N, F)
  product, done in the same pass, so an E/M iteration reads the data once.
* K × N layout, processed in cache-sized column chunks into reused buffers, softmax over K in place.
  The rows of those buffers are padded off 4 KiB multiples (MKL's skinny matmuls are ~30 % faster).
* No max over K: each point's log-joints are shifted by s_n, its log-density from the previous pass,
  inside the matmul (one more feature row, -s_n, with coefficient 1). The shifted log-joints are then
  ≤ log2 K + (how much the density rose), and the log-density is log2 Σ_k 2^(shifted) + s_n. A block
  where some density changed by more than a factor 2^40 since (the first pass; a big early step) is
  redone with the exact column max.
* Base 2 (exp2 is several times faster than exp in torch on the CPU), with the exponents clamped at
  -115: underflowing to denormals makes exp2 several times slower, and a responsibility of 2⁻¹¹⁵ ≈ 2e-35
  instead of 0 changes nothing.
* float32 needs data of order one, so EM runs on standardised data ((x - mean) / std per coordinate; one
  common scale for "spherical", which per-axis scaling would break). EM is equivariant under this map,
  and the snapshots are mapped back to the data's units in float64.
* On the CPU, the matmuls, exp2 and reductions go through numpy on the tensors' memory, faster there than
  torch's CPU kernels (:mod:`vaeviz.core.em.fast_ops`); on a GPU everything stays in torch.

The parameters themselves (K × d × d) are updated in float64 on the host; only the O(N) work is float32,
and the moments are summed in float64 per block of 4096 points. Results agree with
:func:`vaeviz.core.em.algorithm.em_steps` to about 1e-6 relative on well-conditioned data.

torch's intra-op thread count (and OpenBLAS's, :mod:`vaeviz.runtime`) is left as the caller set it. On a
machine with as many threads as cores, a busy neighbour process can stall torch's OpenMP threads badly;
one thread is slower but steady.
"""
from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from vaeviz.core.em.algorithm import EMState, check_run, find_singularity, floor_variances
from vaeviz.core.em.fast_ops import CpuOps, TorchOps
from vaeviz.core.em.gmm import GaussianMixture, to_full
from vaeviz.core.em.initialise import check_labels

# float32 resolves a standardised variance only to ~eps·|x|² (E[xxᵀ] - μμᵀ cancels), so with the floor off
# a variance below 1e-6 of the data's, or below 64 eps |μ_k|², counts as collapsed (float64 path: 1e-12).
FAST_SINGULAR_RTOL = 1e-6
_RESOLUTION = 64 * float(np.finfo(np.float32).eps)
_LOG_2PI = math.log(2.0 * math.pi)
_LOG2E = 1.0 / math.log(2.0)
_LN2 = math.log(2.0)
_SUB = 4096  # points per float32 partial sum of the moments
# A block is recomputed exactly when a density changed by more than a factor 2^40 since the last pass.
_SHIFT_RANGE = 40.0
_CPU_CHUNK = 32 * _SUB  # points per pass block on the CPU: K × 131072 floats stay in L2/L3 cache
# Rows of N floats are 4 KiB multiples apart; MKL's skinny matmuls run ~30 % faster when they are not
# (the K or F rows then stop competing for the same cache sets).
_ROW_PAD = 16


def _sum(t) -> float:
    """Sum of a float32 vector as a Python float (numpy's pairwise sum on the CPU: accurate and fast)."""
    return float(t.numpy().sum()) if t.device.type == "cpu" else float(t.double().sum())


def _rows(rows: int, width: int, device):
    """An uninitialised (rows, width) float32 tensor whose rows are _ROW_PAD floats further apart."""
    import torch

    return torch.empty((rows, width + _ROW_PAD), device=device)[:, :width]


def _features(xs: np.ndarray, pairs: list[tuple[int, int]]) -> np.ndarray:
    """Rows φ_f(x_n): the products x_i x_j (i ≤ j), then the coordinates, then 1; shape (F, N)."""
    n, d = xs.shape
    phi = np.empty((len(pairs) + d + 1, n), dtype=np.float32)
    for f, (i, j) in enumerate(pairs):
        phi[f] = xs[:, i] * xs[:, j]
    phi[len(pairs): len(pairs) + d] = xs.T
    phi[-1] = 1.0
    return phi


def _log_joint_weights(w, mu, cov, pairs) -> np.ndarray:
    """(K, F) coefficients so that coef @ φ(x) = log π_k + log N(x | μ_k, Σ_k)."""
    k, d = mu.shape
    prec = np.linalg.inv(cov)
    coef = np.zeros((k, len(pairs) + d + 1))
    for f, (i, j) in enumerate(pairs):
        coef[:, f] = -0.5 * prec[:, i, i] if i == j else -prec[:, i, j]  # x_i x_j appears twice when i ≠ j
    coef[:, len(pairs): len(pairs) + d] = np.einsum("kij,kj->ki", prec, mu)
    quad = np.einsum("ki,kij,kj->k", mu, prec, mu)
    # A zero weight gets log 1e-300 rather than -inf: -inf times a padding column's 0 would be NaN.
    coef[:, -1] = np.log(np.maximum(w, 1e-300)) - 0.5 * (d * _LOG_2PI + np.linalg.slogdet(cov)[1] + quad)
    return coef


def _estimate_from_moments(mom: np.ndarray, pairs, d: int, covariance_type: str, reg: np.ndarray):
    """M-step from the moments Σ_n r_nk φ(x_n): weights, means, full covariances (standardised units)."""
    p = len(pairs)
    nk = mom[:, -1] + 10 * np.finfo(np.float64).eps
    means = mom[:, p: p + d] / nk[:, None]
    second = np.empty((mom.shape[0], d, d))
    for f, (i, j) in enumerate(pairs):
        second[:, i, j] = second[:, j, i] = mom[:, f]
    outer = nk[:, None, None] * means[:, :, None] * means[:, None, :]
    k = mom.shape[0]
    if covariance_type == "tied":
        cov = np.broadcast_to((second - outer).sum(axis=0) / nk.sum(), (k, d, d)).copy()
    else:
        cov = (second - outer) / nk[:, None, None]
    cov[:, np.arange(d), np.arange(d)] += reg
    if covariance_type in ("diag", "spherical"):
        diag = cov[:, np.arange(d), np.arange(d)]
        if covariance_type == "spherical":
            diag = np.repeat(diag.mean(axis=1, keepdims=True), d, axis=1)
        cov = to_full(diag, "diag", k, d)
    return nk / nk.sum(), means, cov


def em_fast_steps(x, init: GaussianMixture, covariance_type: str | None = "full", reg: float = 1e-6,
                  max_iter: int = 100, device: str = "cpu", *, z_true=None, tol: float | None = None,
                  responsibilities_limit: int = 50_000, chunk_size: int | None = None,
                  torch_ops_only: bool = False) -> Iterator[EMState]:
    """Run EM in float32 with torch, yielding the same :class:`~vaeviz.core.em.algorithm.EMState` snapshots as
    :func:`~vaeviz.core.em.algorithm.em_steps`.

    Parameters
    ----------
    x, init, covariance_type, reg, max_iter, z_true, tol
        As for :func:`~vaeviz.core.em.algorithm.em_steps`. With ``reg > 0`` the variances are kept ≥ the floor
        after rounding, since float32 noise could otherwise push a collapsed one below it. With
        ``reg=0`` a variance below what float32 resolves (1e-6 of the data's variance, more for a
        component far from the data's centre) counts as a collapse. Starting covariances should be
        resolvable too: far smaller ones give inaccurate (though finite) results; use :func:`em_steps`.
    device : str
        torch device to compute on ("cpu", "cuda", "mps").
    responsibilities_limit : int
        Snapshots carry the (N, K) responsibilities only when N ≤ this; above it they are None, because
        copying N·K numbers twice per iteration would cost more than the EM itself.
    chunk_size : int, optional
        Points per block, rounded to a multiple of 4096 (default: 131072 on the CPU, to stay in cache;
        all of them on a GPU).
    torch_ops_only : bool
        Run every array operation through torch even on the CPU (where some go through numpy by default,
        faster there; :mod:`vaeviz.core.em.fast_ops`). The GPU path, testable on a CPU.

    Yields
    ------
    EMState
        Arrays are float64 numpy, in the data's units; responsibilities rows sum to 1 to float32 accuracy.
    """
    import torch

    x, covariance_type, reg = check_run(x, init, covariance_type, reg, max_iter, tol)
    z = check_labels(z_true, x.shape[0], init.n_components)
    n, d = x.shape
    k = init.n_components
    dev = torch.device(device)
    on_cpu = dev.type == "cpu"
    ops = CpuOps() if on_cpu and not torch_ops_only else TorchOps()

    centre = x.mean(axis=0)
    scale = x.std(axis=0)
    if covariance_type == "spherical":  # one scale for every axis keeps spherical covariances spherical
        scale = np.full(d, math.sqrt(np.mean(scale**2)))
    scale[scale == 0] = 1.0
    log_jacobian = n * float(np.log(scale).sum())  # log p(x) = log p(x_std) - Σ log scale, per point
    pairs = [(i, j) for i in range(d) for j in range(i, d)]
    # Pad N to whole sub-blocks with φ = 0 columns: they get uniform responsibilities, add 0 to every
    # moment, and log K each to the log-likelihood, which is taken off again below.
    n_pad = -(-n // _SUB) * _SUB
    n_feat = len(pairs) + d + 1
    # The features, and one more row: -s_n, the negated per-point shift of the log-joints (see data_pass).
    phi_np = np.zeros((n_feat + 1, n_pad + _ROW_PAD), dtype=np.float32)[:, :n_pad]
    phi_np[:n_feat, :n] = _features((x - centre) / scale, pairs)
    phi_ext = torch.from_numpy(phi_np).to(dev)
    padding_ll = (n_pad - n) * math.log(k) + log_jacobian
    zt = None
    if z is not None:
        zt = torch.zeros((1, n_pad), dtype=torch.int64, device=dev)
        zt[0, :n] = torch.from_numpy(z.astype(np.int64))
    chunk = min(n_pad, _SUB * max(1, int(chunk_size or (_CPU_CHUNK if on_cpu else n_pad)) // _SUB))
    buffers: dict[int, tuple] = {}
    reg_std = reg / scale**2

    def threshold(mu: np.ndarray) -> np.ndarray:
        limit = np.maximum(FAST_SINGULAR_RTOL, _RESOLUTION * np.einsum("kd,kd->k", mu, mu))
        return limit if reg == 0 else np.minimum(limit, 0.5 * float(reg_std.min()))

    keep_resp = n <= responsibilities_limit
    resp_buf = torch.empty((k, n_pad), dtype=torch.float32, device=dev) if keep_resp else None
    # Per-point shift s_n ≈ the previous pass's log2 p(x_n), so that log-joint - s_n comes out of the
    # matmul directly (the feature row -s_n with coefficient 1) and no max over K is needed. A block
    # whose densities moved too far since (first pass, big parameter change) is redone exactly.
    neg_shift = phi_ext[n_feat]
    shift_ok = [False]
    shift_sums: dict[int, float] = {}  # per block: Σ_n s_n, i.e. the last pass's log2-likelihood of it
    # When the responsibilities are not kept, the moments are Σ_n e_kn (φ_n / t_n) from the unnormalised
    # e_kn: scaling the F feature rows costs less than scaling the K rows of e when F < K (K = 10, d = 2).
    scale_features = not keep_resp and n_feat < k

    def data_pass(w, mu, cov):
        """One read of the data: log-likelihood, moments for the next M-step, responsibilities."""
        # Base-2 log-joints: exp2 is several times faster than exp in torch on the CPU.
        coef_np = np.zeros((k, n_feat + 1), dtype=np.float32)
        coef_np[:, :n_feat] = _log_joint_weights(w, mu, cov, pairs) * _LOG2E
        coef_np[:, n_feat] = 1.0
        coef_shift = torch.from_numpy(coef_np).to(dev)
        coef = coef_shift[:, :n_feat]
        ll = cll = 0.0
        mom = np.zeros((k, n_feat))
        for start in range(0, n_pad, chunk):
            block_ext = phi_ext[:, start: start + chunk]
            block = block_ext[:n_feat]
            width = block.shape[1]
            neg_s = neg_shift[start: start + width]
            if width not in buffers:  # reused: allocating N·K floats every pass costs page faults
                buffers[width] = (_rows(k, width, dev), torch.empty(width, device=dev),
                                  _rows(n_feat, width, dev) if scale_features else None,
                                  torch.empty(width, device=dev))
            lj, top, scaled, total = buffers[width]
            exact = not shift_ok[0]
            while True:
                if exact:
                    ops.mm(coef, block, lj)  # (K, width) log2-joints
                    torch.amax(lj, dim=0, out=top)
                    lj.sub_(top)
                else:
                    ops.mm(coef_shift, block_ext, lj)  # log2-joints - s_n
                if zt is not None:  # the true components' log2-joints, less the same per-point offset
                    picked = float(lj.gather(0, zt[:, start: start + width]).sum(dtype=torch.float64))
                ops.exp2_floored(lj)
                ops.sum_over_k(lj, total)
                log_total = ops.log2(total)
                lo, hi = ops.min_max(log_total)
                if exact or (lo > -_SHIFT_RANGE and hi < _SHIFT_RANGE):
                    break
                exact = True
            # log2 p(x_n) = log2 total_n + s_n: the log-likelihood, and the next pass's shift.
            offset = _sum(top) if exact else shift_sums[start]
            block_ll = _sum(log_total) + offset
            ll += block_ll
            shift_sums[start] = block_ll  # = Σ_n s_n after the update below, up to float32 rounding
            if zt is not None:
                cll += picked + offset
            if exact:
                torch.add(top, log_total, out=neg_s).neg_()
            else:
                neg_s.sub_(log_total)
            # Moments per sub-block of _SUB points, summed in float64: one float32 sum over all N
            # would lose ~1e-5 relative, which the covariance's E[xxᵀ] - μμᵀ then amplifies.
            if scaled is None:
                ops.divide_columns(lj, total, lj)  # now the responsibilities
                if resp_buf is not None:
                    resp_buf[:, start: start + width] = lj
                mom += ops.moments(block, lj, width // _SUB)
            else:
                ops.divide_columns(block, total, scaled)  # φ_n / t_n
                mom += ops.moments(scaled, lj, width // _SUB)
        shift_ok[0] = True
        resp = None
        if resp_buf is not None:
            resp = resp_buf[:, :n].t().double().cpu().numpy()
            resp.setflags(write=False)
        return ll * _LN2 - padding_ll, None if zt is None else cll * _LN2 - log_jacobian, mom, resp

    def to_data_units(w, mu, cov) -> GaussianMixture:
        cov = cov * np.outer(scale, scale)
        # unchecked: the M-step's results, with covariances checked for collapse (a ~5 % faster iteration)
        return GaussianMixture.unchecked(w / w.sum(), mu * scale + centre, cov, covariance_type)

    w = init.weights.copy()
    mu = (init.means - centre) / scale
    cov = init.covariances / np.outer(scale, scale)
    tiny = np.flatnonzero(np.linalg.eigvalsh(cov).min(axis=1) <= 1e-30)
    if tiny.size:  # float32 precisions would overflow to inf, and inf - inf is NaN
        raise ValueError(f"the initial covariance of component {tiny[0]} is far too small for float32 EM "
                         "(variance ≤ 1e-30 of the data's); use em_steps, which computes in float64")
    ll, cll, mom, resp = data_pass(w, mu, cov)
    yield EMState(0, "init", init, None, ll, ll / n, cll)
    gmm = init
    for it in range(1, int(max_iter) + 1):
        yield EMState(it, "E", gmm, resp, ll, ll / n, cll)
        w, mu, cov = _estimate_from_moments(mom, pairs, d, covariance_type, reg_std)
        limit = threshold(mu)
        singular = None
        if not np.isfinite(cov).all():
            singular = find_singularity(cov, limit)
        else:
            eig = np.linalg.eigvalsh(cov)
            if reg > 0 and eig.min() < reg_std.min():
                cov = floor_variances(cov, covariance_type, float(reg_std.min()))
                eig = np.linalg.eigvalsh(cov)
            if not np.all(eig > limit[:, None]):  # the full check only when something looks wrong
                singular = find_singularity(cov, limit)
        if singular is not None:
            cov = floor_variances(cov, covariance_type, limit)
            shown = to_data_units(w, mu, cov)
            cll_shown = None if zt is None else data_pass(w, mu, cov)[1]
            yield EMState(it, "M", shown, resp, np.inf, np.inf, cll_shown, singular)
            return
        gmm = to_data_units(w, mu, cov)
        used_resp = resp
        new_ll, cll, mom, resp = data_pass(w, mu, cov)
        converged = tol is not None and abs(new_ll - ll) / n < tol
        yield EMState(it, "M", gmm, used_resp, new_ll, new_ll / n, cll, converged=converged)
        if converged:
            return
        ll = new_ll
