"""New kernels without the cost of starting one: forked from a process that has imported the
framework already.

Starting a Jupyter kernel and importing its framework costs seconds per section (measured on
the book's 2-core machine, idle: numpy 1.9 s, JAX 1.7, MXNet 3.9, PyTorch 4.3, TensorFlow 6.0),
28% of the whole book's execution.  A *fork server* pays it once per backend: a process started
in the kernels' environment that imports what a new kernel imports before its first cell
(ipykernel and IPython, mlbook, the backend's framework, matplotlib) and nothing else, runs no
computation, and then waits.  For each section it forks a child; the child becomes a new
ipykernel process (the same ``ipykernel_launcher`` command line, connection file and
environment the kernel manager would have started), and :class:`mlbook.kernel.SectionKernel`
talks to it exactly as to a kernel it started itself.  A section therefore still runs in a
process of its own that no other section has touched; only the imports are shared.

What keeps a forked kernel's numbers those of a new kernel (``tests/test_forkserver.py`` runs
sections of every chapter both ways on every backend and requires identical outputs):

* the server runs no framework computation before it forks: every backend's thread pools, JAX's
  XLA client, TensorFlow's eager context and MXNet's engine are created lazily, in the child,
  exactly when a new kernel creates them; the server checks that it is single-threaded;
* the server's environment is the kernel's (thread pins, ``XLA_FLAGS``, ...), and it refuses a
  kernel whose environment differs in anything but the per-run variables
  (:data:`PER_RUN_VARIABLES`);
* what a framework can observe when it is imported is what it sees in a kernel: the inline
  matplotlib backend named in ``MPLBACKEND``, IPython's prompts in ``sys.ps1``/``sys.ps2``
  (TensorFlow's logger checks them), and ``sys.stdout``/``sys.stderr`` forwarding to whatever
  the kernel installs (a logging handler made at import writes to the kernel's streams);
* the variables the imports set (the TensorFlow backend's ``TF_CPP_MIN_LOG_LEVEL`` and
  ``TF_ENABLE_ONEDNN_OPTS``, ``MPLBACKEND``) are the child's too, as they are a started
  kernel's;
* the child resets what fork shares: Python's ``random`` and numpy's global generator are
  seeded anew, signal handlers are as before the server changed them, the process leads a
  session of its own (as a kernel the manager starts does), and ipykernel watches the server
  as its parent (given on the command line: ipykernel reads ``JPY_PARENT_PID`` when it is
  imported), so a kernel ends when the server does, and the server when the build does.

What stays shared: Python's string-hash seed (a set of strings iterates in the server's order,
where each started kernel has an order of its own; no section's output depends on it), and the
memory layout (object addresses, which no comparison uses).  Only kernels with one compute
thread are forked (the book's setting): MXNet's fork handler limits a forked child's OpenMP to
one thread.  A server that cannot start or answer is killed, and its kernel is started as a
process of its own instead, with a warning.

Fork is Linux- and macOS-only; :func:`available` says whether it is used, and
``MLBOOK_FORK=0`` turns it off (every section then starts a kernel of its own).
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Any, Mapping

__all__ = ["ForkServer", "server_for", "available", "FORK_ENV", "PER_RUN_VARIABLES",
           "shutdown_all"]

#: Environment variable that turns forked kernels off (``0``) for ``mlbook run``, ``mlbook
#: build`` and the tests.
#:
#: >>> forkserver.FORK_ENV
#: 'MLBOOK_FORK'
FORK_ENV = "MLBOOK_FORK"

#: Variables that differ from one kernel to the next and are read only while a section runs,
#: so a forked kernel may get values its server did not have.
#:
#: >>> forkserver.PER_RUN_VARIABLES
#: ('MLBOOK_REPORT', 'JPY_PARENT_PID', 'JPY_SESSION_NAME', 'PYTEST_CURRENT_TEST')
PER_RUN_VARIABLES = ("MLBOOK_REPORT", "JPY_PARENT_PID", "JPY_SESSION_NAME",
                     "PYTEST_CURRENT_TEST")

#: Seconds the server may take to import everything.
STARTUP_TIMEOUT = 180

#: Modules a new kernel has imported before a section's first cell (besides the backend's
#: framework, which the backend module imports).  ``matplotlib_inline.backend_inline`` is
#: left out on purpose: importing it outside a kernel would skip its set-up in the kernel.
PRELOAD = ("ipykernel.kernelapp", "ipykernel.ipkernel", "mlbook", "mlbook.kernel",
           "matplotlib", "matplotlib.pyplot")


def available() -> bool:
    """Whether sections run in forked kernels: the platform can fork and ``MLBOOK_FORK`` is not
    ``0``.

    >>> import os
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {forkserver.FORK_ENV: "0"}):
    ...     forkserver.available()                  # every section starts a kernel of its own
    False
    >>> with mock.patch.dict(os.environ, {forkserver.FORK_ENV: "1"}):
    ...     forkserver.available() == hasattr(os, "fork")       # Linux and macOS fork
    True
    """
    return hasattr(os, "fork") and os.environ.get(FORK_ENV, "1").strip() != "0"


def _signature(env: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """What a kernel's environment must share with its server's."""
    return tuple(sorted((k, v) for k, v in env.items() if k not in PER_RUN_VARIABLES))


class ForkServer:
    """A process for one backend that forks new kernels (module docs).

    ``env`` is the kernels' environment (the server runs in it); ``backend`` the backend the
    server imports.  :meth:`fork` starts a kernel and returns its process id; :meth:`close`
    stops the server (kernels already forked keep running until their manager stops them).

    Starting a server takes the seconds a kernel's imports take, so this example shows only
    when :class:`~mlbook.kernel.SectionKernel` uses one, without starting one:

    >>> kernel.SectionKernel("numpy", fork=True).fork      # its kernels come from a server
    True
    >>> kernel.SectionKernel("numpy", threads=2).fork      # only one-thread kernels are forked
    False
    >>> "MLBOOK_REPORT" in forkserver.PER_RUN_VARIABLES    # may differ from the server's
    True
    """

    def __init__(self, backend: str, env: Mapping[str, str]) -> None:
        self.backend = backend
        self.signature = _signature(env)
        self._lock = threading.Lock()
        ours, theirs = socket.socketpair()
        self._socket = ours
        self._reader = ours.makefile("r", encoding="utf-8")
        env = dict(env)
        env.pop("MLBOOK_REPORT", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mlbook.forkserver", str(theirs.fileno()), backend],
            env=env, stdin=subprocess.DEVNULL, pass_fds=[theirs.fileno()],
            start_new_session=True)
        theirs.close()
        ready = self._receive(STARTUP_TIMEOUT)
        if "error" in ready:
            self.close(kill=True)
            raise RuntimeError(f"the {backend} fork server could not start: {ready['error']}")

    def _receive(self, timeout: float) -> dict[str, Any]:
        """The server's next message; a server that does not answer in ``timeout`` seconds, or
        answers nonsense, is killed (a late answer would be taken for the next request's)."""
        self._socket.settimeout(timeout)
        try:
            line = self._reader.readline()
            message = json.loads(line) if line else None
        except (OSError, ValueError):
            message = None
        if message is None:
            code = self.process.poll()
            self.close(kill=True)
            raise RuntimeError(f"the {self.backend} fork server "
                               + ("did not answer" if code is None else f"exited ({code})"))
        return message

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def fork(self, argv: list[str], env: Mapping[str, str], cwd: str) -> int:
        """Start a kernel from ``argv`` (an ``ipykernel_launcher`` command line, as the kernel
        manager builds it) in ``env`` and ``cwd``; its process id.  ``ValueError`` when ``env``
        is not the server's environment (apart from :data:`PER_RUN_VARIABLES`)."""
        if _signature(env) != self.signature:
            theirs = dict(_signature(env))
            ours = dict(self.signature)
            differ = sorted(k for k in set(theirs) | set(ours) if theirs.get(k) != ours.get(k))
            raise ValueError(f"a kernel's environment differs from its fork server's in "
                             f"{differ}: start a server for that environment (server_for)")
        request = json.dumps({"argv": list(argv), "env": dict(env), "cwd": str(cwd)}) + "\n"
        with self._lock:
            self._socket.sendall(request.encode())
            reply = self._receive(60)
        if "error" in reply:
            raise RuntimeError(f"the {self.backend} fork server could not start a kernel: "
                               f"{reply['error']}")
        return int(reply["pid"])

    def close(self, kill: bool = False) -> None:
        """Stop the server (``kill``: at once; otherwise it exits when it reads the end of
        its socket)."""
        if kill and self.process.poll() is None:
            self.process.kill()
        try:            # the reader holds the socket open too: the server sees the end only
            self._reader.close()        # once both are closed (it then exits at once)
            self._socket.close()
        except OSError:
            pass
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


_servers: dict[tuple[str, tuple[tuple[str, str], ...]], ForkServer] = {}
_servers_lock = threading.Lock()
_key_locks: dict[tuple[str, tuple[tuple[str, str], ...]], threading.Lock] = {}


def server_for(backend: str, env: Mapping[str, str]) -> ForkServer:
    """This process's fork server for ``backend`` in ``env`` (started on first use, and again if
    it died).  Servers of other backends start meanwhile; one for another environment of the
    same backend replaces it (a build has one environment per backend).

    A server takes seconds to start, so this example only defines a function that uses one
    (``argv``: an ``ipykernel_launcher`` command line, as the kernel manager builds it):

    >>> import os
    >>> def fork_kernel(argv, cwd="."):
    ...     env = dict(os.environ, **execution.environment(1))      # the kernels' environment
    ...     return forkserver.server_for("numpy", env).fork(argv, env, cwd)   # the kernel's pid
    """
    key = (backend, _signature(env))
    with _servers_lock:
        lock = _key_locks.setdefault(key, threading.Lock())
    with lock:
        server = _servers.get(key)
        if server is not None and server.alive:
            return server
        with _servers_lock:
            stale = [k for k in _servers if k[0] == backend and k != key]
            old = [_servers.pop(k) for k in stale]
        for other in old:
            other.close()
        server = ForkServer(backend, env)
        with _servers_lock:
            _servers[key] = server
        return server


@atexit.register
def shutdown_all() -> None:
    """Stop every fork server this process started.

    It runs when Python exits (``atexit``); a program that runs sections and goes on calls it
    to free the servers' memory at once (the next section then starts a new server).  Calling
    it here would stop the servers of whatever else runs in this process, so the example only
    defines such a program:

    >>> def run_sections(paths, backend):
    ...     try:
    ...         return [book.run_section(path, backend) for path in paths]
    ...     finally:
    ...         forkserver.shutdown_all()
    """
    with _servers_lock:
        servers = list(_servers.values())
        _servers.clear()
    for server in servers:
        server.close()


# ---------------------------------------------------------------------- the kernel's process
class ForkedProcess:
    """A forked kernel, as jupyter_client's local provisioner sees a ``Popen``: it polls, waits
    for, signals and kills it.  The kernel is the server's child (the server reaps it), so its
    exit status is not known here: :meth:`poll` gives -1 once it has gone."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = -1
            except PermissionError:       # a new process of someone else's took the number
                self.returncode = -1
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            time.sleep(0.02)
        return self.returncode  # type: ignore[return-value]

    def send_signal(self, signum: int) -> None:
        try:
            os.kill(self.pid, signum)
        except ProcessLookupError:
            pass

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


def provisioner_class() -> type:
    """A jupyter_client provisioner that starts kernels through a fork server (imported late:
    jupyter_client is book-building machinery)."""
    from jupyter_client.provisioning import LocalProvisioner

    class ForkProvisioner(LocalProvisioner):  # type: ignore[misc, valid-type]
        """LocalProvisioner whose ``launch_kernel`` forks instead of starting a process.
        ``fork_backend`` names the server's backend."""

        fork_backend: str = ""

        async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
            env = dict(kwargs.get("env") or os.environ)
            cwd = str(kwargs.get("cwd") or os.getcwd())
            try:
                pid = server_for(self.fork_backend, env).fork(cmd, env, cwd)
            except (RuntimeError, OSError) as err:
                # the kernel as a process of its own: slower, the same outputs
                import warnings
                warnings.warn(f"{err}; starting the kernel as a process of its own",
                              RuntimeWarning, stacklevel=2)
                return await super().launch_kernel(cmd, **kwargs)
            self.process = ForkedProcess(pid)
            self.pid = self.pgid = pid                 # the kernel leads its own session
            self.cwd = cwd
            return self.connection_info

    return ForkProvisioner


# ---------------------------------------------------------------------- inside the server
class _Forward:
    """Stands for ``sys.stdout``/``sys.stderr`` while the server imports: whatever keeps a
    reference to it (a logging handler) writes to the stream the kernel installs later."""

    def __init__(self, name: str) -> None:
        self._name = name

    def _target(self) -> Any:
        stream = getattr(sys, self._name)
        return getattr(sys, f"__{self._name}__") if stream is self else stream

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._target(), attr)

    def write(self, text: str) -> int:
        return self._target().write(text)

    def flush(self) -> None:
        self._target().flush()

    def close(self) -> None:
        """Nothing: the stream is the kernel's (``logging.shutdown``, which ipykernel's set-up
        runs, closes absl's handler, and absl closes a stream it takes for a file)."""


