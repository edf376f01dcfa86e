"""Whether EM can run on a data set with K components, and remarks about degenerate data, in words."""

from __future__ import annotations

import numpy as np

from vaeviz.core.em.gmm import check_n_components


def data_problem(x: np.ndarray, k: int) -> str | None:
    """Explain why EM cannot run on these data with K components, or return None.

    Covers N = 0, K > 20, N < K and fewer distinct positions than components (duplicated points).
    """
    n = int(x.shape[0])
    if n == 0:
        return ("There is no data (N = 0). Load a data preset, import a CSV file or add points with the "
                "Add / Spray tools.")
    try:
        check_n_components(k, n)
    except ValueError as exc:
        return str(exc)[0].upper() + str(exc)[1:] + "."
    if k > 1 and n <= 200_000:  # np.unique sorts: on a million points it would take a second
        distinct = np.unique(x, axis=0).shape[0]
        if distinct < k:
            what = "all identical" if distinct == 1 else f"at only {distinct} distinct positions"
            return (f"The {n} points are {what} (duplicated points), which cannot support K = {k} "
                    "components: two components would sit on the same position and split its points "
                    "arbitrarily. Lower K or add points.")
    return None


def data_note(x: np.ndarray) -> str:
    """A non-blocking remark about degenerate data (all points identical), else ''."""
    if x.shape[0] > 1 and np.all(x == x[0]):
        return ("All points are identical: there is no spread to model, so every covariance shrinks to "
                "the floor (or collapses when the floor is off).")
    return ""
