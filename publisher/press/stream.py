"""A print file written as it grows: the combined file of a personalised run.

pypdf keeps a whole document in memory until it writes it, and a guest list may have a
hundred thousand rows. Here each added PDF's pages are finished and written out at once, and
only the page list, the object offsets and the digests of recently written objects stay in
memory. Objects that arrive again byte for byte (the pages every guest shares, their fonts
and pictures) are written once and referenced from every page that uses them, so the file
stays near the size of its distinct content.
"""

from __future__ import annotations

import hashlib
import io
from array import array
from collections import OrderedDict
from typing import BinaryIO

from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
    StreamObject,
    TextStringObject,
)

from ..pdf import stream
from .finishing import (
    PressSpec,
    document_id,
    id_hash,
    info_entries,
    output_intent,
    xmp,
)

CATALOG, PAGES, INFO = 1, 2, 3  # object numbers reserved for the document's own objects
REMEMBERED = 20_000  # digests of written objects kept for reuse (about 2 MB)


class StreamedPdf:
    """``add`` finished print files in order, then ``close``: one print-ready PDF/X-4 file in
    ``file``, their pages copied as they are."""

    def __init__(self, file: BinaryIO, spec: PressSpec):
        self.file, self.spec = file, spec
        self.offsets = array("Q", [0, 0, 0, 0])  # by object number; 0: not yet written
        self.kids = array("Q")
        self.position = 0
        self._seen: OrderedDict[bytes, int] = OrderedDict()
        self._id = id_hash(spec)
        self._write(b"%PDF-1.6\n%\xe2\xe3\xcf\xd3\n")

    @property
    def pages(self) -> int:
        return len(self.kids)

    def add(self, data: bytes) -> None:
        """Append every page of the finished PDF ``data``."""
        self.source(data)
        self.add_pages(PdfReader(io.BytesIO(data)).pages)

    def add_unfinished(self, data: bytes, indices: list[int] | None = None) -> None:
        """Append pages of an unfinished PDF (all, or those at ``indices``, in that order,
        repeats allowed) with their boxes and marks. Its bytes are not counted as a source:
        see :meth:`source`."""
        from pypdf import PdfWriter

        from .finishing import finish_pages

        pages = PdfReader(io.BytesIO(data)).pages
        writer = PdfWriter()
        for index in range(len(pages)) if indices is None else indices:
            writer.add_page(pages[index])
        finish_pages(writer, self.spec, first=len(self.kids))
        self.add_pages(writer.pages)

    def add_pages(self, pages) -> None:
        copier = _Copier(self)  # object numbers are those of one source file
        for page in pages:
            self.kids.append(copier.page(page))

    def source(self, data: bytes) -> None:
        """Count ``data`` among the files the document ID is made from."""
        self._id.update(hashlib.sha256(data).digest())

    def close(self, *, outline: list[tuple[str, int]] = (), labels: bool = False) -> None:
        """Write the page tree, the catalog with its output intent, the document information
        and metadata, and the cross-reference table. ``outline``: bookmarks, each a title
        and the 0-based page it opens; ``labels``: page labels 1, 2, 3 … (as the folios)."""
        digest = self._id.digest()
        spec = self.spec
        profile = self._object(_serialise(stream(spec.profile, N=4)))
        metadata = stream(xmp(spec, document_id(digest)))
        metadata[NameObject("/Type")] = NameObject("/Metadata")
        metadata[NameObject("/Subtype")] = NameObject("/XML")
        metadata = self._object(_serialise(metadata))
        kids = b" ".join(b"%d 0 R" % number for number in self.kids)
        self._object(b"<< /Type /Pages /Count %d /Kids [%s] >>" % (len(self.kids), kids),
                     PAGES)
        catalog = DictionaryObject({
            NameObject("/Type"): NameObject("/Catalog"),
            NameObject("/Pages"): IndirectObject(PAGES, 0, None),
            NameObject("/OutputIntents"): ArrayObject(
                [output_intent(spec, IndirectObject(profile, 0, None))]),
            NameObject("/Lang"): TextStringObject(spec.language),
            NameObject("/Metadata"): IndirectObject(metadata, 0, None),
        })
        if labels:
            catalog[NameObject("/PageLabels")] = DictionaryObject({NameObject("/Nums"): ArrayObject(
                [NumberObject(0), DictionaryObject({NameObject("/S"): NameObject("/D")})])})
        if outline:
            catalog[NameObject("/Outlines")] = IndirectObject(self._outline(outline), 0, None)
            catalog[NameObject("/PageMode")] = NameObject("/UseOutlines")
        self._object(_serialise(catalog), CATALOG)
        info = DictionaryObject({NameObject(key): TextStringObject(value)
                                 for key, value in info_entries(spec).items()})
        info[NameObject("/Trapped")] = NameObject("/False")
        self._object(_serialise(info), INFO)

        start = self.position
        size = len(self.offsets)
        self._write(b"xref\n0 %d\n0000000000 65535 f \n" % size)
        for first in range(1, size, 4096):
            self._write(b"".join(b"%010d 00000 n \n" % offset
                                 for offset in self.offsets[first:first + 4096]))
        file_id = ByteStringObject(digest[:16])
        trailer = DictionaryObject({
            NameObject("/Size"): NumberObject(size),
            NameObject("/Root"): IndirectObject(CATALOG, 0, None),
            NameObject("/Info"): IndirectObject(INFO, 0, None),
            NameObject("/ID"): ArrayObject([file_id, file_id]),
        })
        self._write(b"trailer\n" + _serialise(trailer) + b"\nstartxref\n%d\n%%%%EOF\n" % start)

    def _outline(self, items: list[tuple[str, int]]) -> int:
        """The bookmarks, one level deep: the outline's number."""
        root = self.reserve()
        numbers = [self.reserve() for _ in items]
        for index, ((title, page), number) in enumerate(zip(items, numbers)):
            item = DictionaryObject({
                NameObject("/Title"): TextStringObject(title),
                NameObject("/Parent"): IndirectObject(root, 0, None),
                NameObject("/Dest"): ArrayObject([IndirectObject(self.kids[page], 0, None),
                                                  NameObject("/Fit")]),
            })
            if index:
                item[NameObject("/Prev")] = IndirectObject(numbers[index - 1], 0, None)
            if index < len(items) - 1:
                item[NameObject("/Next")] = IndirectObject(numbers[index + 1], 0, None)
            self._object(_serialise(item), number)
        self._object(b"<< /Type /Outlines /First %d 0 R /Last %d 0 R /Count %d >>"
                     % (numbers[0], numbers[-1], len(items)), root)
        return root

    # -- objects ---------------------------------------------------------------------------

    def _object(self, body: bytes, number: int | None = None) -> int:
        """Write an object (at ``number``, a reserved one, else the next); its number."""
        if number is None:
            number = self.reserve()
        self.offsets[number] = self.position
        self._write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
        return number

    def reserve(self) -> int:
        self.offsets.append(0)
        return len(self.offsets) - 1

    def shared(self, body: bytes) -> int:
        """The number of an object with exactly this body: written before, else now."""
        key = hashlib.sha256(body).digest()
        number = self._seen.get(key)
        if number is not None:
            self._seen.move_to_end(key)
            return number
        number = self._seen[key] = self._object(body)
        if len(self._seen) > REMEMBERED:
            self._seen.popitem(last=False)
        return number

    def _write(self, data: bytes) -> None:
        self.file.write(data)
        self.position += len(data)


