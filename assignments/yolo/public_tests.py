"""Public tests for the `yolo` assignment.

Run them in the notebook (`test_iou(iou)`) or from a shell with `cnnlab check yolo yolo.py`.
Each test works through a small example by hand. Your functions may return tf.Tensor,
NumPy arrays or numbers. Boxes returned by `yolo_filter_boxes`, `yolo_non_max_suppression`
and `yolo_eval` may come in any order. The hidden tests used for grading try many more
cases.
"""

import numpy as np

OK = "\033[92m{}: all public tests passed\033[0m"


def _np(x):
    if hasattr(x, "numpy"):
        x = x.numpy()
    return np.asarray(x, dtype=np.float64)


def _assert_close(got, expected, what, atol=1e-5):
    got, expected = _np(got), np.asarray(expected, dtype=np.float64)
    assert got.shape == expected.shape, f"{what}: expected shape {expected.shape}, got {got.shape}"
    err = float(np.max(np.abs(got - expected))) if got.size else 0.0
    assert err <= atol, f"{what}: differs from the worked example by up to {err:.3g}"


def _assert_same_boxes(got, expected, what):
    """`got` = (scores, boxes, classes) holds the rows of `expected`, in any order."""
    assert isinstance(got, (tuple, list)) and len(got) == 3, \
        f"{what}: return a tuple (scores, boxes, classes), got {type(got).__name__}"
    scores, boxes, classes = (_np(x) for x in got)
    e_scores, e_boxes, e_classes = (np.asarray(x, dtype=np.float64) for x in expected)
    n = len(e_scores)
    assert scores.shape == (n,), f"{what}: scores should have shape ({n},), got {scores.shape}"
    assert boxes.shape == (n, 4), f"{what}: boxes should have shape ({n}, 4), got {boxes.shape}"
    assert classes.shape == (n,), f"{what}: classes should have shape ({n},), got {classes.shape}"
    left = list(range(n))
    for k in range(n):
        hit = [i for i in left if abs(scores[i] - e_scores[k]) < 1e-4 and classes[i] == e_classes[k]
               and np.allclose(boxes[i], e_boxes[k], atol=1e-4)]
        assert hit, (f"{what}: missing the box with score {e_scores[k]:.4g}, corners "
                     f"{e_boxes[k].tolist()}, class {int(e_classes[k])}")
        left.remove(hit[0])


def test_yolo_head(target):
    # A 2x2 grid, one anchor of 1 x 2 cells, 2 classes. All zeros, except at row 1, column 0.
    feats = np.zeros((1, 2, 2, 7), dtype=np.float32)
    feats[0, 1, 0] = [np.log(3.0), 0.0, np.log(2.0), 0.0, 0.0, 0.0, np.log(3.0)]
    anchors = np.array([[1.0, 2.0]], dtype=np.float32)
    out = target(feats, anchors, 2)
    assert isinstance(out, (tuple, list)) and len(out) == 4, \
        "return a tuple (box_xy, box_wh, box_confidence, box_class_probs)"
    box_xy, box_wh, box_confidence, box_class_probs = (_np(x) for x in out)
    for name, value, shape in (("box_xy", box_xy, (1, 2, 2, 1, 2)), ("box_wh", box_wh, (1, 2, 2, 1, 2)),
                               ("box_confidence", box_confidence, (1, 2, 2, 1, 1)),
                               ("box_class_probs", box_class_probs, (1, 2, 2, 1, 2))):
        assert value.shape == shape, f"{name}: expected shape {shape}, got {value.shape}"
    # sigmoid(0) = 0.5: the centre of the cell. Row 0, column 1 is at x = 1.5 / 2, y = 0.5 / 2.
    _assert_close(box_xy[0, 0, 1, 0], [0.75, 0.25],
                  "box_xy of the cell in row 0, column 1 (x grows with the column)")
    _assert_close(box_xy[0, 0, 0, 0], [0.25, 0.25], "box_xy of the cell in row 0, column 0")
    # Row 1, column 0: sigmoid(log 3) = 0.75, so x = (0.75 + 0) / 2 and y = (0.5 + 1) / 2.
    _assert_close(box_xy[0, 1, 0, 0], [0.375, 0.75], "box_xy of the cell in row 1, column 0")
    # Anchor (1, 2) cells on a 2-cell grid: (0.5, 1.0) of the image; exp(log 2) doubles the width.
    _assert_close(box_wh[0, 0, 0, 0], [0.5, 1.0], "box_wh where t_w = t_h = 0 (anchors / S)")
    _assert_close(box_wh[0, 1, 0, 0], [1.0, 1.0], "box_wh where t_w = log 2")
    _assert_close(box_confidence, np.full((1, 2, 2, 1, 1), 0.5), "box_confidence = sigmoid(0)")
    _assert_close(box_class_probs[0, 1, 0, 0], [0.25, 0.75], "softmax of the class numbers (0, log 3)")
    _assert_close(box_class_probs[0, 0, 0, 0], [0.5, 0.5], "softmax of (0, 0)")
    # The same numbers, already split per anchor, give the same result.
    again = target(feats.reshape(1, 2, 2, 1, 7), anchors, 2)
    _assert_close(again[0], box_xy, "box_xy for feats of shape (m, S, S, A, 5 + C)")
    print(OK.format("yolo_head"))


