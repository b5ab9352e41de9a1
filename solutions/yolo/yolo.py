"""YOLO post-processing: decode a detector's output grid into a few scored boxes.

A YOLOv2-style detector divides the image into an S x S grid. Every grid cell owns A anchor
boxes, and for every anchor the network predicts 5 + C numbers:

    t_x, t_y    where the box centre lies inside the cell (through a sigmoid),
    t_w, t_h    how much to stretch the anchor's width and height (through an exp),
    t_o         how likely it is that the box holds an object (through a sigmoid),
    t_c ...     C class scores (through a softmax).

Shapes used throughout (m: images in the batch):

    feats            (m, S, S, A * (5 + C))  or  (m, S, S, A, 5 + C)   raw network output
    box_xy, box_wh   (m, S, S, A, 2)    centre and size, as fractions of the image
    box_confidence   (m, S, S, A, 1)    probability that the box holds an object
    box_class_probs  (m, S, S, A, C)    probability of each class, given an object
    boxes            (m, S, S, A, 4)    corners [y_min, x_min, y_max, x_max]

Inside the grid, axis 1 is the row (y, downwards) and axis 2 the column (x, rightwards).

Fill in each function where it says `# YOUR CODE HERE`, then run the public tests:
    cnnlab check yolo yolo.py

You may use `keras.ops` (works with every Keras backend), TensorFlow or NumPy. The graded
functions may return tf.Tensor, NumPy arrays or Python numbers.
"""

import numpy as np
import keras
from keras import ops


def as_float(x):
    """`x` as a Keras tensor of floats (given helper): float32/float64 kept, others -> float32."""
    x = ops.convert_to_tensor(x)
    return x if keras.backend.is_float_dtype(x.dtype) else ops.cast(x, "float32")


def yolo_head(feats, anchors, num_classes):
    """Turn the raw output of a YOLO network into boxes and probabilities.

    The last axis of `feats` holds, for each of the A anchors in turn, the numbers
    `[t_x, t_y, t_w, t_h, t_o, t_1, ..., t_C]`. For the cell in row `i` and column `j` of an
    S x S grid, and an anchor of size `(p_w, p_h)` (in cells):

        box_x = (sigmoid(t_x) + j) / S      box_w = p_w * exp(t_w) / S
        box_y = (sigmoid(t_y) + i) / S      box_h = p_h * exp(t_h) / S
        box_confidence = sigmoid(t_o)       box_class_probs = softmax(t_1, ..., t_C)

    so every coordinate is a fraction of the image's width (x) or height (y).

    Args:
        feats: array of shape `(m, S, S, A * (5 + C))` or `(m, S, S, A, 5 + C)`, the raw
            output of the network.
        anchors: array of shape `(A, 2)`, the anchors' `(width, height)` in grid cells.
        num_classes: int, the number of classes C.

    Returns:
        Tuple `(box_xy, box_wh, box_confidence, box_class_probs)`:
            box_xy: array of shape `(m, S, S, A, 2)`, box centres `(x, y)`.
            box_wh: array of shape `(m, S, S, A, 2)`, box sizes `(w, h)`.
            box_confidence: array of shape `(m, S, S, A, 1)`, in (0, 1).
            box_class_probs: array of shape `(m, S, S, A, C)`, each row sums to 1.
    """
    ### BEGIN SOLUTION
    feats = as_float(feats)
    dtype = feats.dtype
    anchors = ops.cast(anchors, dtype)
    grid_h, grid_w = feats.shape[1], feats.shape[2]
    num_anchors = anchors.shape[0]
    feats = ops.reshape(feats, (-1, grid_h, grid_w, num_anchors, num_classes + 5))

    # Cell (row i, column j) has its top-left corner at x = j, y = i (in cells).
    col, row = ops.meshgrid(ops.arange(grid_w), ops.arange(grid_h))  # both (grid_h, grid_w)
    cell_xy = ops.cast(ops.stack([col, row], axis=-1), dtype)  # (grid_h, grid_w, 2)
    cell_xy = ops.reshape(cell_xy, (1, grid_h, grid_w, 1, 2))
    grid_wh = ops.cast(ops.convert_to_tensor([grid_w, grid_h]), dtype)  # x by width, y by height

    box_xy = (ops.sigmoid(feats[..., 0:2]) + cell_xy) / grid_wh
    box_wh = ops.exp(feats[..., 2:4]) * ops.reshape(anchors, (1, 1, 1, num_anchors, 2)) / grid_wh
    box_confidence = ops.sigmoid(feats[..., 4:5])
    box_class_probs = ops.softmax(feats[..., 5:], axis=-1)
    return box_xy, box_wh, box_confidence, box_class_probs
    ### END SOLUTION


