"""Write (or refresh) the cached shape data sets.

Usage:
    python datasets/make_shapes.py [--out DIR] [--force] [--preview DIR]

Without --out the caches go to `datasets/shapes/` next to this script. A
cache that is already present and up to date is kept unless --force is given.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # make `cnnlab` importable from a checkout

from cnnlab.data import shapes  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "shapes",
                        help="cache directory (default: %(default)s)")
    parser.add_argument("--force", action="store_true",
                        help="regenerate even if the caches are up to date")
    parser.add_argument("--preview", type=Path, default=None,
                        help="also write preview PNGs into this directory")
    args = parser.parse_args(argv)

    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    total = 0
    for kind, splits, loader in (
            ("classification", shapes.CLASSIFICATION_SPLITS, shapes.load_shapes),
            ("detection", shapes.DETECTION_SPLITS, shapes.load_detection)):
        for split in splits:
            path = out / f"{kind}_{split}.npz"
            if args.force and path.exists():
                path.unlink()
            start = time.perf_counter()
            result = loader(split, cache_dir=out)
            seconds = time.perf_counter() - start
            size = path.stat().st_size
            total += size
            images = result[0]
            extra = ""
            if kind == "detection":
                extra = f", {sum(len(b) for b in result[1])} boxes"
            print(f"{path}: {images.shape[0]} images {images.shape[1:]}{extra}, "
                  f"{size / 1e6:.2f} MB, {seconds:.2f} s")
            if args.preview is not None:
                args.preview.mkdir(parents=True, exist_ok=True)
                png = args.preview / f"{kind}_{split}.png"
                if kind == "detection":
                    shapes.save_preview(png, images[:16], boxes=result[1][:16],
                                        labels=result[2][:16], columns=4)
                else:
                    shapes.save_preview(png, images[:32], labels=result[1][:32])
                print(f"  preview: {png}")
    print(f"total: {total / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
