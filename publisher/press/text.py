"""Text that reads right: letter-spaced words carry their words as ActualText.

WeasyPrint sets letter spacing as a gap after every glyph, and text extraction (a screen
reader, a search, copy and paste, ``pdftotext``) then reads "S P R I N G PA RT N E R S". Each
such run is wrapped in a marked-content span whose ActualText is the words themselves, in
the print file and in the screen file alike, so both read the same words.
"""

from __future__ import annotations

import io
import re

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    ContentStream,
    DictionaryObject,
    NameObject,
    TextStringObject,
)

# Two spacing gaps around one glyph: WeasyPrint's letter spacing (a justified line has one
# gap per space, never per glyph). Found in the raw stream before anything is parsed.
_EMPTY = rb"(?:\(\)|<>)"
_SPACED = re.compile(_EMPTY + rb"-?[\d.]+(?:<[0-9a-fA-F]{2,8}>|\((?:[^()\\]|\\.){1,4}\))-?[\d.]*"
                     + _EMPTY)


def spell_out(data: bytes) -> bytes:
    """``data`` (a PDF) with its letter-spaced runs spelled out as ActualText; unchanged (the
    same bytes) when it has none."""
    reader = PdfReader(io.BytesIO(data))
    pages = [index for index, page in enumerate(reader.pages)
             if (contents := page.get_contents()) is not None
             and _SPACED.search(contents.get_data())]
    if not pages:
        return data
    writer = PdfWriter(clone_from=reader)
    for index in pages:
        page = writer.pages[index]
        resources = page.get("/Resources")
        fonts = resources.get_object().get("/Font") if resources is not None else None
        fonts = fonts.get_object() if fonts is not None else DictionaryObject()
        contents = ContentStream(page["/Contents"].get_object(), writer)
        contents.operations = spelled(contents.operations, fonts)
        page.replace_contents(contents)
        page.compress_content_streams()
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def spelled(operations: list, fonts) -> list:
    """Content-stream ``operations`` with each letter-spaced TJ in an ActualText span."""
    result, font = [], None
    for operands, operator in operations:
        if operator == b"Tf" and operands:
            font = fonts.get(operands[0])
        elif operator == b"TJ":
            run = spelled_run(font, operands)
            if run:
                result.extend(run)
                continue
        result.append((operands, operator))
    return result


def spelled_run(font, operands: list) -> list | None:
    """A TJ operation in ``font`` wrapped in an ActualText span if it is letter-spaced."""
    if font is None or not operands or not letter_spaced(operands[0]):
        return None
    words = text_of(font.get_object(), operands[0])
    if not words:
        return None
    return [([NameObject("/Span"), DictionaryObject(
                {NameObject("/ActualText"): TextStringObject(words)})], b"BDC"),
            (operands, b"TJ"), ([], b"EMC")]


def letter_spaced(array) -> bool:
    """WeasyPrint's letter spacing: an empty string and the spacing after every glyph run."""
    if not isinstance(array, ArrayObject):
        return False
    runs = sum(1 for item in array if isinstance(item, (bytes, str)) and len(item) > 0)
    empty = sum(1 for item in array if isinstance(item, (bytes, str)) and len(item) == 0)
    return runs >= 3 and empty >= runs - 1


def text_of(font, array) -> str:
    """The Unicode text of a TJ array in ``font`` (two-byte codes, as WeasyPrint writes)."""
    mapping = _to_unicode(font)
    if not mapping:
        return ""
    characters = []
    for item in array:
        if not isinstance(item, (bytes, str)):
            continue
        data = item if isinstance(item, bytes) else item.encode("latin-1", "replace")
        if hasattr(item, "original_bytes"):
            data = item.original_bytes
        for index in range(0, len(data) - 1, 2):
            characters.append(mapping.get(int.from_bytes(data[index:index + 2], "big"), ""))
    return "".join(characters)


_BFCHAR = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>")
_BFRANGE = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>")


def _to_unicode(font) -> dict[int, str]:
    """Code → text from the font's ToUnicode CMap (bfchar and bfrange entries)."""
    cached = getattr(font, "_publisher_unicode", None)
    if cached is not None:
        return cached
    mapping: dict[int, str] = {}
    cmap = font.get("/ToUnicode")
    if cmap is not None:
        data = cmap.get_object().get_data()
        for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.S):
            for start, end, first in _BFRANGE.findall(block):
                base = int(first, 16)
                for offset, code in enumerate(range(int(start, 16), int(end, 16) + 1)):
                    mapping[code] = chr(base + offset)
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
            for code, text in _BFCHAR.findall(block):
                mapping[int(code, 16)] = bytes.fromhex(text.decode()).decode("utf-16-be",
                                                                               "replace")
    font._publisher_unicode = mapping
    return mapping
