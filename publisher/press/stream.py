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
    BooleanObject,
    ByteStringObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NullObject,
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

    screen = False  # a print file (PDF/X-4); ScreenPdf: a tagged screen file (PDF/UA-1)

    def __init__(self, file: BinaryIO, spec: PressSpec, fonts=None):
        """``fonts``: a FontUnion (fontunion.py) whose merged programs replace the parts'
        subsets, so that each face is stored once."""
        self.file, self.spec, self.fonts = file, spec, fonts
        self.offsets = array("Q", [0, 0, 0, 0])  # by object number; 0: not yet written
        self.kids = array("Q")
        self.position = 0
        self._seen: OrderedDict[bytes, int] = OrderedDict()
        self._id = id_hash(spec)
        self._write(b"%%PDF-%s\n%%\xe2\xe3\xcf\xd3\n" % (b"1.7" if self.screen else b"1.6"))

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
        if self.fonts is not None:
            self.fonts.apply(writer, writer.pages)
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
        metadata = stream(xmp(spec, document_id(digest), screen=self.screen))
        metadata[NameObject("/Type")] = NameObject("/Metadata")
        metadata[NameObject("/Subtype")] = NameObject("/XML")
        metadata = self._object(_serialise(metadata))
        kids = b" ".join(b"%d 0 R" % number for number in self.kids)
        self._object(b"<< /Type /Pages /Count %d /Kids [%s] >>" % (len(self.kids), kids),
                     PAGES)
        catalog = DictionaryObject({
            NameObject("/Type"): NameObject("/Catalog"),
            NameObject("/Pages"): IndirectObject(PAGES, 0, None),
            NameObject("/Lang"): TextStringObject(spec.language),
            NameObject("/Metadata"): IndirectObject(metadata, 0, None),
        })
        catalog.update(self._catalog())
        if labels:
            catalog[NameObject("/PageLabels")] = DictionaryObject({NameObject("/Nums"): ArrayObject(
                [NumberObject(0), DictionaryObject({NameObject("/S"): NameObject("/D")})])})
        if outline:
            catalog[NameObject("/Outlines")] = IndirectObject(self._outline(outline), 0, None)
            catalog[NameObject("/PageMode")] = NameObject("/UseOutlines")
        self._object(_serialise(catalog), CATALOG)
        info = DictionaryObject({NameObject(key): TextStringObject(value) for key, value
                                 in info_entries(spec, screen=self.screen).items()})
        if not self.screen:
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

    def _catalog(self) -> dict:
        """The catalog's entries for this kind of file: the press's output intent."""
        profile = self._object(_serialise(stream(self.spec.profile, N=4)))
        return {NameObject("/OutputIntents"): ArrayObject(
            [output_intent(self.spec, IndirectObject(profile, 0, None))])}

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

    def page(self, page, number: int | None = None) -> int:
        """Copy ``page`` (at ``number``, reserved, else the next number)."""
        body = DictionaryObject({NameObject(key): self.value(value)
                                 for key, value in page.items() if key != "/Parent"})
        body[NameObject("/Parent")] = IndirectObject(PAGES, 0, None)
        # a page is never shared: it is a place
        return self.target._object(_serialise(body), number)

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
            else self.target.shared(body) if self.shareable(reference.get_object()) \
            else self.target._object(body)
        self.numbers[key] = number
        return number

    def shareable(self, value) -> bool:
        """Whether an object may be stored once for every identical copy."""
        return True


def _serialise(value) -> bytes:
    buffer = io.BytesIO()
    value.write_to_stream(buffer)
    return buffer.getvalue()


# -- the screen edition ------------------------------------------------------------------------

FOLIO_LINK = "folio:"  # a link to a page of the booklet by its folio (the contents' entries)