def _os_threads() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:                      # not Linux: Python's own count
        return threading.active_count()


def _serve(fd: int, backend: str) -> None:
    channel = socket.socket(fileno=fd)
    reader = channel.makefile("r", encoding="utf-8")

    def say(message: dict[str, Any]) -> None:
        channel.sendall((json.dumps(message) + "\n").encode())

    # what a framework may look at while it is imported, as in a kernel (module docs)
    before = dict(os.environ)
    if sys.path and (sys.path[0] in ("", os.getcwd())):
        del sys.path[0]                          # as ipykernel_launcher does
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    sys.ps1, sys.ps2 = "In : ", "...: "          # IPython's InteractiveShell.init_prompts
    sys.stdout, sys.stderr = _Forward("stdout"), _Forward("stderr")
    try:
        import importlib
        for module in PRELOAD:
            importlib.import_module(module)
        from mlbook import backends
        backends.set_backend(backend)
        backends.current()
        threads = _os_threads()
        if threads != 1:
            raise RuntimeError(f"{threads} threads after the imports; forking would leave all "
                               f"but one behind (set the kernels' thread variables)")
    except BaseException as err:                 # tell the parent why, then go
        say({"error": f"{type(err).__name__}: {err}"})
        raise SystemExit(1)
    del sys.ps1, sys.ps2
    sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    # variables the imports set (the TensorFlow backend's defaults, MPLBACKEND): a started
    # kernel has them, so a forked one gets them too, unless its request says otherwise
    added = {k: v for k, v in os.environ.items() if before.get(k) != v}
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGCHLD, signal.SIGINT)}
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)    # kernels are reaped as they exit
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    say({"ready": True, "pid": os.getpid()})
    for line in reader:
        request = json.loads(line)
        try:
            argv = request["argv"]
            if argv[1:3] != ["-m", "ipykernel_launcher"]:
                raise ValueError(f"not an ipykernel_launcher command line: {argv}")
            pid = os.fork()
        except Exception as err:
            say({"error": f"{type(err).__name__}: {err}"})
            continue
        if pid == 0:
            code = 1
            try:
                reader.close()
                channel.close()
                code = _become_kernel(argv, {**added, **request["env"]}, request["cwd"],
                                      handlers)
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else 0
            except BaseException:
                import traceback
                traceback.print_exc()
            finally:
                try:
                    atexit._run_exitfuncs()
                finally:
                    os._exit(code)
        say({"pid": pid})


