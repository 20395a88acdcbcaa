"""A PDF opened for preflight: pages and boxes, drawing operations, colour spaces, CMaps.

pypdf reads the structure; PDFium (opened lazily) measures where things are drawn.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PdfReadError, PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, StreamObject

from ..errors import PublisherError
from .content import Name, parse

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in points
ENCRYPTED = "the PDF is encrypted"


@dataclass(frozen=True)
class Page:
    number: int                # 1-based
    obj: object                # pypdf PageObject
    media: Box
    bleed: Box                 # as a reader takes it: BleedBox, else CropBox, else MediaBox
    trim: Box                  # TrimBox, else ArtBox, else CropBox
    has_trim: bool             # TrimBox or ArtBox is really there


def _box(rectangle) -> Box:
    x0, y0, x1, y1 = (float(v) for v in rectangle)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


class Document:
    """One PDF under inspection."""

    def __init__(self, path: Path, data: bytes | None = None):
        """The PDF at ``path``, or ``data`` (a PDF not written yet; ``path`` names it)."""
        self.path = Path(path)
        self.data = data
        try:
            self.reader = PdfReader(io.BytesIO(data) if data is not None else self.path)
            if self.reader.is_encrypted:
                raise PublisherError(ENCRYPTED, path=self.path,
                                     fix="export it again without a password or restrictions")
            pages = list(self.reader.pages)
        except (PdfReadError, PyPdfError, ValueError, KeyError, OSError) as error:
            raise PublisherError(f"not a readable PDF ({error})", path=self.path,
                                 fix="check that the file is a complete PDF") from None
        self.pages = []
        for number, page in enumerate(pages, 1):
            media = _box(page.mediabox)
            crop = _box(page.cropbox) if "/CropBox" in page else media
            has_trim = "/TrimBox" in page or "/ArtBox" in page
            trim = _box(page.trimbox if "/TrimBox" in page else
                        page.artbox if "/ArtBox" in page else crop)
            bleed = _box(page.bleedbox) if "/BleedBox" in page else crop
            self.pages.append(Page(number, page, media, bleed, trim, has_trim))

    @property
    def catalog(self) -> DictionaryObject:
        return self.reader.trailer["/Root"].get_object()

    @property
    def info(self) -> DictionaryObject:
        info = self.reader.trailer.get("/Info")
        info = info.get_object() if info is not None else None
        return info if isinstance(info, DictionaryObject) else DictionaryObject()  # or broken

    @cached_property
    def pdfium(self):
        import pypdfium2

        return pypdfium2.PdfDocument(self.data if self.data is not None else str(self.path))

    def forget(self) -> None:
        """Let go of what was read for the pages checked so far (their parsed drawing
        operations, pypdf's resolved objects, PDFium's document): checking a long file page range by page range,
        memory stays that of one range."""
        self.__dict__.pop("_operations", None)
        self.reader.resolved_objects.clear()
        if "pdfium" in self.__dict__:  # PDFium keeps the fonts and pictures it decoded
            self.__dict__.pop("pdfium").close()

    def close(self) -> None:
        if "pdfium" in self.__dict__:
            self.pdfium.close()


# -- drawing operations ---------------------------------------------------------------------

@dataclass(frozen=True)
class Operation:
    operator: bytes
    operands: list
    resources: DictionaryObject


# The filters of PDF 1.7 (ISO 32000-1, 7.4): any other name stops a RIP.
FILTERS = {"/ASCIIHexDecode", "/ASCII85Decode", "/LZWDecode", "/FlateDecode",
           "/RunLengthDecode", "/CCITTFaxDecode", "/JBIG2Decode", "/DCTDecode", "/JPXDecode",
           "/Crypt", "/AHx", "/A85", "/LZW", "/Fl", "/RL", "/CCF", "/DCT"}


def stream_data(stream) -> bytes:
    """A content stream's decoded bytes; an unknown filter (``/Flatedecode``) is an error,
    not garbage that would read as an empty page."""
    filters = stream.get("/Filter")
    names = [filters] if not isinstance(filters, ArrayObject) else list(filters)
    unknown = [str(name) for name in names if name is not None and str(name) not in FILTERS]
    if unknown:
        raise ValueError(f"a stream uses the unknown filter {unknown[0]}")
    return stream.get_data()


def operations(document: Document, page: Page) -> list[Operation]:
    """Every operation drawn on ``page``, including inside forms, tiling patterns and masks.

    Parsed once per page and shared by the checks."""
    cache = document.__dict__.setdefault("_operations", {})
    if page.number not in cache:
        resources = _resolve(page.obj.get("/Resources")) or DictionaryObject()
        contents = _resolve(page.obj.get("/Contents"))
        parts = contents if isinstance(contents, ArrayObject) else [contents]
        data = b"\n".join(stream_data(part.get_object()) for part in parts if part is not None)
        seen: set[int] = set()
        found = list(_walk(data, resources, seen, 0))
        # What annotations draw prints too (a printer's mark, a stamp): their appearances
        # are held to the same colour and transparency rules as the page.
        for appearance in _appearances(page.obj):
            found.extend(_walk_form(appearance, resources, seen, 0))
        cache[page.number] = found
    return cache[page.number]


def _appearances(page) -> Iterator[StreamObject]:
    annotations = _resolve(page.get("/Annots"))
    for annotation in annotations if isinstance(annotations, ArrayObject) else []:
        annotation = _resolve(annotation)
        forms = _resolve(annotation.get("/AP")) if isinstance(annotation, DictionaryObject) \
            else None
        normal = _resolve(forms.get("/N")) if isinstance(forms, DictionaryObject) else None
        if isinstance(normal, StreamObject):
            yield normal
        elif isinstance(normal, DictionaryObject):  # one appearance per state
            yield from (form for form in map(_resolve, normal.values())
                        if isinstance(form, StreamObject))


def _walk(data: bytes, resources, seen: set[int], depth: int) -> Iterator[Operation]:
    if depth > 12:
        return
    for operator, operands in parse(data):
        yield Operation(operator, operands, resources)
        if operator == b"Do" and operands:
            inner = named(resources, "/XObject", operands[0])
            if inner is not None and inner.get("/Subtype") == "/Form":
                yield from _walk_form(inner, resources, seen, depth)
        elif operator in (b"scn", b"SCN") and operands and isinstance(operands[-1], Name):
            pattern = named(resources, "/Pattern", operands[-1])
            if pattern is not None and pattern.get("/PatternType") == 1:
                yield from _walk_form(pattern, resources, seen, depth)
        elif operator == b"Tf" and operands:
            # A Type 3 font's glyphs are drawings of the file's own: their colour and
            # transparency print like the page's.
            font = named(resources, "/Font", operands[0])
            if font is not None and font.get("/Subtype") == "/Type3":
                procedures = _resolve(font.get("/CharProcs"))
                inner = _resolve(font.get("/Resources")) or resources
                for glyph in procedures.values() if isinstance(procedures,
                                                               DictionaryObject) else []:
                    yield from _walk_form(_resolve(glyph), inner, seen, depth)
        elif operator == b"gs" and operands:
            state = named(resources, "/ExtGState", operands[0])
            mask = _resolve(state.get("/SMask")) if state is not None else None
            if isinstance(mask, DictionaryObject) and "/G" in mask:
                yield from _walk_form(_resolve(mask["/G"]), resources, seen, depth)


def _walk_form(form, parent_resources, seen, depth) -> Iterator[Operation]:
    key = id(form)
    if not isinstance(form, StreamObject) or key in seen:
        return
    seen.add(key)
    resources = _resolve(form.get("/Resources")) or parent_resources
    yield Operation(b"BeginForm", [form], resources)
    yield from _walk(stream_data(form), resources, seen, depth + 1)
    yield Operation(b"EndForm", [form], resources)


def _resolve(value):
    """An indirect reference's object; anything else as it is."""
    return value.get_object() if hasattr(value, "get_object") else value


