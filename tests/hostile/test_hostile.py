"""Hostile submissions, graded in one batch beside an honest one.

Each attack lives in `conv_single_step` (which no other graded function calls) and returns a
wrong value or none: whatever the attack does, that function must score 0 with a message, the
other functions and the honest submission must be graded correctly, and nothing outside the
sandbox may change.
"""

import os
import shutil
import textwrap
from pathlib import Path

import pytest

from cnnlab.grader import registry
from cnnlab.grader.grade import grade_paths
from cnnlab.grader.sandbox import Limits, isolation_available

from ..conftest import ROOT

REFERENCE = (ROOT / "solutions" / "conv" / "conv.py").read_text()

ATTACKS = {
    "infinite_loop": "while True:\n    pass",
    "memory_growth": "x = []\nwhile True:\n    x.append(bytearray(10**8))",
    "fork_bomb": "import os\nwhile True:\n    os.fork()",
    "sys_exit": "import sys\nsys.exit(0)",
    "os_exit": "import os\nos._exit(0)",
    "system_exit": "raise SystemExit",
    "keyboard_interrupt": "raise KeyboardInterrupt",
    "base_exception": "raise BaseException('no')",
    "segfault": "import ctypes\nctypes.string_at(0)",
    "print_gigabytes": "import os\nfor _ in range(300):\n    print('x' * 10**7)\n"
                       "    os.write(1, b'y' * 10**6)\nreturn 0.0",
    "huge_file": "with open('big.bin', 'wb') as f:\n    while True:\n        f.write(b'0' * 10**7)",
    "read_solutions": textwrap.dedent("""\
        import glob, importlib
        found = [p for top in ('/work', '/tmp', '/var/tmp', os.path.expanduser('~'))
                 for p in glob.glob(top + '/**/solutions/conv/*.py', recursive=True)]
        try:
            import cnnlab.solutions  # the package exists, its folder must be empty
            found += os.listdir(list(cnnlab.solutions.__path__)[0])
        except Exception:
            pass
        if found:
            ns = {}
            exec(open(found[0]).read(), ns)
            return ns['conv_single_step'](a, W, b)
        raise RuntimeError('nothing found')"""),
    "search_filesystem": textwrap.dedent("""\
        hits = []
        for top in ('/work', '/tmp', '/root', '/home', '/srv', '/opt', '/var/tmp'):
            for d, _, files in os.walk(top):
                if d.startswith(os.getcwd()):  # its own work folder: inputs and its own outputs
                    continue
                for name in files:
                    data = name == 'run.json' or name.endswith('.npz') and 'site-packages' not in d
                    if name == 'grading.py' or data:
                        hits.append(os.path.join(d, name))
        raise RuntimeError('found ' + repr(hits[:5]))"""),
    "socket": "import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=2)\nreturn 0.0",
    "patch_numpy": "np.allclose = lambda *a, **k: True\nnp.isclose = lambda *a, **k: True\n"
                   "np.testing.assert_allclose = lambda *a, **k: None\nreturn 12345.0",
    "patch_grader": "import cnnlab.grader.compare as c\nc.compare = lambda *a, **k: None\nreturn 12345.0",
    "always_equal": "class Eq(float):\n    def __eq__(self, o): return True\n"
                    "    def __ne__(self, o): return False\nreturn Eq(12345.0)",
    "ndarray_subclass": "class Sub(np.ndarray):\n    def __eq__(self, o): return np.ones(np.shape(o), bool)\n"
                        "return np.asarray(12345.0).view(Sub)",
    "evil_array": "class Evil:\n    def __array__(self, *a, **k):\n        import os; os._exit(3)\n"
                  "    def __reduce__(self):\n        return (os.system, ('touch /tmp/pwned',))\nreturn Evil()",
    "delete_files": "import glob, shutil\nfor p in glob.glob('/work/**', recursive=True):\n"
                    "    try:\n        shutil.rmtree(p) if os.path.isdir(p) else os.remove(p)\n"
                    "    except OSError: pass\nfor p in glob.glob(os.getcwd() + '/*'):\n"
                    "    try:\n        os.remove(p)\n    except OSError: pass\nreturn 0.0",
    "kill_parent": "import os, signal, time\nos.kill(os.getppid(), signal.SIGKILL)\n"
                   "os.kill(-1, signal.SIGKILL)\ntime.sleep(30)\nreturn 0.0",
}


