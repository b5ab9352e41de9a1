"""Anchor boxes from box sizes: IoU of centre-aligned boxes and k-means.

YOLO-style detectors predict boxes relative to a few anchor sizes. Good
anchors are found by clustering the `(width, height)` of the training boxes
with k-means under the distance `1 - IoU`, where the IoU is taken between
boxes that share the same centre (only the sizes matter).
"""

from __future__ import annotations

import numpy as np

__all__ = ["iou_wh", "kmeans_anchors", "mean_iou"]


def _as_wh(x, name):
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"{name} must have shape (n, 2), got {x.shape}")
    if np.any(~np.isfinite(x)) or np.any(x <= 0):
        raise ValueError(f"{name} must hold finite, positive widths and heights")
    return x


def iou_wh(wh, centroids):
    """IoU between boxes aligned at a common centre.

    Args:
        wh: float array `(n, 2)`, box widths and heights (positive).
        centroids: float array `(k, 2)`, widths and heights (positive).

    Returns:
        float64 array `(n, k)` in `(0, 1]`:
        `min(w1, w2) * min(h1, h2) / (w1 * h1 + w2 * h2 - min(w1, w2) * min(h1, h2))`.

    Example:

    >>> iou_wh([[2, 2], [4, 4]], [[4, 4]])
    array([[0.25],
           [1.  ]])
    """
    a = _as_wh(wh, "wh")
    b = _as_wh(centroids, "centroids")
    inter = (np.minimum(a[:, None, 0], b[None, :, 0])
             * np.minimum(a[:, None, 1], b[None, :, 1]))
    union = (a[:, 0] * a[:, 1])[:, None] + (b[:, 0] * b[:, 1])[None, :] - inter
    return inter / union


def mean_iou(wh, anchors):
    """Average, over the boxes, of the best IoU with any anchor.

    Args:
        wh: float array `(n, 2)`, box widths and heights.
        anchors: float array `(k, 2)`, anchor widths and heights.

    Returns:
        Python float in `(0, 1]`.
    """
    return float(iou_wh(wh, anchors).max(axis=1).mean())


def kmeans_anchors(wh, k, seed=0, iters=100):
    """Cluster box sizes into `k` anchors with k-means under `1 - IoU`.

    The centroids are seeded k-means++-style (each new seed drawn with
    probability proportional to the squared distance to the nearest existing
    one), then refined by alternating assignment (highest IoU) and update
    (mean width and height of each cluster) until the assignment stops
    changing or `iters` rounds have run. A cluster that becomes empty is
    re-seeded with the box worst served by the current anchors.

    Args:
        wh: float array `(n, 2)`, box widths and heights (positive), `n >= k`.
        k: int (>= 1), number of anchors.
        seed: int, seed of `numpy.random.default_rng` (deterministic).
        iters: int (>= 1), maximum number of refinement rounds.

    Returns:
        float64 array `(k, 2)` of anchor `(width, height)`, sorted by
        increasing area.
    """
    boxes = _as_wh(wh, "wh")
    k = int(k)
    n = boxes.shape[0]
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    if n < k:
        raise ValueError(f"need at least k={k} boxes, got {n}")
    rng = np.random.default_rng(seed)

    centroids = np.empty((k, 2))
    centroids[0] = boxes[rng.integers(n)]
    best = iou_wh(boxes, centroids[:1])[:, 0]
    for c in range(1, k):
        weight = (1.0 - best) ** 2
        total = weight.sum()
        pick = rng.choice(n, p=weight / total) if total > 0 else rng.integers(n)
        centroids[c] = boxes[pick]
        best = np.maximum(best, iou_wh(boxes, centroids[c:c + 1])[:, 0])

    assign = None
    for _ in range(int(iters)):
        iou = iou_wh(boxes, centroids)
        new_assign = iou.argmax(axis=1)
        if assign is not None and np.array_equal(new_assign, assign):
            break
        assign = new_assign
        served = iou.max(axis=1)
        for c in range(k):
            members = assign == c
            if members.any():
                centroids[c] = boxes[members].mean(axis=0)
            else:
                worst = int(served.argmin())
                centroids[c] = boxes[worst]
                served[worst] = 1.0
    order = np.argsort(centroids[:, 0] * centroids[:, 1], kind="stable")
    return centroids[order]
