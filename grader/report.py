"""Write grading results: terminal tables (rich), JSON, CSV and Gradescope `results.json`."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cnnlab.grader.grade import SubmissionResult

def to_json(result: SubmissionResult) -> dict:
    """The documented JSON object of one submission (plus a few extra keys)."""
    d = result.to_dict()
    for f in d["functions"]:
        for t in f["tests"]:
            if t["hint"]:
                t["message"] = f"{t['message']}\nHint: {t['hint']}"
    return d


def json_text(results: list[SubmissionResult]) -> str:
    return json.dumps([to_json(r) for r in results], indent=2)


def csv_text(results: list[SubmissionResult]) -> str:
    """One row per submission, one column per graded function."""
    names = [f.name for f in results[0].functions] if results else []
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["submission", "assignment", "score", "max_score", *names])
    for r in results:
        writer.writerow([r.submission, r.assignment, r.score, r.max_score,
                         *(f.score for f in r.functions)])
    return out.getvalue()


def gradescope(result: SubmissionResult, visibility: str = "after_published") -> dict:
    """Gradescope's results.json: one Gradescope test per hidden test case."""
    tests, number = [], 0
    for f in result.functions:
        for t in f.tests:
            number += 1
            output = t.message + (f"\nHint: {t.hint}" if t.hint else "")
            tests.append({
                "name": f"{f.name}: {t.name}" + (" (bonus)" if f.bonus else ""),
                "number": str(number),
                "score": t.score, "max_score": t.max_score,
                "status": "passed" if t.passed else "failed",
                "output": output or "passed", "output_format": "text",
                "visibility": "visible" if t.visible else visibility,
                "tags": [f.name],
            })
    notes = "\n".join(result.notes)
    return {"score": result.score, "execution_time": result.seconds,
            "output": notes or f"{result.assignment}: graded {number} tests",
            "output_format": "text", "visibility": "visible",
            "stdout_visibility": "hidden", "tests": tests}


def write_atomic(path: Path, text: str) -> None:
    """Write `path` so that a reader never sees half a file (temp file + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def _points(x: float) -> str:
    return f"{round(x, 2):g}"


def print_summary(results: list[SubmissionResult], console: Console | None = None,
                  details: bool = True) -> None:
    console = console or Console()
    for r in results:
        bonus = sum(f.score for f in r.functions if f.bonus)
        total = f"{_points(r.score - bonus)} / {_points(r.max_score)}" + (f" + {_points(bonus)} bonus" if bonus else "")
        table = Table(title=escape(f"{r.assignment} — {r.submission}: {total}"),
                      title_justify="left", show_lines=False)
        table.add_column("function")
        table.add_column("points", justify="right")
        table.add_column("tests passed", justify="right")
        if details:
            table.add_column("first problem", overflow="fold")
        for f in r.functions:
            failed = [t for t in f.tests if not t.passed]
            passed = len(f.tests) - len(failed)
            style = "green" if not failed else ("red" if passed == 0 else "yellow")
            problem = ""
            if failed and details:
                t = failed[0]
                problem = escape(f"({t.name}) {t.message}" + (f"\n→ Hint: {t.hint}" if t.hint else ""))
            row = [f.name + (" (bonus)" if f.bonus else ""), f"{_points(f.score)}/{_points(f.max_score)}",
                   f"[{style}]{passed}/{len(f.tests)}[/{style}]"]
            table.add_row(*row, *([problem] if details else []))
        console.print(table)
        for note in r.notes:
            console.print(f"  [bold yellow]note:[/] {escape(note)}")
