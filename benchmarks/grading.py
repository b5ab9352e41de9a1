"""Grading throughput: `cnnlab grade` vs `nbgrader autograde` on the same submissions.

    python benchmarks/grading.py [--n 200] [--n-nbgrader 12] [--workers 2] [--assignment conv]

Generates N synthetic notebook submissions from the released student notebook (a mix of
correct, buggy and crashing ones), grades them with cnnlab (1 worker and --workers), and grades
the first --n-nbgrader of them with nbgrader's own `autograde` in a real course folder, whose
autograded cells run the same hidden tests in-kernel. Prints one table:

  * submissions/second for each grader, and the ratio on identical work;
  * cnnlab's per-submission overhead: serial wall time per submission minus the student
    code's own compute (the same functions on the same cases, timed in-process).
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from cnnlab import nbgrader_course
from cnnlab.grader import authoring, registry
from cnnlab.grader.grade import CasePlan, grade_paths

BUGS = {  # function -> a wrong body (indented), for the "buggy" submissions
    "zero_pad": "    return np.pad(X, pad)",
    "conv_single_step": "    return float(np.sum(a_slice_prev * W))",
    "pool_forward": "    return np.zeros((1, 1, 1, 1)), (A_prev, hparameters)",
}


def synthetic_notebooks(assignment: str, n: int, folder: Path) -> list[Path]:
    """n notebooks: 50% correct, 30% with one bug, 20% crashing (at import or in a function)."""
    source_nb = authoring.synced_source_notebook(assignment)
    student_nb = authoring.student_notebook(source_nb)
    reference = {c.metadata["cnnlab"]["function"]: c.source for c in source_nb.cells
                 if "function" in c.metadata.get("cnnlab", {})}
    paths = []
    for i in range(n):
        nb = nbformat.from_dict(student_nb)
        kind = ("correct", "correct", "correct", "correct", "correct",
                "buggy", "buggy", "buggy", "crash_import", "crash_function")[i % 10]
        for cell in nb.cells:
            fn = cell.metadata.get("cnnlab", {}).get("function")
            if fn:
                cell.source = re.sub(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", "", reference[fn], flags=re.M)
                if kind == "buggy" and fn == list(BUGS)[i % len(BUGS)]:
                    head = cell.source.split('"""')[0] + '"""' + cell.source.split('"""')[1] + '"""\n'
                    cell.source = head + BUGS[fn]
                if kind == "crash_function" and fn == "conv_forward":
                    cell.source = cell.source.replace("    stride, pad", "    raise RuntimeError('oops')\n    stride, pad", 1)
        if kind == "crash_import":
            nb.cells.insert(1, nbformat.v4.new_code_cell("from a_module_that_does_not_exist import helper"))
        path = folder / f"student{i:04d}.ipynb"
        nbformat.write(nb, str(path))
        paths.append(path)
    return paths


def student_compute_seconds(assignment, paths, seed) -> float:
    """The student code's own compute: their functions on the same cases, timed in-process."""
    from cnnlab.grader.submission import load_submission

    plan = CasePlan(assignment, seed)
    total = 0.0
    sys.path.insert(0, str(registry.assignments_dir() / assignment.name))  # public_tests etc.
    for path in paths:
        namespace: dict = {}
        try:
            exec(compile(load_submission(path).source, str(path), "exec"), namespace)
        except Exception:
            continue
        for fn in assignment.functions:
            for case in plan.cases[fn.name]:
                started = time.perf_counter()
                try:
                    namespace[fn.name](*case.args, **case.kwargs)
                except Exception:
                    pass
                total += time.perf_counter() - started
    return total


def time_cnnlab(assignment, paths, workers, seed) -> float:
    started = time.perf_counter()
    grade_paths(assignment, paths, seed=seed, workers=workers)
    return time.perf_counter() - started


def time_nbgrader(name, paths, root: Path) -> float:
    nbgrader_course.make_course(root, name)
    generated = nbgrader_course.run_nbgrader(root, "generate_assignment", name, "--force")
    if generated.returncode:
        raise RuntimeError(generated.stderr[-2000:])
    for path in paths:
        nbgrader_course.add_submission(root, name, path.stem, path)
    started = time.perf_counter()
    proc = nbgrader_course.run_nbgrader(root, "autograde", name, "--create", "--force")
    elapsed = time.perf_counter() - started
    if proc.returncode:
        raise RuntimeError(proc.stderr[-2000:])
    return elapsed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--assignment", default="conv")
    parser.add_argument("--n", type=int, default=200, help="submissions graded by cnnlab")
    parser.add_argument("--n-nbgrader", type=int, default=12, help="of them, also graded by nbgrader")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    assignment = registry.load(args.assignment)
    tmp = Path(tempfile.mkdtemp(prefix="cnnlab-bench-"))
    try:
        (tmp / "subs").mkdir()
        paths = synthetic_notebooks(args.assignment, args.n, tmp / "subs")
        same = paths[: args.n_nbgrader]
        rows = []
        compute = student_compute_seconds(assignment, paths, args.seed)
        serial = time_cnnlab(assignment, paths, 1, args.seed)
        parallel = time_cnnlab(assignment, paths, args.workers, args.seed)
        cn_same = time_cnnlab(assignment, same, args.workers, args.seed)
        rows.append((f"cnnlab, 1 worker, {len(paths)} subs", serial, len(paths)))
        rows.append((f"cnnlab, {args.workers} workers, {len(paths)} subs", parallel, len(paths)))
        rows.append((f"cnnlab, {args.workers} workers, {len(same)} subs", cn_same, len(same)))
        nb = None
        if args.n_nbgrader and _has_nbgrader():
            nb = time_nbgrader(args.assignment, same, tmp / "course")
            rows.append((f"nbgrader autograde, {len(same)} subs", nb, len(same)))
        print(f"\nassignment {args.assignment}: {len(paths)} synthetic submissions "
              "(50% correct, 30% buggy, 20% crashing)\n")
        print(f"{'grader':42} {'wall s':>9} {'subs/s':>9} {'s/sub':>8}")
        for label, seconds, n in rows:
            print(f"{label:42} {seconds:9.2f} {n / seconds:9.2f} {seconds / n:8.3f}")
        overhead = (serial - compute) / len(paths)
        print(f"\nstudent code's own compute: {compute / len(paths) * 1000:.1f} ms per submission")
        print(f"cnnlab overhead per submission (1 worker): {overhead * 1000:.0f} ms  (target <= 300 ms)")
        if nb:
            print(f"throughput ratio on the same {len(same)} submissions, cnnlab ({args.workers} workers)"
                  f" / nbgrader: {nb / cn_same:.1f}x  (target >= 20x)")
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _has_nbgrader() -> bool:
    try:
        import nbgrader  # noqa: F401
        return True
    except ImportError:
        return False


if __name__ == "__main__":
    sys.exit(main())
