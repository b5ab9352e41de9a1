"""Grading harness of the `yolo` assignment (runs your function exactly as the grader does).

Functions that return a variable number of boxes -- `yolo_filter_boxes`,
`yolo_non_max_suppression`, `yolo_eval` -- may return them in any order. This harness turns
their `(scores, boxes, classes)` into NumPy arrays and sorts the rows (by decreasing score,
then class, then corners) so that two answers holding the same boxes look alike. The
comparison itself does not rely on this order: it matches the boxes as sets.
"""

import numpy as np


def to_numpy(value):
    """A tf.Tensor, torch.Tensor, JAX or NumPy array (or a number) as a NumPy array."""
    if hasattr(value, "detach"):  # torch
        value = value.detach().cpu()
    if hasattr(value, "numpy"):  # tf.Tensor, torch.Tensor
        value = value.numpy()
    return np.asarray(value)


def detections(fn, *args, **kwargs):
    """Call `fn(*args, **kwargs)` and return its `(scores, boxes, classes)` sorted.

    Returns:
        Tuple of NumPy arrays `(scores (N,), boxes (N, 4), classes (N,))`, rows sorted; any
        other kind of result is returned unchanged (the grader then says what is wrong).
    """
    result = fn(*args, **kwargs)
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        return result
    try:
        scores, boxes, classes = (to_numpy(x) for x in result)
    except Exception:
        return result
    n = scores.shape[0] if scores.ndim == 1 else -1
    numeric = all(a.dtype.kind in "biuf" for a in (scores, boxes, classes))
    if not (numeric and n >= 0 and boxes.shape == (n, 4) and classes.shape == (n,)):
        return (scores, boxes, classes)  # not sortable: compared (and explained) as it is
    keys = [np.round(boxes[:, k].astype(np.float64), 4) for k in (3, 2, 1, 0)]
    order = np.lexsort(keys + [classes, -np.round(scores.astype(np.float64), 5)])
    return scores[order], boxes[order], classes[order]
