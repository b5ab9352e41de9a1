"""Synthetic data sets for the cnnlab assignments.

`shapes` draws procedurally generated shape images (classification and
detection, fully deterministic for a given seed) and serves the fixed,
cached train/test splits; `anchors` derives YOLO anchor boxes from box sizes
with k-means under the 1 - IoU distance.
"""

from cnnlab.data.anchors import iou_wh, kmeans_anchors, mean_iou
from cnnlab.data.shapes import (
    CLASSES,
    CLASSIFICATION_SPLITS,
    DETECTION_SPLITS,
    NUM_CLASSES,
    default_cache_dir,
    load_detection,
    load_shapes,
    make_classification,
    make_detection,
    save_preview,
)

__all__ = [
    "CLASSES",
    "CLASSIFICATION_SPLITS",
    "DETECTION_SPLITS",
    "NUM_CLASSES",
    "default_cache_dir",
    "iou_wh",
    "kmeans_anchors",
    "load_detection",
    "load_shapes",
    "make_classification",
    "make_detection",
    "mean_iou",
    "save_preview",
]
