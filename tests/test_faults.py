"""Faults during a build: stopped by a signal, killed outright, or started twice. The outputs
of the last complete build stay byte for byte, and nothing temporary is left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

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
                  if p.name.startswith(".publisher-") or p.name.endswith(".partial"))


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
             if not name.startswith(".publisher-")}
    assert after == before  # outputs untouched; a staging folder may remain …
    subprocess.run([sys.executable, "-m", "publisher", "build", str(project), "-q"], check=True)
    assert leftovers(project) == []  # … and the next build removes it
    assert snapshot(project / "out") != before  # with the edit in it


def test_two_builds_of_one_folder_at_once_are_refused(project):
    edit(project / MESSAGE, "seven decades", "seven long decades")
    before = snapshot(project / "out")
    with BuildLock(project / "out", project):
        result = subprocess.run([sys.executable, "-m", "publisher", "build", str(project)],
                                capture_output=True, text=True, timeout=120,
                                env={**os.environ, "COLUMNS": "200"})
    assert result.returncode == 1
    assert "another build is writing to this folder" in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(project / "out") == before
