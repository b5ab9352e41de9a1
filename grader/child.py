"""The child process that runs student code: `python -m cnnlab.grader.child WORKDIR FD START`.

It imports the submission, calls the graded functions on the inputs the grader wrote to
WORKDIR, and writes each output back as JSON + `.npz` (see `wire`). It never sees reference
solutions or expected values, and it reports progress on the pipe FD so that the grader can
time out a single test case (`S id` when a case starts, `D id` when it is written).

Only the standard library, NumPy and `cnnlab.grader.wire` are imported before student code.
"""

from __future__ import annotations

import importlib.util
import io
import json
import linecache
import os
import resource
import sys
import traceback
import types
from pathlib import Path

from cnnlab.grader import wire

STDOUT_CAP = 4000  # characters of a student's printing kept per case, for feedback


class CappedText(io.TextIOBase):
    """A text stream that keeps only the first `cap` characters written to it."""

    def __init__(self, cap=STDOUT_CAP):
        self.cap, self.parts, self.size = cap, [], 0

    def writable(self):
        return True

    def write(self, s):
        s = str(s)
        if self.size < self.cap:
            self.parts.append(s[: self.cap - self.size])
        self.size += len(s)
        return len(s)

    def getvalue(self):
        text = "".join(self.parts)
        return text + ("\n... (output truncated)" if self.size > self.cap else "")


def apply_limits(limits: dict) -> None:
    """Hard resource limits: the student's code cannot raise them back."""
    for name, value in limits.items():
        resource.setrlimit(getattr(resource, name), (value, value))


def student_traceback(exc: BaseException, filename: str) -> str:
    """The exception with only the frames in the student's own file (or the last frame)."""
    frames = traceback.extract_tb(exc.__traceback__)
    own = [f for f in frames if f.filename == filename]
    if not own and not isinstance(exc, SyntaxError):  # the error's location says it all there
        own = frames[-1:]
    lines = [f"  line {f.lineno}, in {f.name}\n    {(f.line or '').strip()}" for f in own]
    summary = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return ("Traceback (your code):\n" + "\n".join(lines) + "\n" if lines else "") + summary


def import_submission(job: dict) -> types.ModuleType:
    source = Path(job["source"]).read_text()
    # So that tracebacks can quote the student's lines (the file is not on disk by that name).
    linecache.cache[job["filename"]] = (len(source), None, source.splitlines(True), job["filename"])
    code = compile(source, job["filename"], "exec")
    module = types.ModuleType(job["module_name"])
    module.__file__ = job["filename"]
    sys.modules[job["module_name"]] = module
    exec(code, module.__dict__)
    return module


def load_harness(path: str | None):
    if not path:
        return None
    spec = importlib.util.spec_from_file_location("cnnlab_harness", path)
    harness = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(harness)
    return harness


def run_case(case: dict, module, harness, inputs: dict, filename: str) -> tuple[dict, dict]:
    """Call one graded function; return (result JSON, arrays)."""
    name = case["function"]
    fn = getattr(module, name, None)
    if fn is None:
        return {"status": "missing", "message": f"your code has no function named `{name}`"}, {}
    if not callable(fn):
        return {"status": "missing", "message": f"`{name}` is a {type(fn).__name__}, not a function"}, {}
    args = wire.decode(case["args"], inputs)
    kwargs = wire.decode(case["kwargs"], inputs)
    try:
        if harness is not None and case.get("harness"):
            value = getattr(harness, case["harness"])(fn, *args, **kwargs)
        else:
            value = fn(*args, **kwargs)
    except BaseException as exc:  # SystemExit, KeyboardInterrupt too: the case fails, we go on
        if isinstance(exc, NotImplementedError):
            return {"status": "error", "message": "not implemented yet (raises NotImplementedError)"}, {}
        if isinstance(exc, MemoryError):
            limit = resource.getrlimit(resource.RLIMIT_DATA)[0] >> 20
            return {"status": "error", "message": f"your code ran out of memory (the limit is {limit} MiB)\n"
                    + student_traceback(exc, filename)}, {}
        return {"status": "error", "message": student_traceback(exc, filename)}, {}
    arrays: dict = {}
    try:
        tree = wire.encode(value, arrays, prefix="r")
    except BaseException as exc:  # a hostile __array__ or a tensor that won't convert
        return {"status": "unsendable", "message": f"the returned value could not be read: {exc}"}, {}
    return {"status": "ok", "value": tree}, arrays


def main(argv: list[str]) -> int:
    workdir, fd, start = Path(argv[0]), int(argv[1]), int(argv[2])
    job = json.loads((workdir / "job.json").read_text())
    inputs = wire.load_arrays(workdir / "inputs.npz")
    channel = os.fdopen(fd, "wb", buffering=0)
    report = channel.write  # bound now: student code rebinding names can't redirect it

    # Student printing goes to a capped buffer; the real fds 1 and 2 go nowhere.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    apply_limits({k: int(v) for k, v in job.get("limits", {}).items()})
    # The assignment's public helpers (public_tests.py, ...) import as in the student's folder.
    sys.path.insert(0, str(workdir / "support"))

    captured = CappedText()
    sys.stdout = sys.stderr = captured
    try:
        module = import_submission(job)
        harness = load_harness(job.get("harness"))
    except BaseException as exc:
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        message = student_traceback(exc, job["filename"])
        (workdir / "import.json").write_text(json.dumps({"message": message,
                                                         "stdout": captured.getvalue()}))
        report(b"E\n")
        return 0
    report(b"I\n")

    for case in job["cases"][start:]:
        cid = case["id"]
        report(f"S {cid}\n".encode())
        captured = CappedText()
        sys.stdout = sys.stderr = captured
        result, arrays = run_case(case, module, harness, inputs, job["filename"])
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        result["stdout"] = captured.getvalue()
        if arrays:
            wire.save_arrays(workdir / f"out_{cid}.npz", arrays)
        (workdir / f"out_{cid}.json").write_text(json.dumps(result))
        report(f"D {cid}\n".encode())
    return 0


if __name__ == "__main__":
    os._exit(main(sys.argv[1:]))  # skip interpreter teardown: student atexit hooks and __del__ never run