def yolo_boxes_to_corners(box_xy, box_wh):
    """Convert boxes from (centre, size) to corners, in the order NMS functions expect.

    Args:
        box_xy: array of shape `(..., 2)`, box centres `(x, y)`.
        box_wh: array of shape `(..., 2)`, box sizes `(w, h)`.

    Returns:
        boxes: array of shape `(..., 4)`, the corners `[y_min, x_min, y_max, x_max]`
            (y first, as `tf.image.non_max_suppression` wants them).
    """
    ### BEGIN SOLUTION
    box_mins = box_xy - box_wh / 2.0
    box_maxes = box_xy + box_wh / 2.0
    return ops.concatenate([box_mins[..., 1:2], box_mins[..., 0:1],
                            box_maxes[..., 1:2], box_maxes[..., 0:1]], axis=-1)
    ### END SOLUTION


def yolo_filter_boxes(boxes, box_confidence, box_class_probs, threshold=0.6):
    """Keep the boxes whose best class score reaches `threshold`.

    The score of class `c` for a box is `box_confidence * box_class_probs[c]`: the
    probability that the box holds an object of class `c`. Each box is given its best class
    (largest score, the first one on a tie) and kept when that score is `>= threshold`.

    Args:
        boxes: array of shape `(m, S, S, A, 4)`, box corners.
        box_confidence: array of shape `(m, S, S, A, 1)`.
        box_class_probs: array of shape `(m, S, S, A, C)`.
        threshold: float, boxes whose best score is below it are dropped.

    Returns:
        Tuple `(scores, boxes, classes)` for the N kept boxes, in any order (the three
        arrays in the same order):
            scores: array of shape `(N,)`, the best class score of each kept box.
            boxes: array of shape `(N, 4)`, their corners.
            classes: int array of shape `(N,)`, their best class, in `0 .. C - 1`.
    """
    ### BEGIN SOLUTION
    box_scores = box_confidence * box_class_probs  # (m, S, S, A, C)
    box_classes = ops.argmax(box_scores, axis=-1)  # (m, S, S, A)
    box_class_scores = ops.max(box_scores, axis=-1)  # (m, S, S, A)
    keep = ops.reshape(box_class_scores >= threshold, (-1,))
    index = ops.where(keep)[0]  # positions of the kept boxes, (N,)
    scores = ops.take(ops.reshape(box_class_scores, (-1,)), index, axis=0)
    boxes = ops.take(ops.reshape(boxes, (-1, 4)), index, axis=0)
    classes = ops.take(ops.reshape(box_classes, (-1,)), index, axis=0)
    return scores, boxes, classes
    ### END SOLUTION


def iou(box1, box2):
    """Intersection over union of two boxes given by their corners.

    Args:
        box1: tuple or list `(x1, y1, x2, y2)`, with `x1 < x2` and `y1 < y2`.
        box2: tuple or list `(x1, y1, x2, y2)`, same convention.

    Returns:
        A Python float in [0, 1]: the area of the intersection divided by the area of the
        union. Boxes that do not overlap, or only touch along an edge or at a corner, have
        IoU 0.
    """
    ### BEGIN SOLUTION
    (b1_x1, b1_y1, b1_x2, b1_y2) = box1
    (b2_x1, b2_y1, b2_x2, b2_y2) = box2
    inter_width = max(min(b1_x2, b2_x2) - max(b1_x1, b2_x1), 0.0)
    inter_height = max(min(b1_y2, b2_y2) - max(b1_y1, b2_y1), 0.0)
    inter_area = inter_width * inter_height
    box1_area = (b1_x2 - b1_x1) * (b1_y2 - b1_y1)
    box2_area = (b2_x2 - b2_x1) * (b2_y2 - b2_y1)
    union_area = box1_area + box2_area - inter_area
    return float(inter_area / union_area)
    ### END SOLUTION


def nms_indices(boxes, scores, max_output_size, iou_threshold):
    """Greedy non-max suppression over ONE set of boxes (given: you may call it).

    Visits the boxes by decreasing score; a box is kept unless it overlaps a box already
    kept with IoU > `iou_threshold`; stops after `max_output_size` boxes. With the TensorFlow
    backend this is `tf.image.non_max_suppression`; other backends use a NumPy loop.

    Args:
        boxes: array of shape `(N, 4)`, corners `[y_min, x_min, y_max, x_max]`.
        scores: array of shape `(N,)`.
        max_output_size: int, the most boxes to keep.
        iou_threshold: float.

    Returns:
        int array of shape `(K,)`, `K <= max_output_size`: the indices (into `boxes`) of
        the kept boxes, by decreasing score.
    """
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return tf.image.non_max_suppression(ops.cast(boxes, "float32"), ops.cast(scores, "float32"),
                                            int(max_output_size), float(iou_threshold))
    keep = nms_indices_numpy(ops.convert_to_numpy(boxes), ops.convert_to_numpy(scores),
                             max_output_size, iou_threshold)
    return ops.convert_to_tensor(keep, "int32")


