"""`cnnlab check`: a student's public tests, run in a child process like grading is."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cnnlab.grader import registry, sandbox
from cnnlab.grader.spec import Assignment
from cnnlab.grader.submission import load_submission


@dataclass
class CheckResult:
    function: str
    passed: bool
    message: str
    bonus: bool
    stdout: str = ""


def check_file(assignment: Assignment, path: Path, limits: sandbox.Limits | None = None):
    """Run `public_tests.test_<fn>(student_fn)` for every graded function.

    Returns (one CheckResult per function, the import error or None).
    """
    submission = load_submission(path)
    cases = [{"function": f.name, "args": (), "harness": f"test_{f.name}"} for f in assignment.functions]
    job = sandbox.Job(submission.source, Path(path).name, assignment.module, cases,
                      harness=str(registry.public_tests(assignment.name)),
                      support=registry.support_files(assignment.name))
    from cnnlab.grader.grade import sandbox_modules, sandbox_view

    visible, hidden = sandbox_view()
    outcomes, import_error = sandbox.run_job(job, limits or sandbox.Limits(timeout=assignment.timeout * 3),
                                             modules=sandbox_modules(assignment),
                                             visible=visible, hide=hidden)
    results = [CheckResult(f.name, o.status == "ok", o.message, f.bonus, o.stdout)
               for f, o in zip(assignment.functions, outcomes)]
    return results, import_error
