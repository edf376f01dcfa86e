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
and the moments are summed in float64 per block of 4096 points. The covariance floor is applied in the
data's units after the float32 moments, so it holds exactly as on the float64 path.

What is shown must still be exact. The log-likelihood reported for a mixture is its true one to ≤ 1e-6
relative: the coefficients' rounding to float32 is corrected exactly (to first order, from the same
pass's moments), every sum is accumulated in float64, and the remaining rounding (of the features and
inside the matmul) is estimated from the moments after each pass. The complete-data log-likelihood is
computed in float64 from per-class feature sums. When float32 cannot deliver — a variance too small to
resolve at its distance from the data's centre, or an estimated error above the goal (elongated or tight
components far from the centre) — the run continues in float64 (:func:`em_steps`) from the last exact
state, and every later snapshot says why (``EMState.precision_note``). Collapses with the floor off are
always found by the float64 path.

torch's intra-op thread count (and OpenBLAS's, :mod:`vaeviz.runtime`) is left as the caller set it. On a
machine with as many threads as cores, a busy neighbour process can stall torch's OpenMP threads badly;
one thread is slower but steady.
"""
from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Iterator

import numpy as np

from vaeviz.core.em.algorithm import CompleteData, EMState, check_run, em_steps
from vaeviz.core.em.fast_ops import SUB_BLOCK, CpuOps, TorchOps
from vaeviz.core.em.gmm import GaussianMixture, to_full
from vaeviz.core.em.initialise import check_labels

_EPS32 = float(np.finfo(np.float32).eps)
# float32 resolves a standardised variance only to ~eps·(|μ|² + tr Σ) (E[xxᵀ] - μμᵀ cancels): a component
# with a variance below this many times that is handed to float64.
_RESOLUTION = 64 * _EPS32
# Goal for the reported log-likelihood's relative error, and the factor by which the estimate of the
# remaining float32 rounding must stay below it.
LL_RTOL = 1e-6
_ESTIMATE_SAFETY = 3.0
_LOG_2PI = math.log(2.0 * math.pi)
_LOG2E = 1.0 / math.log(2.0)
_LN2 = math.log(2.0)
_SUB = SUB_BLOCK  # points per float32 partial sum of the moments
# A block is recomputed exactly when a density changed by more than a factor 2^40 since the last pass.
_SHIFT_RANGE = 40.0
_CPU_CHUNK = 32 * _SUB  # points per pass block on the CPU: K × 131072 floats stay in L2/L3 cache
# Rows of N floats are 4 KiB multiples apart; MKL's skinny matmuls run ~30 % faster when they are not
# (the K or F rows then stop competing for the same cache sets).
_ROW_PAD = 16


def _exact_features(xs: np.ndarray, pairs: list[tuple[int, int]]) -> np.ndarray:
    """φ(x_n) in float64, shape (N, F): for the per-class sums of the complete-data log-likelihood."""
    n, d = xs.shape
    phi = np.empty((n, len(pairs) + d + 1))
    for f, (i, j) in enumerate(pairs):
        phi[:, f] = xs[:, i] * xs[:, j]
    phi[:, len(pairs): len(pairs) + d] = xs
    phi[:, -1] = 1.0
    return phi


@functools.lru_cache(maxsize=8)
def _magnitude_map(pairs: tuple[tuple[int, int], ...], d: int) -> np.ndarray:
    """(F, F) matrix A with magnitude_moments(mom) = mom @ A (the bounds are linear in the moments)."""
    p = len(pairs)
    n_feat = p + d + 1
    square = {i: f for f, (i, j) in enumerate(pairs) if i == j}
    a = np.zeros((n_feat, n_feat))
    for f, (i, j) in enumerate(pairs):
        a[square[i], f] += 0.5
        a[square[j], f] += 0.5
    for i in range(d):
        a[n_feat - 1, p + i] = 0.5
        a[square[i], p + i] = 0.5
    a[n_feat - 1, n_feat - 1] = 1.0
    return a


def magnitude_moments(mom: np.ndarray, pairs: list[tuple[int, int]], d: int) -> np.ndarray:
    """Upper bounds of Σ_n r_nk |φ_f(x_n)| from the moments Σ_n r_nk φ_f(x_n), shape (K, F).

    The squares are their own bound; |x_i x_j| ≤ (x_i² + x_j²)/2 and |x_i| ≤ (1 + x_i²)/2.
    """
    return mom @ _magnitude_map(tuple(pairs), d)


def rounding_estimate(coef: np.ndarray, mom: np.ndarray, pairs: list[tuple[int, int]], d: int,
                      n: int) -> float:
    """Estimated error of a float32 pass's log-likelihood (in the coefficients' units) after the exact
    correction of the coefficients' rounding.

    What is left is the rounding of the features and of the matmul's sums: per point at most ~eps times
    Σ_k r_nk Σ_f |c_kf φ_f(x_n)|, with signs that vary from point to point, so the total grows like
    √N times the typical point's. It is an estimate, not a bound: ``_ESTIMATE_SAFETY`` keeps it well
    below the goal, and ``python -m benchmarks em`` checks the actual error on ill-conditioned mixtures.
    """
    terms = float((np.abs(coef[:, :-1]) * magnitude_moments(mom, pairs, d)[:, :-1]).sum())
    return _EPS32 * math.sqrt(len(pairs) + d) * terms / math.sqrt(max(n, 1))


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


def _estimate_from_moments(mom: np.ndarray, pairs, d: int, covariance_type: str, reg: float,
                           scale: np.ndarray):
    """M-step from the moments Σ_n r_nk φ(x_n): weights, means, full covariances (standardised units).

    The floor ``reg`` is added in the data's units (``scale``: the standardisation's per-axis factors),
    after rounding noise that made a scatter matrix slightly indefinite is clipped to 0, so every
    variance is ≥ ``reg`` there, as on the float64 path.
    """
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
    outer_scale = np.outer(scale, scale)
    if covariance_type in ("diag", "spherical"):
        diag = np.maximum(cov[:, np.arange(d), np.arange(d)] * scale**2, 0.0) + reg
        if covariance_type == "spherical":
            diag = np.repeat(diag.mean(axis=1, keepdims=True), d, axis=1)
        return nk / nk.sum(), means, to_full(diag, "diag", k, d) / outer_scale
    data_units = cov * outer_scale
    if np.linalg.eigvalsh(data_units).min() < 0:  # float32 noise in a (nearly) singular scatter matrix
        w, v = np.linalg.eigh(0.5 * (data_units + data_units.transpose(0, 2, 1)))
        data_units = (v * np.maximum(w, 0.0)[:, None, :]) @ v.transpose(0, 2, 1)
    data_units[:, np.arange(d), np.arange(d)] += reg
    return nk / nk.sum(), means, data_units / outer_scale


def em_fast_steps(x, init: GaussianMixture, covariance_type: str | None = "full", reg: float = 1e-6,
                  max_iter: int = 100, device: str = "cpu", *, z_true=None, tol: float | None = None,
                  responsibilities_limit: int = 50_000, chunk_size: int | None = None,
                  torch_ops_only: bool = False) -> Iterator[EMState]:
    """Run EM in float32 with torch, yielding the same :class:`~vaeviz.core.em.algorithm.EMState` snapshots as
    :func:`~vaeviz.core.em.algorithm.em_steps`.

    Parameters
    ----------
    x, init, covariance_type, reg, max_iter, z_true, tol
        As for :func:`~vaeviz.core.em.algorithm.em_steps`. The floor ``reg`` holds in the data's units.
        Mixtures float32 cannot evaluate to the goal (a variance too small to resolve, which includes
        every collapse with ``reg=0``; an estimated log-likelihood error above 1e-6 relative) continue in
        float64, and the snapshots from there on carry a ``precision_note``.
    device : str
        torch device to compute on ("cpu", "cuda", "mps"). Only float32 tensors live there.
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
        Arrays are float64 numpy, in the data's units; responsibilities rows sum to 1 to float32 accuracy
        (to float64 accuracy after a switch to float64).
    """
    import torch

    x, covariance_type, reg = check_run(x, init, covariance_type, reg, max_iter, tol)
    z = check_labels(z_true, x.shape[0], init.n_components)
    n, d = x.shape
    k = init.n_components

    def float64_rest(start: GaussianMixture, iteration: int, note: str) -> Iterator[EMState]:
        """The run from ``start`` on in float64: from its own beginning (``iteration`` 0), or from the
        M-step of ``iteration`` when ``start`` is that iteration's E-step mixture (already shown)."""
        rest = em_steps(x, start, covariance_type, reg, int(max_iter) - max(iteration - 1, 0), z, tol)
        offset = 0
        if iteration > 0:
            next(rest)  # "init": the E-step's mixture, shown already
            next(rest)  # its E-step, shown already (from float32 responsibilities)
            offset = iteration - 1
        for state in rest:
            yield dataclasses.replace(state, iteration=state.iteration + offset, precision_note=note)

    dev = torch.device(device)
    on_cpu = dev.type == "cpu"
    ops = CpuOps() if on_cpu and not torch_ops_only else TorchOps()

    centre = x.mean(axis=0)
    scale = x.std(axis=0)
    if covariance_type == "spherical":  # one scale for every axis keeps spherical covariances spherical
        scale = np.full(d, math.sqrt(np.mean(scale**2)))
    scale[scale == 0] = 1.0
    log_scale = float(np.log(scale).sum())  # log p(x) = log p(x_std) - Σ log scale, per point
    log_jacobian = n * log_scale
    pairs = [(i, j) for i in range(d) for j in range(i, d)]
    xs = (x - centre) / scale
    mu = (init.means - centre) / scale
    cov = init.covariances / np.outer(scale, scale)
    bad = _unresolved(mu, cov)
    if bad is not None:
        why = f"component {bad + 1}'s starting covariance is too narrow for float32 this far from the centre"
        yield from float64_rest(init, 0, _note(0, why))
        return
    # Pad N to whole sub-blocks with φ = 0 columns: they get uniform responsibilities, add 0 to every
    # moment, and log K each to the log-likelihood, which is taken off again below.
    n_pad = -(-n // _SUB) * _SUB
    n_feat = len(pairs) + d + 1
    # The features, and one more row: -s_n, the negated per-point shift of the log-joints (see data_pass).
    phi_np = np.zeros((n_feat + 1, n_pad + _ROW_PAD), dtype=np.float32)[:, :n_pad]
    phi_np[:n_feat, :n] = _features(xs, pairs)
    phi_ext = torch.from_numpy(phi_np).to(dev)
    padding_ll = (n_pad - n) * math.log(k)
    truth = class_features = None
    if z is not None:
        # ℓ_c = Σ_classes Σ_k-matched coef_k · Σ_(n in class) φ(x_n): exact in float64, no pass over the data.
        truth = CompleteData(x, z, k)
        exact = _exact_features(xs, pairs)
        class_features = np.stack([np.bincount(z, weights=exact[:, f], minlength=k) for f in range(n_feat)],
                                  axis=1)[truth.classes]
        del exact
    chunk = min(n_pad, _SUB * max(1, int(chunk_size or (_CPU_CHUNK if on_cpu else n_pad)) // _SUB))
    buffers: dict[int, tuple] = {}

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
        """One read of the data: log-likelihood, moments for the next M-step, responsibilities, and the
        estimated relative error of that log-likelihood."""
        # Base-2 log-joints: exp2 is several times faster than exp in torch on the CPU.
        coef64 = _log_joint_weights(w, mu, cov, pairs) * _LOG2E
        coef_np = np.zeros((k, n_feat + 1), dtype=np.float32)
        coef_np[:, :n_feat] = coef64
        coef_np[:, n_feat] = 1.0
        coef_shift = torch.from_numpy(coef_np).to(dev)
        coef = coef_shift[:, :n_feat]
        ll = 0.0
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
                ops.exp2_floored(lj)
                ops.sum_over_k(lj, total)
                log_total = ops.log2(total)
                lo, hi = ops.min_max(log_total)
                if exact or (lo > -_SHIFT_RANGE and hi < _SHIFT_RANGE):
                    break
                exact = True
            # log2 p(x_n) = log2 total_n + s_n: the log-likelihood, and the next pass's shift.
            offset = ops.sum_float64(top) if exact else shift_sums[start]
            block_ll = ops.sum_float64(log_total) + offset
            ll += block_ll
            shift_sums[start] = block_ll  # = Σ_n s_n after the update below, up to float32 rounding
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
            resp = resp_buf[:, :n].t().cpu().numpy().astype(np.float64)  # float64 only off the device
            resp.setflags(write=False)
        # The pass evaluated the float32-rounded coefficients; to first order in their rounding, the
        # mixture's own log-likelihood differs by Σ_kf (c32 - c64)_kf · Σ_n r_nk φ_f(x_n).
        ll -= float(((coef_np[:, :n_feat].astype(np.float64) - coef64) * mom).sum())
        ll = ll * _LN2 - padding_ll
        error = rounding_estimate(coef64, mom, pairs, d, n) * _LN2
        # Relative to the larger of ℓ and its parts, so a log-likelihood that happens to be near 0 in
        # the data's units does not demand an impossible precision.
        relative = error / max(abs(ll - log_jacobian), abs(ll), abs(log_jacobian), 1e-300)
        return ll - log_jacobian, mom, resp, relative

    def complete(w, mu, cov) -> float | None:
        if truth is None:
            return None
        sums = class_features @ (_log_joint_weights(w, mu, cov, pairs)).T  # (classes, K), standardised
        return truth.from_class_sums(sums, mu * scale + centre) - log_jacobian

    def to_data_units(w, mu, cov) -> GaussianMixture:
        cov = cov * np.outer(scale, scale)
        # unchecked: the M-step's results, with covariances checked for collapse (a ~5 % faster iteration)
        return GaussianMixture.unchecked(w / w.sum(), mu * scale + centre, cov, covariance_type)

    def too_imprecise(relative: float) -> bool:
        return not _ESTIMATE_SAFETY * relative <= LL_RTOL

    w = init.weights.copy()
    ll, mom, resp, relative = data_pass(w, mu, cov)
    if too_imprecise(relative):
        yield from float64_rest(init, 0, _note(0, _imprecise(relative)))
        return
    cll = complete(w, mu, cov)
    yield EMState(0, "init", init, None, ll, ll / n, cll)
    gmm = init
    for it in range(1, int(max_iter) + 1):
        yield EMState(it, "E", gmm, resp, ll, ll / n, cll)
        w, mu, cov = _estimate_from_moments(mom, pairs, d, covariance_type, reg, scale)
        bad = _unresolved(mu, cov)
        if bad is not None:
            why = (f"component {bad + 1}'s variance is too small for float32 to resolve at its distance "
                   "from the data's centre")
            yield from float64_rest(gmm, it, _note(it, why))
            return
        new_ll, new_mom, new_resp, relative = data_pass(w, mu, cov)
        if too_imprecise(relative):
            yield from float64_rest(gmm, it, _note(it, _imprecise(relative)))
            return
        used_resp = resp
        gmm = to_data_units(w, mu, cov)
        cll = complete(w, mu, cov)
        converged = tol is not None and abs(new_ll - ll) / n < tol
        yield EMState(it, "M", gmm, used_resp, new_ll, new_ll / n, cll, converged=converged)
        if converged:
            return
        ll, mom, resp = new_ll, new_mom, new_resp


def _unresolved(mu: np.ndarray, cov: np.ndarray) -> int | None:
    """The first component (standardised units) whose smallest variance float32 cannot resolve, or None.

    Its covariance would come from E[xxᵀ] - μμᵀ, which cancels to ~eps·(|μ|² + tr Σ) in float32.
    """
    if not (np.isfinite(mu).all() and np.isfinite(cov).all()):
        return int(np.flatnonzero(~(np.isfinite(mu).all(axis=1) & np.isfinite(cov).all(axis=(1, 2))))[0])
    smallest = np.linalg.eigvalsh(cov)[:, 0]
    need = _RESOLUTION * (np.einsum("kd,kd->k", mu, mu) + np.trace(cov, axis1=1, axis2=2))
    bad = np.flatnonzero(~(smallest > need))
    return int(bad[0]) if bad.size else None


def _imprecise(relative: float) -> str:
    return (f"float32 rounding could move ℓ by ~{relative:.0e} of its value (limit {LL_RTOL:.0e}, kept with"
            f" a {_ESTIMATE_SAFETY:g}× margin): a component is too elongated or narrow")


def _note(iteration: int, why: str) -> str:
    when = "" if iteration == 0 else f"from iteration {iteration} on, "
    return f"{when}this run is computed in float64 (slower): {why}."
