"""Run a submission's test cases in a child process, with a timeout per case.

The grader writes the submission's code and every case's inputs to a private work folder,
starts `cnnlab.grader.child` there, and follows its progress on a pipe. A case that runs past
its timeout, or a child that dies (segfault, `os._exit`, memory or file-size limit), fails
that one case with a message; a fresh child then carries on with the next case.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from cnnlab.grader import wire

MiB = 1 << 20
STDOUT_CAP = 5000


@dataclass
class Limits:
    """Per-child limits. Memory uses RLIMIT_DATA: RLIMIT_AS breaks TensorFlow's threads."""

    timeout: float = 10.0  # wall-clock seconds per test case
    import_timeout: float = 60.0  # wall-clock seconds to import the submission
    memory_mb: int = 2048
    file_size_mb: int = 64
    cpu_seconds: int = 600  # for the whole child

    def rlimits(self) -> dict:
        return {
            "RLIMIT_DATA": self.memory_mb * MiB,
            "RLIMIT_FSIZE": self.file_size_mb * MiB,
            "RLIMIT_CPU": self.cpu_seconds,
            "RLIMIT_CORE": 0,
        }


@dataclass
class Outcome:
    """What happened to one case in the child."""

    status: str  # ok | error | missing | unsendable | timeout | crashed | import_error
    value: object = None
    message: str = ""
    stdout: str = ""
    seconds: float = 0.0


@dataclass
class Job:
    source: str  # the submission's code (notebooks already reduced to definitions)
    filename: str  # shown in tracebacks
    module_name: str
    cases: list  # dicts: {"function", "args", "kwargs", "harness"}
    harness: str | None = None  # path of the assignment's harness.py, visible to the child
    support: list = field(default_factory=list)  # public .py files importable by the student
    extra_env: dict = field(default_factory=dict)


THREAD_ENV = {  # one BLAS/OpenMP thread per child: parallel workers must not oversubscribe
    "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
    "TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1", "TF_CPP_MIN_LOG_LEVEL": "3",
}


def describe_exit(returncode: int) -> str:
    """A student-readable reason for a child that died mid-case."""
    if returncode is None:
        return "the process stopped responding"
    if returncode < 0:
        sig = -returncode
        reasons = {
            signal.SIGSEGV: "crashed with a segmentation fault",
            signal.SIGBUS: "crashed with a bus error",
            signal.SIGABRT: "aborted (often: out of memory or a failed native assertion)",
            signal.SIGKILL: "was killed (usually: it used more memory than allowed)",
            signal.SIGXCPU: "used more CPU time than allowed",
            signal.SIGXFSZ: "tried to write a file larger than allowed",
            signal.SIGFPE: "crashed with a floating-point exception",
        }
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        return f"your code {reasons.get(sig, 'was stopped by signal ' + name)}"
    return (f"your code ended the grading process (exit code {returncode}); "
            "do not call sys.exit(), exit() or os._exit() in a graded function")


def run_job(job: Job, limits: Limits) -> tuple[list[Outcome], str | None]:
    """Run every case of `job`; returns one Outcome per case and the import error, if any."""
    with tempfile.TemporaryDirectory(prefix="cnnlab-") as tmp:
        workdir = Path(tmp)
        (workdir / "submission.py").write_text(job.source)
        (workdir / "support").mkdir()
        for path in map(Path, job.support):
            shutil.copyfile(path, workdir / "support" / path.name)
        arrays: dict = {}
        cases = [{"id": i, "function": c["function"], "harness": c.get("harness"),
                  "args": wire.encode(tuple(c["args"]), arrays, prefix=f"c{i}_"),
                  "kwargs": wire.encode(dict(c.get("kwargs", {})), arrays, prefix=f"k{i}_")}
                 for i, c in enumerate(job.cases)]
        wire.save_arrays(workdir / "inputs.npz", arrays)
        (workdir / "job.json").write_text(json.dumps({
            "source": str(workdir / "submission.py"), "filename": job.filename,
            "module_name": job.module_name, "harness": job.harness, "cases": cases,
            "limits": limits.rlimits()}))
        outcomes: list[Outcome | None] = [None] * len(cases)
        start = 0
        while start < len(cases):
            import_error = _run_child(workdir, start, outcomes, job, limits)
            if import_error is not None:
                for i in range(len(cases)):
                    outcomes[i] = outcomes[i] or Outcome("import_error", message=import_error)
                return outcomes, import_error
            start = next((i for i, o in enumerate(outcomes) if o is None), len(cases))
        return outcomes, None


