"""Procedurally drawn shape images, for classification and for detection.

Every image is drawn with numpy alone. Each shape is described by a signed
distance field evaluated at the pixel centres (negative inside). The alpha
of a pixel is `clip(0.5 - distance, 0, 1)`, which gives an anti-aliased edge
one pixel wide. The background is a linear colour gradient plus a smooth
low-frequency texture. The foreground colour is chosen so that, in at least
one channel, it differs by `CONTRAST` or more grey levels from every
background pixel. Then an approximately Gaussian pixel noise is added.

Coordinates: pixel `(row i, column j)` covers the square `[j, j + 1) x
[i, i + 1)`, so its centre is `(j + 0.5, i + 0.5)`. Boxes are given in these
continuous pixel-corner coordinates as `(x1, y1, x2, y2)`, with `x2`/`y2`
exclusive. A box that covers only pixel `(i, j)` is therefore
`(j, i, j + 1, i + 1)`.

Determinism: each generator reads its randomness from a single
`numpy.random.default_rng(seed)`. The pixel noise comes from a counter-based
integer hash, not from the generator stream, so it is reproduced bit for bit
on any platform. This lets the cached splits store only the noise-free
renders (which compress well) and add the noise back when loaded.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

__all__ = [
    "CLASSES",
    "NUM_CLASSES",
    "CLASSIFICATION_SPLITS",
    "DETECTION_SPLITS",
    "make_classification",
    "make_detection",
    "load_shapes",
    "load_detection",
    "default_cache_dir",
    "save_preview",
]

CLASSES = ("circle", "square", "triangle", "star", "cross", "ring")
NUM_CLASSES = len(CLASSES)

# Fixed splits served by `load_shapes` / `load_detection`.
CLASSIFICATION_SPLITS = {
    "train": {"n": 1200, "seed": 1001, "image_size": 64},
    "test": {"n": 300, "seed": 2002, "image_size": 64},
}
DETECTION_SPLITS = {
    "train": {"n": 400, "seed": 3003, "image_size": 128, "max_objects": 4,
              "min_size": 14, "max_size": 56},
    "test": {"n": 100, "seed": 4004, "image_size": 128, "max_objects": 4,
             "min_size": 14, "max_size": 56},
}

CONTRAST = 70.0          # min. foreground/background gap (grey levels, 1 channel)
_ALPHA_MIN = 0.05        # alpha below this is dropped, so edges stay crisp for boxes
_GRADIENT_MAX = 40.0     # max. per-channel change of the background gradient
_TEXTURE_MAX = 12.0      # max. amplitude of the background texture
_TEXTURE_GRID = 5        # texture control points per side
_NOISE_SIGMA = (2.0, 8.0)
_CHUNK = 128             # images rendered at once (bounds peak memory)
_FORMAT_VERSION = 1      # bump whenever the drawn pixels change

_CIRCLE_RADIUS = 0.85    # radii relative to the shape's bounding radius R
_RING_RADIUS = 0.9
_SQUARE_RADIUS = 0.95
_CROSS_HALF_LENGTH = 0.92


# --------------------------------------------------------------------------
# Signed distance fields and alpha masks
# --------------------------------------------------------------------------

def _polygon_sdf(px, py, vx, vy):
    """Signed distance from pixel centres to polygons (negative inside).

    Args:
        px: float32 array broadcastable to `(m, h, w)`, pixel-centre x.
        py: float32 array broadcastable to `(m, h, w)`, pixel-centre y.
        vx: float32 array `(m, k)`, x of the `k` vertices of `m` polygons.
        vy: float32 array `(m, k)`, y of the vertices.

    Returns:
        float32 array `(m, h, w)`: exact Euclidean distance to the polygon
        outline, negative for points inside (even-odd rule).
    """
    m, k = vx.shape
    shape = np.broadcast_shapes(np.shape(px), np.shape(py), (m, 1, 1))
    dist2 = np.full(shape, np.inf, dtype=np.float32)
    inside = np.zeros(shape, dtype=bool)
    for i in range(k):
        j = i - 1  # edge from vertex i to the previous vertex j
        ax = vx[:, i, None, None]
        ay = vy[:, i, None, None]
        ex = vx[:, j, None, None] - ax
        ey = vy[:, j, None, None] - ay
        wx = px - ax
        wy = py - ay
        t = np.clip((wx * ex + wy * ey) / (ex * ex + ey * ey), 0.0, 1.0)
        bx = wx - ex * t
        by = wy - ey * t
        np.minimum(dist2, bx * bx + by * by, out=dist2)
        # Ray casting towards +x: edge i->j straddles the row of the point and
        # the point lies on the matching side of the edge.
        up = py >= ay
        below_j = py < vy[:, j, None, None]
        side = ex * wy > ey * wx
        inside ^= (up & below_j & side) | ~(up | below_j | side)
    dist = np.sqrt(dist2)
    return np.where(inside, -dist, dist)


def _ellipse_sdf(px, py, cx, cy, rx, ry):
    """Approximate signed distance to axis-aligned ellipses (negative inside).

    Uses `f / |grad f|` with `f = |q| - 1`, `q = ((x - cx) / rx, (y - cy) / ry)`,
    which is exact for circles and accurate within a pixel of the outline
    for the moderate aspect ratios used here.

    Args:
        px, py: float32 arrays broadcastable to `(m, h, w)`, pixel centres.
        cx, cy, rx, ry: float32 arrays `(m, 1, 1)`, centres and semi-axes.

    Returns:
        float32 array `(m, h, w)`.
    """
    qx = (px - cx) / rx
    qy = (py - cy) / ry
    r = np.sqrt(qx * qx + qy * qy)
    r_safe = np.maximum(r, 1e-6)
    gx = qx / (r_safe * rx)
    gy = qy / (r_safe * ry)
    grad = np.maximum(np.sqrt(gx * gx + gy * gy), 1.0 / np.maximum(rx, ry))
    return (r - 1.0) / grad


def _unit_vertices(cls_id, param):
    """Vertices of a polygonal class in its own unit frame.

    Args:
        cls_id: int, index into `CLASSES` ("square", "triangle", "star" or
            "cross").
        param: float32 array `(m,)` in `[0, 1)`, per-shape free parameter
            (star inner radius, cross arm width; unused otherwise).

    Returns:
        Tuple `(ux, uy)` of float32 arrays `(m, k)`, inside the unit disc.
    """
    m = param.shape[0]
    name = CLASSES[cls_id]
    if name == "square":
        a = np.pi / 4 + np.arange(4) * (np.pi / 2)
        r = np.full((m, 4), _SQUARE_RADIUS)
    elif name == "triangle":
        a = np.pi / 2 + np.arange(3) * (2 * np.pi / 3)
        r = np.ones((m, 3))
    elif name == "star":
        a = np.pi / 2 + np.arange(10) * (np.pi / 5)
        inner = 0.38 + 0.12 * param  # inner/outer radius ratio
        r = np.where(np.arange(10) % 2 == 0, 1.0, inner[:, None])
    elif name == "cross":
        h = _CROSS_HALF_LENGTH
        w = (0.24 + 0.10 * param)[:, None]  # arm half-width
        one = np.ones_like(w)
        ux = np.concatenate([w, -w, -w, -h * one, -h * one, -w,
                             -w, w, w, h * one, h * one, w], axis=1)
        uy = np.concatenate([h * one, h * one, w, w, -w, -w,
                             -h * one, -h * one, -w, -w, w, w], axis=1)
        return ux.astype(np.float32), uy.astype(np.float32)
    else:
        raise ValueError(f"{name!r} is not a polygonal class")
    ux = r * np.cos(a)
    uy = r * np.sin(a)
    return ux.astype(np.float32), uy.astype(np.float32)


def _shape_alpha(cls_id, px, py, cx, cy, radius, theta, sx, sy, param):
    """Anti-aliased coverage of `m` shapes of one class.

    The unit shape is rotated by `theta`, scaled by `radius`, stretched along
    the image axes by `(sx, sy)` and moved to `(cx, cy)`. It always stays
    inside the axis-aligned box `cx +- radius * sx`, `cy +- radius * sy`.

    Args:
        cls_id: int, index into `CLASSES`.
        px: float32 array `(1 or m, 1, w)`, pixel-centre x coordinates.
        py: float32 array `(1 or m, h, 1)`, pixel-centre y coordinates.
        cx, cy, radius, theta, sx, sy: float arrays `(m,)`.
        param: float array `(m,)` in `[0, 1)`, class-specific free parameter.

    Returns:
        float32 array `(m, h, w)` in `[0, 1]`; values below `_ALPHA_MIN` are
        set to exactly 0.
    """
    f32 = lambda a: np.asarray(a, dtype=np.float32)  # noqa: E731
    cx, cy, radius, theta, sx, sy, param = map(
        f32, (cx, cy, radius, theta, sx, sy, param))
    name = CLASSES[cls_id]
    col = lambda a: a[:, None, None]  # noqa: E731
    if name in ("circle", "ring"):
        scale = _CIRCLE_RADIUS if name == "circle" else _RING_RADIUS
        rx = col(radius * sx * scale)
        ry = col(radius * sy * scale)
        dist = _ellipse_sdf(px, py, col(cx), col(cy), rx, ry)
        if name == "ring":
            inner = col(np.float32(0.45) + np.float32(0.2) * param)
            dist = np.maximum(
                dist, -_ellipse_sdf(px, py, col(cx), col(cy), rx * inner, ry * inner))
    else:
        ux, uy = _unit_vertices(cls_id, param)
        cos = np.cos(theta)[:, None]
        sin = np.sin(theta)[:, None]
        vx = cx[:, None] + (radius * sx)[:, None] * (ux * cos - uy * sin)
        vy = cy[:, None] + (radius * sy)[:, None] * (ux * sin + uy * cos)
        dist = _polygon_sdf(px, py, vx, vy)
    alpha = np.clip(np.float32(0.5) - dist, 0.0, 1.0).astype(np.float32)
    alpha[alpha < _ALPHA_MIN] = 0.0
    return alpha


# --------------------------------------------------------------------------
# Backgrounds, colours and noise
# --------------------------------------------------------------------------

def _draw_background_params(rng, m):
    """Random background parameters for `m` images (see `_backgrounds`)."""
    return {
        "base": rng.uniform(0.0, 255.0, (m, 3)),
        "delta": rng.uniform(-_GRADIENT_MAX, _GRADIENT_MAX, (m, 3)),
        "phi": rng.uniform(0.0, 2 * np.pi, m),
        "amp": rng.uniform(0.0, _TEXTURE_MAX, m),
        "grid": rng.uniform(-1.0, 1.0, (m, _TEXTURE_GRID, _TEXTURE_GRID, 3)),
    }


def _interp_matrix(size, points):
    """float32 `(size, points)` linear interpolation weights."""
    pos = (np.arange(size) + 0.5) / size * (points - 1)
    lo = np.minimum(np.floor(pos).astype(int), points - 2)
    frac = pos - lo
    mat = np.zeros((size, points), dtype=np.float32)
    mat[np.arange(size), lo] = 1.0 - frac
    mat[np.arange(size), lo + 1] = frac
    return mat


def _backgrounds(size, params, sl=slice(None)):
    """Render backgrounds.

    Args:
        size: int, image height and width.
        params: dict from `_draw_background_params`.
        sl: slice selecting which images of `params` to render.

    Returns:
        float32 array `(m, size, size, 3)` with values in `[0, 255]`.
    """
    base = params["base"][sl].astype(np.float32)
    delta = params["delta"][sl].astype(np.float32)
    phi = params["phi"][sl]
    u = (np.arange(size, dtype=np.float32) + 0.5) / size - 0.5
    cos = np.cos(phi).astype(np.float32)
    sin = np.sin(phi).astype(np.float32)
    norm = np.abs(cos) + np.abs(sin)
    t = (u[None, None, :] * cos[:, None, None] + u[None, :, None] * sin[:, None, None])
    t = t / norm[:, None, None] + 0.5  # (m, size, size) in [0, 1]
    interp = _interp_matrix(size, _TEXTURE_GRID)
    grid = np.moveaxis(params["grid"][sl].astype(np.float32), -1, 1)  # (m, 3, g, g)
    texture = np.moveaxis(interp @ grid @ interp.T, 1, -1)  # (m, size, size, 3)
    bg = (base[:, None, None, :] + delta[:, None, None, :] * t[..., None]
          + params["amp"][sl].astype(np.float32)[:, None, None, None] * texture)
    return np.clip(bg, 0.0, 255.0, out=bg)


def _pick_foreground(colour, bg_min, bg_max, channel, u):
    """Make colours contrast with their backgrounds.

    A colour is kept if, in some channel, it lies at least `CONTRAST` below
    the darkest or above the brightest background pixel. Otherwise that
    channel (`channel`) is redrawn (with `u`) from the allowed range.

    Args:
        colour: float array `(m, 3)`, candidate colours in `[0, 255]`.
        bg_min, bg_max: float arrays `(m, 3)`, per-channel background range.
        channel: int array `(m,)`, channel to fix when needed.
        u: float array `(m,)` in `[0, 1)`.

    Returns:
        float32 array `(m, 3)`.
    """
    colour = np.array(colour, dtype=np.float64)
    ok = np.any((colour <= bg_min - CONTRAST) | (colour >= bg_max + CONTRAST), axis=1)
    rows = np.nonzero(~ok)[0]
    c = channel[rows]
    low = np.maximum(bg_min[rows, c] - CONTRAST, 0.0)          # [0, low]
    high = np.maximum(255.0 - (bg_max[rows, c] + CONTRAST), 0.0)  # [255-high, 255]
    v = u[rows] * (low + high)
    colour[rows, c] = np.where(v <= low, v, bg_max[rows, c] + CONTRAST + (v - low))
    return colour.astype(np.float32)


def _splitmix64(x):
    """SplitMix64 finaliser on a uint64 array (wrapping arithmetic)."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _add_noise(clean, sigma, keys):
    """Add reproducible, approximately Gaussian pixel noise.

    Each value is an Irwin-Hall sum of four 16-bit uniforms taken from a
    SplitMix64 hash of `(key, pixel index)`, rescaled to unit variance. Only
    integer and correctly rounded float64 arithmetic is used, so the result is
    identical on every platform.

    Args:
        clean: uint8 array `(n, h, w, 3)`.
        sigma: float64 array `(n,)`, noise standard deviation (grey levels).
        keys: uint64 array `(n,)`, per-image noise keys.

    Returns:
        uint8 array `(n, h, w, 3)`.
    """
    out = np.empty_like(clean)
    per_image = int(np.prod(clean.shape[1:]))
    index = np.arange(per_image, dtype=np.uint64)
    mask = np.uint64(0xFFFF)
    scale = np.sqrt(3.0) / 65536.0  # 4 uniforms of variance 65536^2 / 12
    for start in range(0, clean.shape[0], 64):
        stop = min(start + 64, clean.shape[0])
        h = _splitmix64(keys[start:stop, None].astype(np.uint64)
                        * np.uint64(0xD1B54A32D192ED03) + index[None, :])
        total = ((h & mask) + ((h >> np.uint64(16)) & mask)
                 + ((h >> np.uint64(32)) & mask) + (h >> np.uint64(48)))
        z = (total.astype(np.float64) - 131070.0) * scale
        noisy = clean[start:stop].reshape(stop - start, -1) + sigma[start:stop, None] * z
        out[start:stop] = np.clip(np.rint(noisy), 0, 255).reshape(
            clean[start:stop].shape)
    return out


