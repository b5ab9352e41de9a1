"""HTML feedback pages: content, visibility, and rendering in a real headless Chromium."""

import re
import shutil
import subprocess

import numpy as np
import pytest
from matplotlib import image

from cnnlab.grader import registry
from cnnlab.grader.feedback import render, write_pages
from cnnlab.grader.grade import grade_paths

from .conftest import ROOT

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--enable-logging=stderr", "--v=0"]


def chromium(page, tmp_path, *args):
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    assert exe, "headless Chromium is required (CI installs Debian's chromium)"
    return subprocess.run([exe, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args,
                           page.as_uri()], capture_output=True, text=True, timeout=120)


def console_errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


@pytest.fixture(scope="module")
def bob():
    return grade_paths(registry.load("conv"), [ROOT / "examples" / "conv" / "bob.ipynb"], seed=3)[0]


def test_page_shows_score_tests_messages_and_hints(bob):
    page = render(bob)
    assert f"{round(bob.score, 2):g} / 100" in page
    assert page.count('class="status fail"') == sum(not t.passed for f in bob.functions for t in f.tests)
    assert "Hint: you forgot the stride" in page and "wrong shape" in page
    assert "<script" not in page and "http" not in page  # self-contained


def test_summary_visibility_withholds_hidden_test_details(bob):
    page = render(bob, hidden="summary")
    assert "Hint" not in page and "wrong shape" not in page and "tests passed" in page


def test_expected_values_appear_only_when_revealed():
    path = ROOT / "examples" / "conv" / "bob.ipynb"
    hidden = grade_paths(registry.load("conv"), [path], seed=3)[0]
    shown = grade_paths(registry.load("conv"), [path], seed=3, reveal=True)[0]
    assert not re.search(r"expected -?\d+\.\d", render(hidden))
    assert re.search(r"expected -?\d+\.\d", render(shown))


def test_page_renders_in_chromium_without_console_errors(bob, tmp_path):
    (page,) = write_pages([bob], tmp_path)
    dom = chromium(page, tmp_path, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert f'id="score">{round(bob.score, 2):g} / 100' in dom.stdout
    assert not console_errors(dom.stderr), console_errors(dom.stderr)

    shot = tmp_path / "page.png"
    proc = chromium(page, tmp_path, "--window-size=1000,1200", f"--screenshot={shot}")
    assert proc.returncode == 0 and shot.exists(), proc.stderr[-2000:]
    pixels = image.imread(str(shot))[..., :3]
    assert pixels.shape[:2] == (1200, 1000)
    # Not blank: dark score text at the top, green progress bar, coloured hint boxes.
    assert pixels.std() > 0.05
    top = pixels[:150]
    assert (top.mean(axis=2) < 0.3).mean() > 0.005  # the big score line
    greenish = (pixels[..., 1] > 0.5) & (pixels[..., 0] < 0.35) & (pixels[..., 2] < 0.5)
    assert greenish.sum() > 500  # the score bar


def test_console_error_detection_can_fail(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text("<html><body><script>console.error('boom'); missing();</script></body></html>")
    assert console_errors(chromium(bad, tmp_path, "--dump-dom").stderr)
