"""A pre-imported process that forks one fresh child per submission.

`import tensorflow` costs ~5 s and ~590 MiB; a child forked from a process that has *imported*
TensorFlow but never run an op starts working in ~0.15 s, while forking after any op ran
deadlocks. So the zygote imports NumPy (and TensorFlow/Keras when the assignment needs them),
never runs an op, never imports solutions, never runs student code itself, and forks a child
per request. It runs inside the sandbox (bubblewrap when available), one per grading worker.

Protocol on the socket passed as fd (SOCK_SEQPACKET, one JSON message per packet):
    grader -> zygote  {"run": [workdir, start]} with the progress pipe's write end attached
    zygote -> grader  {"pid": pid}, later {"exit": returncode}   (negative: killed by signal)
    zygote -> grader  {"ready": true} once the imports are done
"""

from __future__ import annotations

import array
import importlib
import json
import os
import signal
import socket
import sys


def preload(modules: list[str]) -> None:
    import numpy  # noqa: F401  (every assignment needs it)
    import matplotlib.pyplot  # noqa: F401  (~0.3 s; nearly every notebook imports it)

    for name in modules:  # e.g. "tensorflow", "keras" (or "jax" / "torch" as Keras backends)
        importlib.import_module(name)


def recv_request(sock: socket.socket):
    fds = array.array("i")
    msg, ancdata, _, _ = sock.recvmsg(65536, socket.CMSG_LEN(4 * fds.itemsize))
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
    return (json.loads(msg) if msg else None), list(fds)


def send(sock: socket.socket, message: dict) -> None:
    sock.send(json.dumps(message).encode())


def run_child(sock: socket.socket, workdir: str, progress_fd: int, start: int) -> None:
    """In the forked child: become a session leader and run the child program; never return."""
    try:
        sock.close()
        os.setsid()
        os.chdir(workdir)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        from cnnlab.grader import child

        code = child.main([workdir, str(progress_fd), str(start)])
    except BaseException:  # noqa: BLE001 - nothing may escape into the zygote's loop
        code = 70
    os._exit(code)


def serve(sock: socket.socket) -> None:
    send(sock, {"ready": True})
    while True:
        request, fds = recv_request(sock)
        if request is None:  # the grader closed the socket
            return
        workdir, start = request["run"]
        pid = os.fork()
        if pid == 0:
            run_child(sock, workdir, fds[0], int(start))
        for fd in fds:
            os.close(fd)
        send(sock, {"pid": pid})
        _, status = os.waitpid(pid, 0)
        code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        reap_strays()
        send(sock, {"exit": code})


def reap_strays() -> None:
    """Kill whatever a child left running (daemons, forks) before the next submission.

    Inside the sandbox's PID namespace `kill(-1)` reaches only the sandbox's processes; it is
    done only there (CNNLAB_IN_SANDBOX), never in the unsandboxed fallback.
    """
    if os.environ.get("CNNLAB_IN_SANDBOX") != "1":
        return
    try:
        os.kill(-1, signal.SIGKILL)  # never hits us: kill(-1) skips the caller
    except ProcessLookupError:
        pass


def main(argv: list[str]) -> int:
    fd, modules = int(argv[0]), argv[1].split(",") if len(argv) > 1 and argv[1] else []
    preload(modules)
    serve(socket.socket(fileno=fd))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
