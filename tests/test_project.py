"""Working on a project: adding a message is one file; page size is one line of config."""

from __future__ import annotations


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


def test_build_into_another_folder_keeps_what_publisher_did_not_write(tmp_path):
    """Pruning a deleted message's brochure is tests/test_ownership.py; a PDF publisher did
    not write stays, whatever its name."""
    project = copy_project(tmp_path / "p")
    out = tmp_path / "elsewhere"
    (out / "brochures").mkdir(parents=True)
    (out / "brochures/removed-message.pdf").write_bytes(b"%PDF-old")
    (out / "keep-me.txt").write_text("not ours")
    build(project, out)
    assert sorted(path.name for path in (out / "brochures").iterdir()) == [
        "bjut-leadership.pdf", "removed-message.pdf", "ustb-chancellor-president.pdf"]
    assert (out / "keep-me.txt").exists() and (out / "booklet.pdf").exists()
    assert not (project / "out").exists()


def test_an_rgb_picture_is_printed_in_cmyk_and_bleeds_off_the_cover(tmp_path):
    from PIL import Image

    project = copy_project(tmp_path)
    (project / "content/images").mkdir()
    Image.new("RGB", (600, 400), (200, 30, 40)).save(project / "content/images/campus.png")
    message = project / "content/messages/bjut-leadership.md"
    message.write_text(message.read_text().replace(
        "language: en\n", "language: en\nimage: ../images/campus.png\nimage_alt: The campus in red\n", 1))
    build(project)
    brochure = project / "out/brochures/bjut-leadership.pdf"
    rows = pdftools.run("pdfimages", "-list", str(brochure)).splitlines()[2:]
    assert rows and all(row.split()[5] == "cmyk" for row in rows), rows
    text = pdftools.qdf(brochure, tmp_path / "q.pdf")
    assert "/DeviceRGB" not in text
    # The picture really prints: red across the top of the cover, into the bleed.
    import pypdfium2
    image = pypdfium2.PdfDocument(brochure)[0].render(scale=1).to_pil().convert("RGB")
    slug = 10 * 72 / 25.4
    for x, y in ((image.width // 2, int(slug) + 4), (image.width // 2, image.height // 4)):
        red, green, blue = image.getpixel((x, y))
        assert red > 150 and green < 90 and blue < 110, (x, y, red, green, blue)
