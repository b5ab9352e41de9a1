"""Pictures for style transfer that need no download.

Three sources, all offline:

* matplotlib's sample data (a dependency of cnnlab): `grace_hopper` (600 x 512 photo);
* scikit-image's `skimage.data`, when scikit-image is installed: `astronaut`, `chelsea`
  (a cat), `coffee`, `rocket`, `hubble_deep_field`, `immunohistochemistry` (functions that
  read files shipped inside the package; the ones that download are not listed);
* two styles drawn procedurally with numpy: `mosaic` (stained glass: coloured Voronoi
  cells with dark lead lines) and `waves` (swirling colour bands, like brush strokes).

    image = load_image("grace_hopper", size=128)  # float32 (128, 128, 3) in [0, 1]
"""

from __future__ import annotations

import numpy as np

__all__ = ["MATPLOTLIB_IMAGES", "SKIMAGE_IMAGES", "PROCEDURAL_IMAGES", "available_images", "load_image",
           "mosaic", "waves"]

MATPLOTLIB_IMAGES = ("grace_hopper",)
SKIMAGE_IMAGES = ("astronaut", "chelsea", "coffee", "rocket", "hubble_deep_field", "immunohistochemistry")
PROCEDURAL_IMAGES = ("mosaic", "waves")


def _has_skimage() -> bool:
    try:
        import skimage.data  # noqa: F401
    except ImportError:
        return False
    return True


def available_images() -> list[str]:
    """Names `load_image` accepts on this installation."""
    return list(MATPLOTLIB_IMAGES) + (list(SKIMAGE_IMAGES) if _has_skimage() else []) + list(PROCEDURAL_IMAGES)


def mosaic(size=256, cells=60, seed=0):
    """Stained glass: Voronoi cells of saturated colours separated by dark lines.

    Args:
        size: int, the image is `size x size`.
        cells: int, number of glass pieces.
        seed: int.

    Returns:
        float32 array of shape `(size, size, 3)` in [0, 1].
    """
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, size, (cells, 2))
    hue = rng.uniform(0, 1, cells)
    palette = np.stack([0.5 + 0.5 * np.cos(2 * np.pi * (hue + k / 3)) for k in range(3)], axis=1)
    palette = 0.15 + 0.85 * palette * rng.uniform(0.6, 1.0, (cells, 1))
    yy, xx = np.mgrid[0:size, 0:size] + 0.5
    d = np.sqrt((yy[..., None] - centres[:, 0]) ** 2 + (xx[..., None] - centres[:, 1]) ** 2)
    order = np.argsort(d, axis=-1)
    nearest, second = order[..., 0], order[..., 1]
    d1 = np.take_along_axis(d, nearest[..., None], -1)[..., 0]
    d2 = np.take_along_axis(d, second[..., None], -1)[..., 0]
    image = palette[nearest]
    # Brighter towards the middle of each piece, a dark line where two pieces meet.
    image = image * (0.8 + 0.2 * np.exp(-d1 / (0.08 * size)))[..., None]
    lead = np.clip((d2 - d1) / (0.012 * size), 0, 1)[..., None]
    return (image * lead + 0.05 * (1 - lead)).astype(np.float32)


def waves(size=256, seed=0):
    """Swirling colour bands: a warped sine pattern through a blue-yellow palette.

    Returns:
        float32 array of shape `(size, size, 3)` in [0, 1].
    """
    rng = np.random.default_rng(seed)
    yy, xx = (np.mgrid[0:size, 0:size] + 0.5) / size
    warp = np.zeros_like(xx)
    for _ in range(4):
        f, phase, direction = rng.uniform(2, 6), rng.uniform(0, 2 * np.pi), rng.uniform(0, 2 * np.pi)
        warp += np.sin(2 * np.pi * f * (np.cos(direction) * xx + np.sin(direction) * yy) + phase)
    t = 0.5 + 0.5 * np.sin(2 * np.pi * 7 * (xx + 0.15 * warp) + 3 * warp)
    streaks = 0.5 + 0.5 * np.sin(2 * np.pi * 40 * (yy + 0.05 * warp))
    dark, mid, light = np.array([0.05, 0.1, 0.35]), np.array([0.2, 0.45, 0.8]), np.array([0.98, 0.85, 0.3])
    image = np.where(t[..., None] < 0.5, dark + (mid - dark) * (2 * t[..., None]),
                     mid + (light - mid) * (2 * t[..., None] - 1))
    return np.clip(image * (0.85 + 0.15 * streaks[..., None]), 0, 1).astype(np.float32)


def _read(name):
    if name in MATPLOTLIB_IMAGES:
        import matplotlib.image
        from matplotlib import cbook

        with cbook.get_sample_data(f"{name}.jpg") as f:
            return matplotlib.image.imread(f, format="jpg")
    if name in SKIMAGE_IMAGES:
        if not _has_skimage():
            raise ValueError(f"{name!r} comes with scikit-image, which is not installed "
                             f"(pip install scikit-image); available: {', '.join(available_images())}")
        import skimage.data

        return getattr(skimage.data, name)()
    if name == "mosaic":
        return mosaic()
    if name == "waves":
        return waves()
    raise ValueError(f"unknown image {name!r}; available: {', '.join(available_images())}")


def load_image(name, size=None):
    """An RGB picture as float32 in [0, 1]; with `size`, centre-cropped square and resized.

    Args:
        name: one of `available_images()`.
        size: optional int, the side of the returned square image.

    Returns:
        float32 array of shape `(H, W, 3)`, or `(size, size, 3)` when `size` is given.
    """
    image = np.asarray(_read(name))
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    image = image[..., :3]
    if image.dtype.kind in "ui":
        image = image.astype(np.float32) / 255.0
    image = image.astype(np.float32)
    if size is None:
        return image
    from PIL import Image

    h, w = image.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    square = np.clip(image[top:top + side, left:left + side] * 255.0 + 0.5, 0, 255).astype(np.uint8)
    resized = Image.fromarray(square).resize((int(size), int(size)), Image.Resampling.LANCZOS)
    return np.asarray(resized, dtype=np.float32) / 255.0
