"""The conv assignment graded end to end: reference, template, known mistakes, examples."""

import pytest

from cnnlab.grader import registry

from ..conftest import ROOT

REFERENCE = (ROOT / "solutions" / "conv" / "conv.py").read_text()
TEMPLATE = (ROOT / "assignments" / "conv" / "conv.py").read_text()


def by_function(result):
    return {f.name: f for f in result.functions}


def hints(function_result):
    return {t.hint for t in function_result.tests if t.hint}


def test_reference_gets_full_marks_on_several_seeds(grade_source):
    for seed in (0, 1, 2):
        result = grade_source("conv", {"ref": REFERENCE}, seed=seed)["ref"]
        failed = [(f.name, t.name, t.message) for f in result.functions for t in f.tests if not t.passed]
        assert not failed
        assert result.score == 120 and result.max_score == 100


def test_untouched_template_scores_zero_with_not_implemented(grade_source):
    result = grade_source("conv", {"template": TEMPLATE})["template"]
    assert result.score == 0 and not result.notes
    assert all("NotImplementedError" in t.message for f in result.functions for t in f.tests)


# Each known mistake: (replacement function, the function that must lose points, hint fragment).
MISTAKES = {
    "pad_all_axes": ("def zero_pad(X, pad):\n    return np.pad(X, pad)", "zero_pad", "batch and channel"),
    "no_bias_step": ("def conv_single_step(a, W, b):\n    return float(np.sum(a * W))",
                     "conv_single_step", "bias"),
    "float_of_b": ("def conv_single_step(a, W, b):\n    return np.sum(a * W) + float(b)",
                   "conv_single_step", "b.item()"),
    "forgot_stride": ("""
def conv_forward(A_prev, W, b, hparameters):
    s, p = hparameters["stride"], hparameters["pad"]
    f, n_C = W.shape[0], W.shape[3]
    m, H, Wd, _ = A_prev.shape
    n_H, n_W = (H - f + 2 * p) // s + 1, (Wd - f + 2 * p) // s + 1
    A = zero_pad(A_prev, p)
    Z = np.zeros((m, n_H, n_W, n_C))
    for h in range(n_H):
        for w in range(n_W):
            for c in range(n_C):
                Z[:, h, w, c] = np.sum(A[:, h:h + f, w:w + f, :] * W[..., c], axis=(1, 2, 3)) + b[0, 0, 0, c]
    return Z, (A_prev, W, b, hparameters)""", "conv_forward", "stride"),
    "forgot_bias": ("""
_ref_conv_forward = conv_forward
def conv_forward(A_prev, W, b, hparameters):
    Z, cache = _ref_conv_forward(A_prev, W, b, hparameters)
    return Z - b, cache""", "conv_forward", "bias"),
    "used_ceil": ("""
import math
def conv_forward(A_prev, W, b, hparameters):
    s, p, f = hparameters["stride"], hparameters["pad"], W.shape[0]
    n_H = math.ceil((A_prev.shape[1] - f + 2 * p) / s) + 1
    n_W = math.ceil((A_prev.shape[2] - f + 2 * p) / s) + 1
    return np.zeros((A_prev.shape[0], n_H, n_W, W.shape[3])), (A_prev, W, b, hparameters)""",
                  "conv_forward", "rounded the output size up"),
    "average_is_max": ("""
_ref_pool_forward = pool_forward
def pool_forward(A_prev, hparameters, mode="max"):
    return _ref_pool_forward(A_prev, hparameters, "max")""", "pool_forward", "mode='average'"),
    "bad_crop": ("""
_ref_conv_backward = conv_backward
def conv_backward(dZ, cache):
    dA, dW, db = _ref_conv_backward(dZ, cache)
    p = cache[3]["pad"]
    return zero_pad(dA, p)[:, p:-p, p:-p, :], dW, db""", "conv_backward", "[pad:-pad]"),
    "pool_overwrite": ("""
_ref_pool_backward = pool_backward
def pool_backward(dA, cache, mode="max"):
    A_prev, hp = cache
    f, s = hp["f"], hp["stride"]
    out = np.zeros_like(A_prev)
    for h in range(dA.shape[1]):
        for w in range(dA.shape[2]):
            one = np.zeros_like(dA)
            one[:, h, w, :] = dA[:, h, w, :]
            part = _ref_pool_backward(one, cache, mode)
            out[:, h*s:h*s+f, w*s:w*s+f, :] = part[:, h*s:h*s+f, w*s:w*s+f, :]
    return out""", "pool_backward", "+="),
}


@pytest.fixture(scope="module")
def mistake_results(tmp_path_factory):
    from cnnlab.grader.grade import grade_paths

    folder = tmp_path_factory.mktemp("mistakes")
    for name, (body, _, _) in MISTAKES.items():
        (folder / f"{name}.py").write_text(REFERENCE + "\n" + body + "\n")
    results = grade_paths(registry.load("conv"), sorted(folder.iterdir()), seed=5)
    return {r.submission: r for r in results}


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_known_mistake_loses_points_on_its_function_with_hint(mistake_results, mistake):
    _, function, hint = MISTAKES[mistake]
    result = by_function(mistake_results[mistake])
    assert result[function].score < result[function].max_score
    assert any(hint in h for h in hints(result[function])), hints(result[function])
    # A mistake in one function costs nothing elsewhere (callers of a broken zero_pad excepted).
    if function != "zero_pad":
        others = [f for name, f in result.items() if name not in (function, "zero_pad")]
        assert all(f.score == f.max_score for f in others), \
            [(f.name, f.score) for f in others if f.score != f.max_score]


def test_mistakes_in_a_folder_yield_one_result_each(mistake_results):
    assert set(mistake_results) == set(MISTAKES)


def test_example_submissions(root):
    from cnnlab.grader.grade import grade_paths
    from cnnlab.grader.submission import find_submissions

    results = {r.submission: r for r in grade_paths(registry.load("conv"),
                                                    find_submissions([root / "examples" / "conv"]), seed=0)}
    assert set(results) == {"alice", "bob"}
    assert results["alice"].score == 100  # every required function, no bonus
    bob = by_function(results["bob"])
    assert 0 < results["bob"].score < 100
    assert bob["conv_single_step"].score == 10
    assert any("stride" in h for h in hints(bob["conv_forward"]))
    assert any("mode='average'" in h for h in hints(bob["pool_forward"]))
    assert any("not run" in n for n in results["bob"].notes)  # its plotting cell was skipped
