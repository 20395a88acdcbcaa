"""PDF/X structure rules on files others made: a corpus of small faulty PDFs, each made from
one of our clean brochures by one change, gives exactly its finding (issue 15)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (ArrayObject, DecodedStreamObject, DictionaryObject, FloatObject,
                           NameObject, NumberObject, TextStringObject)

from publisher.preflight import Options, preflight


def _written(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _intent_profile(writer: PdfWriter):
    intent = writer._root_object["/OutputIntents"][0].get_object()
    return intent, intent["/DestOutputProfile"].get_object()


def _with_profile_bytes(writer: PdfWriter, change) -> None:
    _, profile = _intent_profile(writer)
    profile.set_data(change(bytearray(profile.get_data())))


def _annotation(writer: PdfWriter, subtype: str, rect=(100, 100, 200, 150), **extra) -> None:
    page = writer.pages[0]
    annotation = DictionaryObject({NameObject("/Type"): NameObject("/Annot"),
                                   NameObject("/Subtype"): NameObject(subtype),
                                   NameObject("/Rect"): ArrayObject(
                                       FloatObject(v) for v in rect), **extra})
    page[NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])


def _javascript_action() -> DictionaryObject:
    return DictionaryObject({NameObject("/S"): NameObject("/JavaScript"),
                             NameObject("/JS"): TextStringObject("app.alert('hi')")})


def _second_intent(writer: PdfWriter) -> None:
    intent, profile = _intent_profile(writer)
    other = DecodedStreamObject()
    data = bytearray(profile.get_data())
    data[44:48] = b"XXXX"  # a different profile of the same kind
    other.set_data(bytes(data))
    other[NameObject("/N")] = NumberObject(4)
    copy = DictionaryObject({key: value for key, value in intent.items()})
    copy[NameObject("/DestOutputProfile")] = writer._add_object(other)
    writer._root_object["/OutputIntents"].append(writer._add_object(copy))


def _metadata(writer: PdfWriter, change) -> None:
    stream = writer._root_object["/Metadata"].get_object()
    stream.set_data(change(stream.get_data()))


def _info(writer: PdfWriter, key: str, value: str) -> None:
    writer._info.get_object()[NameObject(key)] = TextStringObject(value)


# Each: how a clean file is changed, and the one finding it must give.
CHANGES = {
    "version 1.7": (lambda w: None, "file.version"),
    "no trailer ID": (lambda w: None, "file.id"),
    "JavaScript in the names": (lambda w: w._root_object.__setitem__(
        NameObject("/Names"), DictionaryObject({NameObject("/JavaScript"): DictionaryObject({
            NameObject("/Names"): ArrayObject([TextStringObject("hello"),
                                               w._add_object(_javascript_action())])})})),
        "actions.javascript"),
    "JavaScript when opened": (lambda w: w._root_object.__setitem__(
        NameObject("/OpenAction"), w._add_object(_javascript_action())), "actions.javascript"),
    "document actions": (lambda w: w._root_object.__setitem__(
        NameObject("/AA"), DictionaryObject({NameObject("/WC"): w._add_object(
            _javascript_action())})), "actions.forbidden"),
    "embedded file": (lambda w: w.add_attachment("notes.txt", b"not for print"),
                      "files.embedded"),
    "file attachment annotation": (lambda w: _annotation(w, "/FileAttachment"),
                                   "files.embedded"),
    "link on the page": (lambda w: _annotation(w, "/Link"), "annotations.printed-area"),
    "form field on the page": (lambda w: _annotation(w, "/Widget"),
                               "annotations.printed-area"),
    "link running JavaScript": (lambda w: _annotation(
        w, "/Link", rect=(-900, -900, -800, -800),
        **{NameObject("/A"): w._add_object(_javascript_action())}), "actions.javascript"),
    "ArtBox and TrimBox": (lambda w: w.pages[0].__setitem__(
        NameObject("/ArtBox"), w.pages[0]["/TrimBox"]), "boxes.art-and-trim"),
    "scanner profile": (lambda w: _with_profile_bytes(
        w, lambda d: d[:12] + b"scnr" + d[16:]), "pdfx.output-profile"),
    "RGB profile said to be CMYK": (lambda w: _with_profile_bytes(
        w, lambda d: d[:16] + b"RGB " + d[20:]), "pdfx.output-profile"),
    "LAB profile with three components": (lambda w: (
        _with_profile_bytes(w, lambda d: d[:16] + b"Lab " + d[20:]),
        _intent_profile(w)[1].__setitem__(NameObject("/N"), NumberObject(3))),
        "pdfx.output-profile"),
    "not an ICC profile": (lambda w: _with_profile_bytes(w, lambda d: d[:36] + b"xxxx" + d[40:]),
                           "pdfx.output-profile"),
    "two different profiles": (_second_intent, "pdfx.output-profile"),
    "XMP not well-formed": (lambda w: _metadata(w, lambda d: d.replace(b"</rdf:RDF>", b"")),
                            "xmp.malformed"),
    "XMP without RDF": (lambda w: _metadata(w, lambda d: d.replace(b"rdf:RDF", b"rdf:Bag")),
                        "xmp.malformed"),
    "title changed in Info only": (lambda w: _info(w, "/Title", "Another title"),
                                   "xmp.info-mismatch"),
    "creation date changed in Info only": (lambda w: _info(w, "/CreationDate",
                                                           "D:19990101000000Z"),
                                           "xmp.info-mismatch"),
}


@pytest.fixture(scope="module")
def clean(built) -> bytes:
    """One of our brochures as pypdf writes it again: the base of every faulty file."""
    source = built[1].brochures[0].path
    data = _written(PdfWriter(clone_from=source))
    assert preflight(Path("clean.pdf"), data=data).findings == []
    return data


@pytest.mark.parametrize("name", CHANGES)
def test_each_fault_gives_exactly_its_finding(clean, name):
    change, expected = CHANGES[name]
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(clean)))
    change(writer)
    data = _written(writer)
    if name == "version 1.7":
        data = data.replace(b"%PDF-1.3", b"%PDF-1.7", 1)
    if name == "no trailer ID":
        data = data.replace(b"/ID [", b"/XX [", 1)  # same length: the offsets hold
        assert b"/XX [" in data
    findings = preflight(Path(f"{name}.pdf"), data=data).findings
    assert {f.check for f in findings} == {expected}, [(f.check, f.message) for f in findings]


def test_an_encrypted_file_is_named_as_such(clean):
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(clean)))
    writer.encrypt("secret", algorithm="RC4-128")
    findings = preflight(Path("locked.pdf"), data=_written(writer)).findings
    assert [f.check for f in findings] == ["file.encrypted"]


def test_links_off_the_printed_area_are_allowed(clean):
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(clean)))
    _annotation(writer, "/Link", rect=(-900, -900, -800, -800))
    assert preflight(Path("x.pdf"), data=_written(writer)).findings == []


def test_our_outputs_pass_every_structure_rule(built):
    for output in (built[1].booklet, *built[1].brochures):
        assert preflight(output.path).findings == [], output.path


# -- device colour against the output intent ---------------------------------------------------

def _draw(writer: PdfWriter, operators: bytes, default_rgb: bool = False) -> None:
    """Add ``operators`` to the first page's drawing; with ``default_rgb``, the page's
    resources make DeviceRGB ICC-based (DefaultRGB: the output profile stands in for sRGB)."""
    page = writer.pages[0]
    stream = DecodedStreamObject()
    stream.set_data(operators)
    contents = page["/Contents"]
    contents = contents.get_object() if hasattr(contents, "get_object") else contents
    parts = list(contents) if isinstance(contents, ArrayObject) else [page.raw_get("/Contents")]
    page[NameObject("/Contents")] = ArrayObject([*parts, writer._add_object(stream)])
    if default_rgb:
        srgb = DecodedStreamObject()
        from PIL import ImageCms

        srgb.set_data(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
        srgb[NameObject("/N")] = NumberObject(3)
        resources = page["/Resources"].get_object()
        spaces = resources.get("/ColorSpace")
        spaces = spaces.get_object() if spaces is not None else DictionaryObject()
        spaces[NameObject("/DefaultRGB")] = ArrayObject([NameObject("/ICCBased"),
                                                         writer._add_object(srgb)])
        resources[NameObject("/ColorSpace")] = spaces


def _findings(writer: PdfWriter) -> set[tuple[str, str]]:
    return {(f.check, f.severity) for f in preflight(Path("x.pdf"),
                                                     data=_written(writer)).findings}


RED_BOX = b"q 1 0 0 rg 100 100 20 20 re f Q"


def test_device_rgb_is_refused_under_a_cmyk_intent_unless_defaultrgb_makes_it_icc(clean):
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(clean)))
    _draw(writer, RED_BOX)
    assert _findings(writer) == {("colour.space", "error")}
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(clean)))
    _draw(writer, RED_BOX, default_rgb=True)
    assert _findings(writer) == set()


def test_device_cmyk_is_refused_under_an_rgb_intent_and_rgb_is_not(clean):
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(clean)))
    from PIL import ImageCms

    _, profile = _intent_profile(writer)
    rgb = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    rgb[12:16] = b"prtr"  # an RGB printer profile (a photo printer's, say)
    profile.set_data(bytes(rgb))
    profile[NameObject("/N")] = NumberObject(3)
    _draw(writer, RED_BOX)
    data = _written(writer)
    report = preflight(Path("x.pdf"), data=data)
    colour = [f for f in report.findings if f.check == "colour.space"]
    assert colour and all("DeviceCMYK" in f.message and "RGB output intent" in f.message
                          for f in colour)  # our CMYK text; the red box is fine
    assert {f.check for f in report.findings} == {"colour.space", "pdfx.output-intent"}


def _hollow_first_font(writer: PdfWriter) -> str:
    """Empty every outline of the first embedded TrueType program of page 1's resources (as a broken
    subsetter would): the text still names the glyphs, the font no longer draws them."""
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.tables._g_l_y_f import Glyph

    fonts = writer.pages[0]["/Resources"]["/Font"]
    for name in sorted(fonts):
        font = fonts[name].get_object()
        kids = font.get("/DescendantFonts")
        if kids is None:
            continue
        descriptor = kids[0].get_object()["/FontDescriptor"].get_object()
        stream = descriptor["/FontFile2"].get_object()
        program = TTFont(io.BytesIO(stream.get_data()))
        for glyph in list(program["glyf"].glyphs):
            if glyph != ".notdef":
                program["glyf"][glyph] = Glyph()
        buffer = io.BytesIO()
        program.save(buffer)
        stream.set_data(buffer.getvalue())
        return str(font["/BaseFont"])
    raise AssertionError("no composite TrueType font on page 1")


def test_a_font_program_without_the_glyphs_it_is_used_for_is_found(clean):
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(clean)))
    name = _hollow_first_font(writer)
    findings = preflight(Path("x.pdf"), data=_written(writer)).findings
    assert {f.check for f in findings} == {"fonts.glyph-missing"}, findings
    assert name.split("+")[-1] in findings[0].message  # on the pages that use it


# -- one name, one font program -------------------------------------------------------------

def _names_to_programs(pdf) -> dict[str, set[bytes]]:
    import hashlib

    from publisher.preflight.document import font_program
    from publisher.preflight.structure import _fonts

    found: dict[str, set[bytes]] = {}
    seen: set[int] = set()
    for page in PdfReader(pdf).pages:
        for font in _fonts(page.get("/Resources"), seen, 0):
            program = font_program(font)
            if program is not None:
                found.setdefault(str(font["/BaseFont"]), set()).add(
                    hashlib.sha256(program.get_data()).digest())
    return found


def test_the_booklet_and_its_imposed_sheets_name_each_font_program_once(built, tmp_path):
    from publisher.press.impose import impose

    booklet = built[1].booklet.path
    impose(booklet, tmp_path / "sheets.pdf")
    for pdf in (booklet, tmp_path / "sheets.pdf"):
        names = _names_to_programs(pdf)
        assert len(names) >= 4
        assert all(len(programs) == 1 for programs in names.values()), pdf.name
    # poppler agrees: pdffonts lists no name twice with different objects
    from . import pdftools

    # poppler lists a font per part, each naming the one merged program of its face
    rows = pdftools.fonts(booklet)
    assert {row["name"] for row in rows} == {name.lstrip("/") for name in
                                              _names_to_programs(booklet)}


def test_two_programs_under_one_name_are_found(built):
    writer = PdfWriter()  # two files merged as they are: each keeps its own subsets
    for brochure in built[1].brochures:
        writer.append(brochure.path)
    fonts: dict[str, dict[str, object]] = {}  # family → name → font
    for page in writer.pages:
        for reference in page["/Resources"]["/Font"].values():
            font = reference.get_object()
            name = str(font["/BaseFont"])
            fonts.setdefault(name.split("+")[-1], {})[name] = font
    family, named = next((family, found) for family, found in fonts.items() if len(found) > 1)
    same = list(named.values())
    same[1][NameObject("/BaseFont")] = same[0]["/BaseFont"]  # as a careless merge leaves it
    findings = preflight(Path("x.pdf"), data=_written(writer)).findings
    # (pypdf's merge also drops the PDF/X keys: found too, but not the subject here)
    found = [f for f in findings if f.check.startswith("fonts.")]
    assert {f.check for f in found} == {"fonts.duplicate-name"}
    assert family in found[0].message


# -- small type on several plates --------------------------------------------------------------

def _text(writer: PdfWriter, size: float, colour: str) -> None:
    font = sorted(writer.pages[0]["/Resources"]["/Font"])[0]
    _draw(writer, f"q BT {font} {size} Tf {colour} k 100 100 Td <0001> Tj ET Q".encode())


@pytest.mark.parametrize("size, colour, expected", [
    (6, "0.6 0.4 0.4 1", {"colour.small-text-plates"}),    # rich black
    (7, "1 0.78 0.12 0.48", {"colour.small-text-plates"}),  # navy: four plates
    (7, "0 0 0 0.8", set()),                                # one ink
    (7, "0 0 1 0", set()),
    (9, "1 0.78 0.12 0.48", set()),                         # large enough
])
def test_small_type_on_several_plates_is_a_warning(clean, size, colour, expected):
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(clean)))
    _text(writer, size, colour)
    findings = preflight(Path("x.pdf"), data=_written(writer)).findings
    assert {f.check for f in findings} == expected
    assert all(f.severity == "warning" for f in findings)
    if expected and colour.endswith(" 1"):
        assert "rich black" in findings[0].message
    smaller = preflight(Path("x.pdf"), Options(small_text=6), data=_written(writer)).findings
    assert not smaller  # the size is a setting


# -- drawings outside the page's own content ----------------------------------------------------

def _stream(writer: PdfWriter, data: bytes, **entries):
    stream = DecodedStreamObject()
    stream.set_data(data)
    for key, value in entries.items():
        stream[NameObject(key)] = value
    return writer._add_object(stream)


def test_an_annotation_appearance_in_rgb_is_found(clean):
    """A printer's mark may sit on the page; what it draws is held to the page's rules."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(clean)))
    appearance = _stream(writer, b"1 0 0 rg 0 0 10 10 re f", **{
        "/Type": NameObject("/XObject"), "/Subtype": NameObject("/Form"),
        "/BBox": ArrayObject([FloatObject(0), FloatObject(0), FloatObject(10), FloatObject(10)])})
    _annotation(writer, "/PrinterMark", **{NameObject("/AP"): DictionaryObject(
        {NameObject("/N"): appearance})})
    assert _findings(writer) == {("colour.space", "error")}


