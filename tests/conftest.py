"""Shared fixtures: paths of the repository and a helper to grade source text."""

from pathlib import Path

import pytest

from cnnlab.grader import registry
from cnnlab.grader.grade import grade_paths

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def root():
    return ROOT


@pytest.fixture
def grade_source(tmp_path):
    """grade_source(assignment, {"student": source, ...}, seed=0) -> {student: result}."""

    def run(assignment_name, sources: dict, seed=0, limits=None, suffix=".py"):
        assignment = registry.load(assignment_name)
        paths = []
        for student, source in sources.items():
            path = tmp_path / f"{student}{suffix}"
            path.write_text(source)
            paths.append(path)
        results = grade_paths(assignment, paths, seed=seed, limits=limits)
        return {r.submission: r for r in results}

    return run
