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
