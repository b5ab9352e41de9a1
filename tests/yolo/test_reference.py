"""The yolo reference against naive loops, hand-worked values and its own NumPy fallback."""

import numpy as np
import pytest

from cnnlab.grader.spec import load_module

from ..conftest import ROOT

ref = load_module(ROOT / "solutions" / "yolo" / "yolo.py", "yolo_reference_under_test")


def to_np(x):
    return np.asarray(x.numpy() if hasattr(x, "numpy") else x)


def naive_head(feats, anchors, C):
    m, S = feats.shape[0], feats.shape[1]
    A = len(anchors)
    f = np.asarray(feats, dtype=np.float64).reshape(m, S, S, A, 5 + C)
    xy, wh = np.zeros((m, S, S, A, 2)), np.zeros((m, S, S, A, 2))
    conf, probs = np.zeros((m, S, S, A, 1)), np.zeros((m, S, S, A, C))
    for n in range(m):
        for row in range(S):
            for col in range(S):
                for a in range(A):
                    t = f[n, row, col, a]
                    xy[n, row, col, a] = [(1 / (1 + np.exp(-t[0])) + col) / S, (1 / (1 + np.exp(-t[1])) + row) / S]
                    wh[n, row, col, a] = [anchors[a][0] * np.exp(t[2]) / S, anchors[a][1] * np.exp(t[3]) / S]
                    conf[n, row, col, a] = 1 / (1 + np.exp(-t[4]))
                    e = np.exp(t[5:])
                    probs[n, row, col, a] = e / e.sum()
    return xy, wh, conf, probs


@pytest.mark.filterwarnings("ignore:You are using a softmax")
@pytest.mark.parametrize("m, S, A, C, five_d", [(1, 3, 2, 3, False), (2, 5, 4, 1, True), (1, 8, 5, 6, False)])
def test_yolo_head_matches_loops(m, S, A, C, five_d):
    rng = np.random.default_rng(S)
    feats = rng.normal(size=(m, S, S, A, 5 + C)).astype(np.float32)
    anchors = rng.uniform(0.5, 3, (A, 2))
    given = feats if five_d else feats.reshape(m, S, S, A * (5 + C))
    for got, want in zip(ref.yolo_head(given, anchors, C), naive_head(feats, anchors, C)):
        np.testing.assert_allclose(to_np(got), want, rtol=1e-5, atol=1e-6)


def test_corners_filter_and_scale_by_hand():
    corners = to_np(ref.yolo_boxes_to_corners(np.array([[0.5, 0.25]]), np.array([[0.2, 0.5]])))
    np.testing.assert_allclose(corners, [[0.0, 0.4, 0.5, 0.6]])
    np.testing.assert_allclose(to_np(ref.scale_boxes(np.array([[0.5, 0.25, 1.0, 0.75]]), (200, 400))),
                               [[100, 100, 200, 300]])
    boxes = np.arange(12, dtype=np.float32).reshape(1, 1, 1, 3, 4)
    conf = np.array([0.5, 1.0, 0.25], np.float32).reshape(1, 1, 1, 3, 1)
    probs = np.array([[0.25, 0.75], [0.5, 0.5], [1.0, 0.0]], np.float32).reshape(1, 1, 1, 3, 2)
    scores, kept, classes = map(to_np, ref.yolo_filter_boxes(boxes, conf, probs, threshold=0.375))
    # Box 0 scores exactly 0.375 (kept, >=); box 1 ties its classes (the first wins); box 2 is out.
    np.testing.assert_array_equal(scores, [0.375, 0.5])
    np.testing.assert_array_equal(classes, [1, 0])
    np.testing.assert_array_equal(kept, boxes.reshape(3, 4)[:2])


def test_filter_matches_a_loop_over_the_batch():
    rng = np.random.default_rng(3)
    boxes = rng.uniform(size=(2, 3, 3, 2, 4)).astype(np.float32)
    conf = rng.uniform(size=(2, 3, 3, 2, 1)).astype(np.float32)
    probs = rng.dirichlet(np.ones(4), size=(2, 3, 3, 2)).astype(np.float32)
    scores, kept, classes = map(to_np, ref.yolo_filter_boxes(boxes, conf, probs, threshold=0.3))
    rows = [(float((conf[idx] * probs[idx]).max()), tuple(boxes[idx]), int((conf[idx] * probs[idx]).argmax()))
            for idx in np.ndindex(2, 3, 3, 2) if (conf[idx] * probs[idx]).max() >= 0.3]
    assert sorted(rows) == sorted(zip(scores.tolist(), map(tuple, kept), classes.tolist()))