def _to_uint8(x):
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------
# Classification
# --------------------------------------------------------------------------

def _generate_classification(n, seed, image_size):
    """Noise-free classification renders plus everything needed for noise.

    Returns:
        dict with "clean" (uint8 `(n, S, S, 3)`), "labels" (int64 `(n,)`),
        "sigma" (float64 `(n,)`), "keys" (uint64 `(n,)`).
    """
    n = int(n)
    size = int(image_size)
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if size < 16:
        raise ValueError(f"image_size must be >= 16, got {size}")
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % NUM_CLASSES).astype(np.int64)
    radius = rng.uniform(0.2, 0.4, n) * size
    theta = rng.uniform(0.0, 2 * np.pi, n)
    log_aspect = rng.uniform(np.log(0.8), np.log(1.25), n)
    sx = np.exp(0.5 * log_aspect)
    sy = np.exp(-0.5 * log_aspect)
    param = rng.uniform(0.0, 1.0, n)
    half_w = radius * sx
    half_h = radius * sy
    cx = half_w + 1 + rng.uniform(0.0, 1.0, n) * (size - 2 * half_w - 2)
    cy = half_h + 1 + rng.uniform(0.0, 1.0, n) * (size - 2 * half_h - 2)
    bg_params = _draw_background_params(rng, n)
    colour = rng.uniform(0.0, 255.0, (n, 3))
    fix_channel = rng.integers(0, 3, n)
    fix_u = rng.uniform(0.0, 1.0, n)
    sigma = rng.uniform(*_NOISE_SIGMA, n)
    keys = rng.integers(0, 2**64, n, dtype=np.uint64, endpoint=False)

    grid = np.arange(size, dtype=np.float32) + np.float32(0.5)
    px = grid[None, None, :]
    py = grid[None, :, None]
    clean = np.empty((n, size, size, 3), dtype=np.uint8)
    for start in range(0, n, _CHUNK):
        sl = slice(start, min(start + _CHUNK, n))
        bg = _backgrounds(size, bg_params, sl)
        fg = _pick_foreground(colour[sl], bg.min(axis=(1, 2)), bg.max(axis=(1, 2)),
                              fix_channel[sl], fix_u[sl])
        alpha = np.zeros(bg.shape[:3], dtype=np.float32)
        lab = labels[sl]
        for c in range(NUM_CLASSES):
            idx = np.nonzero(lab == c)[0]
            if idx.size == 0:
                continue
            g = idx + start
            alpha[idx] = _shape_alpha(c, px, py, cx[g], cy[g], radius[g], theta[g],
                                      sx[g], sy[g], param[g])
        a = alpha[..., None]
        clean[sl] = _to_uint8(bg + a * (fg[:, None, None, :] - bg))
    return {"clean": clean, "labels": labels, "sigma": sigma, "keys": keys}


