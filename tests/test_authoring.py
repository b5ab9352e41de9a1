"""Student files are generated from the solutions and never drift from them."""

import ast

import nbformat
import pytest

from cnnlab.grader import authoring, registry

NAMES = registry.names()


def signatures(source: str) -> dict:
    out = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef):
            out[node.name] = ast.dump(node.args)
    return out


@pytest.mark.parametrize("name", NAMES)
def test_generated_files_are_up_to_date(name):
    stale = authoring.stale_files(name)
    assert not stale, f"run `cnnlab build {name}`: stale {', '.join(map(str, stale))}"


@pytest.mark.parametrize("name", NAMES)
def test_template_has_the_reference_functions_and_signatures(name):
    reference = (registry.solutions_dir() / name / f"{name}.py").read_text()
    template = (registry.assignments_dir() / name / f"{name}.py").read_text()
    assert signatures(template) == signatures(reference)
    assert "BEGIN SOLUTION" not in template
    graded = {f.name for f in registry.load(name).functions}
    assert graded <= set(signatures(template)), graded - set(signatures(template))


@pytest.mark.parametrize("name", NAMES)
def test_student_notebook_holds_no_solution_and_every_graded_function(name):
    path = registry.assignments_dir() / name / f"{name}.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "BEGIN SOLUTION" not in code and "HIDDEN TESTS" not in code
    graded_cells = [c.source for c in nb.cells if c.metadata.get("cnnlab", {}).get("function")]
    defined = set(signatures("\n\n".join(graded_cells)))
    graded = {f.name for f in registry.load(name).functions}
    assert graded <= defined
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_strip_solutions_keeps_indentation_and_rejects_unterminated():
    src = "def f(x):\n    '''doc'''\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n"
    out = authoring.strip_solutions(src)
    assert "return x" not in out and "    raise NotImplementedError()" in out
    ns = {}
    exec(out, ns)
    with pytest.raises(NotImplementedError):
        ns["f"](1)
    with pytest.raises(ValueError):
        authoring.strip_solutions("### BEGIN SOLUTION\nx = 1\n")
