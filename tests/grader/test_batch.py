"""Class-scale grading: parallel workers, results written as they come, resume, --regrade."""

import json
import subprocess
import sys

from ..conftest import ROOT

REFERENCE = (ROOT / "solutions" / "conv" / "conv.py").read_text()
TEMPLATE = (ROOT / "assignments" / "conv" / "conv.py").read_text()


def grade(tmp_path, *extra):
    return subprocess.run([sys.executable, "-m", "cnnlab", "grade", "conv", str(tmp_path / "subs"),
                           "--results", str(tmp_path / "res"), "--json", str(tmp_path / "all.json"),
                           *extra], capture_output=True, text=True, cwd=tmp_path, timeout=600)


def make_class(tmp_path, n=6):
    subs = tmp_path / "subs"
    subs.mkdir()
    for i in range(n):
        (subs / f"s{i}.py").write_text(REFERENCE if i % 2 == 0 else TEMPLATE)
    return subs


def test_workers_grade_everyone_and_store_each_result(tmp_path):
    make_class(tmp_path)
    proc = grade(tmp_path, "--workers", "2", "--seed", "4")
    assert proc.returncode == 0, proc.stderr
    stored = {p.stem: json.loads(p.read_text()) for p in (tmp_path / "res").glob("s*.json")}
    assert sorted(stored) == [f"s{i}" for i in range(6)]
    assert [stored[f"s{i}"]["score"] for i in range(6)] == [120, 0] * 3
    assert all(d["seed"] == 4 and len(d["sha256"]) == 64 for d in stored.values())
    combined = json.loads((tmp_path / "all.json").read_text())
    assert [d["submission"] for d in combined] == [f"s{i}" for i in range(6)]


def test_rerun_skips_graded_regrades_changed_and_on_request(tmp_path):
    subs = make_class(tmp_path, n=3)
    assert grade(tmp_path).returncode == 0
    seed = json.loads((tmp_path / "res" / "run.json").read_text())["seed"]
    (subs / "s1.py").write_text(REFERENCE)  # a student resubmits
    (tmp_path / "res" / "s2.json").unlink()  # as if the batch had been interrupted
    proc = grade(tmp_path)
    assert "1 submission(s) already graded" in proc.stderr  # s0 only
    stored = {p.stem: json.loads(p.read_text()) for p in (tmp_path / "res").glob("s*.json")}
    assert stored["s1"]["score"] == 120 and stored["s2"]["score"] == 120
    assert {d["seed"] for d in stored.values()} == {seed}  # the resumed run kept its cases
    proc = grade(tmp_path, "--regrade")
    assert "already graded" not in proc.stderr
    fresh = json.loads((tmp_path / "res" / "run.json").read_text())["seed"]
    assert all(json.loads(p.read_text())["seed"] == fresh for p in (tmp_path / "res").glob("s*.json"))


def test_duplicate_student_ids_are_a_usage_error(tmp_path):
    subs = make_class(tmp_path, n=1)
    (subs / "s0.ipynb").write_text("{}")
    assert grade(tmp_path).returncode == 2