def nms_indices_numpy(boxes, scores, max_output_size, iou_threshold):
    """`nms_indices` in NumPy (given), for the Keras backends without an NMS op."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    # Corners may come in either order along an axis, as for tf.image.non_max_suppression.
    y1, y2 = np.minimum(boxes[:, 0], boxes[:, 2]), np.maximum(boxes[:, 0], boxes[:, 2])
    x1, x2 = np.minimum(boxes[:, 1], boxes[:, 3]), np.maximum(boxes[:, 1], boxes[:, 3])
    area = (y2 - y1) * (x2 - x1)
    keep = []
    for i in np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable"):
        if len(keep) >= max_output_size:
            break
        k = np.asarray(keep, dtype=int)
        inter = (np.clip(np.minimum(y2[i], y2[k]) - np.maximum(y1[i], y1[k]), 0, None)
                 * np.clip(np.minimum(x2[i], x2[k]) - np.maximum(x1[i], x1[k]), 0, None))
        union = area[i] + area[k] - inter
        overlap = np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)
        if not np.any(overlap > iou_threshold):
            keep.append(int(i))
    return np.asarray(keep, dtype=np.int32)


def yolo_non_max_suppression(scores, boxes, classes, max_boxes=10, iou_threshold=0.5):
    """Non-max suppression PER CLASS, then the `max_boxes` best survivors overall.

    Within each class, boxes are visited by decreasing score, and a box is dropped when it
    overlaps a box of the SAME class that was already kept with IoU > `iou_threshold`. Boxes
    of different classes never suppress each other. Of all the boxes kept this way, the
    `max_boxes` with the highest scores are returned.

    Args:
        scores: array of shape `(N,)`, the score of each box.
        boxes: array of shape `(N, 4)`, corners `[y_min, x_min, y_max, x_max]`.
        classes: int array of shape `(N,)`, the class of each box.
        max_boxes: int, the most boxes to return in total (all classes together).
        iou_threshold: float, the overlap above which a box is suppressed.

    Returns:
        Tuple `(scores, boxes, classes)` of the K kept boxes, `K <= max_boxes`, in any order
        (the three arrays in the same order): shapes `(K,)`, `(K, 4)` and `(K,)`.
    """
    ### BEGIN SOLUTION
    scores, boxes = as_float(scores), as_float(boxes)
    classes = ops.cast(classes, "int32")
    kept = []
    num_classes = int(ops.max(classes)) + 1 if classes.shape[0] else 0
    for c in range(num_classes):
        members = ops.where(classes == c)[0]  # indices of the boxes of class c
        if members.shape[0] == 0:
            continue
        keep = nms_indices(ops.take(boxes, members, axis=0), ops.take(scores, members, axis=0),
                           max_boxes, iou_threshold)
        kept.append(ops.take(members, keep, axis=0))
    if kept:
        kept = ops.concatenate(kept, axis=0)
        best = ops.argsort(-ops.take(scores, kept, axis=0))[:max_boxes]
        kept = ops.take(kept, best, axis=0)
    else:
        kept = ops.zeros((0,), dtype="int32")
    return ops.take(scores, kept, axis=0), ops.take(boxes, kept, axis=0), ops.take(classes, kept, axis=0)
    ### END SOLUTION


def scale_boxes(boxes, image_shape):
    """Scale boxes from fractions of the image to pixels.

    Args:
        boxes: array of shape `(N, 4)`, corners `[y_min, x_min, y_max, x_max]` as fractions of
            the image's height (y) and width (x).
        image_shape: tuple `(height, width)` of the image, in pixels.

    Returns:
        array of shape `(N, 4)`: the same corners in pixels.
    """
    ### BEGIN SOLUTION
    boxes = as_float(boxes)
    height, width = image_shape
    image_dims = ops.cast(ops.convert_to_tensor([height, width, height, width]), boxes.dtype)
    return boxes * image_dims
    ### END SOLUTION


def yolo_eval(yolo_outputs, image_shape=(720, 1280), max_boxes=10, score_threshold=0.6,
              iou_threshold=0.5):
    """The whole post-processing of ONE image: decoded outputs in, final detections out.

    Corners, then score filtering, then scaling to pixels, then per-class non-max
    suppression (use your functions above).

    Args:
        yolo_outputs: tuple `(box_xy, box_wh, box_confidence, box_class_probs)` as returned
            by `yolo_head` for one image: shapes `(1, S, S, A, 2)`, `(1, S, S, A, 2)`,
            `(1, S, S, A, 1)` and `(1, S, S, A, C)`.
        image_shape: tuple `(height, width)` of the image, in pixels.
        max_boxes: int, the most boxes to return.
        score_threshold: float, passed to `yolo_filter_boxes`.
        iou_threshold: float, passed to `yolo_non_max_suppression`.

    Returns:
        Tuple `(scores, boxes, classes)` of the K detections, `K <= max_boxes`, in any order:
            scores: array of shape `(K,)`.
            boxes: array of shape `(K, 4)`, corners `[y_min, x_min, y_max, x_max]` in pixels.
            classes: int array of shape `(K,)`.
    """
    ### BEGIN SOLUTION
    box_xy, box_wh, box_confidence, box_class_probs = yolo_outputs
    boxes = yolo_boxes_to_corners(box_xy, box_wh)
    scores, boxes, classes = yolo_filter_boxes(boxes, box_confidence, box_class_probs, score_threshold)
    boxes = scale_boxes(boxes, image_shape)
    return yolo_non_max_suppression(scores, boxes, classes, max_boxes, iou_threshold)
    ### END SOLUTION