def make_classification(n, seed=0, image_size=64):
    """Generate a shape-classification data set (one shape per image).

    Each image holds one shape of a random class from `CLASSES`, with random
    colour, size (bounding radius 20-40% of the image side), position,
    rotation and a mild stretch (aspect 0.8-1.25), on a textured gradient
    background with pixel noise (sigma 2-8 grey levels). Classes are balanced:
    every class occurs `n // 6` or `n // 6 + 1` times, in random order.

    Args:
        n: int, number of images.
        seed: int or `numpy.random.SeedSequence`, seed of
            `numpy.random.default_rng`. Equal seeds give identical bytes.
        image_size: int (>= 16), height and width `S` of the images.

    Returns:
        Tuple `(images, labels)`:
            images: uint8 array `(n, S, S, 3)`, RGB.
            labels: int64 array `(n,)`, class indices into `CLASSES`.

    Example:

    >>> x, y = make_classification(12, seed=0)
    >>> x.shape, x.dtype, y.shape, y.dtype
    ((12, 64, 64, 3), dtype('uint8'), (12,), dtype('int64'))
    """
    g = _generate_classification(n, seed, image_size)
    return _add_noise(g["clean"], g["sigma"], g["keys"]), g["labels"]


# --------------------------------------------------------------------------
# Detection
# --------------------------------------------------------------------------

