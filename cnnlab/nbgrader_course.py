"""Put cnnlab assignments in a real nbgrader course directory, and read nbgrader's grades back.

    course = make_course(root, "conv")                 # source/conv/ from solutions/ + public files
    add_submission(root, "conv", "alice", notebook)    # submitted/alice/conv/conv.ipynb
    run_nbgrader(root, "generate_assignment", "conv")  # nbgrader's own commands
    run_nbgrader(root, "autograde", "conv", "--create")
    grades(root, "conv") -> {"alice": {"hidden_conv_forward": 40.0, ...}}

Used by the tests (nbgrader's commands must grade the source notebooks as they are) and by the
benchmark that times nbgrader beside `cnnlab grade`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from cnnlab.grader import registry

CONFIG = """c = get_config()
c.CourseDirectory.course_id = "cnnlab"
c.CourseDirectory.root = {root!r}
c.Execute.timeout = {timeout}
"""


def make_course(root: Path, assignment: str, timeout: int = 120) -> Path:
    """A course folder whose source/ASSIGNMENT/ is cnnlab's source notebook + public files."""
    root = Path(root)
    source = root / "source" / assignment
    source.mkdir(parents=True, exist_ok=True)
    (root / "nbgrader_config.py").write_text(CONFIG.format(root=str(root), timeout=timeout))
    shutil.copyfile(registry.solutions_dir() / assignment / f"{assignment}.ipynb",
                    source / f"{assignment}.ipynb")
    for path in registry.support_files(assignment):
        shutil.copyfile(path, source / path.name)
    return root


def add_submission(root: Path, assignment: str, student: str, notebook: Path) -> Path:
    folder = Path(root) / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(notebook, folder / f"{assignment}.ipynb")
    for path in registry.support_files(assignment):
        shutil.copyfile(path, folder / path.name)
    return folder


def run_nbgrader(root: Path, *args: str, timeout: int = 3600) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore",
           "MPLBACKEND": "Agg"}  # stderr output costs points in nbgrader
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=timeout)


def grades(root: Path, assignment: str) -> dict:
    """{student: {grade_id: score}} from nbgrader's gradebook."""
    from nbgrader.api import Gradebook

    out: dict = {}
    with Gradebook(f"sqlite:///{Path(root) / 'gradebook.db'}") as gb:
        for submission in gb.assignment_submissions(assignment):
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    score = grade.manual_score if grade.manual_score is not None else grade.auto_score
                    out.setdefault(submission.student_id, {})[grade.name] = score
    return out
