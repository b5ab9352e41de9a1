"""Grading the `style` assignment: reference, template, known mistakes, public tests.

The end-to-end submissions are graded in ONE batch. Each wrong submission is written the way
a student would write it, independently of the wrong implementations in
solutions/style/grading.py, with at most one mistake per graded function (and, where a
function calls another, the callee left correct so that the caller's own mistake shows).
Every known mistake of grading.py is also checked alone, in this process, with the
in-kernel scorer.
"""

import pytest

from cnnlab.grader import registry
from cnnlab.grader.check import check_file
from cnnlab.grader.grade import grade_paths
from cnnlab.grader.inkernel import score

from ..conftest import ROOT

REFERENCE = (ROOT / "solutions" / "style" / "style.py").read_text()
TEMPLATE = (ROOT / "assignments" / "style" / "style.py").read_text()

# Correct, written with TensorFlow the way the TF course does, and with NumPy in float64.
TF_STUDENT = REFERENCE + '''
import numpy as np
import tensorflow as tf


def compute_content_cost(a_C, a_G):
    m, n_H, n_W, n_C = a_G.get_shape().as_list()
    a_C_unrolled = tf.reshape(a_C, shape=[m, n_H * n_W, n_C])
    a_G_unrolled = tf.reshape(a_G, shape=[m, n_H * n_W, n_C])
    return tf.reduce_sum(tf.square(tf.subtract(a_C_unrolled, a_G_unrolled))) / (4 * n_H * n_W * n_C)


def gram_matrix(A):
    A = np.asarray(A, dtype=np.float64)
    return A @ A.T


def compute_layer_style_cost(a_S, a_G):
    m, n_H, n_W, n_C = a_G.get_shape().as_list()
    a_S = tf.transpose(tf.reshape(a_S, shape=[-1, n_C]))
    a_G = tf.transpose(tf.reshape(a_G, shape=[-1, n_C]))
    GS, GG = gram_matrix(a_S), gram_matrix(a_G)
    return np.sum((GS - GG) ** 2) / (4.0 * n_C**2 * (n_H * n_W) ** 2)


def compute_style_cost(style_outputs, generated_outputs, style_layers=STYLE_LAYERS):
    J_style = 0
    a_S, a_G = style_outputs[:-1], generated_outputs[:-1]
    for i, weight in zip(range(len(a_S)), style_layers):
        J_style += weight[1] * compute_layer_style_cost(a_S[i], a_G[i])
    return J_style


def total_cost(J_content, J_style, alpha=10, beta=40):
    return tf.add(tf.multiply(alpha, J_content), tf.multiply(beta, J_style))
'''

MISTAKES_A = REFERENCE + '''

def compute_content_cost(a_C, a_G):
    return ops.mean(ops.square(a_C - a_G))


def total_cost(J_content, J_style, alpha=10, beta=40):
    return beta * J_content + alpha * J_style
'''

MISTAKES_B = REFERENCE + '''

def compute_layer_style_cost(a_S, a_G):
    _, n_H, n_W, n_C = a_G.shape
    a_S = ops.reshape(a_S, (n_C, n_H * n_W))  # the classic wrong unroll
    a_G = ops.reshape(a_G, (n_C, n_H * n_W))
    GS, GG = gram_matrix(a_S), gram_matrix(a_G)
    return ops.sum(ops.square(GS - GG)) / (4 * n_C**2 * (n_H * n_W) ** 2)


def compute_content_cost(a_C, a_G):
    return ops.sum(ops.square(a_C - a_G))


def total_cost(J_content, J_style, alpha=10, beta=40):
    return J_content + J_style
'''

MISTAKES_C = REFERENCE + '''

def compute_layer_style_cost(a_S, a_G):
    _, n_H, n_W, n_C = a_G.shape
    a_S = ops.transpose(ops.reshape(a_S, (n_H * n_W, n_C)))
    a_G = ops.transpose(ops.reshape(a_G, (n_H * n_W, n_C)))
    GS, GG = gram_matrix(a_S), gram_matrix(a_G)
    return ops.sum(ops.square(GS - GG)) / (4 * n_C * n_H * n_W)
'''

MISTAKES_G = REFERENCE + '''

def gram_matrix(A):
    return ops.matmul(ops.transpose(A), A)
'''

MISTAKES_H = REFERENCE + '''

def gram_matrix(A):
    return A * A
'''

MISTAKES_D = REFERENCE + '''

def compute_style_cost(style_outputs, generated_outputs, style_layers=STYLE_LAYERS):
    J_style = 0
    for (name, weight), a_S, a_G in zip(style_layers, style_outputs[1:], generated_outputs[1:]):
        J_style += weight * compute_layer_style_cost(a_S, a_G)
    return J_style
'''

