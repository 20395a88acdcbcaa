"""Fonts: every font embedded; no glyph printed as an empty box (.notdef) or taken from a
font the layout did not ask for."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from pypdf.generic import ArrayObject, DictionaryObject, NameObject, StreamObject

from .document import (CMap, Document, font_program, named, operations, parse_cmap,
                       string_bytes)
from .report import Finding, Options

SHOW = {b"Tj": 0, b"'": 0, b'"': 2}


@dataclass
class FontUse:
    """One font as the pages use it."""

    font: DictionaryObject
    name: str                                 # BaseFont without the subset tag
    encoding: CMap | None = None              # code → CID, for composite fonts
    to_gid: bytes | None = None               # CIDToGIDMap stream, None for Identity
    to_unicode: CMap | None = None
    notdef_codes: set[int] | None = None      # simple fonts: codes named /.notdef
    notdef: list[str] = field(default_factory=list)   # what printed as .notdef
    text: list[str] = field(default_factory=list)     # what printed in it (fallback report)
    codes: dict[int, str] = field(default_factory=dict)  # codes shown → their characters

    def decode(self, data: bytes) -> list[int]:
        if self.encoding is not None:
            return self.encoding.codes(data)
        return list(data)

    def is_notdef(self, code: int) -> bool:
        if self.encoding is not None:
            cid = self.encoding.mapping.get(code, 0) if self.encoding.mapping else code
            if self.to_gid is not None:
                gid_bytes = self.to_gid[2 * cid:2 * cid + 2]
                return len(gid_bytes) == 2 and gid_bytes == b"\0\0"
            return cid == 0
        return self.notdef_codes is not None and code in self.notdef_codes

    def glyph(self, code: int) -> int:
        """The glyph id a composite font's code selects."""
        cid = self.encoding.mapping.get(code, 0) if self.encoding and self.encoding.mapping \
            else code
        if self.to_gid is not None:
            gid_bytes = self.to_gid[2 * cid:2 * cid + 2]
            return int.from_bytes(gid_bytes, "big") if len(gid_bytes) == 2 else 0
        return cid

    def unicode(self, code: int) -> str:
        if self.to_unicode is not None:
            value = self.to_unicode.mapping.get(code)
            if isinstance(value, str):
                return value
        return "?"


def base_name(font: DictionaryObject) -> str:
    name = str(font.get("/BaseFont", "/(unnamed)"))[1:]
    return re.sub(r"^[A-Z]{6}\+", "", name)


def _descendant(font: DictionaryObject) -> DictionaryObject | None:
    kids = font.get("/DescendantFonts")
    if kids is None:
        return None
    kids = kids.get_object()
    return kids[0].get_object() if isinstance(kids, ArrayObject) and kids else None


def is_embedded(font: DictionaryObject) -> bool:
    if font.get("/Subtype") == "/Type3":
        return True  # glyphs are drawn by the file's own procedures
    target = _descendant(font) if font.get("/Subtype") == "/Type0" else font
    descriptor = target.get("/FontDescriptor") if target is not None else None
    if descriptor is None:
        return False
    descriptor = descriptor.get_object()
    return any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


def _use(font: DictionaryObject) -> FontUse:
    use = FontUse(font, base_name(font))
    to_unicode = font.get("/ToUnicode")
    if isinstance(to_unicode and to_unicode.get_object(), StreamObject):
        use.to_unicode = parse_cmap(to_unicode.get_object().get_data())
    if font.get("/Subtype") == "/Type0":
        encoding = font.get("/Encoding")
        encoding = encoding.get_object() if encoding is not None else None
        if isinstance(encoding, StreamObject):
            use.encoding = parse_cmap(encoding.get_data())
        elif encoding in ("/Identity-H", "/Identity-V"):
            use.encoding = CMap(2, {})  # code = CID
        descendant = _descendant(font)
        gid_map = descendant.get("/CIDToGIDMap") if descendant is not None else None
        if gid_map is not None and isinstance(gid_map.get_object(), StreamObject):
            use.to_gid = gid_map.get_object().get_data()
    else:
        encoding = font.get("/Encoding")
        encoding = encoding.get_object() if encoding is not None else None
        if isinstance(encoding, DictionaryObject) and "/Differences" in encoding:
            use.notdef_codes, code = set(), 0
            for item in encoding["/Differences"]:
                if isinstance(item, NameObject):
                    if item == "/.notdef":
                        use.notdef_codes.add(code)
                    code += 1
                else:
                    code = int(item)
    return use


