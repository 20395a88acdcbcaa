"""``publisher serve`` in a real headless Chromium: edits show up by themselves, errors show on
the page with file, line and fix, and go away when the file is fixed."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import copy_project

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
MESSAGE = "content/messages/bjut-leadership.md"


@pytest.fixture
def server(tmp_path):
    """A project copy served on a free loopback port: (project, url)."""
    project = copy_project(tmp_path / "project")
    process = subprocess.Popen(
        [sys.executable, "-m", "publisher", "serve", str(project), "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "COLUMNS": "200"})
    try:
        line = process.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert match, line + process.stderr.read()
        yield project, match[0]
    finally:
        process.terminate()
        process.wait(timeout=10)
        # Nothing of the preview was written into the project.
        assert not (project / "out").exists()


def page_text(page) -> str:
    return page.evaluate("document.body.textContent")


def test_preview_updates_itself_and_shows_errors(server):
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Chromium is missing: run .ci/setup"
    project, url = server
    message = project / MESSAGE
    original = message.read_text()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        # The page runs under its own Content-Security-Policy: the probes below are locators,
        # not evaluated strings, which that policy (rightly) forbids.
        page = browser.new_page()
        page.goto(url)
        page.get_by_text("Founded in 1960").first.wait_for(timeout=30_000)
        assert page.locator(".document").count() == 3  # booklet and two brochures
        pdf = page.locator(".document a").first.get_attribute("href")
        with urllib.request.urlopen(url.rstrip("/") + pdf) as response:
            assert response.read(5) == b"%PDF-"

        # An edit to a message: the page changes by itself, without a reload from us.
        started = time.perf_counter()
        message.write_text(original.replace("Founded in 1960", "Zephyrine quokkas arrived in 1960"))
        page.get_by_text("Zephyrine quokkas").first.wait_for(timeout=20_000)
        edit_seconds = time.perf_counter() - started
        assert "Founded in 1960" not in page_text(page)

        # Broken front matter: the error, with file, line and fix, is on the page.
        message.write_text(original.replace("title: Message from the Leadership",
                                            "title: Message: from the Leadership"))
        page.wait_for_selector("#error", timeout=20_000)
        error = page.locator("#error").inner_text()
        assert "bjut-leadership.md:2" in error and "fix:" in error, error

        # Fixed again: the error goes.
        message.write_text(original)
        page.wait_for_selector("#error", state="detached", timeout=20_000)
        assert "Founded in 1960" in page_text(page)
        browser.close()
    print(f"edit to refreshed preview: {edit_seconds:.2f} s")


def test_serve_refuses_a_busy_port_and_a_missing_project(tmp_path, server):
    _, url = server
    port = re.search(r":(\d+)/", url)[1]
    project = copy_project(tmp_path / "other")
    result = subprocess.run([sys.executable, "-m", "publisher", "serve", str(project),
                             "--port", port], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "choose another --port" in result.stderr
    result = subprocess.run([sys.executable, "-m", "publisher", "serve", str(tmp_path / "none")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "publication.yaml" in result.stderr
    assert "Traceback" not in result.stderr
