"""The float32 EM pass's two operation sets: numpy-on-torch-memory (CPU) and torch-only agree."""

from __future__ import annotations

import numpy as np
import pytest

from vaeviz.core.em.fast_ops import EXP2_FLOOR, CpuOps, TorchOps

torch = pytest.importorskip("torch")

OPS = [CpuOps(), TorchOps()]


def padded(rows: int, cols: int, seed: int, scale: float = 1.0):
    """A float32 (rows, cols) tensor whose rows are further apart than cols, as em_fast's buffers are."""
    values = np.random.default_rng(seed).normal(scale=scale, size=(rows, cols + 16))
    base = torch.from_numpy(values.astype(np.float32))
    return base[:, :cols]


@pytest.mark.parametrize("ops", OPS, ids=type)
def test_mm_writes_the_product_into_a_padded_buffer(ops):
    a, b = padded(4, 7, 0), padded(7, 20480, 1)  # 2.5 of CpuOps' matmul pieces
    out = padded(4, 20480, 2)
    ops.mm(a, b, out)
    np.testing.assert_allclose(out.numpy(), a.numpy().astype(np.float64) @ b.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("ops", OPS, ids=type)
def test_exp2_is_floored_above_the_denormals(ops):
    t = torch.tensor([[0.0, -1.0, 3.0, -200.0, -115.0, -130.0]])
    ops.exp2_floored(t)
    expected = np.exp2(np.maximum([0.0, -1.0, 3.0, -200.0, -115.0, -130.0], EXP2_FLOOR))
    np.testing.assert_allclose(t.numpy()[0], expected, rtol=1e-6)
    assert (t.numpy() >= np.finfo(np.float32).tiny).all()  # no denormal, no zero


@pytest.mark.parametrize("ops", OPS, ids=type)
def test_reductions_and_column_scaling(ops):
    t = padded(5, 4096, 3).abs_() + 0.1
    total = torch.empty(4096)
    ops.sum_over_k(t, total)
    np.testing.assert_allclose(total.numpy(), t.numpy().sum(axis=0), rtol=1e-6)
    logs = ops.log2(total)
    assert isinstance(logs, torch.Tensor)
    np.testing.assert_allclose(logs.numpy(), np.log2(total.numpy()), rtol=1e-6)
    assert ops.min_max(logs) == (pytest.approx(float(logs.min())), pytest.approx(float(logs.max())))
    before = t.numpy().copy()
    ops.divide_columns(t, total, t)
    np.testing.assert_allclose(t.numpy(), before / before.sum(axis=0), rtol=1e-5)
    np.testing.assert_allclose(t.numpy().sum(axis=0), 1.0, rtol=1e-5)


@pytest.mark.parametrize("ops", OPS, ids=type)
def test_moments_match_a_float64_reference(ops):
    block, lj = padded(6, 3 * 4096, 4), padded(10, 3 * 4096, 5).abs_()
    mom = ops.moments(block, lj, 3)
    assert mom.shape == (10, 6) and mom.dtype == np.float64
    reference = lj.numpy().astype(np.float64) @ block.numpy().astype(np.float64).T
    np.testing.assert_allclose(mom, reference, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("ops", OPS, ids=type)
def test_divide_columns_into_another_buffer_leaves_the_source(ops):
    t, by = padded(6, 4096, 6), torch.from_numpy(np.linspace(0.5, 2.0, 4096, dtype=np.float32))
    before, out = t.numpy().copy(), padded(6, 4096, 7)
    ops.divide_columns(t, by.clone(), out)
    np.testing.assert_allclose(out.numpy(), before / by.numpy(), rtol=1e-6)
    np.testing.assert_array_equal(t.numpy(), before)
