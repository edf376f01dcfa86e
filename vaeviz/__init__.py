"""vaeviz: an interactive desktop lab for the ideas behind Variational Auto-Encoders."""

__version__ = "0.1.0"
