"""Tests for cnnlab.data.anchors (IoU of centred boxes, k-means anchors)."""

import numpy as np
import pytest

from cnnlab.data.anchors import iou_wh, kmeans_anchors, mean_iou


def test_iou_wh_known_values():
    iou = iou_wh([[4, 4], [2, 2], [2, 4], [3, 5]], [[4, 4], [4, 2]])
    assert iou.shape == (4, 2)
    assert iou[0, 0] == pytest.approx(1.0)           # identical boxes
    assert iou[1, 0] == pytest.approx(0.25)          # 2x2 nested in 4x4
    assert iou[2, 1] == pytest.approx(4 / 12)        # crossed 2x4 and 4x2
    assert iou[3, 0] == pytest.approx(12 / (15 + 16 - 12))
    np.testing.assert_allclose(iou_wh([[4, 4], [4, 2]], [[4, 4], [2, 2], [2, 4], [3, 5]]),
                               iou.T)


def test_iou_wh_rejects_bad_input():
    with pytest.raises(ValueError):
        iou_wh([[1, 2, 3]], [[1, 1]])
    with pytest.raises(ValueError):
        iou_wh([[0, 2]], [[1, 1]])


def planted(seed=0, per_cluster=150):
    centres = np.array([[8, 8], [16, 40], [40, 16], [48, 48]], dtype=float)
    rng = np.random.default_rng(seed)
    wh = np.repeat(centres, per_cluster, axis=0) * np.exp(
        rng.normal(0, 0.05, (4 * per_cluster, 2)))
    return centres, rng.permutation(wh)


def test_kmeans_recovers_planted_clusters():
    centres, wh = planted()
    for seed in (0, 1, 2):
        anchors = kmeans_anchors(wh, 4, seed=seed)
        assert anchors.shape == (4, 2)
        areas = anchors.prod(axis=1)
        assert np.all(np.diff(areas) >= 0)  # sorted by area
        # planted sorted by area: (8,8), (16,40)/(40,16) tie, (48,48)
        found = sorted(map(tuple, np.round(anchors)))
        for (w, h), (cw, ch) in zip(found, sorted(map(tuple, centres))):
            assert w == pytest.approx(cw, rel=0.05) and h == pytest.approx(ch, rel=0.05)
        assert mean_iou(wh, anchors) > 0.85
    np.testing.assert_array_equal(kmeans_anchors(wh, 4, seed=3), kmeans_anchors(wh, 4, seed=3))


def test_kmeans_single_cluster_is_the_mean():
    _, wh = planted()
    np.testing.assert_allclose(kmeans_anchors(wh, 1)[0], wh.mean(axis=0))


def test_kmeans_more_anchors_fit_better():
    _, wh = planted()
    scores = [mean_iou(wh, kmeans_anchors(wh, k)) for k in (1, 2, 4)]
    assert scores[0] < scores[1] < scores[2]
    assert mean_iou(wh, wh) == pytest.approx(1.0)


def test_kmeans_edge_cases():
    same = np.full((10, 2), 5.0)
    anchors = kmeans_anchors(same, 3)
    assert anchors.shape == (3, 2) and np.all(np.isfinite(anchors))
    with pytest.raises(ValueError):
        kmeans_anchors(same[:2], 3)
    with pytest.raises(ValueError):
        kmeans_anchors(same, 0)


def test_kmeans_on_generated_detection_boxes():
    from cnnlab.data.shapes import make_detection

    _, boxes, _ = make_detection(80, seed=2)
    b = np.concatenate(boxes)
    wh = np.stack([b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]], axis=1)
    one = mean_iou(wh, kmeans_anchors(wh, 1))
    six = mean_iou(wh, kmeans_anchors(wh, 6))
    assert six > one + 0.15 and six > 0.65
