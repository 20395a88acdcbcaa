"""One message → a folded brochure: cover, message, blank pages to fill the sheet, back cover."""

from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter

from ..compose.layout import Layout
from ..compose.render import Renderer
from ..errors import PublisherError
from ..sources.content import Message
from .finishing import PressSpec, finish
from .parts import Part
from .screen import finish_screen
from .text import spell_out

PAGES_PER_SHEET = 4  # one sheet folded once


def make_brochure(message: Message, layout: Layout, renderer: Renderer,
                  spec: PressSpec, *, raw: bool = False, screen: bool = False,
                  **context) -> Part:
    """The print-ready PDF of ``message``'s brochure, with its page count and the number of
    pages the message itself takes (the booklet's plan uses it); with ``screen``, also its
    screen edition, from the same laid-out pages."""
    document = renderer.render(layout.html("brochure", messages=[message], **context),
                               source=message.path)
    if layout.theme.fold == "letterfold":
        pages = letterfold_pages(document, message)
        body_pages = 1
    elif layout.theme.fold == "flat":
        pages = list(document.pages)
        body_pages = len(pages)
    else:
        # The template's last two pages are the back cover and one blank page to repeat.
        *body, back, blank = document.pages
        padding = -(len(body) + 1) % PAGES_PER_SHEET
        pages = [*body, *[blank] * padding, back]
        body_pages = len(body) - 1  # after the cover
    unfinished = spell_out(renderer.write(document, pages))
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(unfinished)))
    title = f"{message.title} — {message.institution}"
    spec = spec.with_title(title, language=message.language)
    pdf = finish(writer, spec, sources=[unfinished])
    # The unfinished PDF is kept where it is used again: a letterfold collection, or the
    # shared pages of a personalised run.
    keep = raw or layout.single_sheets
    return Part(pdf, len(pages), body_pages=body_pages, raw=unfinished if keep else b"",
                screen=finish_screen(*renderer.write_screen(document, pages), spec=spec)
                if screen else b"")


def letterfold_pages(document, message: Message) -> list:
    """The two sides of a letterfold sheet; a message too long for its inside is an error."""
    if len(document.pages) != 2:
        raise PublisherError(
            f"the message is too long for the trifold's three inside panels "
            f"({len(document.pages) - 1} sides of text)", path=message.path,
            fix="shorten the message, or set layout: classic or modern in publication.yaml")
    return list(document.pages)