def _run_child(workdir: Path, start: int, outcomes: list, job: Job, limits: Limits):
    """One child from case `start` on; fills `outcomes`; returns an import error or None."""
    read_fd, write_fd = os.pipe()
    env = {**os.environ, **THREAD_ENV, **job.extra_env,
           # Keras and matplotlib write config files on import: keep them in the work folder.
           "KERAS_HOME": str(workdir / "keras"), "MPLCONFIGDIR": str(workdir / "mpl"),
           "MPLBACKEND": "Agg"}
    env.pop("PYTHONPATH", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "cnnlab.grader.child", str(workdir), str(write_fd), str(start)],
        cwd=workdir, env=env, pass_fds=(write_fd,), stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    os.close(write_fd)
    buffer = b""
    current, imported, deadline = None, False, time.monotonic() + limits.import_timeout
    case_started = time.monotonic()
    try:
        while True:
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([read_fd], [], [], max(remaining, 0))
            if not ready:  # timeout: of the import, or of the case that is running
                _kill(proc)
                if current is None:
                    return (f"importing your code took longer than {limits.import_timeout:g} s "
                            "(is there a long-running loop or training at the top level?)")
                outcomes[current] = Outcome(
                    "timeout", message=f"timed out after {limits.timeout:g} s "
                    "(an infinite loop, or much slower than needed?)", seconds=limits.timeout)
                return None
            chunk = os.read(read_fd, 4096)
            if not chunk:  # the child exited or died
                proc.wait(timeout=10)
                if not imported:
                    return f"importing your code failed: {describe_exit(proc.returncode)}"
                if current is None:  # finished, or died between cases: blame the next one
                    current = next((i for i, o in enumerate(outcomes) if o is None), None)
                    if current is None:
                        return None
                outcomes[current] = Outcome("crashed", message=describe_exit(proc.returncode),
                                            seconds=time.monotonic() - case_started)
                return None
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                kind, _, arg = line.decode(errors="replace").partition(" ")
                if kind == "E":
                    info = json.loads((workdir / "import.json").read_text())
                    return "your code failed to import:\n" + info["message"]
                if kind == "I":
                    imported = True
                    deadline = time.monotonic() + limits.timeout
                elif kind == "S":
                    current, case_started = int(arg), time.monotonic()
                    deadline = case_started + limits.timeout
                elif kind == "D":
                    outcomes[int(arg)] = _read_result(workdir, int(arg), time.monotonic() - case_started)
                    current = None
                    deadline = time.monotonic() + limits.timeout
    finally:
        os.close(read_fd)
        _kill(proc)


def _read_result(workdir: Path, cid: int, seconds: float) -> Outcome:
    try:
        result = json.loads((workdir / f"out_{cid}.json").read_text())
        value = None
        if result.get("status") == "ok":
            npz = workdir / f"out_{cid}.npz"
            arrays = wire.load_arrays(npz) if npz.exists() else {}
            value = wire.decode(result["value"], arrays)
        return Outcome(str(result.get("status")), value, str(result.get("message", "")),
                       str(result.get("stdout", ""))[:STDOUT_CAP], seconds)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return Outcome("unsendable", message=f"the result of this test could not be read ({exc})")


def _kill(proc: subprocess.Popen) -> None:
    """Kill the child's whole process group (it may have forked) and reap it."""
    try:  # even after the child exited: processes it forked may live on in its group
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
