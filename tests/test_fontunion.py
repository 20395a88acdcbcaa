"""Each face once in a booklet: the parts' font subsets merged into one program per face,
every glyph the text uses drawn exactly as in its part's own subset."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from publisher.build.workshop import Workshop
from publisher.press import booklet
from publisher.press.fontunion import FontUnion, _descriptors, _used

from . import pdftools


def programs(pdf: bytes) -> list[tuple[str, bytes, set[int] | None]]:
    """(font name, program, glyph IDs its text uses) of every embedded TrueType font."""
    found = []
    for descriptor, fonts in _descriptors(PdfReader(io.BytesIO(pdf)).pages, set(), fonts=True):
        found.append((str(descriptor["/FontName"]),
                      descriptor["/FontFile2"].get_object().get_data(), _used(fonts[-1])))
    return found


def outline(font: TTFont, gid: int):
    glyphs = font["glyf"]
    glyph = glyphs[font.getGlyphOrder()[gid]]
    if not glyph.numberOfContours:
        return None
    coordinates, ends, _ = glyph.getCoordinates(glyphs)
    return list(coordinates), list(ends)


@pytest.fixture(scope="module")
def parts(real):
    """The realistic project's booklet parts (front, messages, back), rendered here."""
    project, _ = real("classic")
    workshop = Workshop(project, dt.datetime(2026, 12, 8, tzinfo=dt.timezone.utc))
    messages = list(workshop.messages.values())
    render = workshop.layout, workshop.renderer
    front = booklet.render_front(messages, {}, *render, screen=True)
    starts = booklet.plan_starts(messages, booklet.front_length(front),
                                 {m.slug: 2 for m in messages})
    messages_parts = {m.slug: booklet.render_part(m, starts[m.slug], *render, screen=True)
                      for m in messages}
    starts = booklet.plan_starts(messages, booklet.front_length(front),
                                 {slug: part.pages for slug, part in messages_parts.items()})
    messages_parts = {m.slug: booklet.render_part(m, starts[m.slug], *render, screen=True)
                      for m in messages}
    front = booklet.render_front(messages, starts, *render, screen=True)
    back = booklet.render_back(messages, *render, screen=True)
    return workshop, messages, front, messages_parts, back, starts


def test_every_used_glyph_of_every_part_is_drawn_the_same_by_the_merged_program(parts):
    _, messages, front, by_slug, back, _ = parts
    pdfs = [front.pdf, *(by_slug[m.slug].pdf for m in messages), back.pdf]
    union = FontUnion()
    for pdf in pdfs:
        union.add(pdf)
    checked = 0
    for pdf in pdfs:
        for _, program, used in programs(pdf):
            key = union._keys[hashlib.sha256(program).digest()]
            merged = TTFont(io.BytesIO(union._program(key)))
            subset = TTFont(io.BytesIO(program))
            for gid in used:
                assert outline(merged, gid) == outline(subset, gid), (key[0], gid)
                checked += 1
    assert checked > 300
    assert union.after < union.before / 2  # the faces once, not once per part


@pytest.mark.parametrize("screen", [False, True], ids=["print", "screen"])
def test_the_booklet_carries_each_face_once_under_one_name(parts, screen, tmp_path):
    workshop, messages, front, by_slug, back, starts = parts
    files = {}
    for share in (False, True):
        output = io.BytesIO()
        fonts = booklet.shared_fonts(messages, front, by_slug, back, screen=screen) \
            if share else None
        booklet.assemble(messages, front, by_slug, back, starts, workshop.spec,
                         workshop.layout, output, screen=screen, fonts=fonts)
        files[share] = tmp_path / f"{share}.pdf"
        files[share].write_bytes(output.getvalue())
    separate, shared = (programs(path.read_bytes()) for path in (files[False], files[True]))
    faces = {name.split("+")[1] for name, _, _ in shared}
    assert len({hashlib.sha256(p).digest() for _, p, _ in shared}) == len(faces) >= 4
    names = {}
    for name, program, _ in shared:  # one name per program, one program per name
        assert names.setdefault(name, program) == program
    assert len(names) == len(faces)
    assert len({hashlib.sha256(p).digest() for _, p, _ in separate}) > 2 * len(faces)
    assert files[True].stat().st_size < files[False].stat().st_size
    assert pdftools.text(files[True]) == pdftools.text(files[False])
    assert pdftools.run("qpdf", "--check", str(files[True]))
    for row in pdftools.fonts(files[True]):
        assert row["emb"] == "yes" and row["sub"] == "yes"


def test_a_built_booklet_reports_its_merged_fonts(real):
    project, result = real("classic")
    assert any("booklet.pdf: the parts' font subsets" in note for note in result.notes)
    faces: dict[str, set] = {}
    for name, program, _ in programs((project / "out/booklet.pdf").read_bytes()):
        faces.setdefault(name.split("+")[1], set()).add(hashlib.sha256(program).digest())
    assert faces and all(len(found) == 1 for found in faces.values()), faces
    # The preflight reads every used glyph in the merged programs: none missing.
    assert not [row for report in result.reports for row in report.rows()]
    assert Path(project / "out/screen/booklet.pdf").stat().st_size < 400_000