def test_yolo_boxes_to_corners(target):
    box_xy = np.array([[0.5, 0.5], [0.25, 0.75]], dtype=np.float32)
    box_wh = np.array([[0.2, 0.4], [0.5, 0.25]], dtype=np.float32)
    corners = target(box_xy, box_wh)
    _assert_close(corners, [[0.3, 0.4, 0.7, 0.6], [0.625, 0.0, 0.875, 0.5]],
                  "[y_min, x_min, y_max, x_max] (y first)")
    print(OK.format("yolo_boxes_to_corners"))


def test_yolo_filter_boxes(target):
    # One cell, 4 anchors, 2 classes. Class scores = confidence * probabilities:
    #   box 0: 1.0 * (0.25, 0.75)   -> best 0.75, class 1    kept
    #   box 1: 0.5 * (0.875, 0.125) -> best 0.4375, class 0  kept
    #   box 2: 0.5 * (0.75, 0.25)   -> best 0.375, class 0   kept: exactly at the threshold
    #   box 3: 0.25 * (0.125, 0.875) -> best 0.21875         dropped
    boxes = np.arange(16, dtype=np.float32).reshape(1, 1, 1, 4, 4) / 16
    conf = np.array([1.0, 0.5, 0.5, 0.25], dtype=np.float32).reshape(1, 1, 1, 4, 1)
    probs = np.array([[0.25, 0.75], [0.875, 0.125], [0.75, 0.25], [0.125, 0.875]],
                     dtype=np.float32).reshape(1, 1, 1, 4, 2)
    got = target(boxes, conf, probs, threshold=0.375)
    flat = boxes.reshape(4, 4)
    _assert_same_boxes(got, ([0.75, 0.4375, 0.375], flat[:3], [1, 0, 0]),
                       "yolo_filter_boxes with threshold 0.375 (kept when score >= threshold)")
    got = target(boxes, conf, probs, threshold=0.9)
    _assert_same_boxes(got, (np.zeros(0), np.zeros((0, 4)), np.zeros(0)),
                       "yolo_filter_boxes when no box reaches the threshold")
    print(OK.format("yolo_filter_boxes"))


