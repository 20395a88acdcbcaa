"""The build server: a process that keeps WeasyPrint loaded between ``publisher build`` runs.

Importing WeasyPrint and warming it (fonts, hyphenation, C declarations) costs most of a small
build. The first build that renders starts a server in the background; later builds hand their
command line to it over a Unix socket, and it forks a child, already warm, that runs the
command exactly as the ``publisher`` process would: in the caller's folder, with the caller's
environment, umask and terminal (its file descriptors are passed over the socket), so output,
progress bars, exit status and signals (Ctrl-C) behave as without a server. Each build runs in
a fresh child, so nothing of one build leaks into the next.

The socket lives in a folder private to the user and its name carries a fingerprint of the
Python, publisher and library versions, so a changed installation never talks to an old
server. The server stops after ``PUBLISHER_DAEMON_IDLE`` seconds without builds (default
900). ``PUBLISHER_DAEMON=0``, ``--no-daemon`` or a ``CI`` environment variable turn it off.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import signal
import socket
import stat
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from .. import processes

IDLE_SECONDS = 900
_HEADER = struct.Struct("!I")
_STATUS = struct.Struct("!i")
in_server = False  # set in the children of the server: never delegate from there


# -- where the server listens -----------------------------------------------------------------

def enabled() -> bool:
    if in_server or not hasattr(os, "fork") or not hasattr(socket, "send_fds"):
        return False
    setting = os.environ.get("PUBLISHER_DAEMON", "").strip().lower()
    if setting in ("0", "no", "off", "false"):
        return False
    return setting in ("1", "yes", "on", "true") or not os.environ.get("CI")


def runtime_dir() -> Path:
    """A folder only this user can enter (the socket's permissions are not enough on every
    system): $PUBLISHER_RUNTIME_DIR, $XDG_RUNTIME_DIR/publisher or /tmp/publisher-<uid>."""
    base = os.environ.get("PUBLISHER_RUNTIME_DIR")
    if base:
        folder = Path(base)
    elif os.environ.get("XDG_RUNTIME_DIR"):
        folder = Path(os.environ["XDG_RUNTIME_DIR"]) / "publisher"
    else:
        folder = Path("/tmp") / f"publisher-{os.getuid()}"
    if len(os.fsencode(folder)) > 60:  # a socket's whole path must fit in 107 bytes
        folder = Path("/tmp") / f"publisher-{os.getuid()}"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise OSError(f"{folder} is not a private folder of this user")
    return folder


def fingerprint() -> str:
    """Python, publisher's own files and the libraries that shape the output: a server built
    from anything else is not used."""
    from ..build.cache import versions
    from ..hashing import digest

    package = Path(__file__).resolve().parent.parent  # all of publisher
    files = [(str(path.relative_to(package)), path.stat().st_size, path.stat().st_mtime_ns)
             for path in sorted(package.rglob("*.py"))]
    return digest(sys.executable, sys.version, versions(), files)[:16]


def _installation() -> str:
    """This Python environment: its servers of older code are stopped by a new one."""
    from ..hashing import digest

    return digest(sys.executable)[:8]


def socket_path() -> Path:
    return runtime_dir() / f"build-{_installation()}-{fingerprint()}.sock"


# -- the client: publisher build ------------------------------------------------------------

def delegate(argv: list[str]) -> int | None:
    """Run ``publisher <argv>`` in the server and return its exit status; None when no server
    is listening (the caller builds itself, then calls :func:`spawn`)."""
    try:
        path = socket_path()
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.connect(str(path))
    except OSError:
        return None
    with connection:
        request = {"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ),
                   "umask": _umask(), "encoding": sys.stdout.encoding or "utf-8"}
        fds = [fd for fd in (0, 1, 2) if _is_open(fd)]
        request["fds"] = fds
        body = json.dumps(request).encode()
        try:
            payload = _HEADER.pack(len(body)) + body
            sent = socket.send_fds(connection, [payload], fds)
            connection.sendall(payload[sent:])  # a large environment may need more sends
            connection.settimeout(60)  # a server still warming up answers within seconds
            child = _STATUS.unpack(_receive(connection, _STATUS.size))[0]
        except (OSError, struct.error):
            return None  # a server that does not answer: build here instead
        connection.settimeout(None)
        asked = []

        def forward(signum, frame) -> None:
            # The build stops as it would in this process. A second request, or a build
            # that is gone, ends the wait here: Ctrl-C always works.
            if asked or not _signal(child, signum):
                raise KeyboardInterrupt
            asked.append(signum)

        previous = {signum: signal.signal(signum, forward)
                    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
        try:
            return _wait_for_status(connection, child)
        except KeyboardInterrupt:
            sys.stderr.write("interrupted: outputs left as they were\n")
            return 130
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)


def _wait_for_status(connection: socket.socket, child: int) -> int:
    """The exit status the build sends; 1 with a clear line if its process ends without
    one (killed), noticed within a second even if one of its processes kept the socket."""
    try:
        process = os.pidfd_open(child)
    except (OSError, AttributeError):
        process = None  # no pidfd here: the socket's end is the sign
    try:
        while True:
            waiting = [connection, *([process] if process is not None else [])]
            ready, _, _ = select.select(waiting, [], [])
            if connection in ready or select.select([connection], [], [], 1)[0]:
                try:
                    return _STATUS.unpack(_receive(connection, _STATUS.size))[0]
                except (OSError, struct.error):
                    break
            else:
                break  # the build's process ended and sent nothing
    finally:
        if process is not None:
            os.close(process)
    sys.stderr.write("error: the build server's process ended unexpectedly — fix: run the "
                     "build again, or with --no-daemon\n")
    return 1


def spawn() -> None:
    """Start a server in the background (it exits at once if one is running or starting)."""
    try:
        path = socket_path()
    except OSError:
        return
    # A server that is starting holds its lock: the new one sees it and exits at once. It is
    # started through the command line, which hands serve() the command to run for builds.
    subprocess.Popen([sys.executable, "-m", "publisher", "build-server", str(path)],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)


def running() -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            probe.connect(str(socket_path()))
        return True
    except OSError:
        return False


def stop(path: Path | None = None) -> bool:
    """Ask the server of this installation (or at ``path``) to stop; whether one was
    running."""
    try:
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.connect(str(path or socket_path()))
    except OSError:
        return False
    with connection:
        body = json.dumps({"stop": True}).encode()
        connection.sendall(_HEADER.pack(len(body)) + body)
        try:
            connection.settimeout(10)
            connection.recv(1)  # closed when the server has stopped listening
        except OSError:
            pass
    return True


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False


def _signal(pid: int, signum: int) -> bool:
    """Send ``signum`` to ``pid``; whether it still ran."""
    try:
        os.kill(pid, signum)
        return True
    except ProcessLookupError:
        return False


def _receive(connection: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            raise OSError("connection closed")
        data += chunk
    return data


# -- the server ---------------------------------------------------------------------------

Command = Callable[[list[str]], None]  # runs a command line; may raise SystemExit


def serve(path: Path, command: Command, idle: float | None = None) -> None:
    """Listen on ``path`` until ``idle`` seconds (PUBLISHER_DAEMON_IDLE, else 15 minutes)
    pass without a build; each build runs ``command`` with its arguments in a forked child."""
    if idle is None:
        try:
            idle = float(os.environ.get("PUBLISHER_DAEMON_IDLE", IDLE_SECONDS))
        except ValueError:
            idle = IDLE_SECONDS
    lock = open(path.with_suffix(".lock"), "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return  # another server of this installation is running or starting
    processes.hold(lock)  # builds forked from here do not keep it
    path.unlink(missing_ok=True)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(16)
    inode = path.stat().st_ino
    # Servers of this environment's earlier code (publisher or a library was updated since)
    # would only idle: stop them.
    for older in path.parent.glob(f"build-{_installation()}-*.lock"):
        if older != path.with_suffix(".lock"):
            if not stop(older.with_suffix(".sock")):
                older.with_suffix(".sock").unlink(missing_ok=True)  # left by a crash
            older.unlink(missing_ok=True)
    _warm()
    # Children are reaped by the kernel; each child sets SIGCHLD back for its own workers.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    last = time.monotonic()
    try:
        while time.monotonic() - last < idle:
            ready, _, _ = select.select([listener], [], [], min(idle, 30))
            try:
                if path.stat().st_ino != inode:
                    return  # the socket was removed or taken over: this server is orphaned
            except OSError:
                return
            if not ready:
                continue
            connection, _ = listener.accept()
            last = time.monotonic()
            if not _handle(connection, listener, command):
                return
    finally:
        if path.exists() and path.stat().st_ino == inode:
            path.unlink()
        listener.close()


def _warm() -> None:
    """Load what every build needs, and lay out one hyphenated paragraph: fonts, hyphenation
    patterns and WeasyPrint's C declarations are then ready in every child."""
    import weasyprint

    from .. import build  # noqa: F401
    from ..build import jobs  # noqa: F401  (and with it the press stage and preflight)

    html = ('<p lang="en" style="hyphens: auto; width: 3em">Internationalisation '
            'communications</p>')
    weasyprint.HTML(string=html).render().write_pdf()