def _check_detection_args(image_size, max_objects, min_size, max_size):
    if image_size < 16:
        raise ValueError(f"image_size must be >= 16, got {image_size}")
    if max_objects < 1:
        raise ValueError(f"max_objects must be >= 1, got {max_objects}")
    if not 4 <= min_size <= max_size <= image_size - 2:
        raise ValueError(
            "need 4 <= min_size <= max_size <= image_size - 2, got "
            f"min_size={min_size}, max_size={max_size}, image_size={image_size}")


def _generate_detection(n, seed, image_size=128, max_objects=4, min_size=14,
                        max_size=56, return_background=False):
    """Noise-free detection renders plus everything needed for noise.

    Returns:
        dict with "clean" (uint8 `(n, S, S, 3)`), "boxes" (list of float32
        `(k_i, 4)`), "labels" (list of int64 `(k_i,)`), "sigma" (float64
        `(n,)`), "keys" (uint64 `(n,)`) and, if `return_background`,
        "background" (uint8 `(n, S, S, 3)`, the images before any shape).
    """
    n, size = int(n), int(image_size)
    max_objects = int(max_objects)
    _check_detection_args(size, max_objects, min_size, max_size)
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    rng = np.random.default_rng(seed)
    mode_sizes = min_size * (max_size / min_size) ** np.array([0.0, 0.5, 1.0])
    sigma = rng.uniform(*_NOISE_SIGMA, n)
    keys = rng.integers(0, 2**64, n, dtype=np.uint64, endpoint=False)
    clean = np.empty((n, size, size, 3), dtype=np.uint8)
    background = np.empty_like(clean) if return_background else None
    all_boxes, all_labels = [], []
    for i in range(n):
        bg_params = _draw_background_params(rng, 1)
        bg = _backgrounds(size, bg_params)[0]
        if return_background:
            background[i] = _to_uint8(bg)
        bg_min, bg_max = bg.min(axis=(0, 1)), bg.max(axis=(0, 1))
        img = bg.copy()
        placed = []  # approximate (x1, y1, x2, y2) used for the overlap test
        boxes, labels = [], []
        for _ in range(int(rng.integers(1, max_objects + 1))):
            cls_id = int(rng.integers(0, NUM_CLASSES))
            length = mode_sizes[rng.integers(0, 3)] * np.exp(rng.uniform(-0.12, 0.12))
            length = float(np.clip(length, min_size, max_size))
            kind = int(rng.integers(0, 4))  # 0, 1: square-ish, 2: wide, 3: tall
            ratio = rng.uniform(1.8, 2.4)
            sx, sy = {2: (1.0, 1.0 / ratio), 3: (1.0 / ratio, 1.0)}.get(kind, (1.0, 1.0))
            radius = length / 2
            theta = rng.uniform(0.0, 2 * np.pi)
            param = rng.uniform(0.0, 1.0)
            colour = _pick_foreground(rng.uniform(0.0, 255.0, (1, 3)), bg_min[None],
                                      bg_max[None], rng.integers(0, 3, 1),
                                      rng.uniform(0.0, 1.0, 1))[0]
            hw, hh = radius * sx, radius * sy
            for _attempt in range(30):
                cx = rng.uniform(hw + 1, size - hw - 1)
                cy = rng.uniform(hh + 1, size - hh - 1)
                cand = (cx - hw, cy - hh, cx + hw, cy + hh)
                if all(_overlap_fraction(cand, other) <= 0.15 for other in placed):
                    break
            else:
                continue  # could not place this object: skip it
            placed.append(cand)
            x0 = max(int(np.floor(cand[0])) - 1, 0)
            y0 = max(int(np.floor(cand[1])) - 1, 0)
            x1 = min(int(np.ceil(cand[2])) + 1, size)
            y1 = min(int(np.ceil(cand[3])) + 1, size)
            px = (np.arange(x0, x1, dtype=np.float32) + np.float32(0.5))[None, None, :]
            py = (np.arange(y0, y1, dtype=np.float32) + np.float32(0.5))[None, :, None]
            one = lambda v: np.array([v])  # noqa: E731
            alpha = _shape_alpha(cls_id, px, py, one(cx), one(cy), one(radius),
                                 one(theta), one(sx), one(sy), one(param))[0]
            rows = np.nonzero(alpha.any(axis=1))[0]
            cols = np.nonzero(alpha.any(axis=0))[0]
            boxes.append((x0 + cols[0], y0 + rows[0], x0 + cols[-1] + 1, y0 + rows[-1] + 1))
            labels.append(cls_id)
            patch = img[y0:y1, x0:x1]
            a = alpha[..., None]
            patch += a * (colour - patch)
        clean[i] = _to_uint8(img)
        all_boxes.append(np.array(boxes, dtype=np.float32).reshape(-1, 4))
        all_labels.append(np.array(labels, dtype=np.int64))
    out = {"clean": clean, "boxes": all_boxes, "labels": all_labels,
           "sigma": sigma, "keys": keys}
    if return_background:
        out["background"] = background
    return out


