"""Compare two folders of PNGs with the same names: which differ, and by how much.

    python tools/compare_pngs.py BEFORE_DIR AFTER_DIR [--tolerance 0]

For each name in either folder prints ``identical``, ``differs`` (share of pixels changed, largest
channel difference and the box that holds the changes) or ``missing``. Exit status 1 when any image
is missing or differs by more than ``--tolerance`` (the share of changed pixels).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image


def compare(before: Path, after: Path) -> tuple[str, float]:
    a = np.asarray(Image.open(before).convert("RGBA"), dtype=np.int16)
    b = np.asarray(Image.open(after).convert("RGBA"), dtype=np.int16)
    if a.shape != b.shape:
        return f"size {a.shape[1]}x{a.shape[0]} -> {b.shape[1]}x{b.shape[0]}", 1.0
    diff = np.abs(a - b).max(axis=2)
    changed = diff > 0
    share = float(changed.mean())
    if share == 0:
        return "identical", 0.0
    ys, xs = np.nonzero(changed)
    box = f"x {xs.min()}-{xs.max()}, y {ys.min()}-{ys.max()}"
    return f"differs: {100 * share:.3f}% of pixels, max channel diff {int(diff.max())}, in {box}", share


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--tolerance", type=float, default=0.0)
    args = parser.parse_args()
    names = sorted({p.name for p in args.before.glob("*.png")} | {p.name for p in args.after.glob("*.png")})
    bad = 0
    for name in names:
        a, b = args.before / name, args.after / name
        if not (a.exists() and b.exists()):
            print(f"{name}: missing in {'after' if a.exists() else 'before'}")
            bad += 1
            continue
        text, share = compare(a, b)
        bad += share > args.tolerance
        print(f"{name}: {text}")
    print(f"{len(names)} images, {bad} over tolerance")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
