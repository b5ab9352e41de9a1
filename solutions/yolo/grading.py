"""Hidden tests of the `yolo` assignment: cases, points and known mistakes.

Random cases come from `rng` (heads of several grid sizes, anchor and class counts, random
box sets); fixed cases are built by hand (IoU geometry, scores exactly at the threshold, NMS
ties and chains of overlaps). Random cases keep every score away from the threshold and
every IoU away from the NMS threshold, so float32 and float64 answers agree on which boxes
survive. Functions that return a variable number of boxes are compared as sets (`check`):
their order is never graded.
"""

import warnings

import numpy as np

from cnnlab.grader.spec import Assignment, Case, GradedFunction, Mistake, sibling

ref = sibling(__file__, "yolo.py")

SCORE_RTOL, SCORE_ATOL = 1e-4, 1e-5
BOX_RTOL, BOX_ATOL = 1e-4, 1e-4


def to_numpy(value):
    if isinstance(value, (tuple, list)):
        return type(value)(to_numpy(v) for v in value)
    if isinstance(value, (float, int)):
        return value
    if hasattr(value, "numpy"):
        value = value.numpy()
    return np.asarray(value)


def numpy_result(fn):
    """`fn` with its outputs (tensors) converted to NumPy, for the comparisons."""
    def wrapped(*args, **kwargs):
        with warnings.catch_warnings():  # Keras warns about a softmax over C = 1 class
            warnings.filterwarnings("ignore", message="You are using a softmax")
            return to_numpy(fn(*args, **kwargs))
    wrapped.__name__ = getattr(fn, "__name__", "wrapped")
    return wrapped


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# --- comparing sets of boxes -------------------------------------------------------------------

def _max_matching(ok):
    """Size of a maximum matching in the bipartite graph `ok` (rows: got, columns: expected)."""
    match_of_col = [-1] * ok.shape[1]

    def augment(row, seen):
        for col in np.nonzero(ok[row])[0]:
            if not seen[col]:
                seen[col] = True
                if match_of_col[col] < 0 or augment(match_of_col[col], seen):
                    match_of_col[col] = row
                    return True
        return False

    matched_rows = [r for r in range(ok.shape[0]) if augment(r, [False] * ok.shape[1])]
    return len(matched_rows), set(range(ok.shape[0])) - set(matched_rows)


def same_detections(case, expected, got):
    """None when `got` holds the same (score, box, class) rows as `expected`, in any order."""
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        kind = f"{len(got)} values" if isinstance(got, (tuple, list)) else type(got).__name__
        return f"expected a tuple (scores, boxes, classes), got {kind}"
    arrays = []
    for name, value in zip(("scores", "boxes", "classes"), got):
        try:
            array = np.asarray(value)
        except Exception:
            return f"{name}: expected an array, got {type(value).__name__}"
        if array.dtype.kind not in "biuf":
            return f"{name}: expected numbers, got {type(value).__name__} (dtype {array.dtype})"
        arrays.append(array.astype(np.float64))
    scores, boxes, classes = arrays
    e_scores, e_boxes, e_classes = (np.asarray(e, dtype=np.float64) for e in expected)
    n = e_scores.shape[0]
    if boxes.size == 0 and n == 0 and scores.size == 0 and classes.size == 0:
        return None
    if scores.ndim != 1:
        return f"scores: expected shape (N,), one number per box, got shape {scores.shape}"
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        return f"boxes: expected shape (N, 4), got shape {boxes.shape}"
    if classes.ndim != 1:
        return f"classes: expected shape (N,), got shape {classes.shape}"
    if not scores.shape[0] == boxes.shape[0] == classes.shape[0]:
        return (f"scores, boxes and classes must describe the same boxes, but they hold "
                f"{scores.shape[0]}, {boxes.shape[0]} and {classes.shape[0]} rows")
    if scores.shape[0] != n:
        return f"expected {n} boxes, got {scores.shape[0]}"
    if np.isnan(scores).any() or np.isnan(boxes).any():
        return "your scores or boxes contain NaN"
    ok = (np.isclose(scores[:, None], e_scores[None, :], rtol=SCORE_RTOL, atol=SCORE_ATOL)
          & np.all(np.isclose(boxes[:, None, :], e_boxes[None, :, :], rtol=BOX_RTOL, atol=BOX_ATOL), axis=-1)
          & (classes[:, None] == e_classes[None, :]))
    matched, unmatched = _max_matching(ok)
    if matched == n:
        return None
    k = min(unmatched)
    return (f"{n - matched} of your {n} boxes match no expected box (score, corners and class must "
            f"all agree; the order does not matter). For instance your box {k}: score "
            f"{scores[k]:.4g}, corners {np.array2string(boxes[k], precision=4)}, class {classes[k]:g}")


