"""Real messages print right in every layout: a portrait, a picture in the text, logos (PNG
with transparency, SVG), a scanned signature, a table, footnotes, nested lists and bold, with
a clean preflight, read back by independent tools."""

from __future__ import annotations

import re

import pypdfium2
import pypdfium2.raw as pdfium_c
import pytest


from . import pdftools

LAYOUTS = ["classic", "modern", "trifold", "letter"]
SYNTAX = ["**", "[^", "](", "|---", "![", "{.", "| Year", "#"]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_realistic_message_builds_clean_in_every_layout(layout, real):
    project, result = real(layout)
    rows = [(report.path.name, row) for report in result.reports for row in report.rows()]
    assert rows == [], rows  # no error and no warning: resolution, colour, fonts, placement
    brochure = project / "out/brochures/president-welcome.pdf"
    text = " ".join(pdftools.text(brochure).split())
    for syntax in SYNTAX:
        assert syntax not in text, syntax
    for phrase in ("welcome you to the", "studio courses in every", "with mentors from",
                   "Partner", "312 delegates from 28 countries and regions", "Łukasz Nowak"):
        assert phrase in text, phrase
    for row in pdftools.fonts(brochure):
        assert row["emb"] == "yes" and row["sub"] == "yes", row


def images(pdf) -> list[dict]:
    rows = pdftools.run("pdfimages", "-list", str(pdf)).splitlines()[2:]
    keys = ["page", "num", "type", "width", "height", "color", "comp", "bpc", "enc", "interp",
            "object", "id", "x_ppi", "y_ppi"]
    return [dict(zip(keys, row.split())) for row in rows]


def test_each_picture_is_placed_once_in_cmyk_at_print_resolution(real):
    project, _ = real("classic")
    found = images(project / "out/brochures/president-welcome.pdf")
    pictures = [row for row in found if row["type"] == "image"]
    # Cover photo, body picture, the institution's logo (on the cover; the back cover has the
    # organiser's, a PDF drawn as vector artwork), signature, portrait: each placed once.
    by_object: dict[str, list[str]] = {}
    for row in pictures:
        by_object.setdefault(row["object"], []).append(row["page"])
    assert len(by_object) == 5, found
    assert all(len(pages) == 1 for pages in by_object.values()), by_object
    for row in pictures:
        assert row["color"] == "cmyk", row
        assert int(row["x_ppi"]) >= 300 and int(row["y_ppi"]) >= 300, row
    # The logo and the signature keep their transparency as soft masks.
    assert len({row["object"] for row in found if row["type"] == "smask"}) == 2


def page_objects(pdf, index: int, kind: int) -> list[tuple[float, float, float, float]]:
    """Bounds (left, top, right, bottom) in points from the media box's top left of a page's
    objects of ``kind`` (pypdfium2.raw.FPDF_PAGEOBJ_*)."""
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        page = document[index]
        media_left, _, _, media_top = page.get_mediabox()
        found = []
        for obj in page.get_objects(max_depth=3):
            if obj.type == kind:
                left, bottom, right, top = obj.get_bounds()
                found.append((left - media_left, media_top - top,
                              right - media_left, media_top - bottom))
        return found
    finally:
        document.close()


def rendered(pdf, scale: float, index: int = 0):
    """A page rendered by PDFium, the whole media box."""
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        return document[index].render(scale=scale).to_pil()
    finally:
        document.close()


@pytest.mark.parametrize("layout", ["classic", "modern"])
def test_the_cover_photo_is_never_under_the_title(layout, real):
    """Around every word of the cover's title the page is one plain colour: the lettering
    sits beside the picture, never on it (or on a face in it)."""
    project, _ = real(layout)
    brochure = project / "out/brochures/president-welcome.pdf"
    xml = pdftools.run("pdftotext", "-bbox", "-f", "1", "-l", "1", str(brochure), "-")
    words = [tuple(float(v) for v in found[:4]) for found in re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]+)<',
        xml) if "Welcome" in found[4] or "President" in found[4]]
    # Two words, or one: a letter-spaced title reads as its words together (ActualText).
    assert words and len(words) <= 2, xml[:2000]
    scale = 100 / 72
    image = rendered(brochure, scale).convert("RGB")
    for box in words:
        region = image.crop(tuple(round(v * scale) for v in box))
        colours = region.getcolors(region.width * region.height)
        background = max(colours)[1]
        plain = sum(count for count, colour in colours
                    if sum(abs(a - b) for a, b in zip(colour, background)) < 40)
        # Text pixels (and their anti-aliasing) aside, one colour: no photograph behind.
        assert plain > 0.55 * region.width * region.height, (layout, box, colours[:5])


def test_a_logo_sits_on_the_navy_cover_without_a_white_box(real):
    project, _ = real("classic")
    brochure = project / "out/brochures/president-welcome.pdf"
    logo = min(page_objects(brochure, 0, pdfium_c.FPDF_PAGEOBJ_IMAGE),
               key=lambda b: (b[2] - b[0]) * (b[3] - b[1]))
    scale = 150 / 72
    image = rendered(brochure, scale).convert("L")
    region = image.crop(tuple(round(v * scale) for v in logo))
    white = sum(region.histogram()[236:])
    # The logo is white lines on transparency: most of its box shows the navy beneath.
    assert white < 0.35 * region.width * region.height, (white, region.size)
    assert sum(region.histogram()[:80]) > 0.4 * region.width * region.height


def test_a_portrait_does_not_grow_a_short_brochure(real):
    project, _ = real("classic")
    # The dean's note is short, with a portrait photo on its cover: four pages, no blanks.
    brochure = project / "out/brochures/dean-note.pdf"
    assert pdftools.page_count(brochure) == 4
    assert pdftools.text(brochure, 2).strip(), "page 2 holds the message"
    photos = [row for row in images(brochure) if row["type"] == "image"
              and row["width"] == "2000"]
    assert len(photos) == 1 and photos[0]["page"] == "1"


def test_the_booklet_sets_the_portrait_beside_the_heading(real):
    project, result = real("classic")
    booklet = result.booklet.path
    text = pdftools.text(booklet)
    found = [row for row in images(booklet) if row["width"] == "2000" and row["type"] == "image"]
    # Each message's picture once in the booklet (no cover per message there).
    assert len(found) == 2, found
    assert not re.search(r"\*\*|\[\^|\]\(", text)


def test_a_pdf_logo_prints_as_vector_artwork_in_its_own_colours(real, tmp_path):
    project, result = real("classic")
    booklet = result.booklet.path
    # The organiser's logo (a one-page PDF) on the booklet's cover and back: no picture there,
    # the logo's own drawing, in its own CMYK gold, inside a form.
    cover_images = [row for row in images(booklet) if row["page"] in ("1", "12")]
    assert cover_images == [], cover_images
    text = pdftools.qdf(booklet, tmp_path / "booklet-qdf.pdf")
    assert "0.12 0.32 0.78 0.08 k" in text and "/Subtype /Form" in text
    cover = rendered(booklet, 100 / 72).convert("RGB")
    pixels = cover.tobytes()
    gold = sum(1 for i in range(0, len(pixels), 3)
               if pixels[i] > 170 and 120 < pixels[i + 1] < 200 and pixels[i + 2] < 110)
    assert gold > 50, "the logo's gold triangle is drawn"
