"""Grade submissions: hidden cases -> child process -> comparison with the reference -> points.

The reference runs here, in the grader's process, once per case for the whole batch; student
code runs only in `sandbox` children, which get inputs and never expected values.
"""

from __future__ import annotations

import os
import queue
import sys
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from cnnlab.grader import registry, sandbox
from cnnlab.grader.compare import compare, first_shape
from cnnlab.grader.spec import Assignment, Case, GradedFunction, load_module
from cnnlab.grader.submission import load_submission


@dataclass
class TestResult:
    name: str
    passed: bool
    score: float
    max_score: float
    message: str = ""
    hint: str = ""
    visible: bool = False  # hidden tests by default (Gradescope visibility)


@dataclass
class FunctionResult:
    name: str
    score: float
    max_score: float
    bonus: bool
    tests: list


@dataclass
class SubmissionResult:
    assignment: str
    submission: str
    path: str
    score: float
    max_score: float
    functions: list
    notes: list = field(default_factory=list)
    seconds: float = 0.0
    seed: int | None = None
    isolation: str = ""  # "bwrap" or "process": how the student code was sandboxed

    def to_dict(self) -> dict:
        return asdict(self)


class CasePlan:
    """The batch's cases and their expected outputs, computed once by the reference."""

    def __init__(self, assignment: Assignment, seed: int, only: list | None = None):
        self.assignment, self.seed = assignment, seed
        self.harness = (load_module(assignment.harness, f"cnnlab_harness_{assignment.name}")
                        if assignment.harness else None)
        self.cases: dict[str, list[Case]] = {}
        self.mistake_outputs: dict = {}  # (function, case id, mistake index) -> output
        self.lock = threading.Lock()
        self.expected: dict[str, list] = {}
        for fn in assignment.functions:
            if only is not None and fn.name not in only:
                continue
            rng = np.random.default_rng([seed, _stable_hash(fn.name)])
            cases = fn.cases(rng)
            self.cases[fn.name] = cases
            self.expected[fn.name] = [_call(fn.reference, c, fn, self.harness) for c in cases]

    def jobs(self) -> list[dict]:
        """The child's view: function, inputs and harness only."""
        return [{"function": fn.name, "args": c.args, "kwargs": c.kwargs, "harness": fn.harness}
                for fn in self.assignment.functions for c in self.cases[fn.name]]


def _stable_hash(text: str) -> int:
    return int.from_bytes(text.encode()[:8].ljust(8, b"\0"), "little")


def _call(implementation, case: Case, fn: GradedFunction, harness=None):
    """Run our own code (reference or a known mistake) on fresh copies of the inputs.

    With a harness, the same harness function the child uses wraps the implementation.
    """
    args = tuple(np.array(a) if isinstance(a, np.ndarray) else a for a in case.args)
    if fn.harness:
        return getattr(harness, fn.harness)(implementation, *args, **case.kwargs)
    return implementation(*args, **case.kwargs)


_FAILED = object()


def _mistake_hint(fn: GradedFunction, case: Case, expected, got, plan: "CasePlan") -> str:
    """The hint of the first known mistake whose output `got` matches (and `expected` doesn't).

    Each mistake's output on a case is computed once per batch (plan.mistake_outputs).
    """
    for i, mistake in enumerate(fn.mistakes):
        key = (fn.name, id(case), i)
        with plan.lock:
            wrong = plan.mistake_outputs.get(key)
        if wrong is None:
            try:
                wrong = _call(mistake.implementation, case, fn, plan.harness)
            except Exception:
                wrong = _FAILED
            with plan.lock:
                plan.mistake_outputs[key] = wrong
        if wrong is _FAILED:
            continue
        if mistake.match == "shape":
            shape = first_shape(wrong)
            if shape is not None and shape == first_shape(got) and shape != first_shape(expected):
                return mistake.hint
        elif compare(wrong, got, fn.rtol, fn.atol) is None:  # a check may diagnose, not just compare
            return mistake.hint
    return ""


def _error_hint(assignment: Assignment, message: str) -> str:
    return next((hint for pattern, hint in assignment.error_hints if re.search(pattern, message)), "")


def _judge(fn: GradedFunction, case: Case, expected, outcome: sandbox.Outcome, points: float,
           reveal: bool, plan: "CasePlan") -> TestResult:
    if outcome.status != "ok":
        return TestResult(case.name, False, 0.0, points, outcome.message,
                          _error_hint(plan.assignment, outcome.message))
    got = outcome.value
    if fn.returns and isinstance(expected, tuple) and isinstance(got, (tuple, list)) \
            and len(got) == len(expected):
        message = next((m for name, e, g in zip(fn.returns, expected, got)
                        if (m := _check(fn, case, e, g, name, reveal))), None)
    else:
        message = _check(fn, case, expected, got, "", reveal)
    if message is None:
        return TestResult(case.name, True, points, points)
    return TestResult(case.name, False, 0.0, points, message, _mistake_hint(fn, case, expected, got, plan))


