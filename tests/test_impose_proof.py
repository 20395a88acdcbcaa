"""Imposition folds into pages 1..N; proofs show every page and reader spreads."""

from __future__ import annotations

import re

import pytest
from PIL import Image

from publisher.press.impose import impose, sheet_order
from publisher.preflight import MM, Options, preflight
from publisher.press.proof import proof, reader_spreads

from . import faulty, pdftools
from .test_errors import publisher

A5 = (148 * MM, 210 * MM)
A3 = (420 * MM, 297 * MM)


@pytest.fixture(scope="session")
def numbered(tmp_path_factory):
    """Print-ready A5 booklets of 8, 12 and 16 pages, each page showing 'Page N'."""
    folder = tmp_path_factory.mktemp("numbered")
    paths = {}
    for count in (8, 12, 16):
        paths[count] = folder / f"booklet-{count}.pdf"
        paths[count].write_bytes(faulty.finished(faulty.render(faulty.pages(count))))
        assert pdftools.page_count(paths[count]) == count
    return paths


def page_numbers_on_sheet(pdf, number: int) -> tuple[int | None, int | None]:
    """The page numbers printed on the left and right half of an imposed sheet side."""
    (boxes,) = pdftools.page_boxes(pdf)[number - 1:number]
    width, height = boxes.media[2], boxes.media[3]
    found = []
    for x in (0, width / 2):
        text = pdftools.text(pdf, number, crop=(x, 0, width / 2, height))
        match = re.search(r"Page (\d+)", text)
        found.append(int(match[1]) if match else None)
    return found[0], found[1]


def fold(sides: list[tuple]) -> list:
    """The reading order of printed sheet sides (front, back, front, back …) once the sheets
    are stacked in order, folded together and opened page by page: outermost sheet first."""
    sheets = [(sides[i], sides[i + 1]) for i in range(0, len(sides), 2)]
    # Going in: each sheet's front right, then (turning it) its back left.
    first_half = [page for front, back in sheets for page in (front[1], back[0])]
    # Past the centre spread: back right, then front left, coming back out.
    second_half = [page for front, back in reversed(sheets) for page in (back[1], front[0])]
    return first_half + second_half


