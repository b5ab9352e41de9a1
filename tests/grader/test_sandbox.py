"""A misbehaving function fails only its own tests, with a message; the rest is graded."""

import pytest

from cnnlab.grader.sandbox import Limits

from ..conftest import ROOT

REFERENCE = (ROOT / "solutions" / "conv" / "conv.py").read_text()
FAST = Limits(timeout=3, import_timeout=30, memory_mb=1024)


def with_override(body: str) -> str:
    """The correct reference with one function redefined after it."""
    return REFERENCE + "\n\n" + body + "\n"


def scores(result):
    return {f.name: f.score for f in result.functions}


def messages(result, name):
    return [t.message for f in result.functions if f.name == name for t in f.tests]


@pytest.mark.parametrize("body, expect", [
    ("def conv_single_step(a_slice_prev, W, b):\n    while True:\n        pass", "timed out"),
    ("def conv_single_step(a_slice_prev, W, b):\n    import ctypes\n    ctypes.string_at(0)", "segmentation fault"),
    ("def conv_single_step(a_slice_prev, W, b):\n    import os\n    os._exit(0)", "ended the grading process"),
    ("def conv_single_step(a_slice_prev, W, b):\n    import sys\n    sys.exit(0)", "SystemExit"),
    ("def conv_single_step(a_slice_prev, W, b):\n    raise KeyboardInterrupt", "KeyboardInterrupt"),
    ("def conv_single_step(a_slice_prev, W, b):\n    raise BaseException('boom')", "BaseException: boom"),
    ("def conv_single_step(a_slice_prev, W, b):\n    hog = []\n    while True:\n"
     "        hog.append(bytearray(10**8))", "ran out of memory"),
    ("def conv_single_step(a_slice_prev, W, b):\n    return object()", "could not be read"),
])
def test_misbehaving_function_fails_alone(grade_source, body, expect):
    # Filling memory takes ~2 s/GiB on these VMs: a small cap and a longer timeout for it.
    limits = Limits(timeout=6, memory_mb=400) if "memory" in expect else FAST
    result = grade_source("conv", {"s": with_override(body)}, limits=limits)["s"]
    got = scores(result)
    assert got["conv_single_step"] == 0
    assert all(expect in m for m in messages(result, "conv_single_step")), messages(result, "conv_single_step")
    # Everything else is still graded, in the same child or a fresh one.
    assert got["zero_pad"] == 10 and got["conv_forward"] == 40 and got["pool_forward"] == 40 and got["pool_backward"] == 10


@pytest.mark.parametrize("source, expect", [
    ("def zero_pad(X, pad)\n    return X", "SyntaxError"),
    ("import numpy as np\nraise ValueError('broken at import')", "broken at import"),
    ("import sys\nsys.exit(3)", "SystemExit"),
    ("import os\nos._exit(0)", "ended the grading process"),
    ("while True:\n    pass", "took longer than"),
    ("import no_such_module_anywhere", "ModuleNotFoundError"),
])
def test_broken_import_scores_zero_with_message(grade_source, source, expect):
    limits = Limits(timeout=1, import_timeout=2)
    result = grade_source("conv", {"s": source}, limits=limits)["s"]
    assert result.score == 0
    assert any(expect in note for note in result.notes), result.notes
    assert all(expect in t.message for f in result.functions for t in f.tests)


def test_printing_is_captured_not_leaked(grade_source, capfd):
    body = "def conv_single_step(a_slice_prev, W, b):\n    print('x' * 100000)\n    import os\n    os.write(1, b'raw')\n" \
           "    return None"
    result = grade_source("conv", {"s": with_override(body)}, limits=FAST)["s"]
    out, err = capfd.readouterr()
    assert "raw" not in out and "xxxx" not in out
    assert scores(result)["conv_single_step"] == 0 and scores(result)["zero_pad"] == 10


def test_batch_goes_on_after_a_crashing_submission(grade_source):
    results = grade_source("conv", {"a_crash": "import ctypes\nctypes.string_at(0)",
                                    "b_good": REFERENCE}, limits=FAST)
    assert results["a_crash"].score == 0
    assert results["b_good"].score == 120  # 100 + 20 bonus
