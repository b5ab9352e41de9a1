"""Run a submission's test cases in an isolated child process, with a timeout per case.

A `Sandbox` is one grading worker: a zygote (`cnnlab.grader.zygote`, under bubblewrap when it
works here) that pre-imports NumPy/TensorFlow and forks a fresh child per submission. The
grader writes the submission's code and every case's inputs to a private work folder, asks the
zygote for a child, and follows the child's progress on a pipe. A case that runs past its
timeout restarts the whole sandbox (killing anything the child started); a child that dies
(segfault, `os._exit`, a limit) fails that one case with a message; either way a fresh child
then carries on with the next case.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from cnnlab.grader import wire

MiB = 1 << 20
NOBODY = 65534
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


SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/sys")


def sandbox_command(base: Path, visible: list, hide: list, fd: int,
                    modules: list[str]) -> tuple[list[str], str]:
    """The zygote's command line, under bubblewrap when it works here; and the isolation used.

    An allowlist: the child sees the system folders, `visible` (the Python installation and
    cnnlab's own packages) read-only, a private /tmp and its work folder -- nothing else of the
    machine (other checkouts, home folders, submissions, results) -- minus the `hide` paths.
    """
    zygote = [sys.executable, "-m", "cnnlab.grader.zygote", str(fd), ",".join(modules)]
    bwrap = shutil.which("bwrap")
    if not bwrap or not bwrap_works(bwrap):
        return zygote, "process"
    cmd = [bwrap]
    for path in map(Path, SYSTEM_PATHS):
        if path.is_symlink():  # merged /usr: /bin -> usr/bin
            cmd += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            cmd += ["--ro-bind", str(path), str(path)]
    cmd += ["--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    for path in sorted({str(Path(p).resolve()) for p in visible if Path(p).exists()}, key=len):
        cmd += ["--ro-bind", path, path]
    for path in map(Path, hide):
        if path.is_dir():
            cmd += ["--tmpfs", str(path.resolve())]
        elif path.exists():
            cmd += ["--ro-bind", "/dev/null", str(path.resolve())]
    cmd += ["--bind", str(base), str(base), "--chdir", str(base),
            "--unshare-all", "--uid", "65534", "--gid", "65534", "--die-with-parent", "--new-session",
            "--setenv", "CNNLAB_IN_SANDBOX", "1", "--setenv", "HOME", str(base)]
    return cmd + zygote, "bwrap"


_BWRAP_OK: dict = {}


def isolation_available() -> str:
    """"bwrap" when bubblewrap works on this machine, else "process"."""
    bwrap = shutil.which("bwrap")
    return "bwrap" if bwrap and bwrap_works(bwrap) else "process"


def bwrap_works(bwrap: str) -> bool:
    """bwrap may be installed yet refused user namespaces (e.g. Ubuntu 24.04's default)."""
    if bwrap not in _BWRAP_OK:
        try:
            proc = subprocess.run([bwrap, "--ro-bind", "/", "/", "--unshare-all", "--uid", "65534",
                                   "true"], capture_output=True, timeout=30)
            _BWRAP_OK[bwrap] = proc.returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            _BWRAP_OK[bwrap] = False
    return _BWRAP_OK[bwrap]


class PidsCgroup:
    """A pids cgroup capping how many processes/threads a sandbox may have (fork bombs).

    RLIMIT_NPROC does not help here: it counts every process of the uid, and bubblewrap's
    mapped root is not limited by it at all. Used when a writable pids controller exists.
    """

    ROOTS = ("/sys/fs/cgroup/pids", "/sys/fs/cgroup")

    def __init__(self, name: str, max_pids: int):
        self.path = None
        for root in map(Path, self.ROOTS):
            if (root / "pids.max").exists() or (root / "cgroup.procs").exists() and \
                    "pids" in _read(root / "cgroup.subtree_control"):
                try:
                    path = root / name
                    path.mkdir()
                    (path / "pids.max").write_text(str(max_pids))
                    self.path = path
                    break
                except OSError:
                    continue

    def add(self, pid: int) -> None:
        if self.path:
            try:
                (self.path / "cgroup.procs").write_text(str(pid))
            except OSError:
                pass

    def remove(self) -> None:
        if not self.path:
            return
        for _ in range(50):
            pids = _read(self.path / "cgroup.procs").split()
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            try:
                self.path.rmdir()
                return
            except OSError:
                time.sleep(0.02)


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


class SandboxDied(Exception):
    """The zygote went away (killed by student code, or by us after a timeout)."""


class Sandbox:
    """One grading worker's isolated zygote; runs jobs one at a time.

    Args:
        modules: what the zygote pre-imports besides NumPy ("tensorflow", "keras").
        visible: read-only paths student code may see besides the system folders (the
            Python installation, cnnlab's packages): see `grade.sandbox_view`.
        hide: paths inside those it must not see (solutions shipped in site-packages).
        isolation: "auto" (bubblewrap when it works) or "process" (no filesystem/network
            isolation; resource limits and timeouts still apply).
    """

    MAX_PIDS = 512

    def __init__(self, modules=(), visible=(), hide=(), isolation="auto"):
        self.modules, self.requested = list(modules), isolation
        self.visible, self.hide = list(visible), list(hide)
        self.base = Path(tempfile.mkdtemp(prefix="cnnlab-sandbox-"))
        os.chmod(self.base, 0o700)
        self.proc = self.sock = self.cgroup = None
        self.isolation = None
        self.nobody_works = None  # unknown until tried
        self.as_nobody = False
        self.jobs = 0

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()

    def start(self) -> None:
        bwrap = self.requested != "process" and isolation_available() == "bwrap"
        if not bwrap and os.geteuid() == 0 and self.nobody_works is not False:
            # Without bubblewrap, drop root to nobody where the Python installation allows it
            # (it must be readable by others); remember a failure instead of retrying it.
            self.nobody_works = self._try_start(bwrap=False, as_nobody=True)
            if self.nobody_works:
                return
        if not self._try_start(bwrap=bwrap, as_nobody=False):
            self._fail()

    def _fail(self):
        self.close()
        raise RuntimeError("the grading sandbox failed to start")

    def _try_start(self, bwrap: bool, as_nobody: bool) -> bool:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        cmd, isolation = sandbox_command(self.base, self.visible, self.hide, theirs.fileno(),
                                         self.modules)
        if not bwrap:
            cmd = cmd[cmd.index(sys.executable):]
            isolation = "process (as nobody)" if as_nobody else (
                "process (as root)" if os.geteuid() == 0 else "process")
        env = {**os.environ, **THREAD_ENV, "KERAS_HOME": str(self.base / "keras"),
               "MPLCONFIGDIR": str(self.base / "mpl"), "MPLBACKEND": "Agg"}
        env.pop("PYTHONPATH", None)
        ids = {}
        if as_nobody:
            os.chown(self.base, NOBODY, NOBODY)
            ids = {"user": NOBODY, "group": NOBODY, "extra_groups": []}
        self.cgroup = PidsCgroup(f"cnnlab-{os.getpid()}-{id(self)}-{time.monotonic_ns()}", self.MAX_PIDS)
        try:
            self.proc = subprocess.Popen(cmd, pass_fds=(theirs.fileno(),), env=env, cwd=self.base,
                                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL, start_new_session=True, **ids)
        except OSError:
            theirs.close()
            ours.close()
            return False
        self.cgroup.add(self.proc.pid)
        theirs.close()
        self.sock = ours
        ready, _, _ = select.select([self.sock], [], [], 120)
        try:
            ok = bool(ready) and self._recv() == {"ready": True}
        except SandboxDied:
            ok = False
        if not ok:
            self._stop()
            if as_nobody:
                os.chown(self.base, os.geteuid(), os.getegid())
            return False
        self.isolation = isolation
        self.as_nobody = as_nobody
        return True

    def restart(self) -> None:
        self._stop()
        self.start()

    def _stop(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        if self.proc is not None:
            _kill(self.proc)
            self.proc = None
        if self.cgroup is not None:
            self.cgroup.remove()
            self.cgroup = None

    def close(self) -> None:
        self._stop()
        shutil.rmtree(self.base, ignore_errors=True)

    def _recv(self) -> dict:
        try:
            data = self.sock.recv(65536)
        except OSError:
            data = b""
        if not data:
            raise SandboxDied()
        return json.loads(data)

    def run_job(self, job: Job, limits: Limits) -> tuple[list[Outcome], str | None]:
        """Run every case of `job`; returns one Outcome per case and the import error, if any."""
        self.jobs += 1
        self.died_during: set[int] = set()
        workdir = self.base / f"job-{self.jobs}"
        workdir.mkdir()
        try:
            _write_job(workdir, job, limits)
            if self.as_nobody:  # the child must write its outputs there
                for path in [workdir, *workdir.rglob("*")]:
                    os.chown(path, NOBODY, NOBODY)
            outcomes: list[Outcome | None] = [None] * len(job.cases)
            start = 0
            while start < len(job.cases):
                import_error = self._run_child(workdir, start, outcomes, limits)
                if import_error is not None:
                    for i in range(len(job.cases)):
                        outcomes[i] = outcomes[i] or Outcome("import_error", message=import_error)
                    return outcomes, import_error
                start = next((i for i, o in enumerate(outcomes) if o is None), len(job.cases))
            return outcomes, None
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    def _run_child(self, workdir: Path, start: int, outcomes: list, limits: Limits):
        """One child from case `start` on; fills `outcomes`; returns an import error or None."""
        read_fd, write_fd = os.pipe()
        try:
            socket.send_fds(self.sock, [json.dumps({"run": [str(workdir), start]}).encode()], [write_fd])
            os.close(write_fd)
            write_fd = None
            self._recv()  # {"pid": ...}
            return self._follow(workdir, read_fd, outcomes, limits)
        except SandboxDied as death:
            # The zygote was killed. Blame the case that was running -- but only when it does
            # it again in a fresh sandbox: another case may have been caught in the crossfire.
            self.restart()
            current = death.args[0] if death.args else None
            if current is not None:
                if current in self.died_during:
                    outcomes[current] = Outcome("crashed", message="your code killed the grading "
                                                "process (the sandbox was restarted)")
                self.died_during.add(current)
            return None
        finally:
            os.close(read_fd)
            if write_fd is not None:
                os.close(write_fd)

    def _follow(self, workdir: Path, read_fd: int, outcomes: list, limits: Limits):
        buffer, reading = b"", True
        current, imported, deadline = None, False, time.monotonic() + limits.import_timeout
        case_started = time.monotonic()
        while True:
            remaining = deadline - time.monotonic()
            watch = [self.sock] + ([read_fd] if reading else [])
            ready, _, _ = select.select(watch, [], [], max(remaining, 0))
            if not ready:  # timeout: of the import, or of the case that is running
                self.restart()  # kills the child and anything it started
                if current is None and not imported:
                    return (f"importing your code took longer than {limits.import_timeout:g} s "
                            "(is there a long-running loop or training at the top level?)")
                if current is None:
                    current = next(i for i, o in enumerate(outcomes) if o is None)
                outcomes[current] = Outcome(
                    "timeout", message=f"timed out after {limits.timeout:g} s "
                    "(an infinite loop, or much slower than needed?)", seconds=limits.timeout)
                return None
            if read_fd in ready:
                chunk = os.read(read_fd, 65536)
                reading = bool(chunk)
                buffer += chunk
            exited = died = None
            if self.sock in ready:
                try:
                    exited = self._recv().get("exit")
                except SandboxDied:
                    died = True
                os.set_blocking(read_fd, False)
                try:
                    while chunk := os.read(read_fd, 65536):
                        buffer += chunk
                except BlockingIOError:
                    pass
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
            if died:
                if not imported:
                    return "importing your code killed the grading process"
                raise SandboxDied(current)
            if exited is not None:
                if not imported:
                    return f"importing your code failed: {describe_exit(exited)}"
                if current is None:  # finished, or died between cases: blame the next one
                    current = next((i for i, o in enumerate(outcomes) if o is None), None)
                    if current is None:
                        return None
                outcomes[current] = Outcome("crashed", message=describe_exit(exited),
                                            seconds=time.monotonic() - case_started)
                return None


def _write_job(workdir: Path, job: Job, limits: Limits) -> None:
    (workdir / "submission.py").write_text(job.source)
    (workdir / "support").mkdir()
    for path in map(Path, job.support):
        shutil.copyfile(path, workdir / "support" / path.name)
    harness = None
    if job.harness:
        harness = workdir / "support" / "_cnnlab_harness.py"
        shutil.copyfile(job.harness, harness)
    arrays: dict = {}
    cases = [{"id": i, "function": c["function"], "harness": c.get("harness"),
              "args": wire.encode(tuple(c["args"]), arrays, prefix=f"c{i}_"),
              "kwargs": wire.encode(dict(c.get("kwargs", {})), arrays, prefix=f"k{i}_")}
             for i, c in enumerate(job.cases)]
    wire.save_arrays(workdir / "inputs.npz", arrays)
    (workdir / "job.json").write_text(json.dumps({
        "source": str(workdir / "submission.py"), "filename": job.filename,
        "module_name": job.module_name, "harness": str(harness) if harness else None,
        "cases": cases, "limits": limits.rlimits()}))


def run_job(job: Job, limits: Limits, **sandbox_options) -> tuple[list[Outcome], str | None]:
    """Grade one job in a sandbox of its own (convenience for single files and tests)."""
    with Sandbox(**sandbox_options) as box:
        return box.run_job(job, limits)


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
