"""Find assignments: `assignments/NAME/` (what students get) + `solutions/NAME/grading.py`.

Adding an assignment means adding those two folders; nothing here names any assignment.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from cnnlab.grader.spec import Assignment, load_module


def assignments_dir() -> Path:
    return Path(str(resources.files("cnnlab.assignments")))


def solutions_dir() -> Path:
    return Path(str(resources.files("cnnlab.solutions")))


def names() -> list[str]:
    return sorted(p.name for p in solutions_dir().iterdir() if (p / "grading.py").is_file())


def load(name: str) -> Assignment:
    """Import `solutions/NAME/grading.py` and return its ASSIGNMENT."""
    if name not in names():
        raise KeyError(f"unknown assignment {name!r}; known: {', '.join(names())}")
    module = load_module(solutions_dir() / name / "grading.py", f"cnnlab_grading_{name}")
    assignment: Assignment = module.ASSIGNMENT
    harness = assignments_dir() / name / "harness.py"
    if harness.is_file():
        assignment.harness = harness
    return assignment


def public_tests(name: str) -> Path:
    return assignments_dir() / name / "public_tests.py"


def support_files(name: str) -> list[Path]:
    """Public modules a student's code may import (public_tests.py, ...), not the template."""
    return sorted(p for p in (assignments_dir() / name).glob("*.py") if p.stem != name)