# --- yolo_head ---------------------------------------------------------------------------------

def _head_inputs(rng, m, S, A, C, five_d=False):
    feats = rng.normal(0.0, 1.0, (m, S, S, A, 5 + C))
    feats[..., 2:4] *= 0.5
    feats = feats.astype(np.float32)
    if not five_d:
        feats = feats.reshape(m, S, S, A * (5 + C))
    anchors = rng.uniform(0.4, 3.0, (A, 2)).astype(np.float32)
    return feats, anchors


def yolo_head_cases(rng):
    def case(name, m, S, A, C, five_d=False):
        feats, anchors = _head_inputs(rng, m, S, A, C, five_d)
        return Case(name, (feats, anchors, C))

    return [
        case("grid 3, 2 anchors, 3 classes", 1, 3, 2, 3),
        case("batch of 2, grid 5, 3 anchors, 2 classes", 2, 5, 3, 2),
        case("grid 8, 5 anchors, 6 classes (the demo detector's layout)", 1, 8, 5, 6),
        case("input already split per anchor: shape (m, S, S, A, 5 + C)", 1, 7, 4, 3, five_d=True),
        case("batch of 3, grid 2, 1 anchor, 2 classes", 3, 2, 1, 2),
        case("random sizes", int(rng.integers(1, 3)), int(rng.integers(2, 10)), int(rng.integers(1, 6)),
             int(rng.integers(2, 8))),
    ]


def _head_parts(feats, anchors, num_classes):
    feats = np.asarray(feats, dtype=np.float64)
    m, S = feats.shape[0], feats.shape[1]
    A = len(anchors)
    return feats.reshape(m, S, S, A, 5 + num_classes), np.asarray(anchors, dtype=np.float64), S


def _decode(f, anchors, S, cell_xy, anchor_scale, class_fn=_softmax):
    return (( _sigmoid(f[..., 0:2]) + cell_xy) / S, np.exp(f[..., 2:4]) * anchors / anchor_scale,
            _sigmoid(f[..., 4:5]), class_fn(f[..., 5:]))


def head_xy_swapped(feats, anchors, num_classes):
    f, anchors, S = _head_parts(feats, anchors, num_classes)
    row, col = np.meshgrid(np.arange(S), np.arange(S), indexing="ij")
    cell = np.stack([row, col], axis=-1)[None, :, :, None, :]  # (row, col) used as (x, y)
    return _decode(f, anchors, S, cell, S)


def _cells(S):
    row, col = np.meshgrid(np.arange(S), np.arange(S), indexing="ij")
    return np.stack([col, row], axis=-1)[None, :, :, None, :]


def head_anchors_not_scaled(feats, anchors, num_classes):
    f, anchors, S = _head_parts(feats, anchors, num_classes)
    return _decode(f, anchors, S, _cells(S), 1.0)


def head_sigmoid_classes(feats, anchors, num_classes):
    f, anchors, S = _head_parts(feats, anchors, num_classes)
    return _decode(f, anchors, S, _cells(S), S, class_fn=_sigmoid)


def head_anchor_minor_layout(feats, anchors, num_classes):
    feats = np.asarray(feats, dtype=np.float64)
    if feats.ndim != 4:
        raise ValueError("only for the flat layout")
    m, S, A = feats.shape[0], feats.shape[1], len(anchors)
    f = feats.reshape(m, S, S, 5 + num_classes, A).swapaxes(-1, -2)
    return _decode(f, np.asarray(anchors, dtype=np.float64), S, _cells(S), S)


# --- yolo_boxes_to_corners ---------------------------------------------------------------------

