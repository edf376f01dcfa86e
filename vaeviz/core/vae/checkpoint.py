"""Checkpoints: one ``.safetensors`` file holding the weights *and* the metadata to rebuild the model.

The metadata (architecture config, data set name, epoch, metrics, vaeviz and torch versions) lives in
the safetensors header's ``__metadata__`` string map, JSON-encoded where it is structured. One file
rather than weights plus a sidecar ``.json``: a checkpoint cannot lose its description when it is
copied, renamed or mailed, and it is written in one atomic step.

Loading never unpickles anything. PyTorch ``.pt``/``.pth`` files are pickles, and unpickling runs
whatever code the file names, so :func:`load_checkpoint` refuses them by extension and, whatever the
name, by their first bytes (pickle protocol marker or zip archive); it never calls ``torch.load``.
Only the safetensors format (a JSON header plus raw tensor bytes) is parsed.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load as load_safetensors_bytes  # parses tensors only, never pickles
from safetensors.torch import save as save_safetensors_bytes

from vaeviz import __version__ as VAEVIZ_VERSION
from vaeviz.core.atomic import write_bytes_atomic
from vaeviz.core.limits import CHECKPOINT, MAX_MODEL_LAYERS, MAX_MODEL_PARAMETERS, read_bytes, reason
from vaeviz.core.vae.models import ARCHITECTURE_FIELDS, LatentModel, ModelConfig, build_model

FORMAT = "vaeviz-vae-checkpoint"
VERSION = 1
SUFFIX = ".safetensors"
# Extensions of formats that are (or usually wrap) pickles: refused before a byte is read.
PICKLE_SUFFIXES = (".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".bin", ".joblib", ".dill")


class CheckpointError(ValueError):
    """A checkpoint that cannot be used; the message says why, for the user."""


@dataclass(frozen=True)
class CheckpointMetadata:
    """What a checkpoint says about itself."""

    config: ModelConfig
    dataset: str = ""
    epoch: int = 0
    metrics: dict[str, Any] = field(default_factory=dict)
    vaeviz_version: str = ""
    torch_version: str = ""
    format_version: int = VERSION
    extra: dict[str, Any] = field(default_factory=dict)


def _refuse_pickle_name(path: Path) -> None:
    if path.suffix.lower() in PICKLE_SUFFIXES:
        raise CheckpointError(
            f"refusing {path.name}: '{path.suffix}' files are Python pickles, which can run arbitrary code "
            f"when loaded; vaeviz only reads and writes {SUFFIX} checkpoints"
        )


def save_checkpoint(path: str | os.PathLike, model: LatentModel, *, dataset: str = "", epoch: int = 0,
                    metrics: dict[str, Any] | None = None, extra: dict[str, Any] | None = None) -> Path:
    """Write ``model``'s weights and metadata to one safetensors file, atomically.

    Parameters
    ----------
    path
        Target file, normally ending in ``.safetensors`` (pickle extensions such as ``.pt`` are refused).
    model
        A model from :func:`vaeviz.core.vae.models.build_model`.
    dataset, epoch, metrics, extra
        Stored in the metadata; ``metrics`` and ``extra`` must be JSON-serialisable.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    CheckpointError
        For a pickle extension or non-finite weights (which could never be loaded back).
    OSError
        When the file cannot be written; the previous file, if any, is then untouched.
    """
    target = Path(path)
    _refuse_pickle_name(target)
    tensors = {name: t.detach().to("cpu").contiguous().clone() for name, t in model.state_dict().items()}
    bad = [name for name, t in tensors.items() if t.is_floating_point() and not torch.isfinite(t).all()]
    if bad:
        raise CheckpointError(f"refusing to save non-finite weights (in {', '.join(bad[:3])})")
    metadata = {
        "format": FORMAT,
        "format_version": str(VERSION),
        "config": json.dumps(model.config.to_dict()),
        "dataset": str(dataset),
        "epoch": str(int(epoch)),
        "metrics": json.dumps(metrics or {}),
        "extra": json.dumps(extra or {}),
        "vaeviz_version": VAEVIZ_VERSION,
        "torch_version": torch.__version__,
    }
    # serialise in memory, then temp file + fsync + os.replace: a crash never leaves half a checkpoint
    return write_bytes_atomic(target, save_safetensors_bytes(tensors, metadata=metadata))


def _read(path: Path) -> bytes:
    _refuse_pickle_name(path)
    if not path.exists():
        raise CheckpointError(f"cannot read {path.name}: no such file")
    return read_bytes(path, CHECKPOINT, CheckpointError)  # a regular file within the size limit


def _header(data: bytes, name: str) -> dict[str, Any]:
    """Check that ``data`` looks like safetensors (and not a pickle) and return its JSON header."""
    if data[:4] == b"PK\x03\x04":
        raise CheckpointError(f"{name} is a zip archive (probably a PyTorch torch.save file, which holds a "
                              "pickle); vaeviz never unpickles files and only loads safetensors checkpoints")
    # A safetensors header length such as 0x0380 also starts 0x80 0x03; its JSON '{' at byte 8 tells
    # them apart.
    if len(data) >= 2 and data[0] == 0x80 and 2 <= data[1] <= 5 and data[8:9] != b"{":
        raise CheckpointError(f"{name} is a Python pickle, which can run arbitrary code when loaded; "
                              "vaeviz only loads safetensors checkpoints")
    if len(data) < 10:
        raise CheckpointError(f"{name} is not a safetensors file: only {len(data)} bytes (corrupt or "
                              "truncated)")
    size = int.from_bytes(data[:8], "little")
    if size > len(data) - 8 or data[8:9] != b"{":
        raise CheckpointError(f"{name} is not a valid safetensors file (corrupt or truncated header)")
    try:
        header = json.loads(data[8:8 + size])
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise CheckpointError(f"{name} is not a valid safetensors file (unreadable header)") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"{name} is not a valid safetensors file (header is not a JSON object)")
    return header


def _json_field(meta: dict[str, str], key: str, name: str, kind: type) -> Any:
    try:
        value = json.loads(meta.get(key, "null" if kind is dict else ""))
    except (TypeError, json.JSONDecodeError, RecursionError):
        raise CheckpointError(f"{name}: the metadata field '{key}' is not valid JSON") from None
    if value is None and kind is dict:
        return {}
    if not isinstance(value, kind):
        raise CheckpointError(f"{name}: the metadata field '{key}' must be a JSON {kind.__name__}")
    return value


def _metadata(header: dict[str, Any], name: str) -> CheckpointMetadata:
    meta = header.get("__metadata__")
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{name} has no vaeviz metadata: it is a safetensors file, but not a vaeviz "
                              "checkpoint (the architecture to rebuild is unknown)")
    try:
        version = int(meta.get("format_version", ""))
    except ValueError:
        raise CheckpointError(f"{name}: the checkpoint format version is missing or invalid") from None
    if version > VERSION:
        raise CheckpointError(f"{name} was saved by a newer vaeviz (checkpoint format {version}; "
                              f"this vaeviz reads up to {VERSION})")
    if version < 1:
        raise CheckpointError(f"{name}: unknown checkpoint format version {version}")
    if "config" not in meta:
        raise CheckpointError(f"{name}: the metadata has no model config (the architecture to rebuild)")
    try:
        config = ModelConfig.from_dict(_json_field(meta, "config", name, dict))
    except ValueError as exc:
        raise CheckpointError(f"{name}: invalid model config in the metadata: {reason(exc)}") from None
    try:
        epoch = int(meta.get("epoch", "0"))
    except ValueError:
        raise CheckpointError(f"{name}: the metadata field 'epoch' is not an integer") from None
    return CheckpointMetadata(
        config=config, dataset=str(meta.get("dataset", "")), epoch=epoch,
        metrics=_json_field(meta, "metrics", name, dict), vaeviz_version=str(meta.get("vaeviz_version", "")),
        torch_version=str(meta.get("torch_version", "")), format_version=version,
        extra=_json_field(meta, "extra", name, dict),
    )


def read_metadata(path: str | os.PathLike) -> CheckpointMetadata:
    """Return a checkpoint's metadata without building the model (e.g. to preview it in a dialog).

    Raises
    ------
    CheckpointError
        For pickle files, files that are not safetensors, or missing/invalid vaeviz metadata.
    """
    path = Path(path)
    return _metadata(_header(_read(path), path.name), path.name)


def expected_shapes(config: ModelConfig) -> dict[str, tuple[int, ...]]:
    """The tensor shapes a config's model has, found without allocating it (on torch's "meta" device)."""
    with torch.device("meta"):
        model = build_model(config)
    return {key: tuple(t.shape) for key, t in model.state_dict().items()}


def _check_size_and_header(config: ModelConfig, header: dict[str, Any], name: str) -> None:
    """Refuse, before any model is built, a config asking for more than the limit or for tensors the
    file does not hold: the metadata alone must not decide how much memory is taken."""
    layers = len(config.hidden) + len(config.channels)
    if layers > MAX_MODEL_LAYERS:  # sizing even on the meta device takes time per layer
        raise CheckpointError(f"{name} describes a model of {layers:,} layers; the limit is "
                              f"{MAX_MODEL_LAYERS}")
    shapes = expected_shapes(config)
    parameters = sum(math.prod(shape) for shape in shapes.values())
    if parameters > MAX_MODEL_PARAMETERS:
        raise CheckpointError(f"{name} describes a model of {parameters:,} parameters "
                              f"({config.describe()}); the limit is {MAX_MODEL_PARAMETERS:,}")
    stored = {key: tuple(entry.get("shape", ())) for key, entry in header.items()
              if key != "__metadata__" and isinstance(entry, dict)}
    problems = []
    missing = sorted(set(shapes) - set(stored))
    if missing:
        problems.append(f"missing tensors {', '.join(missing[:4])}")
    unexpected = sorted(set(stored) - set(shapes))
    if unexpected:
        problems.append(f"unexpected tensors {', '.join(unexpected[:4])}")
    for key in sorted(set(shapes) & set(stored)):
        if stored[key] != shapes[key]:
            problems.append(f"tensor '{key}' has shape {stored[key]}; the architecture needs {shapes[key]}")
    _refuse_mismatch(config, problems, name)


def _check_values(config: ModelConfig, tensors: dict[str, torch.Tensor], name: str) -> None:
    """The weights' types and values (their names and shapes were checked on the header already)."""
    problems = []
    for key in sorted(tensors):
        t = tensors[key]
        if not t.is_floating_point():
            problems.append(f"tensor '{key}' has dtype {t.dtype}; weights must be floating point")
        elif not torch.isfinite(t).all():
            problems.append(f"tensor '{key}' contains NaN or infinite values")
    _refuse_mismatch(config, problems, name)