def _normal(name: str) -> str:
    return re.sub(r"[\s_-]", "", name).lower()


def check_fonts(document: Document, options: Options) -> Iterator[Finding]:
    uses: dict[int, FontUse] = {}
    pages: list[tuple[int, dict[int, FontUse]]] = []
    for page in document.pages:
        on_page: dict[int, FontUse] = {}
        current: FontUse | None = None
        for op in operations(document, page):
            if op.operator == b"Tf" and op.operands:
                font = named(op.resources, "/Font", op.operands[0])
                current = None if font is None else on_page.get(id(font))
                if font is not None and current is None:
                    known = uses.get(id(font)) or uses.setdefault(id(font), _use(font))
                    current = on_page[id(font)] = replace(known, notdef=[], text=[],
                                                          codes={})
            elif op.operator in SHOW or op.operator == b"TJ":
                if current is not None:
                    _show(current, op)
        pages.append((page.number, on_page))

    # One message per font for the whole file, so a row lists every page it is on.
    allowed = [_normal(family) for family in options.fonts]
    by_name: dict[str, list[tuple[int, FontUse]]] = {}
    for number, on_page in pages:
        for use in on_page.values():
            by_name.setdefault(use.name, []).append((number, use))
    for name, found in by_name.items():
        for number, use in found:
            if not is_embedded(use.font):
                yield Finding("error", "fonts.embedded", f"font {name} is not embedded",
                              "use a font file the layout ships (theme font_faces), or export "
                              "with all fonts embedded", number)
        programs: dict[int, object] = {}
        for number, use in found:
            lacking = _lacking(use, programs)
            if lacking:
                yield Finding("error", "fonts.glyph-missing",
                              f"the embedded font {name} lacks glyphs it is used for: "
                              f"{_sample(lacking)}", "export the PDF again with fonts "
                              "embedded in full (or subset again): the program in the file "
                              "was cut short or damaged", number)
        notdef = _sample([c for _, use in found for c in use.notdef])
        for number, use in found:
            if use.notdef:
                yield Finding("error", "fonts.notdef",
                              f"characters print as empty boxes (.notdef): {name} lacks "
                              f"{notdef}", fallback_fix(notdef), number)
        if not allowed or any(_normal(name).startswith(family) for family in allowed) \
                or found[0][1].font.get("/Subtype") == "/Type3":  # the file's own drawings
            continue
        text = _sample([c for _, use in found for c in use.text])
        layout_fonts = ", ".join(options.fonts)
        for number, use in found:
            if any(c.strip() for c in use.text):
                yield Finding("error", "fonts.fallback",
                              f"text set in {name}, not one of the layout's fonts "
                              f"({layout_fonts}): {text}", fallback_fix(text), number)


def _show(font: FontUse, op) -> None:
    if op.operator == b"TJ":
        strings = [item for item in (op.operands[0] if op.operands else [])
                   if not isinstance(item, (int, float))]
    else:
        index = SHOW[op.operator]
        strings = op.operands[index:index + 1]
    for value in strings:
        for code in font.decode(string_bytes(value)):
            character = font.unicode(code)
            if font.is_notdef(code):
                font.notdef.append(character)
            else:
                if len(font.text) < 4000:
                    font.text.append(character)
                if len(font.codes) < 4000:
                    font.codes.setdefault(code, character)


def _lacking(use: FontUse, programs: dict) -> list[str]:
    """The characters shown in ``use`` whose glyphs its embedded TrueType program lacks
    (a glyph id past the font's end, or an empty outline for a visible character)."""
    if not use.codes:
        return []
    key = id(use.font)
    if key not in programs:
        programs[key] = _program(use)
    program = programs[key]
    if program is None:
        return []
    count, locations, cmap = program
    lacking = []
    for code, character in use.codes.items():
        if use.encoding is not None:
            gid = use.glyph(code)
        elif cmap is not None:
            gid = cmap.get(code, cmap.get(0xF000 + code, 0))
            if gid == 0:
                lacking.append(character)
                continue
        else:
            continue
        if gid >= count:
            lacking.append(character)
        elif locations is not None and _visible(character) \
                and gid + 1 < len(locations) and locations[gid + 1] == locations[gid]:
            lacking.append(character)  # an empty outline (the glyph's bytes have no length)
    return lacking