def test_a_type3_glyph_drawn_in_rgb_or_with_transparency_is_found(clean):
    for drawing, target, expected in (
            (b"0 0 0 0 500 500 d1 0 0 500 500 re f", "pdf/x-4", set()),
            (b"500 0 d0 1 0 0 rg 0 0 500 500 re f", "pdf/x-4", {"colour.space"}),
            (b"500 0 d0 /Half gs 0 0 500 500 re f", "pdf/x-1a", {"colour.transparency"})):
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(clean)))
        glyph = _stream(writer, drawing)
        half = DictionaryObject({NameObject("/ca"): FloatObject(0.5)})
        font = writer._add_object(DictionaryObject({
            NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type3"),
            NameObject("/FontBBox"): ArrayObject([FloatObject(v) for v in (0, 0, 500, 500)]),
            NameObject("/FontMatrix"): ArrayObject([FloatObject(v) for v in
                                                    (0.001, 0, 0, 0.001, 0, 0)]),
            NameObject("/CharProcs"): DictionaryObject({NameObject("/box"): glyph}),
            NameObject("/Encoding"): DictionaryObject({NameObject("/Differences"): ArrayObject(
                [NumberObject(97), NameObject("/box")])}),
            NameObject("/FirstChar"): NumberObject(97), NameObject("/LastChar"): NumberObject(97),
            NameObject("/Widths"): ArrayObject([NumberObject(500)]),
            NameObject("/Resources"): DictionaryObject({NameObject("/ExtGState"): DictionaryObject(
                {NameObject("/Half"): half})})}))
        resources = writer.pages[0]["/Resources"].get_object()
        resources["/Font"].get_object()[NameObject("/T3")] = font
        _draw(writer, b"q BT /T3 12 Tf 100 100 Td (a) Tj ET Q")
        findings = preflight(Path("x.pdf"), Options(target=target), data=_written(writer))
        found = {f.check for f in findings.findings} - {"pdfx.identification", "file.version"}
        assert found == expected, (drawing, findings.findings)