class ScreenPdf(StreamedPdf):
    """Finished screen files (tagged, PDF/UA-1) in order → one tagged file. Each part's
    structure hangs, in page order, under one Document element; its marked-content keys are
    renumbered; its links to other parts (``folio:N``) and to its own anchors become links
    to the booklet's pages."""

    screen = True

    def __init__(self, file: BinaryIO, spec: PressSpec, fonts=None):
        super().__init__(file, spec, fonts)
        self.document = self.reserve()
        self.elements = array("Q")                 # the Document element's children
        self.parent_tree: list[tuple[int, int]] = []  # key → array or element (numbers)
        self.folios: set[int] = set()              # pages that links lead to
        self._parts = 0
        self._keys = 0                             # marked-content keys given out

    def add_unfinished(self, data: bytes, indices: list[int] | None = None) -> None:
        """Append pages of a screen file (all, or those at ``indices``; repeats allowed)."""
        reader = PdfReader(io.BytesIO(data))
        pages = reader.pages
        indices = list(range(len(pages))) if indices is None else indices
        copier = _TaggedCopier(self, f"p{self._parts}-")
        self._parts += 1
        root = reader.trailer["/Root"].get("/StructTreeRoot")
        root = root.get_object() if root is not None else DictionaryObject()
        nums = root.get("/ParentTree", DictionaryObject()).get_object().get("/Nums", [])
        parents = {int(key): value for key, value in zip(nums[::2], nums[1::2])}
        documents = _kids(root)
        for document in documents:  # the part's Document element is the booklet's
            copier.numbers[_key(document)] = self.document
        # Every page gets its number first: elements, links and annotations refer to pages.
        numbers = [self.reserve() for _ in indices]
        for index, number in zip(indices, numbers):
            copier.numbers[_key(pages[index].indirect_reference)] = number
        for page_index in range(len(pages)):  # pages left out: their elements are too
            copier.numbers.setdefault(_key(pages[page_index].indirect_reference), numbers[0])
        destinations = _destinations(reader)
        if self.fonts is not None:  # the merged programs, stored once, in place of the parts'
            self.fonts.apply_copied(pages, copier)
        entries = []
        for index, number in zip(indices, numbers):
            page = pages[index]
            old = page.get("/StructParents")
            key = self._next_key()
            page[NameObject("/StructParents")] = NumberObject(key)
            if old is not None and int(old) in parents:
                entries.append((key, parents[int(old)]))
            for annotation in page.get("/Annots", ArrayObject()):
                annotation = annotation.get_object()
                self._link(annotation, destinations)
                if "/StructParent" in annotation:
                    key = self._next_key()
                    entries.append((key, parents.get(int(annotation["/StructParent"]))))
                    annotation[NameObject("/StructParent")] = NumberObject(key)
            copier.page(page, number)
            self.kids.append(number)
        added = {_key(pages[index].indirect_reference) for index in indices}
        for document in documents:
            for element in _kids(document.get_object()):
                page = element.get_object().get("/Pg")
                if page is None or _key(page) in added:
                    self.elements.append(copier.number(element))
        for key, value in entries:
            if value is None:
                continue
            if isinstance(value, IndirectObject) and not isinstance(value.get_object(),
                                                                    ArrayObject):
                self.parent_tree.append((key, copier.number(value)))
            else:
                self.parent_tree.append(
                    (key, self._object(_serialise(copier.value(value.get_object())))))

    def _next_key(self) -> int:
        self._keys += 1
        return self._keys - 1

    def _link(self, annotation, destinations: dict) -> None:
        """A link to a folio (``folio:N``) or to an anchor of its part, made a link to the
        booklet's page."""
        action = annotation.get("/A")
        action = action.get_object() if action is not None else None
        uri = str(action.get("/URI", "")) if isinstance(action, DictionaryObject) else ""
        target = annotation.get("/Dest")
        if uri.startswith(FOLIO_LINK) and uri[len(FOLIO_LINK):].isdigit():
            folio = int(uri[len(FOLIO_LINK):])
            self.folios.add(folio)
            del annotation["/A"]
            annotation[NameObject("/Dest")] = TextStringObject(_folio_name(folio))
        elif isinstance(target, str) and str(target) in destinations:
            annotation[NameObject("/Dest")] = destinations[str(target)]

    def _catalog(self) -> dict:
        """Structure tree, marked content, the title shown, links to folios; no output intent
        (screens are RGB)."""
        tree_root = self.reserve()
        parent_tree = DictionaryObject({NameObject("/Nums"): ArrayObject(
            item for key, number in sorted(self.parent_tree)
            for item in (NumberObject(key), IndirectObject(number, 0, None)))})
        self._object(_serialise(DictionaryObject({
            NameObject("/Type"): NameObject("/StructElem"),
            NameObject("/S"): NameObject("/Document"),
            NameObject("/P"): IndirectObject(tree_root, 0, None),
            NameObject("/K"): ArrayObject(IndirectObject(number, 0, None)
                                          for number in self.elements),
        })), self.document)
        self._object(_serialise(DictionaryObject({
            NameObject("/Type"): NameObject("/StructTreeRoot"),
            NameObject("/K"): ArrayObject([IndirectObject(self.document, 0, None)]),
            NameObject("/ParentTree"): IndirectObject(self._object(_serialise(parent_tree)),
                                                      0, None),
            NameObject("/ParentTreeNextKey"): NumberObject(self._keys),
        })), tree_root)
        entries = {
            NameObject("/StructTreeRoot"): IndirectObject(tree_root, 0, None),
            NameObject("/MarkInfo"): DictionaryObject({NameObject("/Marked"):
                                                       BooleanObject(True)}),
            NameObject("/ViewerPreferences"): DictionaryObject(
                {NameObject("/DisplayDocTitle"): BooleanObject(True)}),
        }
        folios = sorted(folio for folio in self.folios if 1 <= folio <= len(self.kids))
        if folios:
            names = ArrayObject()
            for folio in folios:
                names.append(TextStringObject(_folio_name(folio)))
                names.append(ArrayObject([IndirectObject(self.kids[folio - 1], 0, None),
                                          NameObject("/Fit")]))
            entries[NameObject("/Names")] = DictionaryObject({NameObject("/Dests"):
                DictionaryObject({NameObject("/Names"): names})})
        return entries


