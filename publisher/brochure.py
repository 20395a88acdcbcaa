"""One message → a folded brochure: cover, message, blank pages to fill the sheet, back cover."""

from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter

from .content import Message
from .errors import PublisherError
from .layout import Layout
from .press import PressSpec, finish
from .render import Renderer

PAGES_PER_SHEET = 4  # one sheet folded once


def make_brochure(message: Message, layout: Layout, renderer: Renderer,
                  spec: PressSpec) -> tuple[bytes, int]:
    """The print-ready PDF of ``message``'s brochure, and its page count."""
    document = renderer.render(layout.html("brochure", messages=[message]), source=message.path)
    if layout.theme.fold == "letterfold":
        pages = letterfold_pages(document, message)
    else:
        # The template's last two pages are the back cover and one blank page to repeat.
        *body, back, blank = document.pages
        padding = -(len(body) + 1) % PAGES_PER_SHEET
        pages = [*body, *[blank] * padding, back]
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(renderer.write(document, pages))))
    title = f"{message.title} — {message.institution}"
    return finish(writer, spec.with_title(title, language=message.language)), len(pages)


def letterfold_pages(document, message: Message) -> list:
    """The two sides of a letterfold sheet; a message too long for its inside is an error."""
    if len(document.pages) != 2:
        raise PublisherError(
            f"the message is too long for the trifold's three inside panels "
            f"({len(document.pages) - 1} sides of text)", path=message.path,
            fix="shorten the message, or set layout: classic or modern in publication.yaml")
    return list(document.pages)
