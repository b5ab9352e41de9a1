"""A folder of per-submission results, so that an interrupted batch resumes and loses nothing.

    DIR/run.json        {"assignment", "seed"}: a resumed run reuses the seed (same cases)
    DIR/STUDENT.json    one submission's result, written atomically as soon as it is graded,
                        with the SHA-256 of the file it graded (an edited file is regraded)
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from cnnlab.grader.grade import FunctionResult, SubmissionResult, TestResult
from cnnlab.grader.report import write_atomic


def file_digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def result_from_dict(d: dict) -> SubmissionResult:
    functions = [FunctionResult(**{**f, "tests": [TestResult(**t) for t in f["tests"]]})
                 for f in d["functions"]]
    return SubmissionResult(**{**d, "functions": functions})


class ResultStore:
    def __init__(self, folder: Path, assignment: str):
        self.folder, self.assignment = Path(folder), assignment

    def seed(self, requested: int | None, regrade: bool) -> int | None:
        """The seed to use: the one asked for, else the interrupted run's (unless regrading)."""
        run = self.folder / "run.json"
        if requested is None and not regrade and run.exists():
            data = json.loads(run.read_text())
            if data.get("assignment") == self.assignment:
                return int(data["seed"])
        return requested

    def remember_seed(self, seed: int) -> None:
        write_atomic(self.folder / "run.json", json.dumps({"assignment": self.assignment, "seed": seed}))

    def _path(self, student: str) -> Path:
        return self.folder / f"{student}.json"

    def load(self, path: Path, student: str, seed: int) -> SubmissionResult | None:
        """A stored result for this exact file and seed, or None."""
        stored = self._path(student)
        if not stored.exists():
            return None
        try:
            data = json.loads(stored.read_text())
            if data.get("sha256") != file_digest(path) or data.get("seed") != seed:
                return None
            data.pop("sha256")
            return result_from_dict(data)
        except (OSError, ValueError, TypeError, KeyError):
            return None  # a damaged file is simply regraded

    def save(self, result: SubmissionResult) -> None:
        data = result.to_dict()
        data["sha256"] = file_digest(Path(result.path))
        write_atomic(self._path(result.submission), json.dumps(data, indent=1))
