"""``publisher import`` on Word documents made here with python-docx: text, bold and italic,
lists, a table, footnotes and a picture are kept; title, institution and signatories are
guessed or marked TODO; nothing is ever overwritten; the result builds."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from docx import Document
from docx.shared import Cm
from PIL import Image

from publisher.build import build

from . import pdftools
from .conftest import copy_project
from .test_errors import fails_cleanly, publisher


def picture_bytes() -> bytes:
    image = Image.new("RGB", (1800, 1200), (40, 90, 140))
    for x in range(0, 1800, 60):
        image.paste((200, 160, 60), (x, 0, x + 20, 1200))
    data = io.BytesIO()
    image.save(data, "JPEG", quality=90)
    return data.getvalue()


def add_footnote(document, paragraph, number: int, text: str) -> None:
    """A real Word footnote (python-docx has no API for it): the reference run in the text and
    the note in footnotes.xml, added when the file is saved (see :func:`save_with_notes`)."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    run = parse_xml(f'<w:r {nsdecls("w")}><w:rPr><w:vertAlign w:val="superscript"/></w:rPr>'
                    f'<w:footnoteReference w:id="{number}"/></w:r>')
    paragraph._p.append(run)
    document._notes = getattr(document, "_notes", []) + [(number, text)]


def save_with_notes(document, path) -> None:
    document.save(path)
    notes = getattr(document, "_notes", [])
    if not notes:
        return
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    body = "".join(f'<w:footnote w:id="{n}"><w:p><w:r><w:t xml:space="preserve">{t}</w:t>'
                   f'</w:r></w:p></w:footnote>' for n, t in notes)
    footnotes = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                 f'<w:footnotes xmlns:w="{w}"><w:footnote w:type="separator" w:id="-1"><w:p/>'
                 f'</w:footnote><w:footnote w:type="continuationSeparator" w:id="0"><w:p/>'
                 f'</w:footnote>{body}</w:footnotes>')
    with zipfile.ZipFile(path) as source:
        members = {name: source.read(name) for name in source.namelist()}
    members["word/footnotes.xml"] = footnotes.encode()
    members["[Content_Types].xml"] = members["[Content_Types].xml"].replace(
        b"</Types>", b'<Override PartName="/word/footnotes.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"/></Types>')
    members["word/_rels/document.xml.rels"] = members["word/_rels/document.xml.rels"].replace(
        b"</Relationships>", b'<Relationship Id="rIdNotes" Type="http://schemas.openxmlformats'
        b'.org/officeDocument/2006/relationships/footnotes" Target="footnotes.xml"/>'
        b"</Relationships>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in members.items():
            target.writestr(name, data)


def word_message(path, *, signed: bool = True, title: bool = True, described: bool = True):
    document = Document()
    if title:
        document.add_heading("Welcome from the Vice-Chancellor", level=1)
        document.add_paragraph("Riverside University of Applied Sciences")
    intro = document.add_paragraph("It is a great pleasure to welcome you to ")
    intro.add_run("the 2026 Forum").bold = True
    intro.add_run(", and to our ")
    intro.add_run("new campus").italic = True
    intro.add_run(" by the river.")
    add_footnote(document, intro, 1, "Opened in September 2026.")
    document.add_paragraph("This year we focus on three themes:")
    document.add_paragraph("Teaching that joins theory and practice", style="List Bullet")
    document.add_paragraph("Studio courses in every school", style="List Bullet 2")
    document.add_paragraph("Research across borders", style="List Bullet")
    document.add_paragraph("Open doors for every student", style="List Number")
    table = document.add_table(rows=3, cols=2)
    for row, (year, count) in enumerate([("Year", "Partners"), ("2024", "55"), ("2025", "63")]):
        table.cell(row, 0).text, table.cell(row, 1).text = year, count
    picture = document.add_picture(io.BytesIO(picture_bytes()), width=Cm(10))
    if described:  # Word's "Alt Text" pane
        picture._inline.docPr.set("descr", "The new campus by the river")
    document.add_paragraph("We look forward to three days of discussion. Prices rose 5 * 2 "
                           "[sic] <b> in 2025.")
    if signed:
        document.add_paragraph("Yours sincerely,")
        document.add_paragraph("Prof. Margaret Okafor")
        document.add_paragraph("Vice-Chancellor")
        document.add_paragraph("Dr. Henrik Ålund")
        document.add_paragraph("Pro-Vice-Chancellor, International")
    save_with_notes(document, path)
    return path


def test_a_word_document_becomes_a_message_that_builds(tmp_path):
    project = copy_project(tmp_path / "project")
    docx = word_message(tmp_path / "Welcome letter.docx")
    result = publisher("import", str(docx), "--project", str(project), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    message = project / "content/messages/welcome-from-the-vice-chancellor.md"
    text = message.read_text()
    assert "title: Welcome from the Vice-Chancellor" in text
    assert "institution: Riverside University of Applied Sciences" in text
    assert "- name: Prof. Margaret Okafor\n    role: Vice-Chancellor" in text
    assert "- name: Dr. Henrik Ålund\n    role: Pro-Vice-Chancellor, International" in text
    assert "TODO" not in text
    assert "**the 2026 Forum**" in text and "*new campus*" in text
    assert re.search(r"^- Teaching that joins theory and practice$", text, re.M)
    assert re.search(r"^    - Studio courses in every school$", text, re.M)
    assert "| Year | Partners |" in text and "|---|---|" in text
    assert "[^1]" in text and "[^1]: Opened in September 2026." in text
    pictures = list((project / "content/images").glob("*"))
    assert len(pictures) == 1 and f"![The new campus by the river](../images/{pictures[0].name})" in text
    assert "Yours sincerely," in text and "Prof. Margaret Okafor" not in text.split("---")[-1]

    built = build(project)
    assert all(report.errors == 0 for report in built.reports), \
        [row for report in built.reports for row in report.rows()]
    brochure = project / "out/brochures/welcome-from-the-vice-chancellor.pdf"
    printed = pdftools.text(brochure)
    for phrase in ("the 2026 Forum", "Studio courses in every school", "Partners",
                   "Opened in September 2026.", "5 * 2 [sic] <b> in 2025", "Henrik Ålund"):
        assert phrase in " ".join(printed.split()), phrase
    assert "**" not in printed and "[^" not in printed and "|" not in printed
    assert len([row for row in pdftools.run("pdfimages", "-list", str(brochure)).splitlines()
                if " image " in row]) == 1


def test_what_cannot_be_guessed_is_todo_and_stops_the_build(tmp_path):
    project = copy_project(tmp_path / "project")
    docx = word_message(tmp_path / "letter.docx", signed=False, title=False)
    result = publisher("import", str(docx), "--project", str(project), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "to do" in result.stdout and "title" in result.stdout
    message = project / "content/messages/letter.md"
    assert message.read_text().count("TODO") == 3
    fails_cleanly(project, "letter.md", "title")

    # A picture Word has no alt text for: to describe, and the build stops at its line.
    docx = word_message(tmp_path / "undescribed.docx", described=False)
    result = publisher("import", str(docx), "--project", str(project), "--name", "undescribed",
                       cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "to do" in result.stdout and "description of undescribed-1" in result.stdout
    message.unlink()
    message = project / "content/messages/undescribed.md"
    line = next(n for n, text in enumerate(message.read_text().splitlines(), 1)
                if text.startswith("![]("))
    fails_cleanly(project, f"undescribed.md:{line}:", "no alt text")


def test_import_never_overwrites(tmp_path):
    project = copy_project(tmp_path / "project")
    docx = word_message(tmp_path / "a.docx")
    assert publisher("import", str(docx), "--project", str(project), cwd=tmp_path).returncode == 0
    message = project / "content/messages/welcome-from-the-vice-chancellor.md"
    before = message.read_bytes()
    pictures = sorted(p.name for p in (project / "content/images").iterdir())
    again = publisher("import", str(docx), "--project", str(project), cwd=tmp_path)
    assert again.returncode == 1 and "already exists" in again.stderr
    assert "Traceback" not in again.stderr
    assert message.read_bytes() == before
    assert sorted(p.name for p in (project / "content/images").iterdir()) == pictures


@pytest.mark.parametrize("content, fragment", [
    (b"not a zip", "cannot be read as a Word document"),
    (b"PK\x03\x04broken", "cannot be read as a Word document"),
])
def test_a_broken_document_is_one_clear_line(tmp_path, content, fragment):
    project = copy_project(tmp_path / "project")
    broken = tmp_path / "broken.docx"
    broken.write_bytes(content)
    result = publisher("import", str(broken), "--project", str(project), cwd=tmp_path)
    assert result.returncode == 1 and fragment in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not (project / "content/images").exists()