def _overlap_fraction(a, b):
    """Intersection area over the smaller box's area, boxes `(x1, y1, x2, y2)`."""
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return iw * ih / smaller


def make_detection(n, seed=0, image_size=128, max_objects=4, min_size=14, max_size=56):
    """Generate a shape-detection data set (several shapes per image).

    Each image holds between 1 and `max_objects` shapes of random classes.
    The longest side of a shape's bounding ellipse is drawn around one of
    three sizes (`min_size`, their geometric mean, `max_size`, +-12%), and
    half of the shapes are stretched about 2:1 horizontally or vertically,
    so the boxes fall into distinct size/aspect clusters (good anchors for
    YOLO-style detectors). The stretch is applied along the image axes after
    the random rotation, so a stretched square may look like a rhombus or a
    parallelogram. Shapes may overlap a little (at most 15% of the
    smaller one's bounding box); a shape that cannot be placed is skipped.

    Boxes are tight: they are the smallest pixel-aligned boxes holding every
    pixel the shape painted (amodal, i.e. including parts a later shape may
    cover).

    Args:
        n: int, number of images.
        seed: int or `numpy.random.SeedSequence`, seed of
            `numpy.random.default_rng`. Equal seeds give identical bytes.
        image_size: int (>= 16), height and width `S` of the images.
        max_objects: int (>= 1), maximum number of shapes per image.
        min_size: float, approximate smallest object size in pixels.
        max_size: float, approximate largest object size in pixels
            (`min_size <= max_size <= image_size - 2`).

    Returns:
        Tuple `(images, boxes, labels)`:
            images: uint8 array `(n, S, S, 3)`, RGB.
            boxes: list of `n` float32 arrays `(k_i, 4)`, `1 <= k_i <=
                max_objects`, pixel-corner coordinates `(x1, y1, x2, y2)`
                with `0 <= x1 < x2 <= S` and `0 <= y1 < y2 <= S`.
            labels: list of `n` int64 arrays `(k_i,)`, indices into `CLASSES`,
                in the same order as `boxes` (also the drawing order).
    """
    g = _generate_detection(n, seed, image_size, max_objects, min_size, max_size)
    return _add_noise(g["clean"], g["sigma"], g["keys"]), g["boxes"], g["labels"]


