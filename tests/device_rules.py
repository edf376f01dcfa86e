"""A torch function mode that enforces, on the CPU, the rules every device backend accepts.

Code that will run on CUDA or Apple's MPS is run here on the CPU inside :class:`DeviceRules`, which
records a violation for

* a float64 (or complex128) tensor produced by a torch operation: MPS has no float64, so on a Mac it
  fails there; float64 belongs on the host, after ``.cpu()`` and ``.numpy()``;
* ``.numpy()`` on a tensor that did not come out of ``.cpu()`` (or ``.to("cpu")``): on a device it raises;
* an operation in :data:`MPS_MISSING`, which MPS does not implement (it raises NotImplementedError there,
  or falls back to the CPU only with PYTORCH_ENABLE_MPS_FALLBACK).

Everything else passes through unchanged, so the code computes what it always does.
"""

from __future__ import annotations

import weakref

import torch
from torch.overrides import TorchFunctionMode, resolve_name

# Operations the device paths could plausibly reach that MPS lacks (PyTorch's MPS operator coverage
# tracking issues #77764 and #141287): linear algebra beyond matmul/solve, k-th value, CTC loss, unpooling.
MPS_MISSING = frozenset({
    "torch.linalg.eig", "torch.linalg.eigvals", "torch.linalg.eigh", "torch.linalg.eigvalsh",
    "torch.linalg.cholesky", "torch.linalg.cholesky_ex", "torch.linalg.svd", "torch.linalg.svdvals",
    "torch.linalg.slogdet", "torch.linalg.det", "torch.lobpcg", "torch.kthvalue", "torch.Tensor.kthvalue",
    "torch.nn.functional.ctc_loss", "torch.nn.functional.max_unpool2d", "torch.histc", "torch.Tensor.histc",
})
WIDE = (torch.float64, torch.complex128)


def _tensors(value):
    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _tensors(item)


def _to_cpu(args, kwargs) -> bool:
    targets = [*args[1:], kwargs.get("device")]
    return any(torch.device(a).type == "cpu" for a in targets if isinstance(a, (str, torch.device)))


class DeviceRules(TorchFunctionMode):
    """``with DeviceRules() as rules: ...`` then ``rules.violations`` lists what broke a rule, once each."""

    def __init__(self) -> None:
        super().__init__()
        self.violations: list[str] = []
        self._on_host: weakref.WeakValueDictionary[int, torch.Tensor] = weakref.WeakValueDictionary()

    def _violation(self, text: str) -> None:
        if text not in self.violations:
            self.violations.append(text)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = resolve_name(func) or getattr(func, "__qualname__", repr(func))
        if name == "torch.Tensor.numpy" and self._on_host.get(id(args[0])) is not args[0]:
            self._violation(".numpy() on a tensor that did not come out of .cpu()")
        if name in MPS_MISSING:
            self._violation(f"{name}: not implemented on MPS")
        out = func(*args, **kwargs)
        if name == "torch.Tensor.cpu" or (name == "torch.Tensor.to" and _to_cpu(args, kwargs)):
            if isinstance(out, torch.Tensor):
                self._on_host[id(out)] = out
        for tensor in _tensors(out):
            if tensor.dtype in WIDE:
                self._violation(f"{name} made a {tensor.dtype} tensor")
        return out