def _check(fn, case, expected, got, path, reveal):
    if fn.check is not None:
        return fn.check(case, expected, got)
    return compare(expected, got, fn.rtol, fn.atol, path, reveal)


def grade_file(path: Path, assignment: Assignment, plan: CasePlan, box: sandbox.Sandbox,
               limits: sandbox.Limits, reveal: bool = False) -> SubmissionResult:
    started = time.monotonic()
    submission = load_submission(path)
    job = sandbox.Job(source=submission.source, filename=Path(path).name,
                      module_name=assignment.module, cases=plan.jobs(),
                      harness=str(assignment.harness) if assignment.harness else None,
                      support=registry.support_files(assignment.name))
    outcomes, import_error = box.run_job(job, limits)
    notes = list(submission.warnings)
    if import_error:
        notes.append(import_error)
    functions, k = [], 0
    for fn in assignment.functions:
        cases = plan.cases[fn.name]
        per_case = fn.points / len(cases)
        tests = []
        for case, expected in zip(cases, plan.expected[fn.name]):
            tests.append(_judge(fn, case, expected, outcomes[k], per_case, reveal, plan))
            k += 1
        functions.append(FunctionResult(fn.name, round(sum(t.score for t in tests), 4), fn.points,
                                        fn.bonus, tests))
    score = round(sum(f.score for f in functions), 4)
    return SubmissionResult(assignment.name, submission.student, str(path), score,
                            assignment.max_score, functions, notes,
                            round(time.monotonic() - started, 3), seed=plan.seed,
                            isolation=box.isolation or "")


def sandbox_view() -> tuple[list[Path], list[Path]]:
    """What student code may see (read-only) besides the system, and what inside it it may not.

    Visible: the Python installation and cnnlab's `cnnlab` and `grader` packages -- never the
    repository around them, other checkouts, submissions or results. Hidden: the solutions
    folder, for installs where it sits inside site-packages.
    """
    import site

    import cnnlab
    import cnnlab.grader

    python = {sys.prefix, sys.base_prefix, sys.exec_prefix, *site.getsitepackages(),
              site.getusersitepackages()}
    packages = {Path(cnnlab.__file__).parent, Path(cnnlab.grader.__file__).parent}
    return sorted(map(Path, python | packages)), [registry.solutions_dir()]


def sandbox_modules(assignment: Assignment) -> list[str]:
    """What each worker's zygote pre-imports: Keras and its backend only for assignments that
    need them (KERAS_BACKEND picks the backend: tensorflow by default, or jax / torch)."""
    if not assignment.needs_tensorflow:
        return []
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    return [backend, "keras"]


def grade_paths(assignment: Assignment, paths: list, seed: int | None = None,
                limits: sandbox.Limits | None = None, on_result=None, workers: int = 1,
                isolation: str = "auto", hide: list = (), reveal: bool = False) -> list[SubmissionResult]:
    """Grade each file with `workers` sandboxes in parallel.

    `on_result(result)` is called (in the calling thread) as soon as each one is done; results
    come back in the order of `paths`.
    """
    seed = int(np.random.SeedSequence().entropy % (2**31)) if seed is None else seed
    limits = limits or sandbox.Limits(timeout=assignment.timeout)
    plan = CasePlan(assignment, seed)
    visible, hidden = sandbox_view()
    options = {"modules": sandbox_modules(assignment), "visible": visible,
               "hide": hidden + list(hide), "isolation": isolation}
    idle: queue.SimpleQueue = queue.SimpleQueue()
    boxes: list[sandbox.Sandbox] = []
    lock = threading.Lock()

    def work(path):
        try:
            box = idle.get_nowait()
        except queue.Empty:
            box = sandbox.Sandbox(**options)
            with lock:
                boxes.append(box)
            box.start()
        try:
            return grade_file(Path(path), assignment, plan, box, limits, reveal)
        finally:
            idle.put(box)

    results: dict[int, SubmissionResult] = {}
    try:
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            futures = {pool.submit(work, p): i for i, p in enumerate(paths)}
            for future in as_completed(futures):
                result = future.result()
                results[futures[future]] = result
                if on_result:
                    on_result(result)
    finally:
        for box in boxes:
            box.close()
    return [results[i] for i in range(len(paths))]