def _folio_name(folio: int) -> str:
    return f"folio-{folio:06d}"  # zero-padded: a name tree is sorted as bytes


def _key(reference) -> tuple[int, int]:
    return (reference.idnum, reference.generation)


def _kids(element) -> list:
    """The indirect children of a structure element (or the tree's root)."""
    kids = element.get("/K")
    if kids is None:
        return []
    kids = kids.get_object() if isinstance(kids, IndirectObject) else kids
    items = kids if isinstance(kids, ArrayObject) else [kids]
    return [kid for kid in items if isinstance(kid, IndirectObject)]


def _destinations(reader: PdfReader) -> dict:
    """A part's named destinations as explicit ones (its name tree is not copied)."""
    found = {}
    try:
        named = reader.named_destinations
    except Exception:  # a part with a damaged name tree: its anchors stay unlinked
        return found
    for name, destination in named.items():
        page = destination.get("/Page")
        if isinstance(page, IndirectObject):
            found[name] = ArrayObject([page, NameObject("/XYZ"), NullObject(), NullObject(),
                                       NullObject()])
    return found


class _TaggedCopier(_Copier):
    """Structure elements and annotations are places in one tree: never shared. Element
    IDs (table headers) get the part's ``prefix``, so that parts' IDs stay distinct."""

    def __init__(self, target: StreamedPdf, prefix: str):
        super().__init__(target)
        self.prefix = prefix

    def shareable(self, value) -> bool:
        return not (isinstance(value, DictionaryObject)
                    and (value.get("/Type") in ("/StructElem", "/Annot", "/OBJR", "/MCR")
                         or "/S" in value and "/P" in value))

    def value(self, value):
        copy = super().value(value)
        if isinstance(copy, DictionaryObject):
            if "/ID" in copy and "/S" in copy and isinstance(copy["/ID"], (str, bytes)):
                copy[NameObject("/ID")] = TextStringObject(self.prefix + str(copy["/ID"]))
            if isinstance(copy.get("/Headers"), ArrayObject):
                copy[NameObject("/Headers")] = ArrayObject(
                    TextStringObject(self.prefix + str(item)) for item in copy["/Headers"])
        return copy
