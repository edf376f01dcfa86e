"""The choices the GMM & EM lab offers, as plain constants (no numpy: the lab state and the presets
import them without the maths)."""

from __future__ import annotations

COVARIANCE_TYPES = ("full", "diag", "spherical", "tied")
INIT_METHODS = {"random": "Random points", "kmeans++": "k-means++", "kmeans": "From k-means",
                "user": "User-placed"}
TOOLS = ("select", "add", "spray", "erase")
MODES = ("2d", "1d")
LECTURE_WEIGHTS = {"equal": (0.5, 0.5), "unequal": (0.2, 0.8)}  # the lecture's two sets of weights π
LECTURE_MEANS = (-10.0, 10.0)  # the lecture's μ1, μ2
LECTURE_SIGMAS = (5.0, 5.0)  # and σ1, σ2