def test_iou(target):
    cases = [
        ("partial overlap", (2, 1, 4, 3), (1, 2, 3, 4), 1 / 7),
        ("one box inside the other", (0, 0, 4, 4), (1, 1, 3, 2), 2 / 16),
        ("identical boxes", (1, 1, 3, 5), (1, 1, 3, 5), 1.0),
        ("disjoint boxes", (0, 0, 1, 1), (2, 3, 4, 5), 0.0),
        ("boxes touching along an edge", (0, 0, 2, 2), (2, 0, 4, 2), 0.0),
        ("boxes touching at a corner", (0, 0, 2, 2), (2, 2, 3, 3), 0.0),
    ]
    for what, box1, box2, expected in cases:
        got = target(box1, box2)
        assert np.ndim(_np(got)) == 0, f"iou must return a number, got shape {np.shape(_np(got))}"
        _assert_close(got, expected, f"iou of {what} {box1}, {box2}", atol=1e-9)
    print(OK.format("iou"))


def test_yolo_non_max_suppression(target):
    boxes = np.array([[0, 0, 10, 10],    # A, class 0, 0.9: kept
                      [1, 1, 11, 11],    # B, class 0, 0.8: IoU(A, B) = 81/119 > 0.5, suppressed
                      [1, 1, 11, 11],    # C, class 1, 0.7: overlaps A but is another class, kept
                      [20, 20, 30, 30]],  # D, class 0, 0.6: overlaps nothing, kept
                     dtype=np.float32)
    scores = np.array([0.9, 0.8, 0.7, 0.6], dtype=np.float32)
    classes = np.array([0, 0, 1, 0])
    got = target(scores, boxes, classes, max_boxes=10, iou_threshold=0.5)
    _assert_same_boxes(got, (scores[[0, 2, 3]], boxes[[0, 2, 3]], classes[[0, 2, 3]]),
                       "per-class NMS")
    got = target(scores, boxes, classes, max_boxes=2, iou_threshold=0.5)
    _assert_same_boxes(got, (scores[[0, 2]], boxes[[0, 2]], classes[[0, 2]]),
                       "per-class NMS with max_boxes = 2 (the 2 best survivors)")
    print(OK.format("yolo_non_max_suppression"))


def test_scale_boxes(target):
    boxes = np.array([[0.5, 0.25, 1.0, 0.75], [0.0, 0.0, 0.1, 0.2]], dtype=np.float32)
    got = target(boxes, (200, 400))
    _assert_close(got, [[100, 100, 200, 300], [0, 0, 20, 80]], "boxes scaled to a 200 x 400 image",
                  atol=1e-3)
    print(OK.format("scale_boxes"))


def test_yolo_eval(target):
    # Decoded outputs of a 2x2 grid with 2 anchors and 2 classes. Only the cell in row 1,
    # column 0 is confident: anchor 0 sees a class-1 box centred at (x, y) = (0.25, 0.75)
    # of size 0.5 x 0.5; anchor 1 sees nearly the same box (0.6 wide), less confidently.
    box_xy = np.full((1, 2, 2, 2, 2), 0.5, dtype=np.float32)
    box_xy[0, 1, 0] = [0.25, 0.75]
    box_wh = np.full((1, 2, 2, 2, 2), 0.5, dtype=np.float32)
    box_wh[0, 1, 0, 1] = [0.6, 0.5]
    conf = np.full((1, 2, 2, 2, 1), 0.1, dtype=np.float32)
    conf[0, 1, 0] = [[0.9], [0.8]]
    probs = np.full((1, 2, 2, 2, 2), 0.5, dtype=np.float32)
    probs[0, 1, 0] = [[0.125, 0.875], [0.25, 0.75]]
    got = target((box_xy, box_wh, conf, probs), image_shape=(100, 200), max_boxes=10,
                 score_threshold=0.5, iou_threshold=0.5)
    # Score 0.9 * 0.875; corners y 0.5..1.0 of 100 pixels, x 0.0..0.5 of 200 pixels. The second
    # box (IoU 0.25 / 0.3 with the first) is suppressed.
    _assert_same_boxes(got, ([0.9 * 0.875], [[50, 0, 100, 100]], [1]), "yolo_eval")
    print(OK.format("yolo_eval"))