@pytest.mark.parametrize("count", [8, 12, 16])
def test_folding_the_imposed_sheets_reads_1_to_n(numbered, tmp_path, count):
    target = tmp_path / "imposed.pdf"
    result = impose(numbered[count], target)
    assert (result.sheet, result.sheets, result.blanks) == ("A3", count // 4, 0)
    sides = [page_numbers_on_sheet(target, n) for n in range(1, count // 2 + 1)]
    assert fold(sides) == list(range(1, count + 1))
    assert sides == sheet_order(count)

    # Sheets: A3 landscape, the spread's trim centred, bleed kept, marks outside the bleed.
    for boxes in pdftools.page_boxes(target):
        assert boxes.media[2:] == pytest.approx(A3, abs=0.05)
        trim = boxes.trim
        assert (trim[2] - trim[0], trim[3] - trim[1]) == pytest.approx(
            (2 * A5[0], A5[1]), abs=0.05)
        assert (trim[0] + trim[2]) / 2 == pytest.approx(A3[0] / 2, abs=0.05)
        assert boxes.bleed[0] == pytest.approx(trim[0] - 3 * MM, abs=0.05)
    assert preflight(target, Options(fold=False, fonts=("EB Garamond",))).rows() == []


def test_creep_moves_inner_sheets_towards_the_spine(numbered, tmp_path):
    target = tmp_path / "creep.pdf"
    impose(numbered[16], target, creep=1 * MM)

    def left_edge_of(word: str, page: int) -> float:
        xml = pdftools.run("pdftotext", "-bbox", "-f", str(page), "-l", str(page),
                           str(target), "-")
        return float(re.search(rf'xMin="([\d.]+)"[^>]*>{word}<', xml)[1])

    # Front sides of sheets 0 and 3 (the innermost): pages 1 and 7 sit right of the spine.
    assert sheet_order(16)[0] == (16, 1) and sheet_order(16)[6] == (10, 7)
    outer = left_edge_of("1", 1)
    inner = left_edge_of("7", 7)
    assert outer - inner == pytest.approx(3 * MM, abs=0.2)  # three sheets in, 1 mm each
    # The shifted pages keep their bleed and nothing of their own marks shows.
    assert preflight(target, Options(fold=False)).rows() == []


def test_a5_on_a4_for_the_office_printer(numbered, tmp_path):
    result = publisher("impose", str(numbered[8]), "--out", "a4.pdf", "--sheet", "A4",
                       cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "too small for bleed" in result.stdout and "flipping on the short edge" in result.stdout
    boxes = pdftools.page_boxes(tmp_path / "a4.pdf")[0]
    assert boxes.media[2:] == pytest.approx((297 * MM, 210 * MM), abs=0.05)
    assert boxes.bleed == boxes.trim
    sides = [page_numbers_on_sheet(tmp_path / "a4.pdf", n) for n in range(1, 5)]
    assert fold(sides) == list(range(1, 9))


def test_pages_not_in_fours_get_blanks_and_too_small_sheets_are_refused(tmp_path):
    six = tmp_path / "six.pdf"
    six.write_bytes(faulty.finished(faulty.render(faulty.pages(6))))
    result = publisher("impose", str(six), "--out", "six-imposed.pdf", cwd=tmp_path)
    assert result.returncode == 0 and "added 2 blank pages" in result.stdout
    sides = [page_numbers_on_sheet(tmp_path / "six-imposed.pdf", n) for n in range(1, 5)]
    assert fold(sides) == [1, 2, 3, 4, 5, 6, None, None]

    a4_pages = tmp_path / "a4-pages.pdf"
    a4_pages.write_bytes(faulty.finished(faulty.render(
        faulty.pages(4), css="@page { size: A4 }")))
    result = publisher("impose", str(a4_pages), "--out", "x.pdf", "--sheet", "A4", cwd=tmp_path)
    assert result.returncode == 1 and "do not fit on A4" in result.stderr
    # The fix names only sheets the pages fit on.
    offered = [name.strip() for name in result.stderr.split("fit on:")[1].split(",")]
    assert "A3" in offered and "A4" not in offered, offered
    assert "Traceback" not in result.stderr and not (tmp_path / "x.pdf").exists()
    assert impose(a4_pages, tmp_path / "sra3.pdf").sheet == "SRA3"


def test_proof_pages_and_contact_sheet(booklet, tmp_path):
    (tmp_path / "page-99.png").write_bytes(b"stale")
    result = proof(booklet, tmp_path, dpi=50)
    assert [path.name for path in result.pages] == [f"page-{n:02d}.png" for n in range(1, 9)]
    assert not (tmp_path / "page-99.png").exists()
    cover = Image.open(result.pages[0])
    # Cut at the trim: A5 at 50 ppi.
    assert cover.size == (round(148 / 25.4 * 50), round(210 / 25.4 * 50))
    red, green, blue = cover.getpixel((cover.width // 2, cover.height // 8))
    assert blue > red and blue > 60 and red < 60  # the navy cover

    assert reader_spreads(8) == [(None, 1), (2, 3), (4, 5), (6, 7), (8, None)]
    (sheet,) = result.contact_sheets
    image = Image.open(sheet).convert("RGB")
    # Two rows of spreads; the cover stands alone on the right of the first one.
    from publisher.press.proof import GAP, LABEL, THUMB_HEIGHT

    assert image.height == GAP + 2 * (THUMB_HEIGHT + LABEL + GAP)
    page_width = round(cover.width * THUMB_HEIGHT / cover.height)
    y = GAP + THUMB_HEIGHT // 8
    assert image.getpixel((GAP + page_width // 2, y)) == (214, 216, 220)   # no page 0
    assert image.getpixel((GAP + page_width + page_width // 2, y))[2] > 60  # navy cover


def test_proof_command(brochures, tmp_path):
    result = publisher("proof", str(brochures[0]), "--out", "proofs", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "wrote 4 page images and 1 contact sheet" in result.stdout
    assert sorted(p.name for p in (tmp_path / "proofs").iterdir()) == [
        "contact-1.png", "page-01.png", "page-02.png", "page-03.png", "page-04.png"]