def corners_cases(rng):
    def case(name, *shape):
        xy = rng.uniform(0.0, 1.0, shape + (2,)).astype(np.float32)
        wh = rng.uniform(0.05, 0.8, shape + (2,)).astype(np.float32)
        return Case(name, (xy, wh))

    return [case("grid 4, 3 anchors", 1, 4, 4, 3), case("batch of 2, grid 3, 5 anchors", 2, 3, 3, 5),
            case("a list of 7 boxes, shape (7, 2)", 7), case("one box, shape (2,)")]


def corners_xy_order(box_xy, box_wh):
    xy, wh = np.asarray(box_xy, np.float64), np.asarray(box_wh, np.float64)
    return np.concatenate([xy - wh / 2, xy + wh / 2], axis=-1)


def corners_full_size(box_xy, box_wh):
    xy, wh = np.asarray(box_xy, np.float64), np.asarray(box_wh, np.float64)
    lo, hi = xy - wh, xy + wh
    return np.concatenate([lo[..., 1:2], lo[..., 0:1], hi[..., 1:2], hi[..., 0:1]], axis=-1)


# --- yolo_filter_boxes -------------------------------------------------------------------------

def gap_threshold(values, quantile, min_gap=1e-3):
    """A threshold near the `quantile` of `values` and at least `min_gap / 2` from all of them."""
    v = np.unique(np.asarray(values, dtype=np.float64).ravel())
    gaps = np.nonzero(np.diff(v) > min_gap)[0]
    target = np.quantile(v, quantile)
    i = gaps[np.argmin(np.abs(v[gaps] - target))]
    return float((v[i] + v[i + 1]) / 2)


def _filter_inputs(rng, m, S, A, C):
    boxes = rng.uniform(0.0, 1.0, (m, S, S, A, 4)).astype(np.float32)
    conf = _sigmoid(rng.normal(0.0, 2.0, (m, S, S, A, 1))).astype(np.float32)
    probs = _softmax(rng.normal(0.0, 2.0, (m, S, S, A, C))).astype(np.float32)
    return boxes, conf, probs


def filter_cases(rng):
    def case(name, m, S, A, C, quantile):
        boxes, conf, probs = _filter_inputs(rng, m, S, A, C)
        best = (conf.astype(np.float64) * probs).max(axis=-1)
        return Case(name, (boxes, conf, probs), {"threshold": gap_threshold(best, quantile)})

    # Hand-made scores exactly at the threshold: 0.75 * 0.5 = 0.375 in any precision.
    boxes = rng.uniform(0.0, 1.0, (1, 2, 3, 2, 4)).astype(np.float32)
    conf = np.array([0.75, 0.5, 1.0, 0.75, 0.25, 0.75, 1.0, 0.75, 0.5, 0.75, 0.25, 1.0],
                    np.float32).reshape(1, 2, 3, 2, 1)
    rows = np.array([rng.permutation([0.5, 0.25, 0.125, 0.125]) for _ in range(12)], np.float32)
    probs = rows.reshape(1, 2, 3, 2, 4)
    at = Case("scores exactly at the threshold are kept (>=)", (boxes, conf, probs), {"threshold": 0.375})
    return [
        case("grid 4, 3 anchors, 5 classes", 1, 4, 3, 5, 0.7),
        case("grid 6, 5 anchors, 6 classes", 1, 6, 5, 6, 0.85),
        case("batch of 2 (boxes of both images, flattened)", 2, 3, 2, 4, 0.6),
        case("grid 3, 3 anchors, 3 classes (a wrong axis cannot hide behind a shape error)",
             1, 3, 3, 3, 0.5),
        at,
        Case("no box reaches the threshold", _filter_inputs(rng, 1, 3, 2, 4), {"threshold": 1.01}),
        case("random sizes", 1, int(rng.integers(2, 8)), int(rng.integers(1, 6)), int(rng.integers(2, 9)), 0.75),
    ]


def _filter_np(boxes, box_confidence, box_class_probs, threshold, axis=-1, strict=False, use_conf=True):
    scores = (np.asarray(box_confidence, np.float64) if use_conf else 1.0) * np.asarray(box_class_probs, np.float64)
    best, classes = scores.max(axis=axis), scores.argmax(axis=axis)
    keep = best > threshold if strict else best >= threshold
    return best[keep], np.asarray(boxes)[keep], classes[keep]


