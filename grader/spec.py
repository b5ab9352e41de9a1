"""How an assignment describes its hidden tests to the grader.

An assignment's `solutions/NAME/grading.py` defines `ASSIGNMENT = Assignment(...)`: the graded
functions, their points, a generator of test cases (random inputs and fixed edge cases) and
the known mistakes worth a hint. Expected outputs are never stored: the grader computes them
by calling the reference function on each case's inputs.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable


@dataclass
class Case:
    """One call of a graded function: `reference(*args, **kwargs)`."""

    name: str
    args: tuple
    kwargs: dict = field(default_factory=dict)


@dataclass
class Mistake:
    """A known wrong implementation; when a student's output matches it, we say so.

    `match="values"` compares whole outputs; `match="shape"` only the shape of the first
    array (for mistakes that are recognisable by size alone, such as rounding up).
    """

    hint: str
    implementation: Callable
    match: str = "values"


@dataclass
class GradedFunction:
    name: str
    points: float
    reference: Callable
    cases: Callable[[Any], list]  # numpy Generator -> list[Case]
    returns: tuple = ()  # names of the returned values, for messages ("Z", "cache")
    mistakes: list = field(default_factory=list)
    bonus: bool = False  # extra credit: its points do not count in max_score
    rtol: float = 1e-5
    atol: float = 1e-6
    harness: str | None = None  # name of a function in the assignment's harness.py
    check: Callable | None = None  # custom (case, expected, got) -> message or None


@dataclass
class Assignment:
    name: str
    title: str
    module: str  # the student's module name, e.g. "conv" for conv.py / conv.ipynb
    functions: list
    timeout: float = 10.0  # default seconds per case
    needs_tensorflow: bool = False
    harness: Path | None = None  # assignments/NAME/harness.py when the child needs one
    error_hints: list = field(default_factory=list)  # (regex on the error message, hint)

    def function(self, name: str) -> GradedFunction:
        return next(f for f in self.functions if f.name == name)

    @property
    def max_score(self) -> float:
        return sum(f.points for f in self.functions if not f.bonus)


def load_module(path: Path, name: str):
    """Import a file by path (assignment folders are data, not packages)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sibling(file: str, filename: str, name: str | None = None):
    """Import `filename` next to `file` (how grading.py imports its reference module)."""
    path = Path(file).with_name(filename)
    return load_module(path, name or f"cnnlab_solution_{path.parent.name}_{path.stem}")
