"""Turn a submission file into the Python source the child imports.

A `.py` file is used as it is. A notebook goes through a small pipeline, one step per class
(as nbgrader's preprocessors do): read it with nbformat, keep code cells, drop IPython magics
and shell lines, then keep only definitions (imports, functions, classes, constant
assignments), so that top-level training or plotting cells never run during grading.
"""

from __future__ import annotations

import ast
import builtins
import json
from dataclasses import dataclass
from pathlib import Path

import nbformat

SUFFIXES = (".py", ".ipynb")


@dataclass
class Submission:
    path: Path
    student: str  # the file's stem
    source: str  # code for the child to import
    warnings: list


class ReadCodeCells:
    """Notebook file -> list of code-cell sources (any nbformat version, read as v4)."""

    def __call__(self, path: Path) -> list[str]:
        nb = nbformat.read(str(path), as_version=4)
        return [cell.source for cell in nb.cells if cell.cell_type == "code"]


class DropMagics:
    """Remove `%magic`, `%%cell magic` and `!shell` lines, which are not Python."""

    def __call__(self, cells: list[str]) -> list[str]:
        out = []
        for source in cells:
            if source.lstrip().startswith("%%"):
                continue  # a cell magic makes the whole cell non-Python
            lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
            out.append("\n".join(lines))
        return out


class KeepDefinitions:
    """Keep imports, defs, classes, and assignments of values built only from what is kept.

    `ALPHA = 0.2` and `relu = np.maximum` stay; `history = model.fit(...)` and
    `panels = [(edges, ...)]` (where `edges` came from a dropped call) go. Cells that do not
    parse are kept whole, so the student sees their syntax error.
    """

    KEEP = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)

    def __init__(self):
        self.dropped = 0
        self.defined = set(dir(builtins))

    def _keep(self, node) -> bool:
        if isinstance(node, self.KEEP):
            return True
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            parts = list(ast.walk(node.value))
            if any(isinstance(n, (ast.Call, ast.Await, ast.Yield, ast.NamedExpr, ast.Lambda,
                                  ast.comprehension)) for n in parts):
                return False
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            return all(isinstance(t, ast.Name) for t in targets) and all(
                n.id in self.defined for n in parts if isinstance(n, ast.Name))
        return False

    def _define(self, node) -> None:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            self.defined |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            self.defined.add(node.name)
        else:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            self.defined |= {t.id for t in targets}

    def __call__(self, cells: list[str]) -> list[str]:
        out = []
        for source in cells:
            try:
                tree = ast.parse(source)
            except SyntaxError:
                out.append(source)
                continue
            lines = source.splitlines()
            kept = []
            for node in tree.body:
                if self._keep(node):
                    self._define(node)
                    start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
                    kept.append("\n".join(lines[start - 1:node.end_lineno]))
                else:
                    self.dropped += 1
            out.append("\n".join(kept))
        return out


def notebook_source(path: Path) -> tuple[str, list[str]]:
    cells = ReadCodeCells()(path)
    cells = DropMagics()(cells)
    keep = KeepDefinitions()
    cells = keep(cells)
    notes = [f"{keep.dropped} top-level statements (training, plotting, prints) were not run"] \
        if keep.dropped else []
    return "\n\n".join(c for c in cells if c.strip()) + "\n", notes


def load_submission(path: Path) -> Submission:
    """Read a `.py` or `.ipynb` submission; unreadable files give a source that fails loudly."""
    path = Path(path)
    try:
        if path.suffix == ".ipynb":
            source, notes = notebook_source(path)
        else:
            source, notes = path.read_text(errors="replace"), []
    except (OSError, ValueError, json.JSONDecodeError, nbformat.reader.NotJSONError) as exc:
        message = f"could not read {path.name}: {exc}"
        source, notes = f"raise RuntimeError({message!r})\n", [message]
    return Submission(path, path.stem, source, notes)


def find_submissions(paths: list) -> list[Path]:
    """Expand folders into their `.py` / `.ipynb` files (sorted); keep files as given."""
    found = []
    for p in map(Path, paths):
        if p.is_dir():
            found += sorted(f for f in p.iterdir()
                            if f.suffix in SUFFIXES and f.is_file() and not f.name.startswith("."))
        else:
            found.append(p)
    return found
