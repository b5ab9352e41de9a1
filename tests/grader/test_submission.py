import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from cnnlab.grader.submission import find_submissions, load_submission


def write_nb(path, *sources):
    cells = [new_markdown_cell("# title")] + [new_code_cell(s) for s in sources]
    nbformat.write(new_notebook(cells=cells), str(path))
    return path


def test_notebook_keeps_definitions_and_drops_top_level_work(tmp_path):
    path = write_nb(tmp_path / "s.ipynb",
                    "import numpy as np\n%matplotlib inline\n!pip install foo",
                    "ALPHA = 0.2\nrelu = np.maximum\nhistory = model.fit(x)\npanels = [history]",
                    "def f(x):\n    return x * ALPHA\n\nprint(f(2))\nf(3)",
                    "%%time\ntrain_forever()")
    sub = load_submission(path)
    ns = {}
    exec(sub.source, ns)  # would raise NameError on `model` or `history` if kept
    assert ns["f"](1) == 0.2 and ns["relu"] is ns["np"].maximum
    assert "history" not in ns and "panels" not in ns
    assert "print" not in sub.source and "train_forever" not in sub.source
    assert sub.warnings and "not run" in sub.warnings[0]


def test_syntax_error_cell_is_kept_so_the_student_sees_it(tmp_path):
    path = write_nb(tmp_path / "s.ipynb", "def f(:\n    pass")
    assert "def f(:" in load_submission(path).source


def test_unreadable_notebook_becomes_failing_source(tmp_path):
    path = tmp_path / "broken.ipynb"
    path.write_text("{not json")
    sub = load_submission(path)
    assert sub.source.startswith("raise RuntimeError") and sub.student == "broken"


def test_folder_expands_to_py_and_ipynb_sorted(tmp_path):
    for name in ("b.py", "a.ipynb", "notes.txt", ".hidden.py"):
        (tmp_path / name).write_text("")
    assert [p.name for p in find_submissions([tmp_path])] == ["a.ipynb", "b.py"]
