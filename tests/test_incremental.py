"""Incremental and parallel builds: the cache renders only what changed, and neither the cache
nor the number of jobs changes a byte of the output."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from pypdf import PdfReader

from publisher.build import build

from .conftest import copy_project
from .test_errors import edit, snapshot

BROCHURES = ("bjut-leadership", "ustb-chancellor-president")
# Parts of the seed project: 2 brochures, the booklet's back, 2 messages, front with contents.
ALL_PARTS = 6


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A fresh copy of the seed project, built once, with a fixed date (reproducible)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1796083200")  # 2026-12-01
    root = copy_project(tmp_path / "project")
    first = build(root, jobs=1, check=False)
    assert (first.rendered, first.reused) == (ALL_PARTS, 0)
    return root


def outputs(root):
    return snapshot(root / "out")


def test_nothing_changed_renders_nothing_and_writes_nothing(project):
    before = outputs(project)
    times = {path: (project / "out" / path).stat().st_mtime_ns for path in before}
    result = build(project, jobs=1, check=False)
    assert result.up_to_date and result.rendered == 0
    assert outputs(project) == before
    assert {path: (project / "out" / path).stat().st_mtime_ns for path in before} == times


def test_nothing_changed_does_not_import_weasyprint(project):
    code = ("import sys; from publisher.build import build; "
            f"r = build({str(project)!r}, check=False); "
            "assert r.up_to_date; print('weasyprint' in sys.modules, 'pydantic' in sys.modules)")
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout.split()
    assert found == ["False", "False"]


def test_a_quiet_unchanged_build_answers_before_the_command_line_loads(project):
    """`publisher build -q` with nothing changed: nothing printed, exit 0, and neither the
    command-line library nor WeasyPrint nor pydantic loaded. With something to say, the full
    command line says it."""
    command = [sys.executable, "-X", "importtime", "-m", "publisher", "build", str(project),
               "-q"]
    assert subprocess.run(command, capture_output=True).returncode == 0  # its own record
    again = subprocess.run(command, capture_output=True, text=True)
    assert again.returncode == 0 and again.stdout == ""
    loaded = {line.split("|")[-1].strip() for line in again.stderr.splitlines()
              if line.startswith("import time:")}
    assert "publisher.build" in loaded
    assert not {"click", "weasyprint", "pydantic", "rich"} & loaded
    stray = project / "content/messages/stray.txt"
    stray.write_text("left out")
    try:
        loud = subprocess.run([sys.executable, *command[3:]], capture_output=True, text=True)
    finally:
        stray.unlink()
    assert loud.returncode == 0 and "stray.txt was left out" in loud.stderr


def test_cache_hits_give_the_same_bytes_as_rendering_everything(project):
    cached = outputs(project)
    (project / "out/booklet.pdf").unlink()  # force a build that reuses every part
    result = build(project, jobs=1, check=False)
    assert (result.rendered, result.reused) == (0, ALL_PARTS)
    assert outputs(project) == cached
    forced = build(project, jobs=1, check=False, force=True)
    assert (forced.rendered, forced.reused) == (ALL_PARTS, 0)
    assert outputs(project) == cached


def test_an_edited_message_renders_only_its_parts(project):
    before = outputs(project)
    message = project / "content/messages/ustb-chancellor-president.md"
    edit(message, "Seeking truth in the past seven decades",
         "Seeking truth over the past seven decades")
    result = build(project, jobs=1, check=False)
    # Its brochure and its booklet part; the cover, contents, back and the other message kept.
    assert (result.rendered, result.reused) == (2, ALL_PARTS - 2)
    after = outputs(project)
    assert after["brochures/bjut-leadership.pdf"] == before["brochures/bjut-leadership.pdf"]
    assert after["brochures/ustb-chancellor-president.pdf"] != \
        before["brochures/ustb-chancellor-president.pdf"]
    assert after["booklet.pdf"] != before["booklet.pdf"]
    # Undoing the edit comes back to the very same bytes, from the cache... of this build only.
    edit(message, "Seeking truth over the past seven decades",
         "Seeking truth in the past seven decades")
    build(project, jobs=1, check=False)
    assert outputs(project) == before


def test_a_new_title_renders_the_contents_again(project):
    edit(project / "content/messages/bjut-leadership.md", "title: Message from the Leadership",
         "title: A Message from the Leadership")
    result = build(project, jobs=1, check=False)
    # Brochure, booklet part, contents, back cover (the front matter of every message is
    # what covers and contents show); the other message's brochure and part are kept.
    assert result.rendered == 4 and result.reused == 2


@pytest.mark.parametrize("change", ["template", "theme", "font", "config"])
def test_a_change_to_the_layout_fonts_or_settings_renders_everything(project, change):
    if change == "template":
        edit(project / "layouts/base/signatures.html", "<footer", "<footer data-edited")
    elif change == "theme":
        edit(project / "layouts/classic/theme.yaml", "size: 10.5pt", "size: 10.4pt")
    elif change == "font":
        font = project / "fonts/lato/Lato-Regular.ttf"
        font.write_bytes(font.read_bytes())  # the same bytes: nothing to do …
        assert build(project, jobs=1, check=False).up_to_date
        (project / "fonts/lato/LICENSE-copy.txt").write_text("a new file in fonts/")
    else:
        edit(project / "content/publication.yaml", "venue: Beijing, China",
             "venue: Beijing, People's Republic of China")
    result = build(project, jobs=1, check=False)
    assert (result.rendered, result.reused) == (ALL_PARTS, 0)


def test_jobs_1_and_jobs_2_give_identical_bytes(project, tmp_path):
    one = outputs(project)
    other = copy_project(tmp_path / "other")
    result = build(other, jobs=2, check=False)
    assert result.rendered == ALL_PARTS
    assert outputs(other) == one


def test_a_damaged_cache_is_rendered_again(project):
    before = outputs(project)
    for blob in (project / ".publisher-cache/parts").glob("*.bin"):
        blob.write_bytes(blob.read_bytes()[:100])
    (project / "out/booklet.pdf").unlink()
    result = build(project, jobs=1, check=False)
    assert result.rendered == ALL_PARTS
    assert outputs(project) == before


def cached_brochures(root) -> dict[str, str]:
    """The cache key of each brochure's entry (found by the title inside its PDF)."""
    found = {}
    for header in (root / ".publisher-cache/parts").glob("*.json"):
        text = header.with_suffix(".bin").read_bytes()
        for slug in BROCHURES:
            if slug in found or "body_pages" not in header.read_text():
                continue
            title = {"bjut-leadership": b"Beijing University of Technology",
                     "ustb-chancellor-president": b"Science and Technology Beijing"}[slug]
            if title in text and b"/Title" in text:
                found[slug] = header.stem
    return found


