"""The contents never lose an entry: for 1, 12, 40 and 200 messages, every message is listed,
its number is the folio printed on its first page, its bookmark and its page label; the
contents flow onto as many pages as they need and the imprint stays."""

from __future__ import annotations

import re

import pytest
from pypdf import PdfReader

from publisher.build import build

from . import pdftools
from .conftest import copy_project

SENTENCE = ("Our universities have worked together on teaching and research for many years, "
            "and this forum is the place where that work is shared with colleagues. ")


def many_messages(project, count: int) -> None:
    """``count`` messages of different lengths (one paragraph to about two pages)."""
    messages = project / "content/messages"
    for path in messages.glob("*.md"):
        path.unlink()
    config = project / "content/publication.yaml"
    config.write_text(re.sub(r"messages:\n(  - .*\n)+", "", config.read_text()))
    for i in range(1, count + 1):
        paragraphs = 1 if count > 40 else 1 + (i * 7) % 6
        body = "\n\n".join(SENTENCE * 4 for _ in range(paragraphs))
        (messages / f"m{i:03d}.md").write_text(
            f"---\ntitle: Message {i} from a Leader with a Title Long Enough to Wrap\n"
            f"institution: University Number {i}\nsignatories:\n  - name: Person {i}\n---\n\n"
            f"{body}\n")


@pytest.mark.parametrize("count", [1, 12, 40, 200])
def test_every_message_is_listed_at_its_folio(count, tmp_path):
    project = copy_project(tmp_path)
    many_messages(project, count)
    result = build(project, check=count <= 40)
    assert all(report.errors == 0 for report in result.reports), \
        [row for report in result.reports for row in report.rows()]
    booklet = result.booklet.path
    reader = PdfReader(booklet)
    total = len(reader.pages)
    assert total % 4 == 0

    bookmarks = {item.title: reader.get_destination_page_number(item) + 1
                 for item in reader.outline}
    assert len(bookmarks) == count
    first = min(bookmarks.values())
    assert first % 2 == 1, "the first message opens on a right-hand page"

    # The contents, as printed: every entry with its number, in order.
    front = pdftools.text(booklet, 2, first - 1)
    listed = [(int(number), int(folio)) for number, folio in
              re.findall(r"Message (\d+) from a Leader.*?\n\s*(\d+)\s*\n", front, re.S)]
    assert [number for number, _ in listed] == list(range(1, count + 1))
    for number, folio in listed:
        title = f"University Number {number}: Message {number} from a Leader with a Title " \
                "Long Enough to Wrap"
        assert bookmarks[title] == folio
        assert folio % 2 == 1
        assert reader.page_labels[folio - 1] == str(folio)
        page = pdftools.text(booklet, folio)
        assert f"Message {number} from a Leader" in page
        # The folio printed at the foot of the page is the number in the contents.
        assert re.search(rf"^\s*{folio}\s*$", page, re.M), page[-200:]
    # The imprint is printed once, after the last entry.
    assert front.count("Published by") == 1
    assert front.index("Published by") > front.index(f"Message {count} from a Leader")
    if count >= 40:
        assert first > 5, "the contents take more than one page"