# --------------------------------------------------------------------------
# Cached splits
# --------------------------------------------------------------------------

def _repo_datasets_dir():
    """`<repo>/datasets/shapes` when running from a checkout, else None."""
    root = Path(__file__).resolve().parents[2] / "datasets"
    if (root / "make_shapes.py").is_file():
        return root / "shapes"
    return None


def _is_writable(directory):
    path = Path(directory)
    while not path.exists():
        if path.parent == path:
            return False
        path = path.parent
    return path.is_dir() and os.access(path, os.W_OK)


def _candidate_dirs(cache_dir=None):
    """Directories to read caches from, in order of preference."""
    if cache_dir is not None:
        return [Path(cache_dir)]
    env = os.environ.get("CNNLAB_DATA")
    if env:
        return [Path(env)]
    dirs = []
    repo = _repo_datasets_dir()
    if repo is not None:
        dirs.append(repo)
    dirs.append(Path.home() / ".cache" / "cnnlab")
    return dirs


def default_cache_dir():
    """Directory where new caches are written by default.

    `$CNNLAB_DATA` if set, else the checkout's `datasets/shapes/` folder when
    it is writable, else `~/.cache/cnnlab`. (Reading also falls back to the
    checkout's folder when it holds a cache but is read-only.)

    Returns:
        `pathlib.Path`.
    """
    dirs = _candidate_dirs()
    for d in dirs:
        if _is_writable(d):
            return d
    return dirs[-1]


