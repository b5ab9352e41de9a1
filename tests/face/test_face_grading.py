"""Grading the `face` assignment: reference, template, known mistakes, public tests.

The end-to-end submissions are graded in ONE batch (expected outputs computed once, one
child process per submission). Each wrong submission is written the way a student would
write it, independently of the wrong implementations in solutions/face/grading.py, and
holds one mistake per graded function. Every known mistake of grading.py is also checked
alone, in this process, with the in-kernel scorer (no child process).
"""

import pytest

from cnnlab.grader import registry
from cnnlab.grader.check import check_file
from cnnlab.grader.grade import grade_paths
from cnnlab.grader.inkernel import score

from ..conftest import ROOT

REFERENCE = (ROOT / "solutions" / "face" / "face.py").read_text()
TEMPLATE = (ROOT / "assignments" / "face" / "face.py").read_text()

# Correct, but NumPy throughout, float64, and tf.Tensor / np.float64 outputs.
NUMPY_STUDENT = REFERENCE + '''

def triplet_loss(y_true, y_pred, alpha=0.2):
    a, p, n = (np.asarray(t, dtype=np.float64) for t in y_pred)
    pos = np.sum((a - p) ** 2, axis=1)
    neg = np.sum((a - n) ** 2, axis=1)
    return np.sum(np.maximum(pos - neg + alpha, 0))


def verify(image, identity, database, model):
    encoding = np.asarray(img_to_encoding(image, model))
    dist = np.linalg.norm(encoding - database[identity])
    return dist, dist < 0.7


def who_is_it(image, database, model):
    import tensorflow as tf
    encoding = img_to_encoding(image, model)
    min_dist = 100
    for name, db_enc in database.items():
        dist = tf.norm(encoding - db_enc)
        if dist < min_dist:
            min_dist, identity = dist, name
    return min_dist, identity
'''

MISTAKES_A = REFERENCE + '''

def triplet_loss(y_true, y_pred, alpha=0.2):
    anchor, positive, negative = y_pred
    pos_dist = ops.sum(ops.square(anchor - positive), axis=-1)
    neg_dist = ops.sum(ops.square(anchor - negative), axis=-1)
    return ops.mean(ops.maximum(pos_dist - neg_dist + alpha, 0.0))


def verify(image, identity, database, model):
    encoding = img_to_encoding(image, model)
    dist = ops.sum(ops.square(encoding - database[identity]))
    return dist, dist < 0.7


def who_is_it(image, database, model):
    encoding = img_to_encoding(image, model)
    best, identity = -1.0, None
    for name, db_enc in database.items():
        dist = ops.norm(encoding - db_enc)
        if dist > best:
            best, identity = dist, name
    return best, identity
'''

MISTAKES_B = REFERENCE + '''

def triplet_loss(y_true, y_pred, alpha=0.2):
    anchor, positive, negative = y_pred[0], y_pred[1], y_pred[2]
    pos_dist = ops.sum(ops.square(anchor - positive))  # no axis: one number for the batch
    neg_dist = ops.sum(ops.square(anchor - negative))
    return ops.maximum(pos_dist - neg_dist + alpha, 0.0)


def verify(image, identity, database, model):
    encoding = img_to_encoding(image, model)
    dist = float(ops.norm(encoding - database[identity]))
    return dist, dist > 0.7


def who_is_it(image, database, model):
    encoding = np.asarray(img_to_encoding(image, model))
    min_dist = 100
    for name, db_enc in database.items():
        dist = np.sum((encoding - db_enc) ** 2)
        if dist < min_dist:
            min_dist, identity = dist, name
    return min_dist, identity
'''

MISTAKES_C = REFERENCE + '''

def triplet_loss(y_true, y_pred, alpha=0.2):
    anchor, positive, negative = y_pred
    pos_dist = ops.sum(ops.square(anchor - positive), axis=-1)
    neg_dist = ops.sum(ops.square(anchor - negative), axis=-1)
    return ops.sum(pos_dist - neg_dist + alpha)
'''

SUBMISSIONS = {"reference": REFERENCE, "template": TEMPLATE, "numpy_student": NUMPY_STUDENT,
               "mistakes_a": MISTAKES_A, "mistakes_b": MISTAKES_B, "mistakes_c": MISTAKES_C}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("face_submissions")
    for name, source in SUBMISSIONS.items():
        (folder / f"{name}.py").write_text(source)
    graded = grade_paths(registry.load("face"), sorted(folder.iterdir()), seed=11)
    return {r.submission: {f.name: f for f in r.functions} for r in graded}, \
        {r.submission: r for r in graded}


def hints(function_result):
    return " | ".join(t.hint for t in function_result.tests if t.hint)


def test_reference_and_a_numpy_solution_get_full_marks(results):
    _, whole = results
    for name in ("reference", "numpy_student"):
        failed = [(f.name, t.name, t.message) for f in whole[name].functions for t in f.tests if not t.passed]
        assert not failed, (name, failed)
        assert whole[name].score == whole[name].max_score == 100


def test_template_scores_zero_with_not_implemented(results):
    _, whole = results
    assert whole["template"].score == 0 and not whole["template"].notes
    assert all("NotImplementedError" in t.message for f in whole["template"].functions for t in f.tests)


@pytest.mark.parametrize("submission, function, hint", [
    ("mistakes_a", "triplet_loss", "averaged over the triplets"),
    ("mistakes_a", "verify", "not squared"),
    ("mistakes_a", "who_is_it", "farthest"),
    ("mistakes_b", "triplet_loss", "axis"),
    ("mistakes_b", "verify", "dist < 0.7"),
    ("mistakes_b", "who_is_it", "not squared"),
    ("mistakes_c", "triplet_loss", "clamp"),
])
def test_student_mistake_loses_points_with_its_hint(results, submission, function, hint):
    by_function, _ = results
    result = by_function[submission][function]
    assert result.score < result.max_score
    assert hint in hints(result), hints(result)


def test_mistakes_cost_nothing_elsewhere(results):
    by_function, _ = results
    c = by_function["mistakes_c"]
    assert c["verify"].score == 30 and c["who_is_it"].score == 30


def test_every_known_mistake_scores_lower_with_its_own_hint(capsys):
    """Each Mistake of grading.py, scored alone in this process, shows its hint."""
    assignment = registry.load("face")
    for fn in assignment.functions:
        for mistake in fn.mistakes:
            capsys.readouterr()
            points = score("face", fn.name, mistake.implementation, seed=3)
            out = capsys.readouterr().out
            assert points < fn.points, (fn.name, mistake.hint)
            assert mistake.hint in out, (fn.name, mistake.hint, out[:2000])


def test_public_tests_pass_the_reference_and_catch_mistakes(tmp_path):
    assignment = registry.load("face")
    reference, error = check_file(assignment, ROOT / "solutions" / "face" / "face.py")
    assert error is None and all(r.passed for r in reference), [r.message for r in reference]
    path = tmp_path / "mistakes_a.py"
    path.write_text(MISTAKES_A)
    checked, error = check_file(assignment, path)
    assert error is None and not any(r.passed for r in checked)
    messages = {r.function: r.message for r in checked}
    assert "mean" in messages["triplet_loss"] and "squared" in messages["verify"]
