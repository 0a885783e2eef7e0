"""Warm job processes for a process that runs many jobs (a sweep's driver).

A fresh job process costs a Python start, the harness's job modules, the plugins
and the estimator's framework: 0.3 s of CPU for the smallest job here, seconds with
a framework, for every job of a sweep. A driver that runs many jobs (a launcher's
worker, the sweep's own process) starts one server instead: ``python -m
harness.contract.fork_server ESTIMATOR`` imports all of that once (as the early
worker does, ``early_worker.py``), then forks one child per job. A child is the job
process a fresh start would be: its own session and process group, the driver's
stdin, its stdout and stderr on the driver's pipes, the job's folder, environment
and ``sys.argv``, SIGTERM when the server dies (which dies with the driver), and
``harness.worker.main`` as its whole life. The server tells the driver its pid at
once and its exit status and resource use (``wait4``) when it ends: the driver
waits on that message, not on a timer, and counts the usage as its own child's
(``run/resources.py``).

The server keeps one child forked ahead (a *spare*), set up as far as a job
process can be without its job (its session, the parent-death signal, the server's
descriptors closed), waiting on a socket of its own; a request goes to it, and the
server forks the next spare once it has answered. Between two jobs of a sweep that
takes the fork, the child's first scheduling and its set-up off the critical path
(about 2 ms a job of the ~25 ms the harness spends on a 0.1 s job here). A spare
that died unused is replaced by a fork on request.

It is used only where it is exactly the process the compute would start (the same
interpreter and environment, the estimator it preloaded), never for a job that
needs another interpreter, and not at all if anything started a thread in the
server while it imported (a fork copies only the forking thread). What differs
from a fresh process: the command line ``ps`` shows is the server's, the children
share the server's hash seed, and NumPy's global generator, if preloaded, is
seeded again in each child from the OS, as a fresh import would.

``multiprocessing``'s forkserver does not fit: its children get ``/dev/null`` for
stdin, re-import the parent's main module and cannot take a session, an
environment or descriptors per child.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harness import envvars, pids

if TYPE_CHECKING:
    from harness.contract.jobspec import JobSpec

#: Bytes of one message (a request holds the job's environment).
_MESSAGE = 1 << 20
_enabled: list[bool] = []
_server: list[Server] = []


def enable() -> None:
    """Run this process's local jobs in forked children from now on (a process that
    runs one job gains nothing: ``harness train`` has its early worker)."""
    if not _enabled and os.environ.get(envvars.EARLY_WORKER, "1") != "0":
        _enabled.append(True)


def take(job: JobSpec, env: dict[str, str]) -> subprocess.Popen[bytes] | None:
    """A forked child running ``job`` with ``env``; None where a fresh process must
    run it (not enabled, another interpreter, a server that cannot start)."""
    if not _enabled or job.worker_python != sys.executable:
        return None
    server = _server[0] if _server else None
    if server is not None and not server.fits(job.estimator, env):
        server.close()
        _server.clear()
        server = None
    if server is None:
        server = Server.start(job.estimator, env)
        if server is None:
            _enabled.clear()  # it cannot work here: fresh processes from now on
            return None
        _server.append(server)
    try:
        return server.fork(job, env)
    except (OSError, ValueError):
        server.close()
        _server.clear()
        return None


class Server:
    """The driver's side of a running fork server."""

    def __init__(self, proc: subprocess.Popen[bytes], sock: socket.socket, estimator: str,
                 env: dict[str, str]) -> None:  # fmt: skip
        self.proc, self.sock, self.estimator, self.env = proc, sock, estimator, env
        self.exits: dict[int, dict[str, Any]] = {}

    @classmethod
    def start(cls, estimator: str, env: dict[str, str]) -> Server | None:
        from harness.contract.supervise import die_with_parent
        from harness.run import resources

        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        proc = subprocess.Popen(
            [sys.executable, "-m", "harness.contract.fork_server", estimator, str(theirs.fileno())],
            env=env,
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches only the driver, as for a job
            preexec_fn=die_with_parent(),  # noqa: PLW1509 - a single prctl call
        )
        theirs.close()
        resources.set_helper(proc.pid)
        server = cls(proc, ours, estimator, env)
        ready = server._receive(timeout=None)
        if not ready or not ready.get("ready"):
            server.close()
            return None
        return server

    def fits(self, estimator: str, env: dict[str, str]) -> bool:
        return self.proc.poll() is None and estimator == self.estimator and env == self.env

    def fork(self, job: JobSpec, env: dict[str, str]) -> ForkedJob:
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        try:
            request = {"spec": str(job.spec_path), "cwd": str(job.workdir), "env": env}
            socket.send_fds(self.sock, [json.dumps(request).encode()], [0, out_w, err_w])
        except OSError:
            for fd in (out_r, err_r):
                os.close(fd)
            raise
        finally:
            os.close(out_w)
            os.close(err_w)
        try:
            reply = self._receive(timeout=None)
            while reply is not None and "exited" in reply:  # an earlier child's end
                self.exits[int(reply["exited"])] = reply
                reply = self._receive(timeout=None)
            if not reply or "pid" not in reply:
                raise OSError(f"the fork server did not start the job: {reply}")
        except (OSError, ValueError):
            os.close(out_r)
            os.close(err_r)
            raise
        return ForkedJob(self, int(reply["pid"]), os.fdopen(out_r, "rb"), os.fdopen(err_r, "rb"))

    def collect(self, pid: int, timeout: float | None) -> dict[str, Any] | None:
        """The exit message of ``pid`` once it comes (None: not within ``timeout``)."""
        while pid not in self.exits:
            message = self._receive(timeout)
            if message is None:
                return None
            if "exited" in message:
                self.exits[int(message["exited"])] = message
        return self.exits.pop(pid)

    def _receive(self, timeout: float | None) -> dict[str, Any] | None:
        readable, _, _ = select.select([self.sock], [], [], timeout)
        if not readable:
            return None
        data = self.sock.recv(_MESSAGE)
        if not data:  # the server is gone
            raise ConnectionError("the fork server exited")
        parsed = json.loads(data)
        return parsed if isinstance(parsed, dict) else None

    def close(self) -> None:
        from harness.run import resources

        with contextlib.suppress(OSError):
            self.sock.close()  # the server exits when it reads the end
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        resources.set_helper(self.proc.pid, False)