class _Copier:
    """Copies the objects of one added PDF, each once, children before their parents (so a
    parent's body holds its children's final numbers and identical subtrees are shared)."""

    def __init__(self, target: StreamedPdf):
        self.target = target
        self.numbers: dict[tuple[int, int], int] = {}
        self.visiting: dict[tuple[int, int], int | None] = {}

    def page(self, page) -> int:
        body = DictionaryObject({NameObject(key): self.value(value)
                                 for key, value in page.items() if key != "/Parent"})
        body[NameObject("/Parent")] = IndirectObject(PAGES, 0, None)
        return self.target._object(_serialise(body))  # a page is never shared: it is a place

    def value(self, value):
        if isinstance(value, IndirectObject):
            return IndirectObject(self.number(value), 0, None)
        if isinstance(value, StreamObject):
            copy = StreamObject()
            copy._data = value._data  # as stored: still compressed
            for key, item in value.items():
                if key != "/Length":
                    copy[NameObject(key)] = self.value(item)
            return copy
        if isinstance(value, DictionaryObject):
            return DictionaryObject({NameObject(key): self.value(item)
                                     for key, item in value.items()})
        if isinstance(value, ArrayObject):
            return ArrayObject(self.value(item) for item in value)
        return value

    def number(self, reference: IndirectObject) -> int:
        key = (reference.idnum, reference.generation)
        if key in self.numbers:
            return self.numbers[key]
        if key in self.visiting:  # a cycle: this object gets its number now, unshared
            if self.visiting[key] is None:
                self.visiting[key] = self.target.reserve()
            return self.visiting[key]
        self.visiting[key] = None
        body = _serialise(self.value(reference.get_object()))
        reserved = self.visiting.pop(key)
        number = self.target._object(body, reserved) if reserved is not None \
            else self.target.shared(body)
        self.numbers[key] = number
        return number


def _serialise(value) -> bytes:
    buffer = io.BytesIO()
    value.write_to_stream(buffer)
    return buffer.getvalue()