def named(resources: DictionaryObject, category: str, name) -> DictionaryObject | None:
    """The resource ``name`` of ``category`` (``/Font``, ``/XObject``…), or None."""
    group = _resolve(resources.get(category)) if resources is not None else None
    if not isinstance(group, DictionaryObject):
        return None
    found = _resolve(group.get(name))
    return found if isinstance(found, DictionaryObject) else None


def string_bytes(value) -> bytes:
    """The raw bytes of a string operand, whatever pypdf decoded it to."""
    return bytes(value) if isinstance(value, bytes) else b""


# -- colour spaces --------------------------------------------------------------------------

DEVICE = {"/DeviceRGB": "rgb", "/RGB": "rgb", "/DeviceCMYK": "cmyk", "/CMYK": "cmyk",
          "/DeviceGray": "gray", "/G": "gray", "/Pattern": "pattern"}
ICC_FAMILY = {1: "icc-gray", 3: "icc-rgb", 4: "icc-cmyk"}


def colour_family(space, resources: DictionaryObject | None, depth: int = 0) -> str:
    """What kind of colour ``space`` is: rgb, cmyk, gray, icc-rgb, icc-cmyk, icc-gray, lab,
    cal-rgb, cal-gray, pattern, or unknown. Spot colours and indexed spaces answer for the
    space they fall back to or index into."""
    space = _resolve(space)
    if depth > 8 or space is None:
        return "unknown"
    if isinstance(space, str):
        if space in DEVICE:
            return DEVICE[space]
        return colour_family(named_space(resources, space), resources, depth + 1)
    if isinstance(space, list) and space:
        kind = space[0]
        if kind == "/ICCBased":
            return ICC_FAMILY.get(int(_resolve(space[1]).get("/N", 0)), "unknown")
        if kind in ("/CalRGB", "/CalGray", "/Lab"):
            return {"/CalRGB": "cal-rgb", "/CalGray": "cal-gray", "/Lab": "lab"}[kind]
        if kind in ("/Indexed", "/I"):
            return colour_family(space[1], resources, depth + 1)
        if kind == "/Separation" and len(space) > 2:
            return "spot" if space[1] in ("/All", "/None") else \
                colour_family(space[2], resources, depth + 1)
        if kind == "/DeviceN" and len(space) > 2:
            return colour_family(space[2], resources, depth + 1)
        if kind == "/Pattern":
            return colour_family(space[1], resources, depth + 1) if len(space) > 1 else "pattern"
        return colour_family(kind, resources, depth + 1)
    return "unknown"


