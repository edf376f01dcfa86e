"""The VAE maths: models, the ELBO, training, checkpoints.

This package file deliberately imports nothing: its modules import torch at top level, and only the
compute worker thread (or the CLI, tests and benchmarks) imports them, so the GUI never pays for torch.

- :mod:`vaeviz.core.vae.models`: :class:`ModelConfig` and the MLP/conv VAEs and autoencoders.
- :mod:`vaeviz.core.vae.loss`: the ELBO terms (reconstruction, KL, β-weighted loss).
- :mod:`vaeviz.core.vae.train`: the training generator and batched encode/decode helpers.
- :mod:`vaeviz.core.vae.checkpoint`: safetensors checkpoints with metadata; never unpickles anything.
"""