def _visible(character: str) -> bool:
    import unicodedata

    return character not in ("?", "") and all(
        unicodedata.category(c) not in ("Zs", "Zl", "Zp", "Cc", "Cf", "Mn", "Me")
        for c in character)


def _program(use: FontUse):
    """(glyph count, glyph offsets (TrueType's loca, or None), code → gid for simple fonts)
    of the font's embedded TrueType or OpenType program; None when it has none we can read.
    The offsets tell an empty glyph without decoding any (a subset that keeps glyph numbers
    has tens of thousands of slots)."""
    import io
    import logging

    from fontTools.ttLib import TTFont

    # Its remarks on odd header fields ("'created' timestamp seems very low") are not
    # findings.
    logging.getLogger("fontTools").setLevel(logging.ERROR)

    stream = font_program(use.font)
    if stream is None or stream.get("/Subtype") in ("/Type1C", "/CIDFontType0C"):
        return None  # bare CFF: not read here (Type 1 programs fail to load below)
    try:
        font = TTFont(io.BytesIO(stream.get_data()), lazy=True)
        count = font["maxp"].numGlyphs
        locations = list(font["loca"].locations) if "loca" in font else None
        cmap = None
        if use.encoding is None and "cmap" in font:
            table = font["cmap"].getcmap(3, 0) or font["cmap"].getcmap(1, 0)
            if table is not None:
                cmap = {code: font.getGlyphID(name) for code, name in table.cmap.items()}
    except Exception:  # a damaged program: the RIP's problem to report, not a crash here
        return None
    return count, locations, cmap


def _sample(characters: list[str]) -> str:
    distinct = list(dict.fromkeys(c for c in characters if c.strip()))
    text = "".join(distinct[:12]) + ("…" if len(distinct) > 12 else "")
    return f"'{text}'" if text else "some characters"


# Scripts the layouts' fonts lack, and a free (SIL OFL) family that has them.
_SCRIPT_FONTS = (("HANGUL", "Korean", "Noto Serif KR", "noto-serif-kr/NotoSerifKR-Regular.ttf"),
                 ("HIRAGANA", "Japanese", "Noto Serif JP", "noto-serif-jp/NotoSerifJP-Regular.ttf"),
                 ("KATAKANA", "Japanese", "Noto Serif JP", "noto-serif-jp/NotoSerifJP-Regular.ttf"),
                 ("CJK", "Chinese", "Noto Serif TC", "noto-serif-tc/NotoSerifTC-Regular.ttf"),
                 ("ARABIC", "Arabic", "Noto Naskh Arabic",
                  "noto-naskh-arabic/NotoNaskhArabic-Regular.ttf"),
                 ("HEBREW", "Hebrew", "Noto Serif Hebrew",
                  "noto-serif-hebrew/NotoSerifHebrew-Regular.ttf"),
                 ("DEVANAGARI", "Devanagari", "Noto Serif Devanagari",
                  "noto-serif-devanagari/NotoSerifDevanagari-Regular.ttf"),
                 ("THAI", "Thai", "Noto Serif Thai", "noto-serif-thai/NotoSerifThai-Regular.ttf"))


def fallback_fix(text: str) -> str:
    """What to write so that ``text`` prints in a font of the project: the exact YAML for
    layouts/overrides/theme.yaml, with a family that has the script."""
    import unicodedata

    names = " ".join(unicodedata.name(c, "") for c in text)
    for key, script, family, src in _SCRIPT_FONTS:
        if key in names:
            break
    else:
        script, family, src = "these characters", "<Family>", "<folder>/<Family>-Regular.ttf"
    return (f"for {script}, put a font that has them into fonts/ (e.g. {family}, SIL OFL, "
            f"from fonts.google.com) and add to layouts/overrides/theme.yaml:  "
            f"font_faces: [{{family: {family}, src: {src}}}]  and, under fonts:, "
            f"'text: <the layout's text families>, {family}' (the same for display and "
            f"sans); or remove the characters from the content")