def submission(attack: str) -> str:
    body = textwrap.indent(ATTACKS[attack], "    ")
    return REFERENCE + f"\n\nimport os\n\ndef conv_single_step(a, W, b):\n{body}\n"


@pytest.fixture(scope="module")
def decoy():
    """Another checkout's solutions elsewhere on the machine: the sandbox must not show it."""
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="cnnlab-decoy-", dir="/var/tmp"))
    shutil.copytree(ROOT / "solutions" / "conv", root / "solutions" / "conv")
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def batch(tmp_path_factory, decoy):
    folder = tmp_path_factory.mktemp("submissions")
    for attack in ATTACKS:
        (folder / f"{attack}.py").write_text(submission(attack))
    (folder / "zz_honest.py").write_text(REFERENCE)
    sentinel = ROOT / "solutions" / "conv" / "conv.py"
    before = (sentinel.stat().st_mtime, sorted(os.listdir(ROOT)), sorted(os.listdir(folder)))
    limits = Limits(timeout=3, import_timeout=30, memory_mb=400, file_size_mb=16)
    results = grade_paths(registry.load("conv"), sorted(folder.iterdir()), seed=11, limits=limits,
                          workers=2)
    after = (sentinel.stat().st_mtime, sorted(os.listdir(ROOT)), sorted(os.listdir(folder)))
    return {r.submission: r for r in results}, before, after


def test_sandbox_is_bubblewrap_here():
    assert shutil.which("bwrap"), "CI installs bubblewrap: the hostile suite must use it"
    assert isolation_available() == "bwrap"


def test_honest_submission_is_unaffected(batch):
    results, _, _ = batch
    assert results["zz_honest"].score == 120


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_attack_scores_nothing_and_says_why(batch, attack):
    results, _, _ = batch
    r = results[attack]
    fn = {f.name: f for f in r.functions}
    assert fn["conv_single_step"].score == 0, [t.message for t in fn["conv_single_step"].tests]
    assert all(t.message for t in fn["conv_single_step"].tests)
    # The rest of the same submission is still graded (the attack is only in one function).
    assert fn["conv_forward"].score == 40 and fn["pool_forward"].score == 40, \
        [(f.name, f.score) for f in r.functions]
    assert r.score <= 110


def test_nothing_outside_the_sandbox_changed(batch):
    _, before, after = batch
    assert before == after
    assert not os.path.exists("/tmp/pwned")


def test_solutions_were_invisible(batch):
    results, _, _ = batch
    messages = [t.message for f in results["read_solutions"].functions if f.name == "conv_single_step"
                for t in f.tests]
    assert all("nothing found" in m for m in messages), messages
    found = [t.message for f in results["search_filesystem"].functions if f.name == "conv_single_step"
             for t in f.tests]
    assert all("found []" in m for m in found), found


def test_messages_name_the_cause(batch):
    results, _, _ = batch

    def first(attack):
        return next(t.message for f in results[attack].functions if f.name == "conv_single_step"
                    for t in f.tests)

    assert "timed out" in first("infinite_loop")
    assert "memory" in first("memory_growth") or "timed out" in first("memory_growth")
    assert "segmentation fault" in first("segfault")
    assert "ended the grading process" in first("os_exit")
    assert "SystemExit" in first("sys_exit")
    assert "File too large" in first("huge_file") or "larger than allowed" in first("huge_file")
    assert "killed the grading process" in first("kill_parent")
    assert "Network is unreachable" in first("socket") or "unreachable" in first("socket")
