"""What a reader and a print shop get: words, pages, contents, bookmarks, boxes, fonts, PDF/X."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pypdfium2
import pytest
from pypdf import PdfReader

from publisher.press.finishing import DEFAULT_PROFILE

from . import pdftools

SEEDS = Path(__file__).parent / "seeds"
MM = 72 / 25.4
A5 = (148 * MM, 210 * MM)
BLEED = 3 * MM
SLUG = 10 * MM
MARGIN_TOP, MARGIN_BOTTOM = 19 * MM, 21 * MM  # layouts/classic/theme.yaml


def words(text: str) -> list[str]:
    """Words for comparison: quotes unified, line-end hyphenation undone, case folded."""
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    text = text.replace("\u2010", "-")  # WeasyPrint's hyphen at line breaks
    text = re.sub(r"(\w)-\s*\n\s*(\w)", r"\1\2", text)  # hyphenated across lines
    text = text.replace("-", "")
    return [word.lower() for word in re.findall(r"[\w']+", text)]


def is_subsequence(needle: list[str], haystack: list[str]) -> bool:
    items = iter(haystack)
    return all(word in items for word in needle)


def text_block(pdf: Path) -> str:
    """The text inside the margins of every page: no running heads, no folios."""
    pages = []
    for number, boxes in enumerate(pdftools.page_boxes(pdf), 1):
        top = boxes.media[3] - boxes.trim[3] + MARGIN_TOP
        height = boxes.trim[3] - boxes.trim[1] - MARGIN_TOP - MARGIN_BOTTOM
        pages.append(pdftools.text(pdf, number, crop=(0, top, boxes.media[2] - boxes.media[0],
                                                      height)))
    return "\n".join(pages)


@pytest.mark.parametrize("slug", ["bjut-leadership", "ustb-chancellor-president"])
def test_every_seed_word_is_printed(slug, booklet, built):
    seed = (SEEDS / f"{slug}.txt").read_text()
    brochure = built[0] / "out" / "brochures" / f"{slug}.pdf"
    for pdf in (brochure, booklet):
        printed = words(text_block(pdf))
        missing = Counter(words(seed)) - Counter(printed)
        assert not missing, f"{pdf.name} lacks {dict(missing)}"
        # Paragraphs keep their word order.
        for paragraph in seed.split("\n\n"):
            if len(paragraph.split()) > 30:
                assert is_subsequence(words(paragraph), printed), paragraph[:60]


def test_page_counts_fold(all_pdfs):
    for pdf in all_pdfs:
        assert pdftools.page_count(pdf) % 4 == 0, pdf.name


def contents_entries(booklet: Path) -> dict[str, int]:
    """Message title → the number the contents page prints for it."""
    reader = PdfReader(booklet)
    titles = [item.title.split(": ", 1)[1] for item in reader.outline]
    page = pdftools.text(booklet, 2, layout=True)
    assert "Contents" in page
    lines = [" ".join(line.split()) for line in page.splitlines()]
    entries = {}
    for title in titles:
        # The title may wrap; its number ends the line where the entry's last words stand.
        last_words = " ".join(title.split()[-2:])
        line = next(line for line in lines if last_words in line)
        entries[title] = int(re.search(r"(\d+)$", line)[1])
    return entries


def printed_folio(pdf: Path, page: int) -> str:
    """The text printed in the bottom margin of ``page``: its folio."""
    boxes = pdftools.page_boxes(pdf)[page - 1]
    media_top = boxes.media[3]
    # pdftotext measures from the MediaBox's top-left corner, downwards.
    y = media_top - boxes.trim[1] - MARGIN_BOTTOM
    return pdftools.text(pdf, page, crop=(0, y, boxes.media[2] - boxes.media[0],
                                         MARGIN_BOTTOM)).strip()


def test_contents_folios_labels_and_bookmarks_agree(booklet):
    reader = PdfReader(booklet)
    entries = contents_entries(booklet)
    assert len(entries) == 2
    labels = reader.page_labels
    assert labels == [str(number) for number in range(1, len(reader.pages) + 1)]
    outline = reader.outline
    assert len(outline) == len(entries)  # one bookmark per message, nothing else
    for item in outline:
        title = item.title.split(": ", 1)[1]
        number = entries[title]
        assert number % 2 == 1, f"{title} starts on a left-hand page"
        assert printed_folio(booklet, number) == str(number)
        assert labels[number - 1] == str(number)
        assert reader.get_destination_page_number(item) == number - 1
        opening = " ".join(pdftools.text(booklet, number).split())
        assert title in opening


def test_folios_are_continuous(booklet):
    """Every page that prints a folio prints its own page number."""
    count = pdftools.page_count(booklet)
    seen = 0
    for page in range(1, count + 1):
        folio = printed_folio(booklet, page)
        if folio:
            assert folio == str(page)
            seen += 1
    assert seen >= 4


def test_boxes_on_every_page(all_pdfs):
    for pdf in all_pdfs:
        for number, boxes in enumerate(pdftools.page_boxes(pdf), 1):
            x0, y0, x1, y1 = boxes.trim
            assert (x1 - x0, y1 - y0) == pytest.approx(A5, abs=0.01), (pdf.name, number)
            assert boxes.bleed == pytest.approx(
                (x0 - BLEED, y0 - BLEED, x1 + BLEED, y1 + BLEED), abs=0.01)
            # Crop marks live in a slug outside the bleed.
            assert boxes.media == pytest.approx(
                (x0 - BLEED - SLUG, y0 - BLEED - SLUG, x1 + BLEED + SLUG, y1 + BLEED + SLUG),
                abs=0.01)


def test_fonts_embedded_subset_and_from_the_layout(all_pdfs):
    for pdf in all_pdfs:
        rows = pdftools.fonts(pdf)
        assert rows
        for row in rows:
            assert (row["emb"], row["sub"], row["uni"]) == ("yes", "yes", "yes"), row
            family = row["name"].split("+", 1)[1]
            # Only the layout's own typefaces: nothing borrowed from the machine.
            assert family.startswith(("EB-Garamond", "Lato")), row


def test_pdfx4_identification_and_output_intent(all_pdfs):
    profile = (Path(__file__).parent.parent / "publisher" / "press" / "profiles" / DEFAULT_PROFILE).read_bytes()
    for pdf in all_pdfs:
        assert pdftools.info(pdf)["PDF subtype"] == "PDF/X-4"
        reader = PdfReader(pdf)
        assert reader.pdf_header == "%PDF-1.6"
        intents = reader.trailer["/Root"]["/OutputIntents"]
        assert len(intents) == 1
        intent = intents[0].get_object()
        assert intent["/S"] == "/GTS_PDFX"
        assert intent["/OutputConditionIdentifier"] == "FOGRA39"
        dest = intent["/DestOutputProfile"].get_object()
        assert dest["/N"] == 4 and dest.get_data() == profile
        xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
        assert "<pdfxid:GTS_PDFXVersion>PDF/X-4</pdfxid:GTS_PDFXVersion>" in xmp
        assert "<pdf:Trapped>False</pdf:Trapped>" in xmp
        info = reader.trailer["/Info"].get_object()
        assert info["/GTS_PDFXVersion"] == "PDF/X-4"
        assert info["/Trapped"] == "/False"
        assert info["/Title"] and reader.trailer["/ID"]
        assert reader.trailer["/Root"]["/Lang"] == "en"


def test_booklet_metadata(booklet):
    meta = PdfReader(booklet).metadata
    assert meta.title == "Messages from University Leaders"
    assert meta.author == "Office of International Relations"
    assert "Forum 2026" in meta.subject


def test_colour_is_cmyk_only_and_files_are_sound(all_pdfs, tmp_path):
    for pdf in all_pdfs:
        pdftools.run("qpdf", "--check", str(pdf))
        text = pdftools.qdf(pdf, tmp_path / pdf.name)
        assert "/DeviceRGB" not in text and "/CalRGB" not in text, pdf.name
        assert not re.search(r"[\d.]+ [\d.]+ [\d.]+ (rg|RG)\s", text), pdf.name
        assert "/Annots" not in text  # PDF/X: no links inside the bleed


def test_cover_background_runs_into_the_bleed_and_marks_sit_outside_it(booklet):
    scale = 4  # pixels per point
    page = pypdfium2.PdfDocument(booklet)[0]
    image = page.render(scale=scale).to_pil().convert("RGB")
    middle = image.height // 2

    def pixel(x_pt, y_px=middle):  # x in points from the MediaBox's left edge
        return image.getpixel((int(x_pt * scale), y_px))

    assert sum(pixel(SLUG + BLEED / 2)) < 200, "the cover background should fill the bleed"
    assert pixel(SLUG / 2) == (255, 255, 255), "the slug stays paper-white"
    # The crop mark on the line of the trim's top edge runs from 6 mm to 1 mm outside the
    # bleed: it never touches the bleed, and the millimetre between stays white.
    trim_top = int((SLUG + BLEED) * scale)
    row = [sum(image.getpixel((x, trim_top))) for x in range(int(SLUG * scale))]
    dark = [x / scale for x, value in enumerate(row) if value < 300]
    assert dark, "no crop mark in the slug"
    assert max(dark) <= SLUG - 1 * MM + 0.5, "a crop mark reaches into the bleed gap"
    assert min(dark) >= SLUG - 6 * MM - 0.5
    gap = row[int((SLUG - 0.8 * MM) * scale): int((SLUG - 0.2 * MM) * scale)]
    assert all(value > 700 for value in gap)
