"""The build server: builds after the first run in a warm process, and behave exactly as
builds in their own process: same bytes, same messages and exit statuses, Ctrl-C and a killed
caller leave the last outputs intact."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from .test_errors import edit, snapshot
from .test_faults import MESSAGE, descendants, gone_within, leftovers, project, start  # noqa: F401


@pytest.fixture
def env():
    """The build server on, its socket in a folder of this test (short: a socket's path has
    at most 107 bytes); stopped afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="pub-"))
    environment = {**os.environ, "PUBLISHER_DAEMON": "1", "PUBLISHER_RUNTIME_DIR": str(folder),
                   "PUBLISHER_DAEMON_IDLE": "120", "COLUMNS": "200"}
    yield environment
    publisher("daemon", "stop", env=environment)
    assert not list(folder.glob("*.sock")), "the server did not remove its socket"
    shutil.rmtree(folder)


def publisher(*args: str, env: dict, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "publisher", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def server_running(env: dict, wait: float = 30) -> bool:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if "running" in publisher("daemon", "status", env=env).stdout.replace("not running", ""):
            return True
        time.sleep(0.2)
    return False


def test_builds_after_the_first_run_in_the_server_with_the_same_bytes(project, env, tmp_path):
    edit(project / MESSAGE, "seven decades", "seven long decades")
    first = publisher("build", str(project), "-v", env=env)
    assert first.returncode == 0, first.stderr
    assert "rendered in this process" in first.stdout
    assert server_running(env)

    edit(project / MESSAGE, "seven long decades", "seven full decades")
    dated = {**env, "SOURCE_DATE_EPOCH": "1767225600"}  # the caller's environment counts
    served = publisher("build", "-v", env=dated, cwd=project)  # the caller's folder counts
    assert served.returncode == 0, served.stderr
    assert "rendered by the build server" in served.stdout
    assert "wrote out/booklet.pdf" in served.stdout
    by_server = snapshot(project / "out")
    unchanged = publisher("build", str(project), env=dated)
    assert "nothing changed" in unchanged.stdout  # answered without the server

    alone = publisher("build", str(project), "--no-daemon", "--force", "-q",
                      "--out", str(tmp_path / "alone"), env=dated)
    assert alone.returncode == 0, alone.stderr
    assert snapshot(tmp_path / "alone") == by_server


def test_errors_through_the_server_are_one_line_and_exit_1(project, env):
    publisher("build", str(project), "-q", "--force", env=env)  # starts the server
    assert server_running(env)
    before = snapshot(project / "out")
    edit(project / MESSAGE, "title:", "titel:")
    result = publisher("build", str(project), env=env)
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "ustb-chancellor-president.md:2" in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(project / "out") == before


def start_build(root, env):
    edit(root / MESSAGE, "seven decades", "seven long decades")
    process = subprocess.Popen(
        [sys.executable, "-m", "publisher", "build", str(root), "--jobs", "1", "--no-check"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    for line in process.stdout:
        if line.startswith("[2/"):
            return process
    raise AssertionError("the build finished before it could be stopped")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_stopped_build_in_the_server_leaves_the_last_outputs(project, env, signum):
    publisher("build", str(project), "-q", "--force", env=env)  # starts the server
    assert server_running(env)
    before = snapshot(project / "out")
    process = start_build(project, env)
    process.send_signal(signum)  # to the caller, as Ctrl-C in its terminal
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "interrupted: outputs left as they were" in stderr and "Traceback" not in stderr
    assert snapshot(project / "out") == before
    assert leftovers(project) == []


def test_a_killed_caller_stops_its_build_in_the_server(project, env):
    publisher("build", str(project), "-q", "--force", env=env)
    assert server_running(env)
    before = snapshot(project / "out")
    process = start_build(project, env)
    process.kill()
    process.wait(timeout=60)
    deadline = time.monotonic() + 60
    while leftovers(project) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1)  # a build that went on would now be writing
    assert snapshot(project / "out") == before
    assert leftovers(project) == []
    assert publisher("build", str(project), "-q", env=env).returncode == 0  # lock released


def test_status_and_stop(env):
    assert "not running" in publisher("daemon", "status", env=env).stdout
    assert "no build server" in publisher("daemon", "stop", env=env).stdout
    off = publisher("daemon", "status", env={**env, "PUBLISHER_DAEMON": "0"})
    assert "off" in off.stdout


def server_children(env: dict) -> list[int]:
    """The builds the server is running (its forked children)."""
    socket_folder = env["PUBLISHER_RUNTIME_DIR"]
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                command = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
            except OSError:
                continue
            if b"build-server" in command and any(
                    part.startswith(socket_folder.encode()) for part in command):
                return [int(c) for c in
                        open(f"/proc/{pid}/task/{pid}/children").read().split()]
    return []


def test_a_killed_build_in_the_server_ends_its_caller_with_one_line(project, env):
    """An out-of-memory kill of the server's build process: its workers and watcher go too,
    the caller says so at once, and the next build runs (no lock left held)."""
    publisher("build", str(project), "-q", "--force", env=env)
    assert server_running(env)
    edit(project / MESSAGE, "seven decades", "seven long decades")
    before = snapshot(project / "out")
    process = start(["build", str(project), "--jobs", "2", "--no-check", "--force"], env=env)
    [child] = server_children(env)
    family = [child, *descendants(child)]
    assert len(family) >= 4  # the build, its watcher, two workers
    os.kill(child, signal.SIGKILL)
    started = time.monotonic()
    assert process.wait(timeout=30) == 1
    assert time.monotonic() - started < 5
    assert process.stderr.read().strip() == (
        "error: the build server's process ended unexpectedly — fix: run the build again, "
        "or with --no-daemon")
    assert gone_within(family, 10)
    assert {k: v for k, v in snapshot(project / "out").items()
            if not k.startswith(".publisher-staging-")} == before
    again = publisher("build", str(project), "-q", env=env)
    assert again.returncode == 0, again.stderr
    assert leftovers(project) == []


def test_ctrl_c_ends_the_caller_even_when_its_build_does_not_answer(project, env):
    publisher("build", str(project), "-q", "--force", env=env)
    assert server_running(env)
    process = start(["build", str(project), "--jobs", "2", "--no-check", "--force"], env=env)
    [child] = server_children(env)
    family = [child, *descendants(child)]
    os.kill(child, signal.SIGSTOP)  # a build that hangs
    try:
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C, forwarded to the build …
        time.sleep(0.5)
        assert process.poll() is None
        os.killpg(process.pid, signal.SIGINT)  # … and again: the caller stops waiting
        assert process.wait(timeout=10) == 130
    finally:
        os.kill(child, signal.SIGCONT)
    assert gone_within(family, 30)  # the build then stops as interrupted
    assert leftovers(project) == []
    assert publisher("build", str(project), "-q", env=env).returncode == 0
