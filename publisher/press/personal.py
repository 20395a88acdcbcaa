"""A guest's own brochure: only the cover (``brochure-cover.html``, with ``guest``) or, for
overlay layouts such as letters, only the guest's fields are rendered per row; the brochure's
other pages are rendered once per process and shared by every row. The run over a guest list
is build/personalise.py.
"""

from __future__ import annotations

import io
from pypdf import PdfReader, PdfWriter

from ..errors import PublisherError
from ..sources.data import Row


def overlay_batch(workshop, slug: str, rows: list[Row]) -> list[bytes]:
    """Inside a workshop: brochures for ``rows`` in overlay mode. The letter is rendered once
    (without a guest); one WeasyPrint document holds every row's fields, a page each, and each
    page is laid over the shared first page, which is stored once per file as a Form XObject
    (and once in a combined file: press/stream.py shares objects that arrive again)."""
    from ..pdf import draw_form, page_as_form
    from .brochure import make_brochure
    from .finishing import finish

    message = workshop.messages[slug]
    shared = workshop.shared.get(slug)
    if shared is None:
        shared = workshop.shared[slug] = make_brochure(
            message, workshop.layout, workshop.renderer, workshop.spec, raw=True,
            personal_base=True).raw
    document = workshop.renderer.render(
        workshop.layout.html("personal-overlay", messages=[message],
                             guests=[row.fields for row in rows]), source=message.path)
    if len(document.pages) != len(rows):
        raise PublisherError("a guest's fields run onto a second page of the overlay",
                             path=workshop.layout.dir,
                             fix="shorten the guest fields, or give them more room")
    overlay = workshop.renderer.write(document)
    overlays = PdfReader(io.BytesIO(overlay)).pages
    shared_pages = PdfReader(io.BytesIO(shared)).pages
    results = []
    for index, row in enumerate(rows):
        writer = PdfWriter()
        form = page_as_form(writer, shared_pages[0])
        page = writer.add_page(overlays[index])
        draw_form(writer, page, "/PublisherShared", form, under=True)
        for shared_page in shared_pages[1:]:
            writer.add_page(shared_page)
        title = f"{message.title} — {row.fields['name']}"
        results.append(finish(writer, workshop.spec.with_title(
            title, language=message.language), sources=[overlay, bytes([index]), shared]))
    return results


def personal_brochure(workshop, slug: str, row: Row) -> bytes:
    """Inside a workshop: the print-ready brochure of ``slug`` for ``row``."""
    from .brochure import make_brochure
    from .finishing import finish

    shared = workshop.shared.get(slug)
    if shared is None:  # the pages every guest gets, once per process
        message = workshop.messages[slug]
        part = make_brochure(message, workshop.layout, workshop.renderer, workshop.spec,
                             raw=True)
        shared = workshop.shared[slug] = part.raw
    message = workshop.messages[slug]
    document = workshop.renderer.render(
        workshop.layout.html("brochure-cover", messages=[message], guest=row.fields),
        source=message.path)
    if len(document.pages) != 1:
        raise PublisherError("the personalised cover runs onto a second page",
                             path=workshop.layout.dir,
                             fix="shorten the guest fields, or give the cover more room")
    cover = workshop.renderer.write(document)
    writer = PdfWriter()
    writer.add_page(PdfReader(io.BytesIO(cover)).pages[0])
    for page in PdfReader(io.BytesIO(shared)).pages[1:]:
        writer.add_page(page)
    title = f"{message.title} — {row.fields['name']}"
    return finish(writer, workshop.spec.with_title(title, language=message.language),
                  sources=[cover, shared])
