"""YOLO-style training targets, a synthetic detector output, and mean average precision.

Conventions (shared with the `yolo` assignment):

* Ground-truth boxes are pixel corners `(x1, y1, x2, y2)`, as `cnnlab.data.load_detection`
  returns them.
* The image is cut into an `S x S` grid; cell `(row i, column j)` covers
  `x in [j, j + 1) * cell_w`, `y in [i, i + 1) * cell_h`.
* Anchors are `(width, height)` in grid cells (pixels divided by the cell size).
* A head outputs, per cell and anchor, `[t_x, t_y, t_w, t_h, t_o, t_1 .. t_C]`, decoded as
  `x = (sigmoid(t_x) + j) / S`, `w = anchor_w * exp(t_w) / S` (same for y, h),
  objectness `sigmoid(t_o)`, class probabilities `softmax(t_1 .. t_C)`.

Only NumPy is used here, so these helpers work with every Keras backend.
"""

from __future__ import annotations

import numpy as np

from cnnlab.data.anchors import iou_wh

__all__ = [
    "box_iou",
    "encode_targets",
    "encode_batch",
    "synthetic_head",
    "average_precision",
    "mean_average_precision",
]


def _hw(image_size):
    if np.ndim(image_size) == 0:
        return float(image_size), float(image_size)
    height, width = image_size
    return float(height), float(width)


