"""The yolo assignment graded end to end, and the order-free comparison of box sets.

Student submissions run in child processes that import TensorFlow, so the known mistakes
are grouped: each submission holds at most one mistake per function.
"""

import numpy as np
import pytest

from cnnlab.grader import authoring, registry
from cnnlab.grader.grade import CasePlan, _call

from ..conftest import ROOT

REFERENCE = (ROOT / "solutions" / "yolo" / "yolo.py").read_text()
TEMPLATE = (ROOT / "assignments" / "yolo" / "yolo.py").read_text()
FUNCTIONS = authoring.function_sources(REFERENCE)
EVAL_DEPENDENCIES = {"yolo_boxes_to_corners", "yolo_filter_boxes", "scale_boxes", "yolo_non_max_suppression"}


def mutate(name, *replacements):
    """The reference's function `name` with each (old, new) text replaced: a student's slip."""
    source = FUNCTIONS[name]
    for old, new in replacements:
        assert old in source, f"{old!r} not in {name}"
        source = source.replace(old, new)
    return source


GREEDY = '''
def _overlap(a, b):
    h = max(min(a[2], b[2]) - max(a[0], b[0]), 0.0)
    w = max(min(a[3], b[3]) - max(a[1], b[1]), 0.0)
    return h * w / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - h * w)


def yolo_non_max_suppression(scores, boxes, classes, max_boxes=10, iou_threshold=0.5):
    scores, boxes, classes = np.asarray(scores), np.asarray(boxes), np.asarray(classes)
    kept, seen = [], []
    for i in ORDER:
        rivals = RIVALS
        if all(classes[j] != classes[i] or _overlap(boxes[i], boxes[j]) <= iou_threshold for j in rivals):
            kept.append(i)
        seen.append(i)
    kept = sorted(kept, key=lambda i: -scores[i])[:max_boxes]
    return scores[kept], boxes[kept], classes[kept]
'''

# function -> {mistake id: (source of the wrong function, fragment of the expected hint)}
MISTAKES = {
    "yolo_head": {
        "xy_swapped": (mutate("yolo_head", ("ops.stack([col, row]", "ops.stack([row, col]")), "x and y are swapped"),
        "anchors_not_scaled": (mutate("yolo_head", ("(1, 1, 1, num_anchors, 2)) / grid_wh", "(1, 1, 1, num_anchors, 2))")),
                               "divide exp(t_wh) * anchors by S"),
        "sigmoid_classes": (mutate("yolo_head", ("ops.softmax(feats[..., 5:], axis=-1)", "ops.sigmoid(feats[..., 5:])")),
                            "softmax"),
        "anchor_minor": (mutate("yolo_head", (
            "feats = ops.reshape(feats, (-1, grid_h, grid_w, num_anchors, num_classes + 5))",
            "feats = ops.swapaxes(ops.reshape(feats, (-1, grid_h, grid_w, num_classes + 5, num_anchors)), -1, -2)")),
            "A blocks of 5 + C"),
    },
    "yolo_boxes_to_corners": {
        "xy_order": (mutate("yolo_boxes_to_corners", (
            "[box_mins[..., 1:2], box_mins[..., 0:1],\n                            box_maxes[..., 1:2], box_maxes[..., 0:1]]",
            "[box_mins, box_maxes]")), "y first"),
        "full_size": (mutate("yolo_boxes_to_corners", ("box_wh / 2.0", "box_wh")), "half a width"),
    },
    "yolo_filter_boxes": {
        "strict": (mutate("yolo_filter_boxes", (">= threshold", "> threshold")), "exactly at the threshold"),
        "no_confidence": (mutate("yolo_filter_boxes", ("box_confidence * box_class_probs", "box_class_probs")),
                          "forgot the confidence"),
        "axis_1": (mutate("yolo_filter_boxes", ("axis=-1)  # (m, S, S, A)", "axis=1)  # (m, S, S, A)")),
                   "wrong axis"),
    },
    "iou": {
        "no_clamp": (mutate("iou", ("max(min(b1_x2, b2_x2) - max(b1_x1, b2_x1), 0.0)", "min(b1_x2, b2_x2) - max(b1_x1, b2_x1)"),
                            ("max(min(b1_y2, b2_y2) - max(b1_y1, b2_y1), 0.0)", "min(b1_y2, b2_y2) - max(b1_y1, b2_y1)")),
                     "clamp the intersection"),
        "clamp_product": (mutate("iou", ("max(min(b1_x2, b2_x2) - max(b1_x1, b2_x1), 0.0)", "min(b1_x2, b2_x2) - max(b1_x1, b2_x1)"),
                                 ("max(min(b1_y2, b2_y2) - max(b1_y1, b2_y1), 0.0)", "min(b1_y2, b2_y2) - max(b1_y1, b2_y1)"),
                                 ("inter_area = inter_width * inter_height", "inter_area = max(inter_width * inter_height, 0.0)")),
                          "clamp the intersection"),
        "union_twice": (mutate("iou", ("box1_area + box2_area - inter_area", "box1_area + box2_area")),
                        "counted the intersection twice"),
        "min_max_swapped": (mutate("iou", ("max(min(b1_x2, b2_x2) - max(b1_x1, b2_x1), 0.0)", "max(max(b1_x2, b2_x2) - min(b1_x1, b2_x1), 0.0)"),
                                   ("max(min(b1_y2, b2_y2) - max(b1_y1, b2_y1), 0.0)", "max(max(b1_y2, b2_y2) - min(b1_y1, b2_y1), 0.0)")),
                            "swapped max and min"),
    },
    "yolo_non_max_suppression": {
        "across_classes": ('''
def yolo_non_max_suppression(scores, boxes, classes, max_boxes=10, iou_threshold=0.5):
    import tensorflow as tf
    keep = tf.image.non_max_suppression(boxes, scores, max_boxes, iou_threshold)
    return tf.gather(scores, keep), tf.gather(boxes, keep), tf.gather(classes, keep)''', "PER CLASS"),
        "cap_per_class": (mutate("yolo_non_max_suppression", ("kept, axis=0))[:max_boxes]", "kept, axis=0))")),
                          "caps the TOTAL"),
        "input_order": (GREEDY.replace("ORDER", "range(len(scores))").replace("RIVALS", "kept"), "decreasing score"),
        "suppressed_suppress": (GREEDY.replace("ORDER", "np.argsort(-scores)").replace("RIVALS", "seen"),
                                "only boxes that are KEPT"),
    },
    "scale_boxes": {
        "swapped": (mutate("scale_boxes", ("[height, width, height, width]", "[width, height, width, height]")),
                    "(height, width)"),
    },
    "yolo_eval": {
        "not_scaled": (mutate("yolo_eval", ("    boxes = scale_boxes(boxes, image_shape)\n", "")), "scale_boxes"),
        "shape_swapped": (mutate("yolo_eval", ("scale_boxes(boxes, image_shape)", "scale_boxes(boxes, image_shape[::-1])")),
                          "(height, width)"),
    },
}

