"""One program per typeface in a booklet: the parts' subsets of a face merged into one.

The parts of a booklet are laid out one by one, and WeasyPrint embeds in each the glyphs that
part uses: a subset of the face, its glyphs at their places in the full font (HarfBuzz keeps
the glyph IDs). Forty messages would carry forty programs of the body face, under forty
names. Here every subset of one face is merged into one program holding each glyph any part
uses, at the same IDs, and every part's font refers to it: the booklet carries each face once
(the booklet writer stores identical objects once), under one name, and the text of every
part still finds its glyphs where it looks for them.

Subsets are grouped by face: the name WeasyPrint gives it and the font's own creation date,
revision and units per em. Two subsets of a group that disagree about a glyph are not one
face after all: that group keeps its programs as they are.
"""

from __future__ import annotations

import copy
import io
import logging
import zlib

from pypdf.generic import NameObject, NumberObject, StreamObject

Key = tuple


class FontUnion:
    """Collect the subsets of every part (:meth:`add`), then put the merged programs into
    each part's pages as it is written (:meth:`apply`)."""

    def __init__(self) -> None:
        self._fonts: dict[Key, object] = {}   # face → the merged TTFont
        self._broken: set[Key] = set()        # faces whose subsets disagree
        self._programs: dict[Key, bytes] = {}  # face → the merged program, compiled
        self._keys: dict[bytes, Key] = {}      # a subset's digest → its face
        self._written: dict[Key, int] = {}     # face → its object in a streamed file
        self._used: dict[Key, set[int]] = {}   # face → glyph IDs the parts' text uses
        self.before = 0  # bytes of the subsets as the parts carry them (each once)
        self.after = 0   # bytes of the merged programs

    def add(self, pdf: bytes) -> None:
        """Take the subsets embedded in ``pdf`` (a part of the booklet) into the union."""
        from pypdf import PdfReader

        seen: set = set()
        for descriptor, fonts in _descriptors(PdfReader(io.BytesIO(pdf)).pages, seen,
                                              fonts=True):
            data = descriptor["/FontFile2"].get_object().get_data()
            digest = _digest(data)
            if digest in self._keys:
                continue
            font = _font(data)
            used = _used(fonts[-1])
            if font is None or used is None:
                continue
            key = _face(descriptor, font)
            self._keys[digest] = key
            self.before += len(data)
            if key in self._broken:
                continue
            try:
                if key in self._fonts:
                    _merge(self._fonts[key], self._used[key], font, used)
                else:
                    self._fonts[key], self._used[key] = font, set(used)
            except _Disagree:
                self._broken.add(key)
                del self._fonts[key]

    def apply(self, writer, pages) -> None:
        """Point the fonts of ``pages`` (in ``writer``) at the merged programs."""
        stream_of: dict[Key, object] = {}
        for descriptor in _descriptors(pages, set()):
            key = self._keys.get(_digest(descriptor["/FontFile2"].get_object().get_data()))
            program = self._program(key) if key is not None else None
            if program is None:
                continue
            if key not in stream_of:
                stream_of[key] = writer._add_object(_program_stream(program))
            descriptor[NameObject("/FontFile2")] = stream_of[key]

    def apply_copied(self, pages, copier) -> None:
        """As :meth:`apply`, for pages the booklet writer copies straight from their file
        (``copier``: its _Copier): each merged program is written once, under a name made
        from it, and the fonts refer to it."""
        from pypdf.generic import IndirectObject

        from .finishing import rename_subset, subset_tag

        for descriptor, fonts in _descriptors(pages, set(), fonts=True):
            key = self._keys.get(_digest(descriptor["/FontFile2"].get_object().get_data()))
            program = self._program(key) if key is not None else None
            if program is None:
                continue
            number = self._written.get(key)
            if number is None:
                from .stream import _serialise

                number = self._written[key] = copier.target.shared(
                    _serialise(_program_stream(program)))
            # A reference no file uses (object numbers are positive), which the copier maps
            # to the merged program's number.
            copier.numbers[(-number, 0)] = number
            descriptor[NameObject("/FontFile2")] = IndirectObject(-number, 0, None)
            rename_subset(fonts, descriptor, subset_tag(program))

    def _program(self, key: Key) -> bytes | None:
        if key in self._broken or (key not in self._fonts and key not in self._programs):
            return None
        if key not in self._programs:
            output = io.BytesIO()
            font = self._fonts[key]
            if "post" in font:  # glyph names: PDF text finds glyphs by ID, never by name
                font["post"].formatType = 3.0
            font.save(output)
            self._programs[key] = output.getvalue()
            self.after += len(self._programs[key])
            del self._fonts[key]  # compiled: the glyph objects are no longer needed
        return self._programs[key]