def box_iou(a, b):
    """IoU of every box of `a` with every box of `b`.

    Args:
        a: float array `(n, 4)`, corners `(x1, y1, x2, y2)`.
        b: float array `(k, 4)`, same convention.

    Returns:
        float64 array `(n, k)`; 0 for boxes that do not overlap (or only touch), and for
        pairs whose union has zero area.
    """
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    iw = np.clip(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    ih = np.clip(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    inter = iw * ih
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def _assign(boxes, anchors, grid_size, image_size):
    """Cell row, column, anchor index and in-cell geometry of each box."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    anchors = np.asarray(anchors, dtype=np.float64).reshape(-1, 2)
    height, width = _hw(image_size)
    cell_w, cell_h = width / grid_size, height / grid_size
    cx = (boxes[:, 0] + boxes[:, 2]) / 2 / cell_w  # centre, in cells
    cy = (boxes[:, 1] + boxes[:, 3]) / 2 / cell_h
    w = (boxes[:, 2] - boxes[:, 0]) / cell_w  # size, in cells
    h = (boxes[:, 3] - boxes[:, 1]) / cell_h
    col = np.clip(np.floor(cx).astype(int), 0, grid_size - 1)
    row = np.clip(np.floor(cy).astype(int), 0, grid_size - 1)
    best = iou_wh(np.stack([w, h], axis=1), anchors).argmax(axis=1) if len(boxes) else np.zeros(0, int)
    return row, col, best, cx - col, cy - row, w, h


def encode_targets(boxes, labels, anchors, grid_size, image_size, num_classes):
    """One image's ground truth as a YOLOv2-style target tensor.

    Each box is given to the cell that holds its centre and to the anchor whose shape
    matches it best (highest IoU of centre-aligned boxes). When two boxes land on the same
    cell and anchor, the later one wins.

    Args:
        boxes: float array `(k, 4)`, pixel corners `(x1, y1, x2, y2)`.
        labels: int array `(k,)`, class indices.
        anchors: float array `(A, 2)`, anchor `(width, height)` in grid cells.
        grid_size: int S.
        image_size: int, or tuple `(height, width)`, in pixels.
        num_classes: int C.

    Returns:
        float32 array `(S, S, A, 5 + C)`. At an assigned cell and anchor:
        `[x offset in the cell (0..1), y offset, log(w / anchor_w), log(h / anchor_h), 1,
        one-hot class]`; zeros everywhere else (so `[..., 4]` is the object mask).
    """
    anchors = np.asarray(anchors, dtype=np.float64).reshape(-1, 2)
    target = np.zeros((grid_size, grid_size, len(anchors), 5 + num_classes), dtype=np.float32)
    row, col, a, dx, dy, w, h = _assign(boxes, anchors, grid_size, image_size)
    for k, label in enumerate(np.asarray(labels, dtype=int).reshape(-1)):
        cell = target[row[k], col[k], a[k]]
        cell[:] = 0.0
        cell[0:4] = dx[k], dy[k], np.log(w[k] / anchors[a[k], 0]), np.log(h[k] / anchors[a[k], 1])
        cell[4] = 1.0
        cell[5 + label] = 1.0
    return target


def encode_batch(boxes, labels, anchors, grid_size, image_size, num_classes):
    """`encode_targets` for a list of images.

    Args:
        boxes: list of `n` float arrays `(k_i, 4)`, pixel corners.
        labels: list of `n` int arrays `(k_i,)`.
        anchors, grid_size, image_size, num_classes: as in `encode_targets`.

    Returns:
        float32 array `(n, S, S, A, 5 + C)`.
    """
    return np.stack([encode_targets(b, l, anchors, grid_size, image_size, num_classes)
                     for b, l in zip(boxes, labels)])


def _logit(p):
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def synthetic_head(boxes, labels, anchors, grid_size, image_size, num_classes, rng=None,
                   noise=0.0, confidence=0.9, class_prob=0.9, background=0.01):
    """A made-up network output that "sees" the given objects (for demonstrations).

    Every anchor of the cell holding an object predicts that object's box exactly, with an
    objectness of `confidence * IoU(box shape, anchor shape)`, so that the best-fitting anchor
    is the most confident and the others give weaker duplicates (what non-max suppression
    removes). The class gets probability `class_prob`, the rest is shared by the other
    classes. Cells without an object get objectness `background`. Gaussian noise of standard
    deviation `noise` is then added to every number.

    Args:
        boxes: float array `(k, 4)`, pixel corners `(x1, y1, x2, y2)`.
        labels: int array `(k,)`.
        anchors: float array `(A, 2)`, in grid cells.
        grid_size: int S.
        image_size: int or `(height, width)`, in pixels.
        num_classes: int C (>= 2).
        rng: `numpy.random.Generator`, needed when `noise > 0`.
        noise: float, standard deviation of the noise added to the raw outputs.
        confidence, class_prob, background: floats in (0, 1).

    Returns:
        float32 array `(1, S, S, A * (5 + C))`, raw outputs for `yolo_head`.
    """
    anchors = np.asarray(anchors, dtype=np.float64).reshape(-1, 2)
    A, C = len(anchors), num_classes
    feats = np.zeros((grid_size, grid_size, A, 5 + C))
    feats[..., 4] = _logit(background)
    row, col, _, dx, dy, w, h = _assign(boxes, anchors, grid_size, image_size)
    fit = iou_wh(np.stack([w, h], axis=1), anchors) if len(w) else np.zeros((0, A))
    other = np.log((1 - class_prob) / (C - 1))
    for k, label in enumerate(np.asarray(labels, dtype=int).reshape(-1)):
        cell = feats[row[k], col[k]]  # (A, 5 + C)
        cell[:, 0] = _logit(dx[k])
        cell[:, 1] = _logit(dy[k])
        cell[:, 2] = np.log(w[k] / anchors[:, 0])
        cell[:, 3] = np.log(h[k] / anchors[:, 1])
        cell[:, 4] = _logit(confidence * fit[k])
        cell[:, 5:] = other
        cell[:, 5 + label] = np.log(class_prob)
    if noise:
        feats = feats + rng.normal(0.0, noise, feats.shape)
    return feats.reshape(1, grid_size, grid_size, A * (5 + C)).astype(np.float32)


def average_precision(recall, precision):
    """Area under a precision-recall curve, with precision made non-increasing.

    This is the "all points" interpolation of PASCAL VOC (2010 and later): the precision at
    recall r is replaced by the best precision at any recall >= r, and the resulting step
    function is integrated over recall.

    Args:
        recall: float array `(n,)`, non-decreasing, in [0, 1].
        precision: float array `(n,)`, in [0, 1], at the same ranks.

    Returns:
        Python float in [0, 1].
    """
    r = np.concatenate([[0.0], np.asarray(recall, dtype=np.float64), [1.0]])
    p = np.concatenate([[0.0], np.asarray(precision, dtype=np.float64), [0.0]])
    p = np.maximum.accumulate(p[::-1])[::-1]  # envelope: best precision to the right
    steps = np.nonzero(r[1:] != r[:-1])[0]
    return float(np.sum((r[steps + 1] - r[steps]) * p[steps + 1]))


def mean_average_precision(pred_boxes, pred_scores, pred_classes, true_boxes, true_labels,
                           num_classes, iou_threshold=0.5):
    """Mean over classes of the average precision of a detector (mAP@`iou_threshold`).

    For each class, all its detections (over all images) are ranked by decreasing score. A
    detection is a true positive when its IoU with a not yet matched ground-truth box of
    the same class, in the same image, is `>= iou_threshold` (the best such box is taken);
    otherwise, duplicates included, it is a false positive. Classes that have no
    ground-truth box are left out of the mean.

    Args:
        pred_boxes: list of `n` float arrays `(d_i, 4)`, predicted corners `(x1, y1, x2, y2)`.
        pred_scores: list of `n` float arrays `(d_i,)`.
        pred_classes: list of `n` int arrays `(d_i,)`.
        true_boxes: list of `n` float arrays `(k_i, 4)`, ground-truth corners.
        true_labels: list of `n` int arrays `(k_i,)`.
        num_classes: int C.
        iou_threshold: float.

    Returns:
        Tuple `(mAP, ap)`: `mAP` a Python float, `ap` a float64 array `(C,)` of per-class
        average precisions (NaN for classes without ground truth).
    """
    n = len(true_boxes)
    if not len(pred_boxes) == len(pred_scores) == len(pred_classes) == len(true_labels) == n:
        raise ValueError("every argument must hold one entry per image")
    ap = np.full(num_classes, np.nan)
    for c in range(num_classes):
        gts = [np.asarray(b, dtype=np.float64).reshape(-1, 4)[np.asarray(l).reshape(-1) == c]
               for b, l in zip(true_boxes, true_labels)]
        n_true = sum(len(g) for g in gts)
        if n_true == 0:
            continue
        dets = []  # (score, image, box)
        for i in range(n):
            mask = np.asarray(pred_classes[i]).reshape(-1) == c
            scores = np.asarray(pred_scores[i], dtype=np.float64).reshape(-1)[mask]
            boxes = np.asarray(pred_boxes[i], dtype=np.float64).reshape(-1, 4)[mask]
            dets += [(s, i, b) for s, b in zip(scores, boxes)]
        dets.sort(key=lambda d: -d[0])  # stable: equal scores keep image order
        matched = [np.zeros(len(g), dtype=bool) for g in gts]
        tp = np.zeros(len(dets))
        for rank, (_, i, box) in enumerate(dets):
            if len(gts[i]) == 0:
                continue
            overlaps = box_iou(box[None], gts[i])[0]
            overlaps[matched[i]] = -1.0
            best = int(np.argmax(overlaps))
            if overlaps[best] >= iou_threshold:
                matched[i][best] = True
                tp[rank] = 1.0
        hits = np.cumsum(tp)
        recall = hits / n_true
        precision = hits / np.arange(1, len(dets) + 1)
        ap[c] = average_precision(recall, precision) if len(dets) else 0.0
    present = ~np.isnan(ap)
    return (float(ap[present].mean()) if present.any() else 0.0), ap
