"""The student files are generated from solutions/resnet and have not drifted from it."""

import nbformat

from cnnlab.grader import authoring, registry

from ..conftest import ROOT


def test_generated_files_are_up_to_date():
    stale = authoring.stale_files("resnet")
    assert not stale, f"run `cnnlab build resnet`: stale {[str(p) for p in stale]}"


def test_notebooks_have_a_graded_and_a_test_cell_per_function():
    functions = [f.name for f in registry.load("resnet").functions]
    for folder in ("solutions", "assignments"):
        path = ROOT / folder / "resnet" / "resnet.ipynb"
        nb = nbformat.read(str(path), as_version=4)
        tags = [c.metadata.get("cnnlab", {}) for c in nb.cells]
        graded = [t["function"] for t in tags if "function" in t]
        tests = [t["test"] for t in tags if "test" in t]
        assert graded == functions and tests == functions, path
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), path


def test_student_files_hold_no_solution():
    template = (ROOT / "assignments" / "resnet" / "resnet.py").read_text()
    notebook = (ROOT / "assignments" / "resnet" / "resnet.ipynb").read_text()
    for text in (template, notebook):
        assert "BEGIN SOLUTION" not in text and "layers.Add()([X, X_shortcut])" not in text
        assert text.count("raise NotImplementedError()") == 3