def _handle(connection: socket.socket, listener: socket.socket, command: Command) -> bool:
    """Serve one request: a build in a forked child. False: the server is asked to stop."""
    try:
        peer = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                     struct.calcsize("3i"))
        if struct.unpack("3i", peer)[1] != os.getuid():
            connection.close()
            return True
    except (OSError, AttributeError):
        pass  # no peer credentials on this system: the private folder protects the socket
    fds: list[int] = []
    try:
        message, fds, _, _ = socket.recv_fds(connection, 1 << 20, 3)
        size = _HEADER.unpack(message[:_HEADER.size])[0]
        body = message[_HEADER.size:]
        if len(body) < size:
            body += _receive(connection, size - len(body))
        request = json.loads(body)
        stopping = bool(request.get("stop"))
    except (OSError, ValueError, struct.error, AttributeError):
        stopping = None  # not a request of ours: drop it
    if stopping is not False:
        for fd in fds:
            os.close(fd)
        connection.close()
        if stopping:
            listener.close()
        return not stopping
    pid = os.fork()
    if pid == 0:
        listener.close()
        processes.drop_locks()  # a build outliving this server must not keep it locked
        os._exit(_child(connection, request, fds, command))
    for fd in fds:
        os.close(fd)
    connection.close()
    return True


def _child(connection: socket.socket, request: dict, fds: list[int], command: Command) -> int:
    """In the forked child: become the caller's ``publisher`` process and run its command."""
    global in_server
    in_server = True
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    status = 1
    try:
        connection.sendall(_STATUS.pack(os.getpid()))
        watcher = _watch(connection)
        null = os.open(os.devnull, os.O_RDWR)
        given = dict(zip(request["fds"], fds))
        for fd in (0, 1, 2):
            os.dup2(given.get(fd, null), fd)
        for fd in [*fds, null]:
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"], PUBLISHER_DAEMON="0")  # never delegate again
        time.tzset()
        os.umask(request["umask"])
        encoding = request["encoding"]
        sys.stdout = open(1, "w", encoding=encoding, errors="backslashreplace", closefd=False,
                          buffering=1 if os.isatty(1) else -1)
        sys.stderr = open(2, "w", encoding=encoding, errors="backslashreplace", closefd=False,
                          buffering=1)
        sys.stdin = open(0, encoding=encoding, closefd=False)
        sys.argv = ["publisher", *request["argv"]]
        try:
            command(request["argv"])
            status = 0
        except SystemExit as done:
            status = done.code if isinstance(done.code, int) else (0 if done.code is None
                                                                    else 1)
        except KeyboardInterrupt:
            status = 130
        # Done: the caller closing the socket from now on is no interruption.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        os.kill(watcher, signal.SIGKILL)
        os.waitpid(watcher, 0)
        sys.stdout.flush()
        sys.stderr.flush()
        connection.sendall(_STATUS.pack(status))
    except BaseException:  # never return into the server's loop
        import traceback

        traceback.print_exc()
    return status


def _watch(connection: socket.socket) -> int:
    """A process that stops the build (as SIGTERM does) if the caller goes away unannounced
    (killed): the socket then reaches its end. A thread would keep the build from forking
    its workers."""
    build = os.getpid()
    watcher = os.fork()
    if watcher == 0:
        processes.die_with_parent(build)
        try:
            connection.recv(1)
        except OSError:
            pass
        _signal(build, signal.SIGTERM)
        os._exit(0)
    return watcher