def named_space(resources, name):
    group = _resolve(resources.get("/ColorSpace")) if resources is not None else None
    return _resolve(group.get(name)) if isinstance(group, DictionaryObject) else None


# -- CMaps ----------------------------------------------------------------------------------

_HEX = r"<([0-9A-Fa-f\s]*)>"


@dataclass(frozen=True)
class CMap:
    """A parsed CMap stream: code byte length and code → CID (or → text for ToUnicode)."""

    code_length: int
    mapping: dict[int, int | str]

    def codes(self, data: bytes) -> list[int]:
        n = self.code_length
        return [int.from_bytes(data[i:i + n], "big") for i in range(0, len(data) - n + 1, n)]


def parse_cmap(data: bytes) -> CMap:
    text = data.decode("latin-1")
    lengths = [len(re.sub(r"\s", "", lo)) // 2 for lo, _ in
               re.findall(_HEX + r"\s*" + _HEX, _section(text, "codespacerange"))]
    mapping: dict[int, int | str] = {}
    for lo, value in re.findall(_HEX + r"\s*(\d+)", _section(text, "cidchar")):
        mapping[_int(lo)] = int(value)
    for lo, hi, value in re.findall(_HEX + r"\s*" + _HEX + r"\s*(\d+)", _section(text, "cidrange")):
        for code in range(_int(lo), min(_int(hi), _int(lo) + 65535) + 1):
            mapping[code] = int(value) + code - _int(lo)
    for lo, value in re.findall(_HEX + r"\s*" + _HEX, _section(text, "bfchar")):
        mapping[_int(lo)] = _utf16(value)
    for lo, hi, value in re.findall(_HEX + r"\s*" + _HEX + r"\s*(<[^>]*>|\[[^\]]*\])",
                                    _section(text, "bfrange")):
        start, end = _int(lo), min(_int(hi), _int(lo) + 65535)
        if value.startswith("["):
            for code, item in zip(range(start, end + 1), re.findall(_HEX, value)):
                mapping[code] = _utf16(item)
        else:
            first = _utf16(value[1:-1])
            for code in range(start, end + 1):
                mapping[code] = first[:-1] + chr(ord(first[-1]) + code - start) if first else ""
    return CMap(code_length=max(lengths) if lengths else 2, mapping=mapping)


def _section(text: str, name: str) -> str:
    return " ".join(re.findall(rf"begin{name}(.*?)end{name}", text, re.DOTALL))


def _int(hex_digits: str) -> int:
    return int(re.sub(r"\s", "", hex_digits) or "0", 16)


def _utf16(hex_digits: str) -> str:
    raw = bytes.fromhex(re.sub(r"\s", "", hex_digits))
    return raw.decode("utf-16-be", errors="replace")


def font_program(font: DictionaryObject, resolve: bool = True):
    """The font's embedded program (FontFile, FontFile2 or FontFile3 of its descriptor, or
    its descendant's): the stream, or (``resolve`` off) the reference to it, which identifies
    it without reading it."""
    kids = font.get("/DescendantFonts")
    target = kids.get_object()[0].get_object() if kids is not None else font
    descriptor = target.get("/FontDescriptor")
    descriptor = descriptor.get_object() if descriptor is not None else None
    if not isinstance(descriptor, DictionaryObject):
        return None
    for key in ("/FontFile2", "/FontFile3", "/FontFile"):
        if key in descriptor:
            if not resolve:
                return descriptor.raw_get(key)
            program = descriptor[key].get_object()
            return program if isinstance(program, StreamObject) else None
    return None
