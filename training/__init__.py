"""Offline training command-line tools that reproduce the checkpoints shipped in ``resources/``."""