# At most one mistake per function in a submission. A mistake in a function yolo_eval calls
# also costs yolo_eval points; "across_classes" is alone among those, so that yolo_eval's
# hint can be checked too.
SUBMISSIONS = {
    "s1": ["xy_swapped", "no_clamp", "xy_order", "strict", "suppressed_suppress", "swapped"],
    "s2": ["anchors_not_scaled", "clamp_product", "full_size", "no_confidence", "cap_per_class"],
    "s3": ["sigmoid_classes", "union_twice", "axis_1", "input_order"],
    "s4": ["anchor_minor", "min_max_swapped", "across_classes"],
    "s5": ["not_scaled"],
    "s6": ["shape_swapped"],
}


def mistake(mistake_id):
    return next((fn, *MISTAKES[fn][mistake_id]) for fn in MISTAKES if mistake_id in MISTAKES[fn])


def submission_source(ids):
    return REFERENCE + "".join("\n\n" + mistake(i)[1] + "\n" for i in ids)


# A student who wrote everything in NumPy (float64), returning boxes in other orders than
# the reference, classes as floats and yolo_eval's result as a list.
NUMPY_STUDENT = '''
import numpy as np


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def yolo_head(feats, anchors, num_classes):
    f = np.asarray(feats, dtype=np.float64)
    m, S = f.shape[0], f.shape[1]
    f = f.reshape(m, S, S, len(anchors), 5 + num_classes)
    cols, rows = np.meshgrid(np.arange(S), np.arange(S))
    offset = np.stack([cols, rows], axis=-1)[None, :, :, None, :]
    e = np.exp(f[..., 5:] - f[..., 5:].max(axis=-1, keepdims=True))
    return ((_sigmoid(f[..., :2]) + offset) / S, np.exp(f[..., 2:4]) * np.asarray(anchors) / S,
            _sigmoid(f[..., 4:5]), e / e.sum(axis=-1, keepdims=True))


def yolo_boxes_to_corners(box_xy, box_wh):
    yx, hw = np.asarray(box_xy)[..., ::-1], np.asarray(box_wh)[..., ::-1]
    return np.concatenate([yx - hw / 2, yx + hw / 2], axis=-1)


def yolo_filter_boxes(boxes, box_confidence, box_class_probs, threshold=0.6):
    s = np.asarray(box_confidence) * np.asarray(box_class_probs)
    best, cls = s.max(axis=-1), s.argmax(axis=-1)
    keep = best >= threshold
    return best[keep][::-1], np.asarray(boxes)[keep][::-1], cls[keep][::-1]


def iou(box1, box2):
    w = max(0.0, min(box1[2], box2[2]) - max(box1[0], box2[0]))
    h = max(0.0, min(box1[3], box2[3]) - max(box1[1], box2[1]))
    union = (box1[2] - box1[0]) * (box1[3] - box1[1]) + (box2[2] - box2[0]) * (box2[3] - box2[1]) - w * h
    return w * h / union


def yolo_non_max_suppression(scores, boxes, classes, max_boxes=10, iou_threshold=0.5):
    scores = np.asarray(scores, dtype=np.float64)
    boxes = np.asarray(boxes, dtype=np.float64)
    classes = np.asarray(classes)
    kept = []
    for i in np.argsort(-scores, kind="stable"):
        if len(kept) == max_boxes:
            break
        if all(classes[j] != classes[i] or iou(boxes[i][[1, 0, 3, 2]], boxes[j][[1, 0, 3, 2]]) <= iou_threshold
               for j in kept):
            kept.append(i)
    kept = np.array(sorted(kept, key=lambda i: (classes[i], scores[i])), dtype=int)
    return scores[kept], boxes[kept], classes[kept].astype(np.float32)


def scale_boxes(boxes, image_shape):
    h, w = image_shape
    return np.asarray(boxes) * np.array([h, w, h, w])


def yolo_eval(yolo_outputs, image_shape=(720, 1280), max_boxes=10, score_threshold=0.6, iou_threshold=0.5):
    box_xy, box_wh, conf, probs = yolo_outputs
    scores, boxes, classes = yolo_filter_boxes(yolo_boxes_to_corners(box_xy, box_wh), conf, probs, score_threshold)
    return list(yolo_non_max_suppression(scores, scale_boxes(boxes, image_shape), classes, max_boxes,
                                         iou_threshold))
'''


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    from cnnlab.grader.grade import grade_paths

    folder = tmp_path_factory.mktemp("yolo_submissions")
    sources = {"reference": REFERENCE, "template": TEMPLATE, "numpy_student": NUMPY_STUDENT}
    sources.update({name: submission_source(ids) for name, ids in SUBMISSIONS.items()})
    for name, source in sources.items():
        (folder / f"{name}.py").write_text(source)
    # The lesson notebook itself, as a student would hand it in with every exercise done.
    (folder / "notebook.ipynb").write_text((ROOT / "solutions" / "yolo" / "yolo.ipynb").read_text())
    results = grade_paths(registry.load("yolo"), sorted(folder.iterdir()), seed=0)
    return {r.submission: r for r in results}


