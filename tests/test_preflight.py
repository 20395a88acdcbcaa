"""Preflight: each faulty PDF gives exactly its finding; ours give none; other readers agree."""

from __future__ import annotations

import io
import json
import re
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
)

from publisher.preflight import MM, Options, preflight

from . import faulty, pdftools
from .test_errors import publisher

LAYOUT_FONTS = Options(fonts=("EB Garamond", "Lato"))


def has_font_for(character: str) -> bool:
    """Whether fontconfig knows a font with ``character`` (WeasyPrint would fall back to it)."""
    found = subprocess.run(["fc-list", f":charset={ord(character):x}", "family"],
                           capture_output=True, text=True).stdout
    return bool(found.strip())


def with_unembedded_font(data: bytes) -> bytes:
    """``data`` with a line of text in a font that is named but not embedded (as a word
    processor that does not embed fonts writes it)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    page = writer.pages[0]
    font = writer._add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/EBGaramond-Regular"),
        NameObject("/Encoding"): NameObject("/WinAnsiEncoding")}))
    resources = page["/Resources"].get_object()
    fonts = resources.get("/Font")
    fonts = DictionaryObject(fonts.get_object()) if fonts is not None else DictionaryObject()
    fonts[NameObject("/FX")] = font
    resources[NameObject("/Font")] = fonts
    combined = DecodedStreamObject()
    combined.set_data(page.get_contents().get_data()
                      + b"\nq 0 0 0 1 k BT /FX 11 Tf 120 300 Td (Unembedded) Tj ET Q")
    page[NameObject("/Contents")] = writer._add_object(combined)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> dict[str, Path]:
    """Name → a real PDF with one deliberate fault (``clean`` has none)."""
    folder = tmp_path_factory.mktemp("corpus")
    Image.new("CMYK", (100, 100), (0, 60, 90, 0)).save(folder / "small.jpg")
    Image.new("CMYK", (400, 400), (0, 60, 90, 0)).save(folder / "medium.jpg")
    Image.new("RGB", (600, 600), (200, 30, 40)).save(folder / "rgb.jpg")
    busy = Image.effect_noise((1200, 800), 90).convert("CMYK")
    busy.save(folder / "busy.jpg", quality=90)
    calm = Image.linear_gradient("L").resize((1200, 800)).point(lambda v: 90 + v // 8)
    calm.convert("CMYK").save(folder / "calm.jpg", quality=90)
    picture = '<p>{}</p><img src="{}" style="width: 40mm">'
    # Text laid over a 300 ppi picture (the picture behind, the text on top).
    over = ('<div style="position: relative; height: 70mm"><img src="{}" style="position: '
            'absolute; width: 100mm"><p style="position: absolute; top: 20mm; margin: 0 5mm; '
            'color: device-cmyk(0 0 0 0)">{}</p></div>')
    sources = {
        "clean": faulty.finished(faulty.render(faulty.pages(4))),
        "low-resolution image": faulty.finished(faulty.render(
            picture.format(faulty.TEXT, "small.jpg"), base=folder)),
        "medium-resolution image": faulty.finished(faulty.render(
            picture.format(faulty.TEXT, "medium.jpg"), base=folder)),
        "rgb image": faulty.finished(faulty.render(
            picture.format(faulty.TEXT, "rgb.jpg"), base=folder), convert_images=False),
        "unembedded font": faulty.finished(with_unembedded_font(
            faulty.render(f"<p>{faulty.TEXT}</p>"))),
        "no bleed": faulty.finished(faulty.render(f"<p>{faulty.TEXT}</p>", bleed="0"),
                                    bleed=0),
        "text in the trim margin": faulty.finished(faulty.render(
            f"<p>{faulty.TEXT}</p>", css="@page { margin: 20mm 20mm 20mm 1.5mm }")),
        "6-page booklet": faulty.finished(faulty.render(faulty.pages(6))),
        "chinese name": faulty.finished(faulty.render(f"<p>{faulty.TEXT} 北京</p>")),
        "symbol": faulty.finished(faulty.render(f"<p>{faulty.TEXT} \u263a</p>")),
        "text over a busy picture": faulty.finished(faulty.render(
            over.format("busy.jpg", faulty.TEXT), base=folder)),
        "text over a calm picture": faulty.finished(faulty.render(
            over.format("calm.jpg", faulty.TEXT), base=folder)),
        "text past the trim": faulty.finished(faulty.render(
            f'<p>{faulty.TEXT}</p><p style="margin-left: 110mm; white-space: nowrap">'
            "Overflowing line of text</p>")),
    }
    paths = {}
    for name, data in sources.items():
        paths[name] = folder / (name.replace(" ", "-") + ".pdf")
        paths[name].write_bytes(data)
    return paths


def findings(pdf: Path, options: Options = LAYOUT_FONTS) -> dict[str, set[str]]:
    """Check id → the severities it was reported with."""
    found: dict[str, set[str]] = {}
    for row in preflight(pdf, options).rows():
        found.setdefault(row.check, set()).add(row.severity)
    return found


def missing_glyph_check(character: str) -> str:
    # A font on this machine has it: WeasyPrint borrows that font. None has it: an empty box.
    return "fonts.fallback" if has_font_for(character) else "fonts.notdef"


@pytest.mark.parametrize("name, expected", [
    ("clean", {}),
    ("low-resolution image", {"images.resolution": {"error"}}),
    ("medium-resolution image", {"images.resolution": {"warning"}}),
    ("rgb image", {"colour.space": {"error"}}),
    ("unembedded font", {"fonts.embedded": {"error"}}),
    ("no bleed", {"boxes.bleed": {"error"}}),
    ("text in the trim margin", {"layout.safe-margin": {"error"}}),
    ("6-page booklet", {"fold.pages": {"error"}}),
    ("text past the trim", {"layout.overflow": {"error"}}),
    ("text over a busy picture", {"layout.busy-background": {"warning"}}),
    ("text over a calm picture", {}),
])
def test_each_fault_gives_exactly_its_finding(corpus, name, expected):
    assert findings(corpus[name]) == expected


@pytest.mark.parametrize("name, character", [("chinese name", "北"), ("symbol", "\u263a")])
def test_a_character_the_font_lacks_is_found(corpus, name, character):
    assert findings(corpus[name]) == {missing_glyph_check(character): {"error"}}
    row = preflight(corpus[name], LAYOUT_FONTS).rows()[0]
    assert character in row.message and row.pages == (1,)


def test_our_booklet_and_brochures_pass(all_pdfs, built):
    from publisher.build import preflight_options
    from publisher.sources.config import load_project
    from publisher.compose.layout import Layout

    project = load_project(built[0])
    options = preflight_options(project, Layout(project))
    assert set(options.fonts) == {"EB Garamond", "Lato", "Noto Serif SC", "Noto Sans SC"}
    for pdf in all_pdfs:
        assert preflight(pdf, options).rows() == [], pdf.name
    # The build ran the same checks and kept their reports.
    assert [report.path for report in built[1].reports] == [o.path for o in built[1].outputs]
    assert all(not report.findings for report in built[1].reports)


def test_weasyprint_output_is_fixed_by_publisher(tmp_path):
    """WeasyPrint as is: transparency groups in DeviceRGB (its issue #2723), crop marks inside
    the bleed, no output intent. Through publisher's renderer settings and press stage: clean."""
    body = f"<p>{faulty.TEXT}</p><p style='opacity: 0.8'>{faulty.TEXT}</p>"
    (tmp_path / "raw.pdf").write_bytes(
        faulty.render(body, css="@page { marks: crop }", output_intent=None))
    messages: dict[str, str] = {}
    for row in preflight(tmp_path / "raw.pdf", LAYOUT_FONTS).rows():
        messages[row.check] = messages.get(row.check, "") + row.message + "\n"
    assert "transparency group in DeviceRGB" in messages["colour.space"]
    assert "layout.in-bleed" in messages
    assert {"pdfx.output-intent", "pdfx.identification"} <= set(messages)
    raw_boxes = pdftools.page_boxes(tmp_path / "raw.pdf")[0]
    assert raw_boxes.bleed == raw_boxes.media  # WeasyPrint: no slug, marks in the bleed

    (tmp_path / "fixed.pdf").write_bytes(faulty.finished(faulty.render(body)))
    assert preflight(tmp_path / "fixed.pdf", LAYOUT_FONTS).rows() == []
    boxes = pdftools.page_boxes(tmp_path / "fixed.pdf")[0]
    trim, bleed, media = boxes.trim, boxes.bleed, boxes.media
    assert bleed == pytest.approx((trim[0] - 3 * MM, trim[1] - 3 * MM,
                                   trim[2] + 3 * MM, trim[3] + 3 * MM), abs=0.01)
    assert media == pytest.approx((bleed[0] - 10 * MM, bleed[1] - 10 * MM,
                                   bleed[2] + 10 * MM, bleed[3] + 10 * MM), abs=0.01)
    # X-1a allows no transparency at all: the same file fails that target.
    x1a = {row.check for row in preflight(tmp_path / "fixed.pdf",
                                           Options(target="pdf/x-1a")).rows()}
    assert "colour.transparency" in x1a


def test_page_groups_are_made_cmyk(tmp_path):
    """A page-level transparency group in DeviceRGB (as WeasyPrint writes in RGB mode) is
    turned into DeviceCMYK by the press stage."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(faulty.render(f"<p>{faulty.TEXT}</p>"))))
    writer.pages[0][NameObject("/Group")] = DictionaryObject({
        NameObject("/Type"): NameObject("/Group"), NameObject("/S"): NameObject("/Transparency"),
        NameObject("/CS"): NameObject("/DeviceRGB")})
    buffer = io.BytesIO()
    writer.write(buffer)
    (tmp_path / "group.pdf").write_bytes(buffer.getvalue())
    rows = preflight(tmp_path / "group.pdf", LAYOUT_FONTS).rows()
    assert any(row.message.startswith("page transparency group in DeviceRGB") for row in rows)
    (tmp_path / "fixed.pdf").write_bytes(faulty.finished(buffer.getvalue()))
    assert PdfReader(tmp_path / "fixed.pdf").pages[0]["/Group"]["/CS"] == "/DeviceCMYK"
    assert preflight(tmp_path / "fixed.pdf", LAYOUT_FONTS).rows() == []


def test_pdfx1a_target(booklet):
    """Our booklet is all CMYK without transparency, but it says PDF/X-4, not X-1a, and it
    is PDF 1.6 (X-1a allows 1.4)."""
    found = preflight(booklet, Options(target="pdf/x-1a")).rows()
    assert sorted(row.check for row in found) == ["file.version"] + ["pdfx.identification"] * 2


def test_icc_based_rgb_is_allowed_in_x4_and_refused_in_x1a(tmp_path):
    from PIL import ImageCms

    Image.new("RGB", (600, 600), (20, 120, 200)).save(tmp_path / "blue.jpg")
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(faulty.render(
        '<img src="blue.jpg" style="width: 40mm">', base=tmp_path))))
    srgb = DecodedStreamObject()
    srgb.set_data(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    srgb[NameObject("/N")] = NumberObject(3)
    space = ArrayObject([NameObject("/ICCBased"), writer._add_object(srgb)])
    for image in writer.pages[0]["/Resources"]["/XObject"].values():
        if image.get_object()["/Subtype"] == "/Image":
            image.get_object()[NameObject("/ColorSpace")] = space
    buffer = io.BytesIO()
    writer.write(buffer)
    (tmp_path / "icc.pdf").write_bytes(faulty.finished(buffer.getvalue()))
    assert findings(tmp_path / "icc.pdf") == {}
    x1a = preflight(tmp_path / "icc.pdf", Options(target="pdf/x-1a")).rows()
    assert any(row.check == "colour.space" and "ICC-based RGB" in row.message for row in x1a)


# -- agreement with independent readers ---------------------------------------------------

def test_boxes_agree_with_pdfinfo(corpus, all_pdfs):
    from publisher.preflight.document import Document

    for pdf in [*all_pdfs, corpus["no bleed"], corpus["clean"]]:
        ours = Document(pdf)
        for page, theirs in zip(ours.pages, pdftools.page_boxes(pdf), strict=True):
            assert page.trim == pytest.approx(theirs.trim, abs=0.01)
            assert page.bleed == pytest.approx(theirs.bleed, abs=0.01)
            assert page.media == pytest.approx(theirs.media, abs=0.01)
    # pdfinfo too sees no bleed where we report none.
    boxes = pdftools.page_boxes(corpus["no bleed"])[0]
    assert boxes.bleed == boxes.trim


def test_embedding_agrees_with_pdffonts(corpus):
    rows = pdftools.fonts(corpus["unembedded font"])
    not_embedded = [row["name"] for row in rows if row["emb"] == "no"]
    assert not_embedded == ["EBGaramond-Regular"]
    row = preflight(corpus["unembedded font"], LAYOUT_FONTS).rows()[0]
    assert row.message == "font EBGaramond-Regular is not embedded"
    for name in ("clean", "chinese name"):
        assert all(row["emb"] == "yes" for row in pdftools.fonts(corpus[name]))


def test_images_agree_with_pdfimages(corpus):
    for name in ("low-resolution image", "medium-resolution image", "rgb image"):
        lines = pdftools.run("pdfimages", "-list", str(corpus[name])).splitlines()[2:]
        # page num type width height color comp bpc enc interp object ID x-ppi y-ppi ...
        (row,) = [line.split() for line in lines if line.split()[2] == "image"]
        colour, x_ppi = row[5], int(row[12])
        reported = {r.check: r.message for r in preflight(corpus[name], LAYOUT_FONTS).rows()}
        if "images.resolution" in reported:
            ppi = int(re.search(r"at (\d+) ppi", reported["images.resolution"])[1])
            assert abs(ppi - x_ppi) <= 1, (name, ppi, x_ppi)
        else:
            assert x_ppi >= 300
        assert (colour == "rgb") == ("colour.space" in reported), (name, colour)


# -- the command line ---------------------------------------------------------------------

def test_check_command_table_json_and_exit_status(corpus, tmp_path):
    clean, faulty_pdf = corpus["clean"], corpus["low-resolution image"]
    result = publisher("check", str(clean), cwd=tmp_path)
    assert result.returncode == 0 and "no findings" in result.stdout
    result = publisher("check", str(clean), str(faulty_pdf), cwd=tmp_path)
    assert result.returncode == 1
    assert "images.resolution" in result.stdout and "use a larger original" in result.stdout
    assert "1 error" in result.stdout and "Traceback" not in result.stderr

    result = publisher("check", "--json", str(faulty_pdf), str(corpus["medium-resolution image"]),
                       cwd=tmp_path)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["version"] == 3 and report["errors"] == 1 and report["warnings"] == 1
    first = report["files"][0]
    assert first["file"] == str(faulty_pdf) and first["pages"] == 1
    assert first["findings"] == [{
        "severity": "error", "check": "images.resolution", "pages": [1],
        "message": first["findings"][0]["message"], "fix": first["findings"][0]["fix"]}]
    # Warnings alone do not fail.
    assert publisher("check", str(corpus["medium-resolution image"]),
                     cwd=tmp_path).returncode == 0


def test_check_options(corpus, tmp_path, built):
    booklet = str(built[0] / "out" / "booklet.pdf")
    assert publisher("check", "--no-fold", str(corpus["6-page booklet"]),
                     cwd=tmp_path).returncode == 0
    result = publisher("check", "--safe-margin", "1mm", str(corpus["text in the trim margin"]),
                       cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    # Fonts are checked against a project's layout, or against named families.
    assert publisher("check", "--project", str(built[0]), booklet, cwd=tmp_path).returncode == 0
    result = publisher("check", "--font", "Lato", booklet, cwd=tmp_path)
    assert result.returncode == 1 and "EB-Garamond" in result.stdout
    result = publisher("check", "--min-bleed", "5mm", booklet, cwd=tmp_path)
    assert result.returncode == 1 and "boxes.bleed" in result.stdout


def test_check_on_something_that_is_not_a_pdf(tmp_path):
    (tmp_path / "notes.pdf").write_text("these are notes, not a PDF")
    result = publisher("check", "notes.pdf", cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "file.unreadable" in result.stdout and "not a readable PDF" in result.stdout
    result = publisher("check", "missing.pdf", cwd=tmp_path)
    assert result.returncode == 2 and "does not exist" in result.stderr


def test_build_reports_preflight_errors_and_exits_1(tmp_path):
    from .conftest import copy_project

    project = copy_project(tmp_path / "p")
    (project / "content/images").mkdir()
    Image.new("RGB", (120, 80), (30, 90, 160)).save(project / "content/images/logo.png")
    message = project / "content/messages/bjut-leadership.md"
    message.write_text(message.read_text().replace(
        "language: en\n", "language: en\nimage: ../images/logo.png\nimage_alt: \"\"\n", 1))
    result = publisher("build", cwd=project)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "images.resolution" in result.stdout and "not ready for print" in result.stdout
    # The finding names the picture's file (a table cell may wrap: read it as one line).
    table = " ".join(result.stdout.replace("│", " ").split())
    assert "picture content/images/logo.png (120×80 px) printed at" in table
    assert (project / "out/booklet.pdf").exists()  # written, so staff can look at it
    result = publisher("build", "--no-check", "-q", cwd=project)
    assert result.returncode == 0 and result.stdout == ""


def test_content_stream_reader_agrees_with_pypdf(booklet):
    from pypdf.generic import ContentStream

    from publisher.preflight.content import Name, parse

    reader = PdfReader(booklet)
    for page in reader.pages:
        ours = parse(page.get_contents().get_data())
        theirs = ContentStream(page.get_contents(), reader).operations
        assert [op for op, _ in ours] == [op for _, op in theirs]
    data = (rb"BT /F1 9.5 Tf [(a\(b\)) -20 <0041 42> (\101\n(nested)\\)] TJ ET "
            rb"/Cs1 cs 0.5 .25 -1 +2 sc BI /W 2 /H 1 /CS /RGB /BPC 8 ID " + bytes(range(6))
            + b" EI Q % comment\n1 0 0 RG")
    assert parse(data) == [
        (b"BT", []), (b"Tf", [Name("/F1"), 9.5]),
        (b"TJ", [[b"a(b)", -20, b"\x00AB", b"A\n(nested)\\"]]), (b"ET", []),
        (b"cs", [Name("/Cs1")]), (b"sc", [0.5, 0.25, -1, 2]),
        (b"BI", [{"/W": 2, "/H": 1, "/CS": "/RGB", "/BPC": 8}]), (b"Q", []),
        (b"RG", [1, 0, 0])]
