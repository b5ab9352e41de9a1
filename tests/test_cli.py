"""The `cnnlab` command as users run it: exit codes, outputs and their schemas."""

import csv
import json
import subprocess
import sys

import jsonschema
import pytest

from .conftest import ROOT

EXAMPLES = ROOT / "examples" / "conv"
SCHEMAS = ROOT / "tests" / "schemas"


def cnnlab(*args, cwd=None):
    """Run the CLI in a fresh folder (its cnnlab-results/ must not leak between tests)."""
    import tempfile
    with tempfile.TemporaryDirectory() as fresh:
        return subprocess.run([sys.executable, "-m", "cnnlab", *map(str, args)], capture_output=True,
                              text=True, cwd=cwd or fresh, timeout=600)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    proc = cnnlab("grade", "conv", EXAMPLES, "--seed", 7, "--json", out / "r.json", "--csv", out / "r.csv",
                  "--gradescope", out / "gs")
    return proc, out


def test_grade_exits_zero_and_prints_a_table(graded):
    proc, _ = graded
    assert proc.returncode == 0, proc.stderr
    assert "alice" in proc.stdout and "bob" in proc.stdout and "Hint" in proc.stdout


def test_json_output_validates_and_lists_each_submission(graded):
    _, out = graded
    data = json.loads((out / "r.json").read_text())
    jsonschema.validate(data, json.loads((SCHEMAS / "cnnlab-results.schema.json").read_text()))
    assert [d["submission"] for d in data] == ["alice", "bob"]
    assert data[0]["score"] == 100 and data[0]["max_score"] == 100


def test_gradescope_output_validates(graded):
    _, out = graded
    schema = json.loads((SCHEMAS / "gradescope-results.schema.json").read_text())
    for student in ("alice", "bob"):
        results = json.loads((out / "gs" / student / "results.json").read_text())
        jsonschema.validate(results, schema)
        assert results["score"] == pytest.approx(sum(t["score"] for t in results["tests"]), abs=1e-3)
    bob = json.loads((out / "gs" / "bob" / "results.json").read_text())
    assert any(t["status"] == "failed" and "Hint" in t["output"] for t in bob["tests"])


def test_gradescope_schema_rejects_a_bad_file():
    schema = json.loads((SCHEMAS / "gradescope-results.schema.json").read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"tests": [{"score": 1, "max_score": 1, "name": "x", "status": "ok"}]}, schema)


def test_csv_has_one_row_per_submission_and_a_column_per_function(graded):
    _, out = graded
    rows = list(csv.DictReader((out / "r.csv").open()))
    assert [r["submission"] for r in rows] == ["alice", "bob"]
    assert float(rows[0]["conv_forward"]) == 40 and "pool_backward" in rows[0]


def test_json_to_stdout_is_pure_json():
    proc = cnnlab("grade", "conv", EXAMPLES / "alice.py", "--seed", 1, "--json", "-")
    assert proc.returncode == 0
    assert json.loads(proc.stdout)[0]["submission"] == "alice"


def test_single_gradescope_file(tmp_path):
    proc = cnnlab("grade", "conv", EXAMPLES / "alice.py", "--gradescope", tmp_path / "results.json")
    assert proc.returncode == 0
    assert json.loads((tmp_path / "results.json").read_text())["score"] == 100


def test_usage_errors_exit_nonzero(tmp_path):
    assert cnnlab("grade", "conv", tmp_path / "missing.py").returncode == 2
    assert cnnlab("grade", "no_such_assignment", EXAMPLES).returncode == 2
    assert cnnlab("grade").returncode == 2


def test_check_exit_codes():
    assert cnnlab("check", "conv", ROOT / "solutions" / "conv" / "conv.ipynb").returncode == 0
    proc = cnnlab("check", "conv", ROOT / "assignments" / "conv" / "conv.py")
    assert proc.returncode == 1 and "NotImplementedError" in proc.stdout


def test_list_shows_points():
    proc = cnnlab("list")
    assert proc.returncode == 0
    row = next(line for line in proc.stdout.splitlines() if "conv_forward" in line)
    assert "40" in row and "100 + 20 bonus" in proc.stdout
