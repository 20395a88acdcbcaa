"""Working on a project: adding a message is one file; page size is one line of config."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from publisher.build import build

from . import pdftools
from .conftest import copy_project

NEW_MESSAGE = """---
title: Welcome from the Dean
institution: School of Engineering
short_name: Engineering
signatories:
  - name: Ada Example
    role: Dean
---

It is a pleasure to welcome our partner universities to the campus of the School of
Engineering. Zephyrine quokkas will guide every visitor.

We look forward to the conversations of the coming days.
"""


def test_a_new_message_file_joins_booklet_contents_and_bookmarks(tmp_path):
    project = copy_project(tmp_path)
    (project / "content/messages/dean-welcome.md").write_text(NEW_MESSAGE)
    result = build(project)

    assert [output.path.name for output in result.brochures] == [
        "bjut-leadership.pdf", "ustb-chancellor-president.pdf", "dean-welcome.pdf"]
    booklet = result.booklet.path
    reader = PdfReader(booklet)
    assert [item.title for item in reader.outline][-1] == \
        "School of Engineering: Welcome from the Dean"
    start = reader.get_destination_page_number(reader.outline[-1]) + 1
    assert start % 2 == 1
    contents = " ".join(pdftools.text(booklet, 2, layout=True).split())
    assert f"Welcome from the Dean {start}" in contents
    assert "Zephyrine quokkas" in " ".join(pdftools.text(booklet, start).split())
    assert len(reader.pages) % 4 == 0
    assert pdftools.page_count(project / "out/brochures/dean-welcome.pdf") == 4


@pytest.mark.parametrize("size, expected", [("A4", (595.28, 841.89)), ("Letter", (612, 792))])
def test_page_size_is_one_line_of_config(tmp_path, size, expected):
    project = copy_project(tmp_path)
    config = project / "content/publication.yaml"
    config.write_text(config.read_text().replace("size: A5", f"size: {size}")
                      .replace("bleed: 3mm", "bleed: 0.125in"))
    # One message keeps this quick; the booklet still gets the full treatment.
    (project / "content/messages/ustb-chancellor-president.md").unlink()
    config.write_text(config.read_text().replace("  - ustb-chancellor-president\n", ""))
    result = build(project)
    for pdf in (result.booklet.path, *[output.path for output in result.brochures]):
        for boxes in pdftools.page_boxes(pdf):
            x0, y0, x1, y1 = boxes.trim
            assert (x1 - x0, y1 - y0) == pytest.approx(expected, abs=0.01)
            assert boxes.bleed[0] == pytest.approx(x0 - 9, abs=0.01)  # 0.125in = 9pt
        assert pdftools.page_count(pdf) % 4 == 0


def test_build_into_another_folder_and_prune_stale_brochures(tmp_path):
    project = copy_project(tmp_path / "p")
    out = tmp_path / "elsewhere"
    (out / "brochures").mkdir(parents=True)
    (out / "brochures/removed-message.pdf").write_bytes(b"%PDF-old")
    (out / "keep-me.txt").write_text("not ours")
    build(project, out)
    assert sorted(path.name for path in (out / "brochures").iterdir()) == [
        "bjut-leadership.pdf", "ustb-chancellor-president.pdf"]
    assert (out / "keep-me.txt").exists() and (out / "booklet.pdf").exists()
    assert not (project / "out").exists()
