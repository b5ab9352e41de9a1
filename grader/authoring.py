"""Build the student files of an assignment from its one source, so they cannot drift.

The source is `solutions/NAME/NAME.py` (graded code, with nbgrader's `### BEGIN SOLUTION` /
`### END SOLUTION` markers) plus `solutions/NAME/NAME.ipynb` (the lesson; its graded cells,
tagged `{"cnnlab": {"function": ...}}`, are copied from NAME.py on every build). From them:

    assignments/NAME/NAME.py     the template module   (solution blocks -> NotImplementedError)
    assignments/NAME/NAME.ipynb  the student notebook  (same, hidden tests removed, no outputs)

`cnnlab build NAME` writes them; `stale_files(NAME)` (used by the tests) lists any that differ.
"""

from __future__ import annotations

import ast
import copy
import re
from pathlib import Path

import nbformat

from cnnlab.grader import registry

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"


def strip_solutions(source: str) -> str:
    """Replace every solution block with a `raise NotImplementedError()` at its indentation."""
    out, inside = [], False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped == BEGIN:
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            out += [indent + stub_line for stub_line in STUB.splitlines()]
        elif stripped == END:
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"unterminated {BEGIN!r}")
    return "\n".join(out) + ("\n" if source.endswith("\n") else "")


def strip_hidden_tests(source: str) -> str:
    return re.sub(rf"[ \t]*{BEGIN_HIDDEN}.*?{END_HIDDEN}[ \t]*\n?", "", source, flags=re.S)


def function_sources(source: str) -> dict[str, str]:
    """Top-level function name -> its exact source text (decorators included)."""
    lines = source.splitlines()
    out = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            end = node.end_lineno
            # ast ends at the last statement; indented comments after it (### END SOLUTION)
            # still belong to the function.
            while end < len(lines) and (lines[end].startswith((" ", "\t")) or not lines[end].strip()):
                end += 1
            out[node.name] = "\n".join(lines[start - 1:end]).rstrip()
    return out


def _paths(name: str) -> dict[str, Path]:
    sol, asg = registry.solutions_dir() / name, registry.assignments_dir() / name
    return {"reference": sol / f"{name}.py", "source_nb": sol / f"{name}.ipynb",
            "template": asg / f"{name}.py", "student_nb": asg / f"{name}.ipynb"}


def _write_nb(nb) -> str:
    return nbformat.writes(nb) + "\n"


def hidden_test_cell(assignment: str, function: str, points: float):
    """An nbgrader autograded cell scoring `function` with cnnlab's hidden tests, in-kernel."""
    source = (f"# Hidden tests of `{function}` (graded; not in your copy)\n{BEGIN_HIDDEN}\n"
              "from cnnlab.grader.inkernel import score\n"
              f"score({assignment!r}, {function!r}, {function})\n{END_HIDDEN}")
    return nbformat.v4.new_code_cell(source, id=f"hidden-{function}".replace("_", "-"), metadata={
        "cnnlab": {"hidden": function},
        "nbgrader": {"grade": True, "solution": False, "locked": True, "points": points,
                     "grade_id": f"hidden_{function}", "schema_version": 3}})


def synced_source_notebook(name: str):
    """The source notebook, its graded cells copied from NAME.py and, after each function's
    test cell, an nbgrader autograded cell worth the function's points in grading.py."""
    paths = _paths(name)
    functions = function_sources(paths["reference"].read_text())
    points = {f.name: f.points for f in registry.load(name).functions}
    nb = nbformat.read(str(paths["source_nb"]), as_version=4)
    cells = [c for c in nb.cells if "hidden" not in c.metadata.get("cnnlab", {})]
    anchors = {}  # function -> index of the cell its hidden tests follow
    for i, cell in enumerate(cells):
        tag = cell.metadata.get("cnnlab", {})
        fn = tag.get("function")
        if fn:
            if fn not in functions:
                raise KeyError(f"{paths['source_nb'].name}: cell for {fn!r}, which {name}.py lacks")
            cell.source = functions[fn]
        if fn in points or tag.get("test") in points:
            anchors[fn or tag["test"]] = i
    for fn, i in sorted(anchors.items(), key=lambda item: -item[1]):
        cells.insert(i + 1, hidden_test_cell(name, fn, points[fn]))
    nb.cells = cells
    return nb


