"""The screen edition: tagged PDF/UA-1 files beside the print files, from the same laid-out
pages, checked by an independent validator (page-validation) and read back by poppler."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.generic import ContentStream

from publisher.build import build
from publisher.errors import PublisherError

from . import pdftools
from .conftest import copy_project
from .test_layouts import edit

LAYOUTS = ["classic", "modern", "trifold", "letter"]


def screen_files(project: Path) -> list[Path]:
    return sorted((project / "out/screen").rglob("*.pdf"))


VALIDATE = """
import json, sys, page
report = page.validate_pdf(sys.argv[1], profile="ua1")
print(json.dumps([[f.rule_id, f.message] for f in report.failures]))
"""


def validate(pdf: Path) -> list[list[str]]:
    """page-validation's PDF/UA-1 failures, run in a process of its own: its thread pool must
    not be inherited by the render workers later tests fork from this one."""
    done = subprocess.run([sys.executable, "-c", VALIDATE, str(pdf)], capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout)


def structure(pdf: Path) -> list[tuple[int, str, dict]]:
    """The structure tree in reading order: (depth, type, entries such as Alt and Lang)."""
    reader = PdfReader(pdf)
    found = []

    def walk(element, depth):
        element = element.get_object()
        found.append((depth, str(element.get("/S", "")),
                      {key: str(element[key]) for key in ("/Alt", "/Lang", "/ActualText")
                       if key in element}))
        kids = element.get("/K")
        if kids is None:
            return
        kids = kids.get_object()
        for kid in kids if isinstance(kids, list) else [kids]:
            if hasattr(kid, "idnum") and "/S" in kid.get_object():
                walk(kid, depth + 1)

    walk(reader.trailer["/Root"]["/StructTreeRoot"]["/K"][0], 0)
    return found


def words(pdf: Path) -> list[str]:
    return pdftools.text(pdf).split()


# -- every layout, with photos, logos, a table, footnotes ---------------------------------------

@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_screen_file_passes_pdf_ua_1_with_an_independent_validator(layout, real):
    project, result = real(layout)
    files = screen_files(project)
    assert {path.relative_to(project / "out").as_posix() for path in files} == {
        "screen/booklet.pdf", "screen/brochures/president-welcome.pdf",
        "screen/brochures/dean-note.pdf", "screen/brochures/bjut-leadership.pdf",
        "screen/brochures/ustb-chancellor-president.pdf"}
    assert {output.path for output in result.screen_brochures} | {
        result.screen_booklet.path} == set(files)
    for pdf in files:
        assert validate(pdf) == [], pdf
        info = pdftools.run("pdfinfo", str(pdf))
        assert re.search(r"^Tagged:\s+yes", info, re.M), pdf
        subprocess.run(["qpdf", "--check", str(pdf)], check=True, capture_output=True)
    # The build checked them too, with the same validator, and said so.
    screen_reports = [report for report in result.reports if report.target == "pdf/ua-1"]
    assert len(screen_reports) == len(files)
    assert all(report.errors == 0 for report in screen_reports)


def test_screen_pages_are_the_trim_in_srgb_with_pictures_for_screens(real):
    project, _ = real("classic")
    printed = project / "out/brochures/president-welcome.pdf"
    screen = project / "out/screen/brochures/president-welcome.pdf"
    print_trim = [boxes.trim for boxes in pdftools.page_boxes(printed)]
    for boxes, trim in zip(pdftools.page_boxes(screen), print_trim, strict=True):
        assert boxes.media == boxes.trim == boxes.crop  # no bleed, no marks, no slug
        width = boxes.media[2] - boxes.media[0]
        assert width == pytest.approx(trim[2] - trim[0], abs=0.01)
    # Colour: no CMYK anywhere, in the pictures or in the page's own drawing.
    rows = pdftools.run("pdfimages", "-list", str(screen)).splitlines()[2:]
    assert rows
    for row in rows:
        kind, colour, ppi = row.split()[2], row.split()[5], float(row.split()[12])
        assert colour in ("rgb", "gray"), row
        if kind == "image":
            assert ppi <= 160, row  # downsampled to 150 ppi where placed
    reader = PdfReader(screen)
    for number, pdf_page in enumerate(reader.pages, 1):
        operations = ContentStream(pdf_page["/Contents"].get_object(), reader).operations
        operators = {operator for _, operator in operations}
        assert not operators & {b"k", b"K"}, number
        assert all(operands[:1] != ["/DeviceCMYK"] for operands, operator in operations
                   if operator in (b"cs", b"CS")), number
    assert screen.stat().st_size < printed.stat().st_size / 4  # small enough to e-mail


def test_pictures_carry_their_alt_text_and_decoration_is_an_artifact(real):
    project, _ = real("classic")
    tree = structure(project / "out/screen/brochures/president-welcome.pdf")
    figures = [entries.get("/Alt") for _, kind, entries in tree if kind == "/Figure"]
    assert "President Łukasz Nowak, in a dark suit, in front of the main building" in figures
    assert "The new Library and Learning Centre, opened in spring 2026" in figures
    assert "Logo of Northbridge University of Technology" in figures
    assert "Signature of Łukasz Nowak" in figures
    assert all(figures), figures  # no figure without a description
    kinds = [kind for _, kind, _ in tree]
    for expected in ("/H1", "/H2", "/P", "/Table", "/TH", "/TD", "/L", "/LI", "/BlockQuote"):
        assert expected in kinds, expected


def test_the_same_words_in_both_editions(real, built):
    for project in (real("classic")[0], real("trifold")[0], built[0]):
        out = project / "out"
        for printed in [out / "booklet.pdf", *sorted((out / "brochures").glob("*.pdf"))]:
            screen = out / "screen" / printed.relative_to(out)
            assert words(printed) == words(screen), printed
    # Letter-spaced labels read as words (ActualText), in print and on screen alike.
    text = " ".join(words(built[0] / "out/screen/booklet.pdf"))
    assert "BEIJING PARTNER UNIVERSITIES FORUM 2026" in text
    assert "B E I J I N G" not in " ".join(words(built[0] / "out/booklet.pdf"))


def test_running_heads_and_folios_are_artifacts_and_reading_order_is_the_text(built):
    project, _ = built
    screen = project / "out/screen/booklet.pdf"
    reader = PdfReader(screen)
    tagged = []
    for number, pdf_page in enumerate(reader.pages):
        operations = ContentStream(pdf_page["/Contents"].get_object(), reader).operations
        artifacts = sum(1 for operands, operator in operations
                        if operator == b"BMC" and operands == ["/Artifact"])
        tagged.append(artifacts)
    starts = [int(folio) for folio in re.findall(r"\s(\d+)\n", pdftools.text(
        screen, 2, 2, layout=True))]
    assert starts and all(tagged[folio - 1] > 0 for folio in starts)  # the folios at least
    # The running head "BEIJING UNIVERSITY OF TECHNOLOGY" is no paragraph of the text: the
    # tree's text starts with the heading, as a screen reader reads it.
    paragraphs = [kind for _, kind, _ in structure(screen)]
    assert paragraphs.count("/H1") + paragraphs.count("/H2") >= 2


def test_links_contents_to_pages_and_urls_clickable(built, tmp_path):
    project, _ = built
    reader = PdfReader(project / "out/screen/booklet.pdf")
    assert reader.page_labels[:4] == ["1", "2", "3", "4"]
    assert [item.title for item in reader.outline][0].startswith("Beijing University")
    targets = set()
    for pdf_page in reader.pages[:2]:
        for annotation in pdf_page.get("/Annots", []):
            annotation = annotation.get_object()
            assert annotation["/Subtype"] == "/Link"
            destination = reader.named_destinations[str(annotation["/Dest"])]
            targets.add(reader.get_page_number(destination.page) + 1)
    folios = [int(n) for n in re.findall(r"\s(\d+)\n", pdftools.text(
        project / "out/screen/booklet.pdf", 2, 2, layout=True))]
    assert targets == set(folios) and targets  # each entry leads to the page it names
    assert "/Annots" not in PdfReader(project / "out/booklet.pdf").pages[1]  # print: none

    # A URL in the text is a live link on screen, printed as text with its address.
    linked = copy_project(tmp_path / "linked")
    message = linked / "content/messages/bjut-leadership.md"
    edit(message, "Founded in 1960", "Founded in 1960 ([our history](https://www.bjut.edu.cn/))")
    build(linked, editions=("screen", "print"))
    screen = PdfReader(linked / "out/screen/brochures/bjut-leadership.pdf")
    uris = [annotation.get_object()["/A"]["/URI"] for pdf_page in screen.pages
            for annotation in pdf_page.get("/Annots", [])
            if "/A" in annotation.get_object()]
    assert set(uris) == {"https://www.bjut.edu.cn/"}  # one per line the link text spans
    assert "our history (https://www.bjut.edu.cn/)" in " ".join(
        words(linked / "out/brochures/bjut-leadership.pdf"))
    assert validate(linked / "out/screen/brochures/bjut-leadership.pdf") == []


def test_title_language_and_other_languages(built, tmp_path):
    project, _ = built
    screen = project / "out/screen/brochures/bjut-leadership.pdf"
    info = pdftools.run("pdfinfo", str(screen))
    assert re.search(r"^Title:\s+Message from the Leadership — Beijing University", info, re.M)
    root = PdfReader(screen).trailer["/Root"]
    assert root["/Lang"] == "en" and root["/ViewerPreferences"]["/DisplayDocTitle"]

    named = copy_project(tmp_path / "named")
    edit(named / "content/messages/bjut-leadership.md", "Founded in 1960",
         "Founded in 1960 under [吴桂龙]{lang=zh}")
    build(named, editions=("screen",))
    tree = structure(named / "out/screen/brochures/bjut-leadership.pdf")
    assert any(entries.get("/Lang") == "zh" for _, _, entries in tree)
    assert not (named / "out/booklet.pdf").exists()  # only the edition asked for


def test_a_picture_without_alt_text_is_an_error_naming_file_and_line(tmp_path):
    project = copy_project(tmp_path / "project")
    images = project / "content/images"
    images.mkdir()
    from .realistic import photo

    photo(images / "campus.jpg", (800, 600))
    message = project / "content/messages/bjut-leadership.md"
    edit(message, "Founded in 1960", "\n![](../images/campus.jpg)\n\nFounded in 1960")
    line = message.read_text().splitlines().index("![](../images/campus.jpg)") + 1
    with pytest.raises(PublisherError) as caught:
        build(project)
    assert caught.value.path == message and caught.value.line == line
    assert "no alt text" in caught.value.message and "{.decorative}" in caught.value.fix
    build(project, editions=("print",))  # the print edition needs none

    edit(message, "![](../images/campus.jpg)", "![](../images/campus.jpg){.decorative}")
    result = build(project)
    assert all(report.errors == 0 for report in result.reports)
    tree = structure(project / "out/screen/brochures/bjut-leadership.pdf")
    assert not [kind for _, kind, _ in tree if kind == "/Figure"]  # an artifact, not a figure

    # A front-matter picture: image_alt, and "" for decoration.
    edit(message, "institution:", "image: ../images/campus.jpg\ninstitution:")
    with pytest.raises(PublisherError, match="image_alt"):
        build(project)
    edit(message, "image: ../images/campus.jpg", 'image: ../images/campus.jpg\nimage_alt: ""')
    build(project)


def test_check_target_pdf_ua_1_reports_in_our_format(built, tmp_path):
    project, _ = built
    screen = project / "out/screen/booklet.pdf"
    command = [sys.executable, "-m", "publisher", "check", "--target", "pdf/ua-1", "--json"]
    done = subprocess.run([*command, str(screen)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["version"] == 3 and report["target"] == "pdf/ua-1"
    assert report["files"][0]["findings"] == []
    # The print file is no screen file: untagged, so it fails, with the validator's rule.
    done = subprocess.run([*command, str(project / "out/booklet.pdf")], capture_output=True,
                          text=True)
    assert done.returncode == 1
    codes = {row["check"] for row in json.loads(done.stdout)["files"][0]["findings"]}
    assert any(code.startswith("ua.PDFUA1-") for code in codes), codes
    plain = subprocess.run([sys.executable, "-m", "publisher", "check", "--target", "pdf/ua-1",
                            str(screen)], capture_output=True, text=True)
    assert "ready for screen" in plain.stdout and "not ready" not in plain.stdout


def test_a_booklet_with_a_thousand_bookmarks_is_validated(built, tmp_path):
    """A booklet of many messages has a long chain of bookmarks (each refers to the next):
    the validator follows it to the end, instead of calling the file unreadable."""
    from pypdf import PdfWriter

    from publisher.preflight import Options, preflight

    writer = PdfWriter(clone_from=built[0] / "out/screen/booklet.pdf")
    for number in range(1000):
        writer.add_outline_item(title=f"Message {number}", page_number=number % len(writer.pages))
    long = tmp_path / "long.pdf"
    with long.open("wb") as file:
        writer.write(file)
    report = preflight(long, Options(target="pdf/ua-1"))
    assert [row.check for row in report.rows()] == []
