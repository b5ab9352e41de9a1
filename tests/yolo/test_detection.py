"""cnnlab.data.detection: YOLO targets, the synthetic head, and mean average precision."""

import numpy as np
import pytest

from cnnlab.data.detection import (average_precision, box_iou, encode_batch, encode_targets,
                                   mean_average_precision, synthetic_head)
from cnnlab.grader.spec import load_module

from ..conftest import ROOT

ref = load_module(ROOT / "solutions" / "yolo" / "yolo.py", "yolo_reference_for_detection_tests")


def test_box_iou_matrix():
    a = np.array([[0, 0, 2, 2], [0, 0, 1, 1]])
    b = np.array([[1, 1, 3, 3], [0, 0, 2, 2], [2, 0, 4, 2]])
    np.testing.assert_allclose(box_iou(a, b), [[1 / 7, 1.0, 0.0], [0.0, 0.25, 0.0]])
    assert box_iou(np.zeros((0, 4)), b).shape == (0, 3)


def test_encode_targets_cell_anchor_and_values():
    anchors = np.array([[1.0, 1.0], [2.0, 1.0]])
    # A 32 x 16 box centred at (40, 24) on a 64-pixel image, 4x4 grid of 16-pixel cells:
    # centre in cell (row 1, column 2) at offsets (0.5, 0.5), size 2 x 1 cells -> anchor 1.
    y = encode_targets(np.array([[24, 16, 56, 32]]), np.array([3]), anchors, 4, 64, 5)
    assert y.shape == (4, 4, 2, 10) and y[..., 4].sum() == 1
    np.testing.assert_allclose(y[1, 2, 1], [0.5, 0.5, 0, 0, 1, 0, 0, 0, 1, 0], atol=1e-7)
    batch = encode_batch([np.array([[24, 16, 56, 32]]), np.zeros((0, 4))], [np.array([3]), np.zeros(0)],
                         anchors, 4, 64, 5)
    assert batch.shape == (2, 4, 4, 2, 10) and batch[1].sum() == 0


def test_targets_decode_back_to_the_boxes_through_the_reference():
    rng = np.random.default_rng(0)
    anchors = np.array([[0.8, 0.8], [1.5, 2.5], [3.0, 1.5]])
    boxes = np.array([[10, 20, 40, 35], [70, 60, 120, 120], [5, 90, 30, 126]], dtype=np.float64)
    labels = np.array([0, 4, 2])
    feats = synthetic_head(boxes, labels, anchors, 8, 128, 6, rng=rng, noise=0.0)
    scores, got, classes = (np.asarray(x) for x in ref.yolo_eval(ref.yolo_head(feats, anchors, 6), (128, 128),
                                                                 10, 0.3, 0.5))
    assert sorted(classes.tolist()) == sorted(labels.tolist())
    # yolo_eval gives [y1, x1, y2, x2]; one box per object, at the object.
    matched = box_iou(got[:, [1, 0, 3, 2]], boxes).max(axis=0)
    np.testing.assert_allclose(matched, 1.0, atol=1e-4)


def test_average_precision_of_simple_curves():
    assert average_precision([1.0], [1.0]) == pytest.approx(1.0)
    # Hits at ranks 1 and 3 of 2 ground truths: precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1.
    assert average_precision([0.5, 0.5, 1.0], [1.0, 0.5, 2 / 3]) == pytest.approx(0.5 + 0.5 * 2 / 3)
    assert average_precision([], []) == 0.0


def test_map_perfect_none_and_hand_worked():
    gt_boxes = [np.array([[0, 0, 10, 10], [20, 20, 30, 30]]), np.array([[5, 5, 15, 15]])]
    gt_labels = [np.array([0, 1]), np.array([0])]
    mAP, ap = mean_average_precision(gt_boxes, [np.ones(2), np.ones(1)], gt_labels, gt_boxes, gt_labels, 3)
    assert mAP == pytest.approx(1.0) and np.isnan(ap[2])
    empty = [np.zeros((0, 4))] * 2
    mAP, _ = mean_average_precision(empty, [np.zeros(0)] * 2, [np.zeros(0, int)] * 2, gt_boxes, gt_labels, 3)
    assert mAP == 0.0
    # Class 0 has one ground truth per image; class 1 one in image 0. A class-0 detection on
    # the class-1 object, a duplicate and a miss are false positives; a hit at IoU exactly 0.5
    # counts. Class 1's only detection misses.
    pred_boxes = [np.array([[0, 0, 10, 5], [20, 20, 30, 30]]),
                  np.array([[5, 5, 15, 15], [5, 5, 15, 15], [40, 40, 50, 50]])]
    pred_scores = [np.array([0.6, 0.95]), np.array([0.9, 0.8, 0.7])]
    pred_classes = [np.array([0, 0]), np.array([0, 0, 0])]
    pred_boxes[0] = np.vstack([pred_boxes[0], [[50, 50, 60, 60]]])
    pred_scores[0] = np.append(pred_scores[0], 0.99)
    pred_classes[0] = np.append(pred_classes[0], 1)
    mAP, ap = mean_average_precision(pred_boxes, pred_scores, pred_classes, gt_boxes, gt_labels, 2)
    # Class 0 ranking: 0.95 (image 0, box at class-1 GT: no class-0 GT there -> FP), then
    # 0.9 hit, 0.8 duplicate FP, 0.7 FP, 0.6 hit at IoU 0.5.
    # Precision at each rank: 0, 1/2, 1/3, 1/4, 2/5; recall: 0, 1/2, 1/2, 1/2, 1.
    assert ap[0] == pytest.approx(0.5 * 0.5 + 0.5 * 0.4)
    assert ap[1] == pytest.approx(0.0)
    assert mAP == pytest.approx((ap[0] + ap[1]) / 2)


def test_map_rejects_mismatched_lists():
    with pytest.raises(ValueError):
        mean_average_precision([np.zeros((0, 4))], [], [], [np.zeros((0, 4))], [np.zeros(0)], 2)