def _refuse_mismatch(config: ModelConfig, problems: list[str], name: str) -> None:
    if problems:
        shown = "; ".join(problems[:4]) + ("; …" if len(problems) > 4 else "")
        raise CheckpointError(f"{name} does not match its own architecture ({config.describe()}): {shown}")


def load_checkpoint(path: str | os.PathLike, expected_config: ModelConfig | None = None,
                    device: str = "cpu") -> tuple[LatentModel, CheckpointMetadata]:
    """Load a checkpoint written by :func:`save_checkpoint`; never unpickles anything.

    Parameters
    ----------
    path
        The ``.safetensors`` file.
    expected_config
        When given, the checkpoint's architecture (``ARCHITECTURE_FIELDS``: kind, image shape, latent
        size, layer sizes, decoder) must equal this config's; β and σ may differ.
    device
        Where to put the model.

    Returns
    -------
    tuple
        ``(model, metadata)``: the rebuilt model in eval mode, and its :class:`CheckpointMetadata`.

    Raises
    ------
    CheckpointError
        With a message for the user: pickle/zip files (by extension or content), corrupt or truncated
        files, missing metadata, an architecture other than ``expected_config``, missing or unexpected
        tensors, wrong shapes, non-finite weights, or an unreadable file.
    """
    path = Path(path)
    name = path.name
    data = _read(path)
    header = _header(data, name)
    meta = _metadata(header, name)
    if expected_config is not None and expected_config.architecture() != meta.config.architecture():
        diff = [f for f in ARCHITECTURE_FIELDS if getattr(expected_config, f) != getattr(meta.config, f)]
        raise CheckpointError(f"{name}: checkpoint is for {meta.config.describe()}; this view needs "
                              f"{expected_config.describe()} (different {', '.join(diff)})")
    _check_size_and_header(meta.config, header, name)
    try:
        tensors = load_safetensors_bytes(data)
    except Exception as exc:  # the Rust parser's errors have no stable type across versions
        raise CheckpointError(f"{name} is corrupt or truncated ({exc})") from None
    _check_values(meta.config, tensors, name)
    model = build_model(meta.config)
    model.load_state_dict(tensors, strict=True)
    model.to(device).eval()
    return model, meta