def student_notebook(source_nb):
    nb = copy.deepcopy(source_nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            if cell.metadata.get("nbgrader", {}).get("solution"):
                cell.source = strip_solutions(cell.source)
        cell.source = strip_hidden_tests(cell.source)
    return nb


def build_outputs(name: str) -> dict[Path, str]:
    """Every generated file of assignment `name` and the text it should hold."""
    paths = _paths(name)
    outputs = {paths["template"]: strip_solutions(paths["reference"].read_text())}
    if paths["source_nb"].exists():
        source_nb = synced_source_notebook(name)
        outputs[paths["source_nb"]] = _write_nb(source_nb)
        outputs[paths["student_nb"]] = _write_nb(student_notebook(source_nb))
    return outputs


def stale_files(name: str) -> list[Path]:
    return [p for p, text in build_outputs(name).items()
            if not p.exists() or p.read_text() != text]


def build(name: str) -> list[Path]:
    """Write the generated files that changed; return them."""
    changed = stale_files(name)
    for path, text in build_outputs(name).items():
        if path in changed:
            path.write_text(text)
    return changed


def solution_lines(name: str) -> set[str]:
    """Distinctive lines of the reference's solution blocks (to prove a release has none).

    Lines the specification itself spells out (in the lesson's text or outside the solution
    blocks, e.g. "cache = (A_prev, hparameters)") are public, not secrets.
    """
    paths = _paths(name)
    reference = paths["reference"].read_text()
    public = strip_solutions(reference)
    if paths["source_nb"].exists():
        nb = nbformat.read(str(paths["source_nb"]), as_version=4)
        public += "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    lines, inside = set(), False
    for line in reference.splitlines():
        stripped = line.strip()
        if stripped == BEGIN:
            inside = True
        elif stripped == END:
            inside = False
        elif inside and len(stripped) > 24 and not stripped.startswith("#") and stripped not in public:
            lines.add(stripped)
    return lines


def release(name: str, outdir: Path) -> list[Path]:
    """Write the student version of assignment `name` into `outdir`/`name`.

    Everything in assignments/NAME (template, notebook, public tests, harness, data), freshly
    built from the source; nothing from solutions/. Refuses to write a release that contains
    a solution line or a hidden test.
    """
    stale = stale_files(name)
    if stale:
        raise RuntimeError(f"run `cnnlab build {name}` first: stale {', '.join(map(str, stale))}")
    source = registry.assignments_dir() / name
    target = Path(outdir) / name
    written = []
    for path in sorted(source.rglob("*")):
        if path.is_dir() or "__pycache__" in path.parts:
            continue
        dest = target / path.relative_to(source)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(path.read_bytes())
        written.append(dest)
    leaks = leaked_solutions(name, target)
    if leaks:
        raise RuntimeError(f"release of {name} would leak solutions: {leaks[:3]}")
    return written


def leaked_solutions(name: str, folder: Path) -> list[str]:
    """Files under `folder` holding solution markers, hidden tests or reference lines."""
    secrets = solution_lines(name)
    leaks = []
    for path in Path(folder).rglob("*"):
        if not path.is_file():
            continue
        text = path.read_text(errors="ignore")
        if BEGIN in text or BEGIN_HIDDEN in text or "cnnlab.grader.inkernel" in text:
            leaks.append(f"{path}: solution or hidden-test markers")
        leaks += [f"{path}: {line!r}" for line in secrets if line in text]
    return leaks