def _meta(kind, spec):
    keys = ("n", "seed", "image_size", "max_objects", "min_size", "max_size")
    return np.array([_FORMAT_VERSION, {"classification": 1, "detection": 2}[kind]]
                    + [int(spec.get(k, -1)) for k in keys], dtype=np.int64)


def _delta_encode(images):
    """uint8 `(n, h, w, c)` -> per-row horizontal differences (mod 256)."""
    out = images.copy()
    out[:, :, 1:] -= images[:, :, :-1]
    return out


def _delta_decode(deltas):
    return np.cumsum(deltas, axis=2, dtype=np.uint8)


def _read_cache(path, meta):
    try:
        with np.load(path) as z:
            if not np.array_equal(z["meta"], meta):
                return None
            return {k: z[k] for k in z.files}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None


def _write_cache(dirs, name, arrays):
    for d in dirs:
        if not _is_writable(d):
            continue
        try:
            d.mkdir(parents=True, exist_ok=True)
            tmp = d / f".{name}.{os.getpid()}.tmp"
            with open(tmp, "wb") as fh:
                np.savez_compressed(fh, **arrays)
            os.replace(tmp, d / name)
            return d / name
        except OSError:
            continue
    return None


def _cached(kind, split, cache_dir, splits, build):
    if split not in splits:
        raise ValueError(f"split must be one of {sorted(splits)}, got {split!r}")
    spec = splits[split]
    meta = _meta(kind, spec)
    name = f"{kind}_{split}.npz"
    dirs = _candidate_dirs(cache_dir)
    for d in dirs:
        if (d / name).is_file():
            data = _read_cache(d / name, meta)
            if data is not None:
                return data
    data = build(spec)
    data["meta"] = meta
    _write_cache(dirs, name, data)
    return data


def _build_classification(spec):
    g = _generate_classification(spec["n"], spec["seed"], spec["image_size"])
    return {"clean_delta": _delta_encode(g["clean"]), "labels": g["labels"],
            "sigma": g["sigma"], "keys": g["keys"]}


def _build_detection(spec):
    g = _generate_detection(spec["n"], spec["seed"], spec["image_size"],
                            spec["max_objects"], spec["min_size"], spec["max_size"])
    counts = np.array([len(b) for b in g["boxes"]], dtype=np.int64)
    return {"clean_delta": _delta_encode(g["clean"]),
            "boxes": np.concatenate(g["boxes"]).astype(np.float32),
            "box_labels": np.concatenate(g["labels"]).astype(np.int64),
            "offsets": np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
            "sigma": g["sigma"], "keys": g["keys"]}


