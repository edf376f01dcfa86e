"""The array operations of the float32 EM data pass (:mod:`vaeviz.core.em.fast`), in two flavours.

:class:`TorchOps` runs every operation through torch, on whatever device the tensors live (the path for
CUDA and MPS). :class:`CpuOps` is for tensors in host memory: the same operations, but those that numpy
does faster on this kind of CPU go through numpy on the *same memory* (``Tensor.numpy()`` is a view, no
copy). Measured here (AMD EPYC with AVX-512, one thread, K = 10, N = 102 400): the moments' batched
skinny matmul 0.21 ms with numpy's OpenBLAS vs 0.42 ms with torch's bmm, exp2 0.22 vs 0.28 ms, the
log-joints matmul 0.21 ms (in L2-sized pieces) vs 0.39 ms, log2 ~4× faster. torch keeps the clamp
before exp2 (0.04 ms; numpy's ``maximum`` with a scalar takes 0.38 ms).

Both take and return torch tensors, so the pass itself is written once.
"""
from __future__ import annotations

import numpy as np

# 2⁻¹¹⁵ ≈ 2e-35 is still a normal float32: below it exp2 returns denormals, which are ~14× slower with
# torch and ~150× slower with numpy. A responsibility of 2⁻¹¹⁵ instead of 0 changes nothing.
EXP2_FLOOR = -115.0
MM_PIECE = 8192  # columns per OpenBLAS call in CpuOps.mm
CPU_SUM_PIECE = 512
SUB_BLOCK = 4096  # points per float32 partial sum (moments; sums on a device); N is padded to a multiple


class TorchOps:
    """Every operation with torch (any device)."""

    def mm(self, a, b, out) -> None:
        import torch

        torch.mm(a, b, out=out)

    def exp2_floored(self, t) -> None:
        """In place: t = 2^max(t, EXP2_FLOOR)."""
        t.clamp_(min=EXP2_FLOOR).exp2_()

    def sum_over_k(self, t, out) -> None:
        import torch

        torch.sum(t, dim=0, out=out)

    def log2(self, t):
        import torch

        return torch.log2(t)

    def min_max(self, t) -> tuple[float, float]:
        import torch

        lo, hi = torch.aminmax(t)
        return float(lo), float(hi)

    def sum_float64(self, t) -> float:
        """Σ t accumulated in float64. Devices such as MPS have no float64: float32 sums of SUB_BLOCK
        points each are taken on the device, and only they go to the host to be added in float64."""
        return float(t.view(-1, SUB_BLOCK).sum(dim=1).cpu().numpy().sum(dtype=np.float64))

    def divide_columns(self, t, by, out) -> None:
        """out[:, n] = t[:, n] / by[n]; ``out`` may be ``t`` (``by`` is overwritten with its reciprocal)."""
        import torch

        torch.mul(t, by.reciprocal_(), out=out)

    def moments(self, block, lj, n_sub: int) -> np.ndarray:
        """Σ_n lj[k, n] block[f, n] per sub-block of the columns, the sub-blocks summed in float64: (K, F)."""
        import torch

        f, k = block.shape[0], lj.shape[0]
        sub = block.shape[1] // n_sub
        part = torch.bmm(block.view(f, n_sub, sub).permute(1, 0, 2), lj.view(k, n_sub, sub).permute(1, 2, 0))
        return part.cpu().numpy().sum(axis=0, dtype=np.float64).T


class CpuOps(TorchOps):
    """Host-memory tensors: numpy where it is faster on the same memory (see the module's note)."""

    def mm(self, a, b, out) -> None:
        # In pieces of MM_PIECE columns: (10, 8) @ (8, 102400) takes 0.21 ms in pieces and 0.32 ms in one call
        # here (each piece's output stays in L2; from 16384 columns on, OpenBLAS is as slow as in one).
        a_, b_, out_ = a.numpy(), b.numpy(), out.numpy()
        for start in range(0, b_.shape[1], MM_PIECE):
            stop = start + MM_PIECE
            np.matmul(a_, b_[:, start:stop], out=out_[:, start:stop])

    def exp2_floored(self, t) -> None:
        view = t.clamp_(min=EXP2_FLOOR).numpy()
        with np.errstate(over="ignore"):  # inf after a big jump: the pass then redoes the block exactly
            np.exp2(view, out=view)

    def sum_over_k(self, t, out) -> None:
        np.sum(t.numpy(), axis=0, out=out.numpy())

    def log2(self, t):
        import torch

        return torch.from_numpy(np.log2(t.numpy()))

    def min_max(self, t) -> tuple[float, float]:
        view = t.numpy()
        return float(view.min()), float(view.max())

    def sum_float64(self, t) -> float:
        # float32 partial sums of CPU_SUM_PIECE points, added in float64: as accurate here as a float64
        # sum (~2e-9 relative) at the cost of a float32 one (converting every value costs twice that).
        return float(t.numpy().reshape(-1, CPU_SUM_PIECE).sum(axis=1).sum(dtype=np.float64))

    def divide_columns(self, t, by, out) -> None:
        view = by.numpy()
        np.reciprocal(view, out=view)
        np.multiply(t.numpy(), view, out=out.numpy())

    def moments(self, block, lj, n_sub: int) -> np.ndarray:
        b, r = block.numpy(), lj.numpy()
        f, k = b.shape[0], r.shape[0]
        sub = b.shape[1] // n_sub
        # (n_sub, F, sub) @ (n_sub, sub, K): one OpenBLAS sgemm per sub-block, each summed in float32.
        blocks = b.reshape(f, n_sub, sub).transpose(1, 0, 2)
        weights = r.reshape(k, n_sub, sub).transpose(1, 2, 0)
        part = np.matmul(blocks, weights)
        return part.sum(axis=0, dtype=np.float64).T