MISTAKES_E = REFERENCE + '''

def compute_style_cost(style_outputs, generated_outputs, style_layers=STYLE_LAYERS):
    J_style = 0
    for i in range(len(style_layers)):
        J_style += compute_layer_style_cost(style_outputs[i], generated_outputs[i])
    return J_style
'''

MISTAKES_F = REFERENCE + '''

def compute_style_cost(style_outputs, generated_outputs, style_layers=STYLE_LAYERS):
    J_style = 0
    for i, weight in enumerate(style_layers):
        J_style += weight * compute_layer_style_cost(style_outputs[i], generated_outputs[i])
    return J_style
'''

SUBMISSIONS = {"reference": REFERENCE, "template": TEMPLATE, "tf_student": TF_STUDENT,
               "mistakes_a": MISTAKES_A, "mistakes_b": MISTAKES_B, "mistakes_c": MISTAKES_C,
               "mistakes_d": MISTAKES_D, "mistakes_e": MISTAKES_E, "mistakes_f": MISTAKES_F,
               "mistakes_g": MISTAKES_G, "mistakes_h": MISTAKES_H}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("style_submissions")
    for name, source in SUBMISSIONS.items():
        (folder / f"{name}.py").write_text(source)
    graded = grade_paths(registry.load("style"), sorted(folder.iterdir()), seed=5)
    return {r.submission: r for r in graded}


def functions(result):
    return {f.name: f for f in result.functions}


def hints(function_result):
    return " | ".join(t.hint for t in function_result.tests if t.hint)


def test_reference_and_a_tensorflow_solution_get_full_marks(results):
    for name in ("reference", "tf_student"):
        failed = [(f.name, t.name, t.message) for f in results[name].functions for t in f.tests if not t.passed]
        assert not failed, (name, failed)
        assert results[name].score == results[name].max_score == 100


def test_template_scores_zero_with_not_implemented(results):
    assert results["template"].score == 0 and not results["template"].notes
    assert all("NotImplementedError" in t.message for f in results["template"].functions for t in f.tests)


@pytest.mark.parametrize("submission, function, hint", [
    ("mistakes_a", "compute_content_cost", "a mean divides by n_H * n_W * n_C only"),
    ("mistakes_a", "total_cost", "alpha weighs the content cost"),
    ("mistakes_b", "compute_layer_style_cost", "reshape to (n_H * n_W, n_C) first, then transpose"),
    ("mistakes_b", "compute_content_cost", "forgot to normalise"),
    ("mistakes_b", "total_cost", "forgot the weights"),
    ("mistakes_c", "compute_layer_style_cost", "square n_C and n_H * n_W"),
    ("mistakes_g", "gram_matrix", "A^T A"),
    ("mistakes_h", "gram_matrix", "element by element"),
    ("mistakes_d", "compute_style_cost", "drop the last entry, not the first"),
    ("mistakes_e", "compute_style_cost", "multiply each layer's cost by its weight"),
    ("mistakes_f", "compute_style_cost", "(layer_name, weight)"),
])
def test_student_mistake_loses_points_with_its_hint(results, submission, function, hint):
    result = functions(results[submission])[function]
    assert result.score < result.max_score
    assert hint in hints(result), hints(result)


def test_a_mistake_costs_nothing_in_functions_that_do_not_use_it(results):
    a = functions(results["mistakes_a"])
    assert a["gram_matrix"].score == 15 and a["compute_layer_style_cost"].score == 30
    assert a["compute_style_cost"].score == 25
    d = functions(results["mistakes_d"])
    assert sum(f.score for name, f in d.items() if name != "compute_style_cost") == 75


def test_every_known_mistake_scores_lower_with_its_own_hint(capsys):
    assignment = registry.load("style")
    for fn in assignment.functions:
        for mistake in fn.mistakes:
            capsys.readouterr()
            points = score("style", fn.name, mistake.implementation, seed=4)
            out = capsys.readouterr().out
            assert points < fn.points, (fn.name, mistake.hint)
            assert mistake.hint in out, (fn.name, mistake.hint, out[:2000])


def test_public_tests_pass_the_reference_and_catch_mistakes(tmp_path):
    assignment = registry.load("style")
    reference, error = check_file(assignment, ROOT / "solutions" / "style" / "style.py")
    assert error is None and all(r.passed for r in reference), [r.message for r in reference]
    path = tmp_path / "mistakes_b.py"
    path.write_text(MISTAKES_B)
    checked, error = check_file(assignment, path)
    messages = {r.function: r.message for r in checked if not r.passed}
    assert set(messages) >= {"compute_layer_style_cost", "compute_content_cost", "total_cost"}
    assert "reshaped straight to (n_C, n_H * n_W)" in messages["compute_layer_style_cost"]