def filter_strict(boxes, box_confidence, box_class_probs, threshold=0.6):
    return _filter_np(boxes, box_confidence, box_class_probs, threshold, strict=True)


def filter_no_confidence(boxes, box_confidence, box_class_probs, threshold=0.6):
    return _filter_np(boxes, box_confidence, box_class_probs, threshold, use_conf=False)


def filter_wrong_axis(axis):
    def wrong(boxes, box_confidence, box_class_probs, threshold=0.6):
        return _filter_np(boxes, box_confidence, box_class_probs, threshold, axis=axis)
    return wrong


# --- iou -----------------------------------------------------------------------------------------

def iou_cases(rng):
    def random_pair():
        x1, y1 = rng.uniform(0, 5, 2)
        a = (x1, y1, x1 + rng.uniform(1, 4), y1 + rng.uniform(1, 4))
        x2, y2 = rng.uniform(x1 - 2, x1 + 3), rng.uniform(y1 - 2, y1 + 3)
        b = (x2, y2, x2 + rng.uniform(1, 4), y2 + rng.uniform(1, 4))
        return tuple(float(v) for v in a), tuple(float(v) for v in b)

    a, b = random_pair()
    c, d = random_pair()
    return [
        Case("partial overlap", ((2.0, 1.0, 4.0, 3.0), (1.0, 2.0, 3.0, 4.0))),
        Case("one box inside the other", ((0.0, 0.0, 10.0, 10.0), (2.0, 3.0, 5.0, 7.0))),
        Case("identical boxes", ((1.5, 2.0, 4.0, 6.5), (1.5, 2.0, 4.0, 6.5))),
        Case("crossing boxes (a plus sign)", ((0.0, 2.0, 6.0, 4.0), (2.0, 0.0, 4.0, 6.0))),
        Case("disjoint, side by side", ((0.0, 0.0, 2.0, 2.0), (3.0, 0.0, 5.0, 2.0))),
        Case("disjoint in both directions", ((0.0, 0.0, 1.0, 1.0), (2.0, 3.0, 4.0, 5.0))),
        Case("touching along an edge", ((0.0, 0.0, 2.0, 2.0), (2.0, 0.5, 4.0, 1.5))),
        Case("touching at a corner", ((0.0, 0.0, 2.0, 2.0), (2.0, 2.0, 3.0, 3.0))),
        Case("random boxes", (a, b)),
        Case("random boxes, given as lists", (list(c), list(d))),
    ]


def _iou_parts(box1, box2):
    (a1, b1, a2, b2), (c1, d1, c2, d2) = box1, box2
    w = min(a2, c2) - max(a1, c1)
    h = min(b2, d2) - max(b1, d1)
    return w, h, (a2 - a1) * (b2 - b1), (c2 - c1) * (d2 - d1)


def iou_no_clamp(box1, box2):
    w, h, s1, s2 = _iou_parts(box1, box2)
    return float(w * h / (s1 + s2 - w * h))


def iou_union_no_subtract(box1, box2):
    w, h, s1, s2 = _iou_parts(box1, box2)
    return float(max(w, 0.0) * max(h, 0.0) / (s1 + s2))


def iou_min_max_swapped(box1, box2):
    (a1, b1, a2, b2), (c1, d1, c2, d2) = box1, box2
    w = max(max(a2, c2) - min(a1, c1), 0.0)
    h = max(max(b2, d2) - min(b1, d1), 0.0)
    s1, s2 = (a2 - a1) * (b2 - b1), (c2 - c1) * (d2 - d1)
    return float(w * h / (s1 + s2 - w * h))


# --- yolo_non_max_suppression ----------------------------------------------------------------------

