"""What students get: public tests that pass on the reference and fail on the template, a
harness that only reorders, and a release without solutions."""

import numpy as np

from cnnlab.grader import authoring, registry
from cnnlab.grader.check import check_file
from cnnlab.grader.spec import load_module

from ..conftest import ROOT

harness = load_module(ROOT / "assignments" / "yolo" / "harness.py", "yolo_harness_under_test")


def test_public_tests_pass_on_the_reference_and_fail_on_the_template():
    assignment = registry.load("yolo")
    results, error = check_file(assignment, ROOT / "solutions" / "yolo" / "yolo.py")
    assert error is None and all(r.passed for r in results), [(r.function, r.message) for r in results]
    results, error = check_file(assignment, ROOT / "assignments" / "yolo" / "yolo.py")
    assert error is None and not any(r.passed for r in results)
    assert all("NotImplementedError" in r.message or "not implemented" in r.message for r in results)


def test_harness_sorts_rows_and_leaves_malformed_results_alone():
    rng = np.random.default_rng(0)
    scores = rng.uniform(size=7).astype(np.float32)
    boxes = rng.uniform(size=(7, 4)).astype(np.float32)
    classes = rng.integers(0, 3, 7)
    p = rng.permutation(7)
    a = harness.detections(lambda: (scores, boxes, classes))
    b = harness.detections(lambda: [scores[p], boxes[p], classes[p]])
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert np.all(np.diff(a[0]) <= 0)  # by decreasing score
    odd = harness.detections(lambda: (scores, boxes[:3], classes))
    assert odd[1].shape == (3, 4) and odd[0] is not None
    assert harness.detections(lambda: "not a tuple") == "not a tuple"


def test_release_leaks_no_solution_line():
    assert authoring.leaked_solutions("yolo", ROOT / "assignments" / "yolo") == []
    assert not authoring.stale_files("yolo")
