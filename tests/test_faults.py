"""Faults during a build: stopped by a signal, killed outright, or started twice. The outputs
of the last complete build stay byte for byte, and nothing temporary is left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from publisher.build.output import BuildLock

from .conftest import copy_project
from .test_errors import edit, snapshot

MESSAGE = "content/messages/ustb-chancellor-president.md"


@pytest.fixture
def project(tmp_path):
    """A project of ten messages with a complete build in out/."""
    root = copy_project(tmp_path / "project")
    seeds = sorted((root / "content/messages").glob("*.md"))
    for number in range(8):
        text = seeds[number % 2].read_text()
        (root / f"content/messages/extra-{number}.md").write_text(
            text.replace("title: ", f"title: ({number}) ", 1))
    subprocess.run([sys.executable, "-m", "publisher", "build", str(root), "-q"], check=True)
    return root


def start_build(root):
    """A build that really renders (a message changed), stopped once it is under way."""
    edit(root / MESSAGE, "seven decades", "seven long decades")
    process = subprocess.Popen(
        [sys.executable, "-m", "publisher", "build", str(root), "--jobs", "1", "--no-check"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "COLUMNS": "200"})
    for line in process.stdout:
        if line.startswith("[2/"):  # the second part is being rendered
            return process
    raise AssertionError("the build finished before it could be stopped")


def leftovers(root):
    return sorted(str(p.relative_to(root)) for p in (root / "out").rglob("*")
                  if p.name.startswith(".publisher-staging-") or p.name.endswith(".partial"))


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_stopped_build_leaves_the_last_outputs_and_no_temporary_files(project, signum):
    before = snapshot(project / "out")
    process = start_build(project)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "interrupted: outputs left as they were" in stderr and "Traceback" not in stderr
    assert snapshot(project / "out") == before
    assert leftovers(project) == []


def test_a_killed_build_is_cleaned_up_by_the_next_one(project):
    before = snapshot(project / "out")
    process = start_build(project)
    process.kill()  # SIGKILL: no handler runs
    process.wait(timeout=60)
    after = {name: data for name, data in snapshot(project / "out").items()
             if not name.startswith(".publisher-staging-")}
    assert after == before  # outputs untouched; a staging folder may remain …
    subprocess.run([sys.executable, "-m", "publisher", "build", str(project), "-q"], check=True)
    assert leftovers(project) == []  # … and the next build removes it
    assert snapshot(project / "out") != before  # with the edit in it


def test_two_builds_of_one_folder_at_once_are_refused(project):
    edit(project / MESSAGE, "seven decades", "seven long decades")
    before = snapshot(project / "out")
    with BuildLock(project / "out"):
        result = subprocess.run([sys.executable, "-m", "publisher", "build", str(project)],
                                capture_output=True, text=True, timeout=120,
                                env={**os.environ, "COLUMNS": "200"})
    assert result.returncode == 1
    assert "another build is writing to this folder" in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(project / "out") == before


# -- processes: workers die with their build, and never hold its lock -------------------------

def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (read from /proc, as ps does)."""
    try:
        children = [int(c) for c in
                    open(f"/proc/{pid}/task/{pid}/children").read().split()]
    except OSError:
        return []
    return children + [d for child in children for d in descendants(child)]


def running(pids) -> list[int]:
    """Those of ``pids`` still running (not zombies waiting to be reaped)."""
    alive = []
    for pid in pids:
        try:
            state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.append(pid)
    return alive