class ForkedJob(subprocess.Popen[bytes]):
    """A job process the fork server started, as the ``Popen`` the compute waits on:
    ``wait``/``poll`` read the server's exit message; signals go to the pid."""

    def __init__(self, server: Server, pid: int, stdout: Any, stderr: Any) -> None:
        # Popen's own __init__ would start a process: set what its methods read.
        self.args = ["fork_server", str(pid)]
        self.pid, self.returncode = pid, None
        self.stdin, self.stdout, self.stderr = None, stdout, stderr
        self.text_mode, self.encoding, self.errors = False, None, None
        self._child_created = False  # not ours to reap (__del__ leaves it alone)
        self._waitpid_lock = threading.Lock()
        self._sigint_wait_secs = 0.25
        self._closed_child_pipe_fds = True
        self._communication_started = False
        self._input = None
        self._server = server

    def _internal_poll(self, _deadstate: Any = None, **_: Any) -> int | None:
        if self.returncode is None:
            self._collect(0)
        return self.returncode

    def _wait(self, timeout: float | None) -> int:
        if self.returncode is None and not self._collect(timeout):
            raise subprocess.TimeoutExpired(self.args, timeout or 0)
        assert self.returncode is not None
        return self.returncode

    def _collect(self, timeout: float | None) -> bool:
        from harness.run import resources

        try:
            message = self._server.collect(self.pid, timeout)
        except (ConnectionError, OSError, ValueError):
            # The server died (and with it, by PR_SET_PDEATHSIG, the job): its
            # status is lost; report the job killed once it is gone.
            if pids.exists(self.pid):
                return False
            self.returncode = -int(signal.SIGKILL)
            return True
        if message is None:
            return False
        resources.add_waited_elsewhere(float(message["maxrss_mb"]), float(message["cpu_s"]))
        self.returncode = int(message["code"])
        return True


# --- The server process ------------------------------------------------------


def serve(estimator: str, fd: int) -> int:
    """Import what a job of ``estimator`` imports, then fork a child per request."""
    sock = socket.socket(fileno=fd)
    os.environ.setdefault(envvars.QUIET_PLUGINS, "1")
    import ctypes

    import harness.worker

    harness.worker.preload(estimator)
    if threading.active_count() > 1:  # a fork would copy one thread of several
        sock.send(json.dumps({"ready": False, "why": "threads"}).encode())
        return 1
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # wakes the select below
    sock.send(json.dumps({"ready": True}).encode())
    started_in = os.getcwd()
    parts = _Parts(sock, (wake_r, wake_w), prctl, started_in, harness.worker)
    spare = _Spare.fork(parts)
    while True:
        readable, _, _ = select.select([sock.fileno(), wake_r], [], [])
        if wake_r in readable:
            with contextlib.suppress(BlockingIOError):
                os.read(wake_r, 4096)
            ended = _report_exits(sock)
            if spare is not None and spare.pid in ended:
                spare = None  # it died unused (killed): the next job gets a fresh fork
        if sock.fileno() in readable:
            data, fds, _, _ = socket.recv_fds(sock, _MESSAGE, 3)
            if not data:  # the driver closed it (or died): jobs still running get SIGTERM
                if spare is not None:
                    spare.discard()  # gone before the server, as the driver waits for it
                return 0
            pid = spare.hand(data, fds) if spare is not None else None
            if pid is None:
                pid = os.fork()
                if pid == 0:
                    _child(json.loads(data), fds, parts)
            for descriptor in fds:
                os.close(descriptor)
            sock.send(json.dumps({"pid": pid}).encode())
            # The next job's process, made while this one runs (off its path).
            spare = _Spare.fork(parts)


