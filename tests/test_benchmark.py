"""The grading benchmark runs (a guard at small N, not the target measurement)."""

import subprocess
import sys

from .conftest import ROOT


def test_grading_benchmark_prints_its_table():
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "grading.py"), "--n", "10",
                           "--n-nbgrader", "2"], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert "nbgrader autograde, 2 subs" in out and "throughput ratio" in out
    overhead_ms = float(out.split("overhead per submission (1 worker): ")[1].split(" ms")[0])
    assert overhead_ms < 2000  # generous guard; the target (300 ms) is measured in the README