def gone_within(pids, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while running(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not running(pids)


def start(args, cwd=None, env=None, until=lambda line: line.startswith("[3/")):
    """``publisher ARGS`` in its own session (as from a terminal), once ``until`` a line of its
    output, with its render workers started."""
    process = subprocess.Popen([sys.executable, "-m", "publisher", *args], cwd=cwd,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "COLUMNS": "200", **(env or {})},
                               start_new_session=True)
    for line in process.stdout:
        if until(line):
            return process
    raise AssertionError("the command finished before it could be stopped: "
                         + process.stderr.read())


def test_a_build_killed_outright_takes_its_workers_along_and_frees_the_folder(project):
    edit(project / MESSAGE, "seven decades", "seven long decades")
    before = snapshot(project / "out")
    process = start(["build", str(project), "--jobs", "2", "--no-check", "--force"])
    workers = descendants(process.pid)
    assert len(workers) >= 2, workers
    process.kill()  # an out-of-memory kill: no handler runs
    process.wait(timeout=30)
    assert gone_within(workers, 10), "render workers outlived their build"
    assert {k: v for k, v in snapshot(project / "out").items()
            if not k.startswith(".publisher-staging-")} == before
    again = subprocess.run([sys.executable, "-m", "publisher", "build", str(project), "-q"],
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr  # the lock went with the build
    assert leftovers(project) == []


def test_a_personalised_run_killed_outright_takes_its_workers_along(project, tmp_path):
    from .test_personalise import guests

    guests(tmp_path / "guests.csv", 200)
    args = ["build", str(project), "--data", str(tmp_path / "guests.csv"), "--message",
            "bjut-leadership", "--jobs", "2", "--no-check"]
    process = subprocess.Popen([sys.executable, "-m", "publisher", *args],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any(
            (project / "out").glob(".publisher-*/personalised/g002.pdf")):
        time.sleep(0.05)
    workers = descendants(process.pid)
    assert len(workers) >= 2 and process.poll() is None
    process.kill()
    process.wait(timeout=30)
    assert gone_within(workers, 10), "render workers outlived their run"
    assert not (project / "out/personalised").exists()  # nothing of the run was published
    again = subprocess.run([sys.executable, "-m", "publisher", *args[:-3], "--jobs", "1",
                            "--no-check", "-q"], capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert len(list((project / "out/personalised").glob("*.pdf"))) == 200
    assert leftovers(project) == []


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_stops_a_parallel_build_at_once(project, signum):
    """Ctrl-C reaches the terminal's whole process group; SIGTERM only the build."""
    edit(project / MESSAGE, "seven decades", "seven long decades")
    before = snapshot(project / "out")
    process = start(["build", str(project), "--jobs", "2", "--no-check", "--force"])
    workers = descendants(process.pid)
    started = time.monotonic()
    if signum == signal.SIGINT:
        os.killpg(process.pid, signum)
    else:
        process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    assert time.monotonic() - started < 10  # renders under way are not waited for
    assert process.returncode == 130, stderr
    assert stderr.strip() == "interrupted: outputs left as they were"  # no worker traceback
    assert gone_within(workers, 5)
    assert snapshot(project / "out") == before and leftovers(project) == []


def test_a_render_worker_killed_is_one_line_and_changes_nothing(project):
    edit(project / MESSAGE, "seven decades", "seven long decades")
    before = snapshot(project / "out")
    process = start(["build", str(project), "--jobs", "2", "--no-check", "--force"])
    workers = descendants(process.pid)
    os.kill(workers[0], signal.SIGKILL)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 1
    assert stderr.strip() == ("error: a render process ended unexpectedly (killed, or out of "
                              "memory) — fix: run the build again; if memory is short, use "
                              "--jobs 1")
    assert gone_within(workers, 5)
    assert snapshot(project / "out") == before and leftovers(project) == []


CORES = len(os.sched_getaffinity(0))


@pytest.mark.parametrize("options, expected", [
    (["--jobs", "8"], CORES),  # capped at the cores
    (["--jobs", str(CORES + 1), "--oversubscribe"], CORES + 1),
])
def test_render_workers_are_capped_at_the_cores_unless_asked(project, options, expected):
    process = start(["build", str(project), "--no-check", "--force", *options])
    deadline = time.monotonic() + 3
    counted = 0
    while time.monotonic() < deadline and process.poll() is None:
        counted = max(counted, len(running(descendants(process.pid))))
        time.sleep(0.02)
    process.kill()
    process.wait()
    assert counted == expected
