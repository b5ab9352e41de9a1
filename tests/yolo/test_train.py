"""The yolo training demo: its pieces, and a tiny end-to-end run."""

import json

import numpy as np
import pytest

from cnnlab.data.detection import encode_batch
from cnnlab.grader.spec import load_module

from ..conftest import ROOT

train = load_module(ROOT / "solutions" / "yolo" / "train.py", "yolo_train_under_test")


@pytest.mark.parametrize("flags", [(1, 0, 0), (0, 1, 0), (0, 0, 1), (1, 1, 1)])
def test_dihedral_moves_boxes_with_the_pixels(flags):
    image = np.zeros((16, 16, 3), np.uint8)
    box = np.array([[3, 5, 7, 12]], np.float32)  # x 3..7, y 5..12
    image[5:12, 3:7] = 255
    out, moved = train.dihedral(image, box, *flags)
    ys, xs = np.nonzero(out[..., 0])
    np.testing.assert_array_equal(moved[0], [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])


def test_loss_prefers_the_targets():
    import keras

    anchors = np.array([[1.0, 1.0], [2.0, 1.0]])
    y = encode_batch([np.array([[10, 20, 40, 36]])], [np.array([2])], anchors, 8, 128, 6)
    # Raw outputs that decode exactly to the targets, with confident objectness and class.
    good = np.zeros_like(y)
    obj = y[..., 4] == 1
    offsets = np.clip(y[..., 0:2], 1e-3, 1 - 1e-3)
    good[..., 0:2] = np.log(offsets / (1 - offsets))
    good[..., 2:4] = y[..., 2:4]
    good[..., 4] = np.where(obj, 8.0, -8.0)
    good[..., 5:] = 8.0 * y[..., 5:]
    bad = np.random.default_rng(0).normal(size=y.shape)
    good_loss = float(keras.ops.convert_to_numpy(train.yolo_loss(y, good.astype("float32"))))
    bad_loss = float(keras.ops.convert_to_numpy(train.yolo_loss(y, bad.astype("float32"))))
    assert good_loss < 0.1 < bad_loss


def test_tiny_training_run_writes_model_picture_and_metrics(tmp_path):
    code = train.main(["--epochs", "1", "--train-images", "16", "--extra-images", "0", "--test-images", "6",
                       "--width", "4", "--batch-size", "8", "--out", str(tmp_path)])
    assert code == 0
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert 0.0 <= metrics["mAP@0.5"] <= 1.0 and metrics["test_images"] == 6
    assert (tmp_path / "yolo_detector.keras").stat().st_size > 0
    assert (tmp_path / "predictions.png").stat().st_size > 10_000
    anchors = json.loads((tmp_path / "anchors.json").read_text())
    assert np.array(anchors["anchors_in_cells"]).shape == (5, 2) and anchors["grid"] == 8