@pytest.mark.parametrize("box1, box2, expected", [
    ((2, 1, 4, 3), (1, 2, 3, 4), 1 / 7),
    ((0, 0, 10, 10), (2, 3, 5, 7), 12 / 100),
    ((0, 2, 6, 4), (2, 0, 4, 6), 4 / 20),
    ((0, 0, 1, 1), (2, 3, 4, 5), 0.0),
    ((0, 0, 2, 2), (2, 0, 4, 2), 0.0),
    ((0, 0, 2, 2), (2, 2, 3, 3), 0.0),
    ((1.5, 2, 4, 6.5), (1.5, 2, 4, 6.5), 1.0),
])
def test_iou_by_hand(box1, box2, expected):
    assert isinstance(ref.iou(box1, box2), float)
    assert ref.iou(box1, box2) == pytest.approx(expected, abs=1e-12)
    assert ref.iou(list(box2), list(box1)) == pytest.approx(expected, abs=1e-12)


def random_boxes(rng, n):
    c = rng.uniform(10, 90, (n, 2))
    hw = rng.uniform(5, 25, (n, 2))
    return np.concatenate([c - hw, c + hw], axis=1).astype(np.float32)


@pytest.mark.parametrize("seed", range(5))
def test_tensorflow_nms_and_numpy_fallback_agree(seed):
    rng = np.random.default_rng(seed)
    boxes, scores = random_boxes(rng, 40), rng.uniform(size=40).astype(np.float32)
    for max_out, thr in ((10, 0.5), (40, 0.3), (3, 0.7)):
        tf_keep = to_np(ref.nms_indices(boxes, scores, max_out, thr))
        np_keep = ref.nms_indices_numpy(boxes, scores, max_out, thr)
        np.testing.assert_array_equal(tf_keep, np_keep)


def test_nms_keeps_a_box_whose_iou_equals_the_threshold():
    boxes = np.array([[0, 0, 1, 2], [0, 0, 1, 1]], np.float32)  # IoU exactly 0.5
    scores = np.array([0.9, 0.8], np.float32)
    assert to_np(ref.nms_indices(boxes, scores, 10, 0.5)).tolist() == [0, 1]
    assert ref.nms_indices_numpy(boxes, scores, 10, 0.5).tolist() == [0, 1]
    assert to_np(ref.nms_indices(boxes, scores, 10, 0.49)).tolist() == [0]


def test_nms_is_per_class_capped_overall_and_sorted():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [1, 1, 11, 11], [20, 20, 30, 30],
                      [0, 3, 10, 13], [0, 9, 10, 19]], np.float32)
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4], np.float32)
    classes = np.array([0, 0, 1, 0, 2, 2])
    s, b, c = map(to_np, ref.yolo_non_max_suppression(scores, boxes, classes, 10, 0.5))
    # Box 1 is suppressed by box 0 (same class); box 2 survives (other class); class 2's
    # boxes overlap with IoU 4/16 only.
    np.testing.assert_array_equal(s, scores[[0, 2, 3, 4, 5]])
    np.testing.assert_array_equal(c, classes[[0, 2, 3, 4, 5]])
    np.testing.assert_array_equal(b, boxes[[0, 2, 3, 4, 5]])
    s, _, c = map(to_np, ref.yolo_non_max_suppression(scores, boxes, classes, 2, 0.5))
    np.testing.assert_array_equal(s, scores[[0, 2]])
    s, b, c = map(to_np, ref.yolo_non_max_suppression(np.zeros(0, np.float32), np.zeros((0, 4), np.float32),
                                                      np.zeros(0, int)))
    assert s.shape == (0,) and b.shape == (0, 4) and c.shape == (0,)


def test_chain_of_overlaps_keeps_both_ends():
    boxes = np.array([[0, 0, 10, 10], [0, 3, 10, 13], [0, 6, 10, 16]], np.float32)
    s, _, _ = map(to_np, ref.yolo_non_max_suppression(np.array([0.9, 0.8, 0.7], np.float32), boxes,
                                                      np.zeros(3, int), 10, 0.5))
    np.testing.assert_allclose(s, [0.9, 0.7])


def test_yolo_eval_is_the_composition_of_the_steps():
    rng = np.random.default_rng(7)
    feats = rng.normal(size=(1, 6, 6, 3 * 9)).astype(np.float32)
    outputs = ref.yolo_head(feats, rng.uniform(0.5, 2, (3, 2)), 4)
    got = list(map(to_np, ref.yolo_eval(outputs, (300, 500), 7, 0.2, 0.4)))
    boxes = ref.yolo_boxes_to_corners(outputs[0], outputs[1])
    s, b, c = ref.yolo_filter_boxes(boxes, outputs[2], outputs[3], 0.2)
    want = list(map(to_np, ref.yolo_non_max_suppression(s, ref.scale_boxes(b, (300, 500)), c, 7, 0.4)))
    assert len(got[0]) == 7
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w)