def test_swapped_or_replaced_cache_entries_are_never_shipped(project):
    """Entries moved under another part's key, or replaced by another PDF (one that runs
    JavaScript, say), fail their digest: the parts are rendered again, and -v says so."""
    before = outputs(project)
    parts = project / ".publisher-cache/parts"
    entries = sorted(parts.glob("*.bin"))
    saved = {path: (path.read_bytes(), path.with_suffix(".json").read_bytes())
             for path in entries}
    for path, target in zip(entries, entries[1:] + entries[:1]):  # each takes the next's
        path.write_bytes(saved[target][0])
        path.with_suffix(".json").write_bytes(saved[target][1])
    shutil.rmtree(project / "out")
    result = subprocess.run([sys.executable, "-m", "publisher", "build", str(project), "-v",
                             "--no-check", "--jobs", "1"], capture_output=True, text=True,
                            env={**os.environ, "COLUMNS": "300"})
    assert result.returncode == 0, result.stderr
    assert outputs(project) == before
    assert result.stdout.count("did not match its digest: rendered again") == ALL_PARTS

    # A PDF with a JavaScript action put in place of one brochure's bytes, length kept.
    entry = parts / f"{cached_brochures(project)['bjut-leadership']}.bin"
    original = entry.read_bytes()
    hostile = original.replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction "
                               b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>", 1)
    hostile = hostile[:len(original)]  # the same length: only the digest can tell
    assert hostile != original
    entry.write_bytes(hostile)
    (project / "out/brochures/bjut-leadership.pdf").unlink()
    result = build(project, jobs=1, check=False)
    assert result.rendered == 1 and [note for note in result.notes if "digest" in note] == [
        "the cached brochure bjut-leadership did not match its digest: rendered again"]
    assert outputs(project) == before


def test_reports_of_reused_brochures_are_kept_or_made(project):
    # The fixture built without checks: the next build checks every output all the same.
    result = build(project, jobs=1)
    assert result.rendered == 0 and len(result.reports) == 6
    assert [r.path for r in result.reports] == [o.path for o in result.outputs]
    assert all(not report.rows() for report in result.reports)


def test_same_inputs_give_the_same_bytes_in_other_folders(tmp_path, monkeypatch):
    """No SOURCE_DATE_EPOCH and no print.date: the event's date is the PDFs' date, so two
    copies of the project, built in different folders, give identical files."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    first = copy_project(tmp_path / "first")
    second = copy_project(tmp_path / "elsewhere" / "second")
    build(first, jobs=1, check=False)
    build(second, jobs=2, check=False)
    assert outputs(first) == outputs(second)
    info = PdfReader(first / "out/booklet.pdf").metadata
    assert info["/CreationDate"].startswith("D:20261208")  # the event, content/publication.yaml
    assert str(tmp_path).encode() not in (first / "out/booklet.pdf").read_bytes()