@dataclass(frozen=True)
class _Parts:
    """What a child takes from the server: its socket and wake-up pipe (to close),
    ``prctl``, the folder the server started in, and the worker module."""

    sock: socket.socket
    wake: tuple[int, int]
    prctl: Any
    started_in: str
    worker: Any


class _Spare:
    """A child forked ahead of the next request, set up as far as a job process can
    be without it (session, parent-death signal, descriptors) and waiting for it on
    its own socket. Between two jobs of a sweep this takes the fork, the child's
    start and its set-up off the critical path (``_child`` does them for a job
    with no spare ready)."""

    def __init__(self, pid: int, channel: socket.socket) -> None:
        self.pid, self.channel = pid, channel

    @classmethod
    def fork(cls, parts: _Parts) -> _Spare | None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            pid = os.fork()
        except OSError:  # no memory or process slot now: fork per request instead
            ours.close()
            theirs.close()
            return None
        if pid == 0:
            ours.close()
            _spare(theirs, parts)
        theirs.close()
        return cls(pid, ours)

    def discard(self) -> None:
        self.channel.close()
        with contextlib.suppress(OSError):
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)

    def hand(self, data: bytes, fds: list[int]) -> int | None:
        """Give the spare the request; its pid, or None if it is gone."""
        try:
            socket.send_fds(self.channel, [data], fds)
        except OSError:
            return None
        finally:
            self.channel.close()
        return self.pid


def _report_exits(sock: socket.socket) -> set[int]:
    """Tell the driver of every child that ended; returns their pids."""
    ended: set[int] = set()
    while True:
        try:
            pid, status, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return ended
        if pid == 0:
            return ended
        ended.add(pid)
        message = {
            "exited": pid,
            "code": os.waitstatus_to_exitcode(status),
            "cpu_s": usage.ru_utime + usage.ru_stime,
            "maxrss_mb": usage.ru_maxrss / 1024,  # Linux: KiB
        }
        sock.send(json.dumps(message).encode())


def _child(request: dict[str, Any], fds: list[int], parts: _Parts) -> None:
    """The job process: becomes what ``python -m harness.worker SPEC`` would be."""

    def life() -> int:
        _detach(parts)
        return _become_job(request, fds, parts)

    _live(life, parts.worker)


def _spare(channel: socket.socket, parts: _Parts) -> None:
    """A spare's life: the set-up, then the request it is handed (or, when the
    server closes its socket unused, an exit)."""

    def life() -> int:
        _detach(parts)
        data, fds, _, _ = socket.recv_fds(channel, _MESSAGE, 3)
        channel.close()
        if not data:
            os._exit(0)
        return _become_job(json.loads(data), fds, parts)

    _live(life, parts.worker)


def _live(life: Callable[[], int], worker: Any) -> None:
    """A child's whole ``life``, then its end with the exit code: never back into
    the server's loop."""
    code = 1
    try:
        code = life()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        worker.exit_now(code)


def _detach(parts: _Parts) -> None:
    """What a job process is before it knows its job: its own session, SIGTERM when
    the server dies, and none of the server's descriptors or signal handling."""
    server = os.getppid()
    os.setsid()
    parts.prctl(1, int(signal.SIGTERM))  # 1 = PR_SET_PDEATHSIG: the server's end is ours
    if os.getppid() != server:
        os._exit(1)
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    parts.sock.close()
    for descriptor in parts.wake:
        os.close(descriptor)


def _become_job(request: dict[str, Any], fds: list[int], parts: _Parts) -> int:
    """The job's descriptors, folder, environment and argv, then its whole life."""
    for target, descriptor in enumerate(fds):
        os.dup2(descriptor, target)
        os.close(descriptor)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    if sys.path and sys.path[0] == parts.started_in:  # `python -m` put the start folder first
        sys.path[0] = request["cwd"]
    sys.argv = [parts.worker.__file__, request["spec"]]
    numpy = sys.modules.get("numpy")
    if numpy is not None:  # a fresh import seeds it from the OS: so does each child
        numpy.random.seed()
    return int(parts.worker.main([request["spec"]]))


if __name__ == "__main__":
    sys.exit(serve(sys.argv[1], int(sys.argv[2])))