def _become_kernel(argv: list[str], env: dict[str, str], cwd: str,
                   handlers: dict[int, Any]) -> int:
    """In a forked child: start the kernel ``argv`` describes, as ``python -m
    ipykernel_launcher`` would."""
    import random

    os.setsid()
    for signum, handler in handlers.items():         # as they were before the server's
        signal.signal(signum, handler)
    os.environ.clear()
    os.environ.update(env)
    # the kernel's parent is the server, which exits when the build does: ipykernel's parent
    # poller then stops the kernel, as it stops a started kernel whose manager died
    os.environ["JPY_PARENT_PID"] = str(os.getppid())
    os.chdir(cwd)
    random.seed()                                    # a new process's state, not the server's
    if "numpy" in sys.modules:                       # numpy's legacy global generator too
        sys.modules["numpy"].random.seed()
    import importlib.util
    # ipykernel reads JPY_PARENT_PID into a class default when it is imported, which was in the
    # server: the kernel is told on its command line instead
    sys.argv = ([importlib.util.find_spec("ipykernel_launcher").origin] + list(argv[3:])
                + [f"--IPKernelApp.parent_handle={os.getppid()}"])
    from ipykernel import kernelapp
    kernelapp.launch_new_instance()
    return 0


if __name__ == "__main__":
    _serve(int(sys.argv[1]), sys.argv[2])