def by_function(result):
    return {f.name: f for f in result.functions}


def failures(result):
    return [(f.name, t.name, t.message) for f in result.functions for t in f.tests if not t.passed]


def test_reference_gets_full_marks(graded):
    assert not failures(graded["reference"])
    assert graded["reference"].score == graded["reference"].max_score == 100


def test_completed_notebook_gets_full_marks(graded):
    assert not failures(graded["notebook"]) and graded["notebook"].score == 100


def test_numpy_student_with_other_orders_gets_full_marks(graded):
    assert not failures(graded["numpy_student"])


def test_reference_and_numpy_student_full_marks_on_another_seed(grade_source):
    results = grade_source("yolo", {"reference": REFERENCE, "numpy_student": NUMPY_STUDENT}, seed=11)
    assert not failures(results["reference"]) and not failures(results["numpy_student"])


def test_untouched_template_scores_zero(graded):
    result = graded["template"]
    assert result.score == 0 and not result.notes
    assert all("NotImplementedError" in t.message for f in result.functions for t in f.tests)


@pytest.mark.parametrize("submission", list(SUBMISSIONS))
def test_known_mistakes_lose_points_on_their_function_with_their_hint(graded, submission):
    assert not graded[submission].notes  # it imported
    result = by_function(graded[submission])
    wrong = {mistake(i)[0]: mistake(i)[2] for i in SUBMISSIONS[submission]}
    for function, hint in wrong.items():
        tests = result[function].tests
        assert result[function].score < result[function].max_score, (submission, function)
        assert any(hint in t.hint for t in tests), (function, {t.hint for t in tests})
        # A hint only where the answer is wrong.
        assert all(not t.hint for t in tests if t.passed)
    collateral = {"yolo_eval"} if wrong.keys() & EVAL_DEPENDENCIES else set()
    for name, f in result.items():
        if name not in wrong and name not in collateral:
            assert f.score == f.max_score, (submission, name, [t.message for t in f.tests if not t.passed])


def test_nms_across_classes_also_explains_yolo_eval(graded):
    tests = by_function(graded["s4"])["yolo_eval"].tests
    assert any("per-class" in t.hint for t in tests), {t.hint for t in tests}


def test_every_mistake_is_covered():
    used = [i for ids in SUBMISSIONS.values() for i in ids]
    assert sorted(used) == sorted(i for m in MISTAKES.values() for i in m)