def load_shapes(split="train", cache_dir=None):
    """Load a fixed classification split, generating and caching it if needed.

    The splits are `CLASSIFICATION_SPLITS` ("train": 1200 images, "test":
    300 images, 64x64), i.e. `make_classification(n, seed, 64)` with fixed
    seeds; the result is bit-identical to that call. The cache is a `.npz`
    file (`classification_<split>.npz`, no pickled objects) holding the
    noise-free renders; the noise is added back on loading.

    Args:
        split: str, "train" or "test".
        cache_dir: str or path-like, optional. Directory of the cache files.
            Default: `$CNNLAB_DATA`, else the checkout's `datasets/shapes/`
            (when writable, or when it already holds the cache), else
            `~/.cache/cnnlab`.

    Returns:
        Tuple `(images, labels)`:
            images: uint8 array `(n, 64, 64, 3)`.
            labels: int64 array `(n,)`, indices into `CLASSES`.
    """
    data = _cached("classification", split, cache_dir, CLASSIFICATION_SPLITS,
                   _build_classification)
    images = _add_noise(_delta_decode(data["clean_delta"]), data["sigma"], data["keys"])
    return images, data["labels"].astype(np.int64)


def load_detection(split="train", cache_dir=None):
    """Load a fixed detection split, generating and caching it if needed.

    The splits are `DETECTION_SPLITS` ("train": 400 images, "test": 100
    images, 128x128, up to 4 objects of size 14-56 px), i.e.
    `make_detection(...)` with fixed seeds; the result is bit-identical to
    that call. The cache (`detection_<split>.npz`) stores all boxes as one
    `(N, 4)` array plus per-image offsets, so no pickle is needed.

    Args:
        split: str, "train" or "test".
        cache_dir: str or path-like, optional; see `load_shapes`.

    Returns:
        Tuple `(images, boxes, labels)`:
            images: uint8 array `(n, 128, 128, 3)`.
            boxes: list of `n` float32 arrays `(k_i, 4)`, `(x1, y1, x2, y2)`
                in pixel-corner coordinates.
            labels: list of `n` int64 arrays `(k_i,)`.
    """
    data = _cached("detection", split, cache_dir, DETECTION_SPLITS, _build_detection)
    images = _add_noise(_delta_decode(data["clean_delta"]), data["sigma"], data["keys"])
    off = data["offsets"]
    boxes = [data["boxes"][off[i]:off[i + 1]].astype(np.float32) for i in range(len(off) - 1)]
    labels = [data["box_labels"][off[i]:off[i + 1]].astype(np.int64)
              for i in range(len(off) - 1)]
    return images, boxes, labels


# --------------------------------------------------------------------------
# Preview
# --------------------------------------------------------------------------

def save_preview(path, images, boxes=None, labels=None, max_images=32, columns=8):
    """Save a grid of images (optionally with boxes and class names) as a PNG.

    Uses matplotlib's object-oriented API (no pyplot, no backend change).

    Args:
        path: str or path-like, output file (any format matplotlib writes).
        images: uint8 array `(n, h, w, 3)`.
        boxes: optional list of `n` float arrays `(k_i, 4)`, `(x1, y1, x2, y2)`
            pixel-corner coordinates.
        labels: optional int array `(n,)` (classification) or list of `n` int
            arrays `(k_i,)` (detection), indices into `CLASSES`.
        max_images: int, at most this many images are shown.
        columns: int, images per row.

    Returns:
        `pathlib.Path` of the written file.
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    count = min(len(images), max_images)
    cols = max(1, min(columns, count))
    rows = max(1, -(-count // cols))
    fig = Figure(figsize=(2.0 * cols, 2.1 * rows))
    for i in range(count):
        ax = fig.add_subplot(rows, cols, i + 1)
        h, w = images[i].shape[:2]
        ax.imshow(images[i], extent=(0, w, h, 0), interpolation="nearest")
        ax.set_axis_off()
        if boxes is not None:
            labs = labels[i] if labels is not None else [None] * len(boxes[i])
            for (x1, y1, x2, y2), lab in zip(boxes[i], labs):
                ax.add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False,
                                       edgecolor="yellow", linewidth=1.0))
                if lab is not None:
                    ax.text(x1, y1, CLASSES[int(lab)], fontsize=6, color="black",
                            va="bottom", bbox={"facecolor": "yellow", "pad": 0.5,
                                               "linewidth": 0})
        elif labels is not None:
            ax.set_title(CLASSES[int(labels[i])], fontsize=8)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=100)
    return path