def _pairwise_iou(boxes):
    b = np.asarray(boxes, dtype=np.float64)
    h = np.clip(np.minimum(b[:, None, 2], b[None, :, 2]) - np.maximum(b[:, None, 0], b[None, :, 0]), 0, None)
    w = np.clip(np.minimum(b[:, None, 3], b[None, :, 3]) - np.maximum(b[:, None, 1], b[None, :, 1]), 0, None)
    area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    inter = h * w
    union = area[:, None] + area[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def well_separated(scores, boxes, iou_threshold, margin=2e-3):
    """No IoU close to the threshold, no two scores nearly equal: every answer agrees."""
    iou = _pairwise_iou(boxes)
    off_diagonal = ~np.eye(len(boxes), dtype=bool)
    s = np.sort(np.asarray(scores, dtype=np.float64))
    return (not np.any(np.abs(iou[off_diagonal] - iou_threshold) < margin)
            and not np.any(np.diff(s) < 1e-4))


def _cluster_boxes(rng, n, clusters, size=100.0):
    centres = rng.uniform(0.2 * size, 0.8 * size, (clusters, 2))
    pick = rng.integers(0, clusters, n)
    centre = centres[pick] + rng.normal(0.0, 0.04 * size, (n, 2))
    hw = rng.uniform(0.1 * size, 0.3 * size, (n, 2)) / 2
    return np.concatenate([centre - hw, centre + hw], axis=1)  # (y1, x1, y2, x2), centre is (y, x)


def nms_random_case(rng, name, n, num_classes, max_boxes, iou_threshold, clusters=4):
    for _ in range(200):
        boxes = _cluster_boxes(rng, n, clusters).astype(np.float32)
        scores = rng.uniform(0.3, 1.0, n).astype(np.float32)
        classes = rng.integers(0, num_classes, n)
        if well_separated(scores, boxes, iou_threshold):
            return Case(name, (scores, boxes, classes), {"max_boxes": max_boxes, "iou_threshold": iou_threshold})
    raise RuntimeError("could not draw a well separated NMS case")


def _f32(*rows):
    return np.array(rows, dtype=np.float32)


def nms_cases(rng):
    # A chain along x: A overlaps B (IoU 7/13), B overlaps C (7/13), A and C barely (1/4).
    # Greedy NMS keeps A, drops B, and C survives because B, which overlapped it, was dropped.
    chain_boxes = _f32([0, 6, 10, 16], [0, 0, 10, 10], [0, 3, 10, 13],        # class 0: C, A, B
                       [20, 40, 30, 50], [23, 40, 33, 50], [26, 40, 36, 50],  # class 1 chain, along y
                       [60, 60, 70, 75])
    chain = Case("chains of overlaps: a dropped box suppresses nothing",
                 (_f32(0.7, 0.9, 0.8, 0.6, 0.55, 0.5, 0.95), chain_boxes, np.array([0, 0, 0, 1, 1, 1, 2])),
                 {"max_boxes": 10, "iou_threshold": 0.5})
    # Ties: two identical boxes with the same score and class (exactly one survives, either
    # one), and equal scores on boxes that do not overlap (both survive).
    tie_boxes = _f32([10, 10, 30, 30], [10, 10, 30, 30], [50, 50, 60, 70], [50, 80, 60, 100],
                     [11, 11, 31, 29], [0, 0, 5, 5])
    ties = Case("tied scores: duplicates and separate boxes",
                (_f32(0.8, 0.8, 0.6, 0.6, 0.9, 0.6), tie_boxes, np.array([1, 1, 0, 0, 2, 0])),
                {"max_boxes": 10, "iou_threshold": 0.5})
    # Per class: near-identical boxes of different classes both survive.
    per_class_boxes = _f32([0, 0, 40, 40], [1, 1, 41, 41], [2, 0, 42, 40], [100, 100, 140, 130],
                           [102, 101, 141, 131])
    per_class = Case("overlapping boxes of different classes do not suppress each other",
                     (_f32(0.9, 0.85, 0.7, 0.65, 0.6), per_class_boxes, np.array([0, 1, 0, 2, 3])),
                     {"max_boxes": 10, "iou_threshold": 0.5})
    # max_boxes caps the total over all classes: 8 separate boxes of 3 classes, keep 5.
    cap_boxes = np.array([[0, 20 * k, 10, 20 * k + 10] for k in range(8)], dtype=np.float32)
    cap = Case("max_boxes caps the total over all classes",
               (_f32(0.9, 0.5, 0.85, 0.4, 0.8, 0.75, 0.3, 0.7), cap_boxes, np.array([0, 1, 0, 2, 1, 0, 2, 1])),
               {"max_boxes": 5, "iou_threshold": 0.5})
    return [
        nms_random_case(rng, "random clusters, 3 classes", 20, 3, 10, 0.5),
        nms_random_case(rng, "random clusters, 4 classes, max_boxes 6", 30, 4, 6, 0.4),
        nms_random_case(rng, "random clusters, one class, IoU threshold 0.3", 15, 1, 10, 0.3, clusters=3),
        chain, ties, per_class, cap,
        Case("a single box", (_f32(0.7), _f32([5, 5, 9, 12]), np.array([3])),
             {"max_boxes": 10, "iou_threshold": 0.5}),
    ]


def _greedy(scores, boxes, classes, max_boxes, iou_threshold, per_class=True, cap_per_class=False,
            by_score=True, only_kept_suppress=True):
    scores = np.asarray(scores, np.float64)
    boxes = np.asarray(boxes, np.float64)
    classes = np.asarray(classes)
    iou = _pairwise_iou(boxes)
    order = np.argsort(-scores, kind="stable") if by_score else np.arange(len(scores))
    kept, seen = [], []
    for i in order:
        rivals = kept if only_kept_suppress else seen
        rivals = [j for j in rivals if not per_class or classes[j] == classes[i]]
        seen.append(i)
        if not any(iou[i, j] > iou_threshold for j in rivals):
            kept.append(i)
    if cap_per_class:
        kept = [i for i in kept if sum(classes[j] == classes[i] for j in kept if scores[j] >= scores[i])
                <= max_boxes]
    else:
        kept = sorted(kept, key=lambda i: -scores[i])[:max_boxes]
    kept = np.asarray(kept, dtype=int)
    return scores[kept], boxes[kept], classes[kept]


def nms_across_classes(scores, boxes, classes, max_boxes=10, iou_threshold=0.5):
    return _greedy(scores, boxes, classes, max_boxes, iou_threshold, per_class=False)


def nms_cap_per_class(scores, boxes, classes, max_boxes=10, iou_threshold=0.5):
    return _greedy(scores, boxes, classes, max_boxes, iou_threshold, cap_per_class=True)


def nms_input_order(scores, boxes, classes, max_boxes=10, iou_threshold=0.5):
    return _greedy(scores, boxes, classes, max_boxes, iou_threshold, by_score=False)


def nms_suppressed_suppress(scores, boxes, classes, max_boxes=10, iou_threshold=0.5):
    return _greedy(scores, boxes, classes, max_boxes, iou_threshold, only_kept_suppress=False)


# --- scale_boxes -----------------------------------------------------------------------------------

def scale_cases(rng):
    def case(name, n, shape):
        return Case(name, (rng.uniform(0.0, 1.0, (n, 4)).astype(np.float32), shape))

    return [case("6 boxes, a 720 x 1280 image", 6, (720, 1280)), case("a square image", 3, (128, 128)),
            case("a tall image (height 300, width 90)", 5, (300, 90)), case("no boxes", 0, (480, 640))]


def scale_swapped(boxes, image_shape):
    height, width = image_shape
    return np.asarray(boxes, np.float64) * np.array([width, height, width, height], np.float64)


# --- yolo_eval ---------------------------------------------------------------------------------------

def eval_random_case(rng, name, S, A, C, image_shape, max_boxes, iou_threshold, quantile, defaults=False):
    """A decoded random head whose surviving boxes do not depend on float precision."""
    for _ in range(200):
        feats = rng.normal(0.0, 1.0, (1, S, S, A, 5 + C))
        feats[..., 2:4] *= 0.4
        feats[..., 4] += 1.0
        feats[..., 5:] *= 2.5
        anchors = rng.uniform(0.5, 2.5, (A, 2))
        outputs = to_numpy(ref.yolo_head(feats.astype(np.float32), anchors.astype(np.float32), C))
        best = (outputs[2].astype(np.float64) * outputs[3]).max(axis=-1).ravel()
        threshold = 0.6 if defaults else gap_threshold(best, quantile)
        if np.min(np.abs(best - threshold)) < 5e-4:
            continue
        boxes = to_numpy(ref.yolo_boxes_to_corners(outputs[0], outputs[1])).reshape(-1, 4)
        keep = best >= threshold
        if keep.sum() < 2:
            continue
        cls = (outputs[2] * outputs[3]).reshape(-1, C).argmax(axis=-1)[keep]
        if not well_separated(best[keep], boxes[keep], iou_threshold):
            continue
        if defaults:
            return Case(name, (outputs,))
        return Case(name, (outputs,), {"image_shape": image_shape, "max_boxes": max_boxes,
                                       "score_threshold": threshold, "iou_threshold": iou_threshold})
    raise RuntimeError("could not draw a well separated yolo_eval case")


def eval_cases(rng):
    empty = eval_random_case(rng, "", 3, 2, 3, (100, 100), 10, 0.5, 0.5)
    empty = Case("no box reaches the score threshold", empty.args,
                 {**empty.kwargs, "score_threshold": 1.01})
    return [
        eval_random_case(rng, "grid 5, 3 anchors, 4 classes, 720 x 1280", 5, 3, 4, (720, 1280), 10, 0.5, 0.8),
        eval_random_case(rng, "grid 8, 5 anchors, 6 classes, 128 x 128, max_boxes 6", 8, 5, 6, (128, 128),
                         6, 0.45, 0.9),
        eval_random_case(rng, "grid 4, 2 anchors, 3 classes, 480 x 640, IoU threshold 0.3", 4, 2, 3,
                         (480, 640), 10, 0.3, 0.7),
        eval_random_case(rng, "default arguments", 6, 3, 2, None, None, 0.5, None, defaults=True),
        empty,
    ]


def _eval_with(outputs, image_shape, max_boxes, score_threshold, iou_threshold, scale=True, nms=None):
    box_xy, box_wh, box_confidence, box_class_probs = outputs
    boxes = ref.yolo_boxes_to_corners(box_xy, box_wh)
    scores, boxes, classes = to_numpy(ref.yolo_filter_boxes(boxes, box_confidence, box_class_probs,
                                                            score_threshold))
    if scale:
        boxes = to_numpy(ref.scale_boxes(boxes, image_shape))
    return (nms or ref.yolo_non_max_suppression)(scores, boxes, classes, max_boxes, iou_threshold)


def eval_not_scaled(yolo_outputs, image_shape=(720, 1280), max_boxes=10, score_threshold=0.6, iou_threshold=0.5):
    return _eval_with(yolo_outputs, image_shape, max_boxes, score_threshold, iou_threshold, scale=False)


def eval_across_classes(yolo_outputs, image_shape=(720, 1280), max_boxes=10, score_threshold=0.6,
                        iou_threshold=0.5):
    return _eval_with(yolo_outputs, image_shape, max_boxes, score_threshold, iou_threshold,
                      nms=nms_across_classes)


def eval_shape_swapped(yolo_outputs, image_shape=(720, 1280), max_boxes=10, score_threshold=0.6,
                       iou_threshold=0.5):
    return _eval_with(yolo_outputs, tuple(image_shape)[::-1], max_boxes, score_threshold, iou_threshold)


# --- the assignment -----------------------------------------------------------------------------------

WRONG_AXIS = ("you took the max/argmax over the wrong axis: the class scores of a box are on the LAST "
              "axis of box_scores (axis=-1)")
PER_CLASS = ("non-max suppression here is PER CLASS: a box is only suppressed by a kept box of the SAME "
             "class, so boxes of different classes never suppress each other; you suppressed across "
             "classes")

ASSIGNMENT = Assignment(
    name="yolo",
    title="YOLO: decoding, score filtering, IoU and non-max suppression",
    module="yolo",
    needs_tensorflow=True,
    timeout=30.0,
    error_hints=[
        (r"of double is not in the list of allowed values: half, float",
         "tf.image.non_max_suppression needs float32 boxes and scores: cast them with "
         "tf.cast(x, tf.float32) (or ops.cast(x, 'float32')) first"),
        (r"boolean index did not match|[Ii]ncompatible shapes|are incompatible",
         "a mask must have the shape of the array it selects from, minus the last axis: in "
         "yolo_filter_boxes, take max/argmax over the LAST axis (classes) to get a (m, S, S, A) mask"),
    ],
    functions=[
        GradedFunction("yolo_head", 15, numpy_result(ref.yolo_head), yolo_head_cases,
                       returns=("box_xy", "box_wh", "box_confidence", "box_class_probs"), rtol=1e-4, atol=1e-6,
                       mistakes=[
                           Mistake("x and y are swapped in the cell offset: the cell in row i and column j "
                                   "adds j to x and i to y (axis 1 of the grid is y, axis 2 is x)",
                                   head_xy_swapped),
                           Mistake("anchors are in grid cells: divide exp(t_wh) * anchors by S too, so that "
                                   "box_wh is a fraction of the image like box_xy", head_anchors_not_scaled),
                           Mistake("class probabilities come from a softmax over the C class numbers, not a "
                                   "sigmoid", head_sigmoid_classes),
                           Mistake("the last axis holds A blocks of 5 + C numbers, one block per anchor: "
                                   "reshape it to (m, S, S, A, 5 + C), not (m, S, S, 5 + C, A)",
                                   head_anchor_minor_layout),
                       ]),
        GradedFunction("yolo_boxes_to_corners", 5, numpy_result(ref.yolo_boxes_to_corners), corners_cases,
                       rtol=1e-5, atol=1e-6,
                       mistakes=[
                           Mistake("the corners go in the order [y_min, x_min, y_max, x_max]: y first",
                                   corners_xy_order),
                           Mistake("the corners are half a width and half a height away from the centre",
                                   corners_full_size),
                       ]),
        GradedFunction("yolo_filter_boxes", 20, ref.yolo_filter_boxes, filter_cases, harness="detections",
                       check=same_detections,
                       mistakes=[
                           Mistake("keep boxes whose score is >= threshold: a score exactly at the threshold "
                                   "is kept (you used >)", filter_strict),
                           Mistake("the score of a class is box_confidence * box_class_probs: you forgot the "
                                   "confidence", filter_no_confidence),
                           Mistake(WRONG_AXIS, filter_wrong_axis(1)),
                           Mistake(WRONG_AXIS, filter_wrong_axis(2)),
                           Mistake(WRONG_AXIS, filter_wrong_axis(3)),
                       ]),
        GradedFunction("iou", 15, ref.iou, iou_cases, rtol=1e-6, atol=1e-9,
                       mistakes=[
                           Mistake("boxes that do not overlap must give 0: clamp the intersection's width "
                                   "and height at 0 SEPARATELY (max(..., 0)) before multiplying; two negative "
                                   "sides would multiply to a positive area", iou_no_clamp),
                           Mistake("union = area1 + area2 - intersection: you counted the intersection "
                                   "twice", iou_union_no_subtract),
                           Mistake("the intersection runs from the LARGER of the two x1 (y1) to the SMALLER "
                                   "of the two x2 (y2): you swapped max and min", iou_min_max_swapped),
                       ]),
        GradedFunction("yolo_non_max_suppression", 20, ref.yolo_non_max_suppression, nms_cases,
                       harness="detections", check=same_detections,
                       mistakes=[
                           Mistake(PER_CLASS, nms_across_classes),
                           Mistake("max_boxes caps the TOTAL number of boxes returned (all classes "
                                   "together): keep the max_boxes best survivors overall", nms_cap_per_class),
                           Mistake("visit the boxes by decreasing score: the best box of a cluster is the "
                                   "one kept", nms_input_order),
                           Mistake("only boxes that are KEPT suppress others: a box that was itself "
                                   "suppressed does not remove its neighbours", nms_suppressed_suppress),
                       ]),
        GradedFunction("scale_boxes", 5, numpy_result(ref.scale_boxes), scale_cases, rtol=1e-5, atol=1e-4,
                       mistakes=[Mistake("image_shape is (height, width): y coordinates scale with the "
                                         "height, x with the width", scale_swapped)]),
        GradedFunction("yolo_eval", 20, ref.yolo_eval, eval_cases, harness="detections", check=same_detections,
                       mistakes=[
                           Mistake("scale the boxes to pixels with scale_boxes(boxes, image_shape) before "
                                   "non-max suppression", eval_not_scaled),
                           Mistake("yolo_eval gives what per-class NMS would not: check that "
                                   "yolo_non_max_suppression works per class", eval_across_classes),
                           Mistake("image_shape is (height, width): y coordinates scale with the height",
                                   eval_shape_swapped),
                       ]),
    ],
)