class _Disagree(Exception):
    """Two subsets grouped as one face have different glyphs at one ID."""


def _descriptors(pages, seen: set, *, fonts: bool = False):
    """The font descriptors with a TrueType program on ``pages`` (and in their forms); with
    ``fonts``, each with the font dictionaries that name it: (descriptor, [fonts])."""
    def visit(resources):
        if resources is None:
            return
        resources = resources.get_object()
        for reference in (resources.get("/Font") or {}).values():
            font = reference.get_object()
            for kid in font.get("/DescendantFonts") or [font]:
                descriptor = kid.get_object().get("/FontDescriptor")
                if descriptor is None:
                    continue
                descriptor = descriptor.get_object()
                if "/FontFile2" in descriptor and id(descriptor) not in seen:
                    seen.add(id(descriptor))
                    holders = [font] if kid.get_object() is font \
                        else [font, kid.get_object()]
                    yield (descriptor, holders) if fonts else descriptor
        for reference in (resources.get("/XObject") or {}).values():
            xobject = reference.get_object()
            if xobject.get("/Subtype") == "/Form" and id(xobject) not in seen:
                seen.add(id(xobject))
                yield from visit(xobject.get("/Resources"))

    for page in pages:
        yield from visit(page.get("/Resources"))


def _digest(data: bytes) -> bytes:
    import hashlib

    return hashlib.sha256(data).digest()


def _font(data: bytes):
    """A TrueType subset, or None (a CFF program or one fontTools cannot read: left as is)."""
    from fontTools.ttLib import TTFont

    logging.getLogger("fontTools").setLevel(logging.ERROR)
    try:
        # The same bytes every time (no timestamp); bounds and maxima are merged from the
        # subsets' own (_merge) rather than measured again over thousands of glyphs.
        font = TTFont(io.BytesIO(data), recalcTimestamp=False, recalcBBoxes=False)
        if "glyf" not in font or "hmtx" not in font:
            return None
        font["glyf"]  # decompile now: a damaged table is found here, not when saving
        return font
    except Exception:  # a damaged or unusual program: it keeps its own
        return None


def _face(descriptor, font) -> Key:
    name = str(descriptor.get("/FontName", "")).split("+", 1)[-1]
    head = font["head"]
    return (name, head.created, head.fontRevision, head.unitsPerEm)


def _used(font) -> set[int] | None:
    """The glyph IDs a CID font's text uses: the keys of its widths (/W), which WeasyPrint
    writes for every glyph it shows (Identity mapping: CID = glyph ID). None: not such a
    font."""
    if font.get("/Subtype") != "/CIDFontType2" or str(font.get("/CIDToGIDMap", "/Identity")) \
            != "/Identity" or "/W" not in font:
        return None
    used, items, index = set(), list(font["/W"].get_object()), 0
    while index < len(items):
        first = int(items[index])
        following = items[index + 1].get_object() if index + 1 < len(items) else None
        if isinstance(following, list):
            used.update(range(first, first + len(following)))
            index += 2
        else:
            used.update(range(first, int(following) + 1))
            index += 3
    return used


def _merge(base, base_used: set[int], other, other_used: set[int]) -> None:
    """Add to ``base`` the glyphs of ``other`` that its text uses, at their IDs (the IDs the
    text refers to are the full font's in every subset). Glyphs a subset holds only as parts
    of others (the dot of an i) may sit at other IDs in each: they are matched by their
    outline, or added at the end, and the composite glyphs refer to them there."""
    order, their_order = base.getGlyphOrder(), other.getGlyphOrder()
    glyphs, theirs = base["glyf"], other["glyf"]
    # Room for the IDs the other's text uses: base's own parts-only glyphs sitting there
    # move to the end first.
    _make_room(base, base_used, other_used)
    order = base.getGlyphOrder()
    outlines: dict[bytes, str] | None = None  # base's parts-only glyphs by outline, when asked
    placed: dict[str, str] = {}  # their glyph name → base's

    def by_outline() -> dict[bytes, str]:
        nonlocal outlines
        if outlines is None:
            outlines = {_data(glyphs, name): name for gid, name in enumerate(order)
                        if gid not in base_used and _contours(glyphs, name) > 0}
        return outlines

    def place(name: str) -> str:
        """Base's name for ``other``'s glyph ``name`` (a part of a composite)."""
        if name in placed:
            return placed[name]
        gid = their_index[name]
        if gid in other_used:
            copy_used(gid)
            placed[name] = order[gid]
            return order[gid]
        simple = _contours(theirs, name) > 0
        if simple:
            found = by_outline().get(_data(theirs, name))
            if found is not None:
                placed[name] = found
                return found
        new = _append(base, _copied(theirs, name, place), other["hmtx"][name])
        if simple:
            by_outline()[_data(theirs, name)] = new
        placed[name] = new
        return new

    def copy_used(gid: int) -> None:
        name, target = their_order[gid], order[gid]
        if gid in base_used:
            if _contours(theirs, name) > 0 and _contours(glyphs, target) > 0 \
                    and _data(theirs, name) != _data(glyphs, target):
                raise _Disagree(target)
            return
        base_used.add(gid)
        glyphs.glyphs[target] = _copied(theirs, name, place)
        base["hmtx"][target] = other["hmtx"][name]

    their_index = {name: i for i, name in enumerate(their_order)}
    for gid in sorted(other_used):
        if gid < len(their_order):
            copy_used(gid)
    # What rasterisers size their buffers by, and the font's bounds: the larger of the two.
    mine, its = base["maxp"], other["maxp"]
    for field in MAXP_FIELDS:
        if hasattr(mine, field) and hasattr(its, field):
            setattr(mine, field, max(getattr(mine, field), getattr(its, field)))
    head, their_head = base["head"], other["head"]
    head.xMin, head.yMin = min(head.xMin, their_head.xMin), min(head.yMin, their_head.yMin)
    head.xMax, head.yMax = max(head.xMax, their_head.xMax), max(head.yMax, their_head.yMax)


