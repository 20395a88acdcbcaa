"""Bad input: one clear line naming file, line and fix; exit 1; no traceback; outputs untouched."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from publisher.sources.config import load_project, parse_length, parse_page_size
from publisher.sources.content import read_messages
from publisher.errors import PublisherError

from .conftest import copy_built, copy_project

MESSAGE = "content/messages/bjut-leadership.md"


@pytest.fixture
def project(built, tmp_path) -> Path:
    """A copy of the built seed project, its good outputs included."""
    return copy_built(built[0], tmp_path / "project")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def publisher(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "publisher", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "COLUMNS": "200"})


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def fails_cleanly(project: Path, *expected: str) -> str:
    before = snapshot(project / "out")
    result = publisher("build", cwd=project)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in expected:
        assert fragment in lines[0], lines[0]
    assert "fix:" in lines[0]
    assert snapshot(project / "out") == before  # earlier outputs intact, no temporary files
    return lines[0]


def test_malformed_yaml(project):
    edit(project / "content/publication.yaml", "title: Messages from University Leaders",
         "title: Messages: from [University Leaders")
    fails_cleanly(project, "content/publication.yaml:4:", "invalid YAML")


def test_missing_required_field(project):
    edit(project / MESSAGE, "institution: Beijing University of Technology\n", "")
    fails_cleanly(project, f"{MESSAGE}:", "missing required field 'institution'")


def test_unknown_key_suggests_the_right_one(project):
    edit(project / MESSAGE, "short_name: BJUT", "shortname: BJUT")
    line = fails_cleanly(project, f"{MESSAGE}:4:", "unknown key 'shortname'")
    assert "did you mean 'short_name'" in line


def test_unknown_layout(project):
    edit(project / "content/publication.yaml", "layout: classic", "layout: clasic")
    line = fails_cleanly(project, "content/publication.yaml:", "unknown layout 'clasic'")
    assert "did you mean 'classic'" in line
    number = int(re.search(r"publication\.yaml:(\d+):", line)[1])
    assert (project / "content/publication.yaml").read_text().splitlines()[number - 1] \
        == "layout: clasic"


def test_missing_image(project):
    edit(project / MESSAGE, "language: en\n", "language: en\nimage: ../images/portrait.jpg\n")
    fails_cleanly(project, f"{MESSAGE}:12:", "image '../images/portrait.jpg' not found")


def test_bad_page_size_and_bleed(project):
    edit(project / "content/publication.yaml", "size: A5", "size: A55")
    fails_cleanly(project, "content/publication.yaml:", "unknown page size 'A55'")


def test_listed_message_without_file(project):
    edit(project / "content/publication.yaml", "  - ustb-chancellor-president",
         "  - ustb-chancellor-president\n  - dean-welcome")
    fails_cleanly(project, "content/publication.yaml:", "'dean-welcome' is listed")


def test_not_utf8(project):
    (project / MESSAGE).write_bytes((project / MESSAGE).read_bytes() + b"\n\xff\xfe broken\n")
    fails_cleanly(project, f"{MESSAGE}:", "not valid UTF-8")


def test_error_while_rendering_the_booklet_keeps_the_brochures(project):
    """Brochures render fine, the booklet's template breaks: nothing at all is replaced."""
    template = project / "layouts/base/contents.html"
    edit(template, "{{ message.title }}", "{{ message.titel }}")
    fails_cleanly(project, "layouts/base/contents.html:13:", "'titel' is undefined")


def test_outputs_are_replaced_only_by_a_complete_build(project):
    result = publisher("build", "--quiet", cwd=project)
    assert result.returncode == 0, result.stderr
    assert not list((project / "out").glob(".publisher-staging-*"))


def test_yaml_aliases_are_refused(tmp_path):
    project = copy_project(tmp_path)
    config = project / "content/publication.yaml"
    config.write_text(config.read_text() + "\nanchor: &a [1, 2]\nagain: *a\n")
    with pytest.raises(PublisherError, match="anchors and aliases"):
        load_project(project)


def test_content_cannot_inject_markup_or_template_code(tmp_path):
    project = copy_project(tmp_path)
    message = project / MESSAGE
    edit(message, "As the only member", "{{ 7 * 7 }} a < b > c As the only member")
    loaded = read_messages(load_project(project))[0]
    assert "{{ 7 * 7 }}" in loaded.body_html and "a &lt; b &gt; c" in loaded.body_html
    # Markup is never taken as markup, nor printed as raw syntax: it is an error with its line.
    edit(message, "{{ 7 * 7 }}", "<script>alert(1)</script>")
    with pytest.raises(PublisherError, match="HTML in a message is not printed: <script>"):
        read_messages(load_project(project))


def test_lengths_and_page_sizes():
    assert parse_length("3mm") == pytest.approx(8.5039, abs=1e-3)
    assert parse_length("0.125in") == 9.0
    assert parse_page_size("A4") == pytest.approx((595.28, 841.89), abs=0.01)
    assert parse_page_size("Letter") == pytest.approx((612, 792), abs=0.01)
    assert parse_page_size("148mm 210mm") == parse_page_size("A5")
    with pytest.raises(ValueError):
        parse_length("3 furlongs")
