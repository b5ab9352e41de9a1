"""nbgrader's own commands grade the source notebooks, awarding cnnlab's points."""

import sys
from pathlib import Path

import nbformat
import pytest

from cnnlab import nbgrader_course
from cnnlab.grader import registry
from cnnlab.grader.grade import grade_paths

from .conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import grading as bench  # noqa: E402  (the benchmark's synthetic submissions)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = nbgrader_course.make_course(tmp_path_factory.mktemp("course"), "conv")
    generated = nbgrader_course.run_nbgrader(root, "generate_assignment", "conv", "--force")
    assert generated.returncode == 0, generated.stderr[-3000:]
    subs = tmp_path_factory.mktemp("subs")
    notebooks = bench.synthetic_notebooks("conv", 7, subs)  # 0: correct, 5/6: buggy
    chosen = {"correct": notebooks[0], "buggy": notebooks[5], "buggy2": notebooks[6],
              "template": root / "release" / "conv" / "conv.ipynb"}
    for student, path in chosen.items():
        nbgrader_course.add_submission(root, "conv", student, path)
    graded = nbgrader_course.run_nbgrader(root, "autograde", "conv", "--create", "--force")
    assert graded.returncode == 0, graded.stderr[-3000:]
    return root, chosen


def test_release_holds_no_solution_and_no_hidden_tests(course):
    root, _ = course
    nb = nbformat.read(str(root / "release" / "conv" / "conv.ipynb"), as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text and "inkernel" not in text
    assert "sliding_window_view(A_pad" not in text  # a line of the reference conv_forward


def test_nbgrader_awards_the_same_points_as_cnnlab_grade(course):
    root, chosen = course
    nb_grades = nbgrader_course.grades(root, "conv")
    ours = {r.submission: {f"hidden_{f.name}": f.score for f in r.functions}
            for r in grade_paths(registry.load("conv"), [chosen[s] for s in chosen], seed=0)}
    by_student = dict(zip(chosen, (ours[Path(p).stem] for p in chosen.values())))
    for student in chosen:
        assert nb_grades[student] == pytest.approx(by_student[student]), student
    assert sum(nb_grades["correct"].values()) == 120
    assert sum(nb_grades["template"].values()) == 0
    assert 0 < sum(nb_grades["buggy"].values()) < 120