MAXP_FIELDS = ("maxPoints", "maxContours", "maxCompositePoints", "maxCompositeContours",
               "maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs",
               "maxInstructionDefs", "maxStackElements", "maxSizeOfInstructions",
               "maxComponentElements", "maxComponentDepth")


def _copied(table, name: str, place):
    """A copy of the glyph ``name`` of ``table``; a composite's parts named by ``place``."""
    from fontTools.ttLib.tables._g_l_y_f import Glyph

    if _contours(table, name) >= 0:  # a simple glyph (or none): its bytes as they are
        glyph = table.glyphs[name]
        data = getattr(glyph, "data", None)
        return Glyph(data) if data is not None else copy.deepcopy(glyph)
    glyph = copy.deepcopy(table[name])
    for component in glyph.components:
        component.glyphName = place(component.glyphName)
    return glyph


def _append(font, glyph, metrics) -> str:
    """Add ``glyph`` at the end of ``font``; its name."""
    order = list(font.getGlyphOrder())
    name = f"glyph{len(order):05d}"
    while name in font["glyf"].glyphs:
        name += "_"
    order.append(name)
    font.setGlyphOrder(order)
    font["glyf"].setGlyphOrder(order)
    font["glyf"].glyphs[name] = glyph
    font["hmtx"].metrics[name] = metrics
    return name


def _make_room(font, used: set[int], wanted: set[int]) -> None:
    """Make the IDs in ``wanted`` free or used alike in ``font``: it grows to hold them, and
    a glyph there that its own text does not use (a part of a composite) moves to the end,
    its composites following it."""
    from fontTools.ttLib.tables._g_l_y_f import Glyph

    glyphs = font["glyf"]
    order = list(font.getGlyphOrder())
    size = max(wanted, default=-1) + 1
    if size > len(order):
        for gid in range(len(order), size):
            name = f"glyph{gid:05d}"
            while name in glyphs.glyphs:
                name += "_"
            order.append(name)
            glyphs.glyphs[name] = Glyph()
            font["hmtx"].metrics[name] = (0, 0)
        font.setGlyphOrder(order)
        glyphs.setGlyphOrder(order)
    moved = {}
    for gid in sorted(wanted):
        name = order[gid]
        if gid not in used and _contours(glyphs, name) != 0:
            moved[name] = _append(font, glyphs.glyphs[name], font["hmtx"][name])
            glyphs.glyphs[name] = Glyph()
    if moved:
        for name in font.getGlyphOrder():
            if _contours(glyphs, name) < 0:
                glyph = glyphs[name]
                for component in glyph.components:
                    component.glyphName = moved.get(component.glyphName, component.glyphName)


def _contours(table, name: str) -> int:
    """The glyph's number of contours (-1: a composite, 0: nothing drawn), read without
    unpacking the glyph."""
    glyph = table.glyphs[name]
    data = getattr(glyph, "data", None)
    if data is None:
        return glyph.numberOfContours
    return int.from_bytes(data[:2], "big", signed=True) if data else 0


def _data(table, name: str) -> bytes:
    """A simple glyph's bytes as stored (read once; a copied glyph is compiled)."""
    glyph = table.glyphs[name]
    data = getattr(glyph, "data", None)
    return data if data is not None else glyph.compile(table)



def _program_stream(program: bytes) -> StreamObject:
    """A TrueType program as a PDF stream (FontFile2)."""
    stream = StreamObject()
    stream._data = zlib.compress(program, 6)
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    stream[NameObject("/Length1")] = NumberObject(len(program))
    return stream