# --- in-process checks of the hidden tests themselves (no child processes) -----------------------

@pytest.fixture(scope="module")
def assignment():
    return registry.load("yolo")


@pytest.fixture(scope="module")
def plans(assignment):
    return [CasePlan(assignment, seed) for seed in (0, 1, 2)]


def test_every_known_mistake_is_caught_by_some_hidden_case(assignment, plans):
    from cnnlab.grader.compare import compare

    for fn in assignment.functions:
        for m in fn.mistakes:
            caught = False
            for plan in plans:
                for case, expected in zip(plan.cases[fn.name], plan.expected[fn.name]):
                    try:
                        wrong = _call(m.implementation, case, fn, plan.harness)
                    except Exception:
                        continue
                    message = fn.check(case, expected, wrong) if fn.check else compare(expected, wrong, fn.rtol, fn.atol)
                    caught = caught or message is not None
            assert caught, (fn.name, m.hint)


def test_cases_are_reproducible_and_cover_the_sizes(assignment, plans):
    again = CasePlan(assignment, 0)
    for name, cases in plans[0].cases.items():
        assert [c.name for c in cases] == [c.name for c in again.cases[name]]
    heads = plans[0].cases["yolo_head"]
    assert len({c.args[0].shape[1] for c in heads}) >= 4 and len({c.args[2] for c in heads}) >= 3
    assert len({len(c.args[1]) for c in heads}) >= 3
    assert {c.args[0].ndim for c in heads} == {4, 5}
    # Variable-length answers: some empty, some capped by max_boxes.
    counts = [len(e[0]) for e in plans[0].expected["yolo_eval"]]
    assert 0 in counts and any(n >= 4 for n in counts)
    filtered = [len(e[0]) for e in plans[0].expected["yolo_filter_boxes"]]
    assert 0 in filtered and max(filtered) > 10


def test_same_detections_is_order_free_and_strict(assignment):
    check = assignment.function("yolo_filter_boxes").check
    rng = np.random.default_rng(0)
    scores = rng.uniform(size=6).astype(np.float32)
    boxes = rng.uniform(size=(6, 4)).astype(np.float32)
    classes = np.array([0, 1, 1, 2, 0, 1])
    expected = (scores, boxes, classes)
    p = rng.permutation(6)
    assert check(None, expected, (scores[p], boxes[p], classes[p])) is None
    assert check(None, expected, [scores[p].astype(np.float64), boxes[p] * (1 + 1e-6), classes[p].astype(float)]) is None
    # Duplicated rows still need to appear as many times as expected.
    dup = (np.r_[scores, scores[:1]], np.r_[boxes, boxes[:1]], np.r_[classes, classes[:1]])
    assert check(None, dup, (dup[0][::-1], dup[1][::-1], dup[2][::-1])) is None
    assert "match no expected box" in check(None, dup, (np.r_[scores, scores[1:2]], np.r_[boxes, boxes[1:2]],
                                                       np.r_[classes, classes[1:2]]))
    assert "expected 6 boxes, got 5" in check(None, expected, (scores[:5], boxes[:5], classes[:5]))
    wrong_class = classes.copy()
    wrong_class[2] = 0
    assert "match no expected box" in check(None, expected, (scores, boxes, wrong_class))
    moved = boxes.copy()
    moved[3, 1] += 0.01
    assert "match no expected box" in check(None, expected, (scores, moved, classes))
    assert "same boxes" in check(None, expected, (scores, boxes[:5], classes))
    assert "(N, 4)" in check(None, expected, (scores, boxes.reshape(4, 6), classes))
    assert "tuple" in check(None, expected, scores)
    empty = (np.zeros(0), np.zeros((0, 4)), np.zeros(0))
    assert check(None, empty, (np.zeros(0), np.zeros(0), np.zeros(0))) is None


def test_error_hints_match_the_errors_tensorflow_and_numpy_raise(assignment):
    import tensorflow as tf

    from cnnlab.grader.grade import _error_hint

    messages = []
    for bad in (lambda: tf.image.non_max_suppression(tf.zeros((2, 4), tf.float64), tf.zeros(2, tf.float64), 3, 0.5),
                lambda: tf.boolean_mask(tf.zeros((1, 3, 3, 2, 4)), tf.zeros((1, 3, 2, 3), bool)),
                lambda: np.zeros((1, 3, 3, 2, 4))[np.zeros((1, 3, 2, 3), bool)]):
        with pytest.raises(Exception) as info:
            bad()
        messages.append(str(info.value))
    assert "float32" in _error_hint(assignment, messages[0])
    assert "LAST axis" in _error_hint(assignment, messages[1])
    assert "LAST axis" in _error_hint(assignment, messages[2])
    assert _error_hint(assignment, "ZeroDivisionError: division by zero") == ""
