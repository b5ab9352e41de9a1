"""Every notebook executes: the source (reference filled in) top to bottom; the untouched
student notebook up to its first NotImplementedError."""

import shutil

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from cnnlab.grader import registry

NAMES = registry.names()


def run(notebook_path, tmp_path, timeout=600):
    for path in registry.support_files(notebook_path.stem):
        shutil.copyfile(path, tmp_path / path.name)
    nb = nbformat.read(str(notebook_path), as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    return nb


@pytest.mark.parametrize("name", NAMES)
def test_source_notebook_runs_top_to_bottom(name, tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "3")
    nb = run(registry.solutions_dir() / name / f"{name}.ipynb", tmp_path)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "the lesson shows pictures"


@pytest.mark.parametrize("name", NAMES)
def test_student_notebook_stops_at_not_implemented(name, tmp_path):
    with pytest.raises(CellExecutionError) as info:
        run(registry.assignments_dir() / name / f"{name}.ipynb", tmp_path)
    assert "NotImplementedError" in str(info.value)
