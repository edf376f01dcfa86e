"""The VAE maths: models, the ELBO, training, checkpoints.

This package file deliberately imports nothing: its modules import torch at top level, and only the
compute worker thread (or the CLI, tests and benchmarks) imports them, so the GUI never pays for torch.

- :mod:`vaeviz.core.vae.models`: :class:`ModelConfig` and the MLP/conv VAEs and autoencoders.
- :mod:`vaeviz.core.vae.loss`: the ELBO terms (reconstruction, KL, β-weighted loss).
- :mod:`vaeviz.core.vae.train`: the training generator and batched encode/decode helpers.
- :mod:`vaeviz.core.vae.checkpoint`: safetensors checkpoints with metadata; never unpickles anything.

The latent lab (the GUI's "VAE latent space" dock) keeps its torch state in the compute thread:

- :mod:`vaeviz.core.vae.lab`: :class:`LatentLab`, the data and the VAE/AE model slots;
- :mod:`vaeviz.core.vae.lab_views` (decode, grid, inspect, ε, paths, the drag walk) and
  :mod:`vaeviz.core.vae.lab_train` (training, set-up): what jobs ask of the lab;
- :mod:`vaeviz.core.vae.lab_jobs`: the job factories (one per view), importable without torch;
- :mod:`vaeviz.core.vae.lab_types`, :mod:`vaeviz.core.vae.lab_data`, :mod:`vaeviz.core.vae.images`:
  torch-free results, data sources and image tiling (no colours or pixels: those are in ui/vae);
- :mod:`vaeviz.core.vae.state` and :mod:`vaeviz.core.vae.presets`: the dock's state (every user
  choice, versioned JSON) and its presets as data; torch-free and light.
"""
