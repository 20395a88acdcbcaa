"""All messages → one saddle-stitched booklet, assembled with pypdf from rendered parts.

Order: cover, imprint, contents; each message from a right-hand (odd) page; blank pages
where the fold needs them; the back cover last, on a page count that is a multiple of 4.
Folios run on from the cover (page 1); page labels and the contents page use the same numbers.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from pypdf import PdfReader, PdfWriter
from pypdf.constants import PageLabelStyle

from .content import Message
from .errors import PublisherError
from .layout import Layout
from .press import PressSpec, finish
from .render import Renderer

PAGES_PER_SIGNATURE = 4  # saddle stitch: sheets folded once, nested


@dataclass(frozen=True)
class BookletPlan:
    """Where everything sits, as 1-based page numbers (= printed folios = page labels)."""

    starts: dict[str, int]   # message slug → folio of its first page
    pages: int


def make_booklet(messages: list[Message], layout: Layout, renderer: Renderer,
                 spec: PressSpec) -> tuple[bytes, BookletPlan]:
    if layout.theme.fold == "letterfold":
        return _collection(messages, layout, renderer, spec)
    config = layout.project.config_path

    def front(starts: dict[str, int]):
        contents = [(message, starts.get(message.slug, 0)) for message in messages]
        return renderer.render(layout.html("booklet-front", messages=messages, contents=contents),
                               source=config)

    # The contents page needs the folios, which need the front matter's length: lay out the
    # front once to measure it, the messages at their folios, then the front with the numbers.
    front_length = _even(len(front({}).pages))
    starts: dict[str, int] = {}
    parts = []
    folio = front_length + 1
    for index, message in enumerate(messages):
        document = renderer.render(
            layout.html("booklet-message", messages=[message], start_folio=folio),
            source=message.path)
        starts[message.slug] = folio
        parts.append(document)
        length = len(document.pages)
        last = index == len(messages) - 1
        folio += length if last else _even(length)  # the next message starts on the right

    front_document = front(starts)
    if _even(len(front_document.pages)) != front_length:
        raise PublisherError("the contents page changed length once page numbers were added",
                             path=layout.dir, fix="give the contents page more room in the layout")

    back = renderer.render(layout.html("booklet-back", messages=messages), source=config)
    # One write gives both pages the booklet needs from it: the back cover and a blank.
    back_page, blank_page = _pdf_pages(renderer.write(back, [back.pages[0], back.pages[-1]]))
    before_back = folio - 1
    padding = -(before_back + 1) % PAGES_PER_SIGNATURE

    writer = PdfWriter()

    def add(pages):
        for page in pages:
            writer.add_page(page)

    add(_pdf_pages(renderer.write(front_document)))
    add([blank_page] * (front_length - len(front_document.pages)))
    for index, document in enumerate(parts):
        add(_pdf_pages(renderer.write(document)))
        if index < len(parts) - 1 and len(document.pages) % 2:
            add([blank_page])
    add([blank_page] * padding)
    add([back_page])
    total = len(writer.pages)
    assert total % PAGES_PER_SIGNATURE == 0, total

    # Labels last: pypdf does not shift them when pages move. One decimal range, like the folios.
    writer.set_page_label(0, total - 1, style=PageLabelStyle.DECIMAL, start=1)
    for message in messages:
        writer.add_outline_item(title=f"{message.institution}: {message.title}",
                                page_number=starts[message.slug] - 1)
    writer.page_mode = "/UseOutlines"
    return finish(writer, spec), BookletPlan(starts=starts, pages=total)


def _collection(messages: list[Message], layout: Layout, renderer: Renderer,
                spec: PressSpec) -> tuple[bytes, BookletPlan]:
    """Letterfolds do not bind into a booklet: the combined file is every sheet, both sides,
    in order, for one print run; bookmarks and labels as in a booklet."""
    from .brochure import letterfold_pages

    pages, starts, documents = [], {}, []
    for message in messages:
        document = renderer.render(layout.html("brochure", messages=[message]),
                                   source=message.path)
        documents.append(document)
        starts[message.slug] = len(pages) + 1
        pages.extend(letterfold_pages(document, message))
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(renderer.write(documents[0], pages))))
    writer.set_page_label(0, len(pages) - 1, style=PageLabelStyle.DECIMAL, start=1)
    for message in messages:
        writer.add_outline_item(title=f"{message.institution}: {message.title}",
                                page_number=starts[message.slug] - 1)
    writer.page_mode = "/UseOutlines"
    return finish(writer, spec), BookletPlan(starts=starts, pages=len(pages))


def _even(count: int) -> int:
    return count + count % 2


def _pdf_pages(data: bytes):
    return PdfReader(io.BytesIO(data)).pages
