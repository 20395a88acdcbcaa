"""All messages → one saddle-stitched booklet, assembled with pypdf from rendered parts.

Order: cover, imprint, contents; each message from a right-hand (odd) page; blank pages
where the fold needs them; the back cover last, on a page count that is a multiple of 4.
Folios run on from the cover (page 1); page labels and the contents page use the same numbers.

The parts (front matter, each message at its folio, back cover) are rendered independently,
so they can be rendered in parallel and reused from the cache; :func:`assemble` puts them
together.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import BinaryIO

from ..compose.layout import Layout
from ..compose.render import Renderer
from ..errors import PublisherError
from ..sources.content import Message
from .finishing import PressSpec
from .fontunion import FontUnion
from .parts import Part
from .screen import screen_part
from .text import spell_out
from .stream import ScreenPdf, StreamedPdf

PAGES_PER_SIGNATURE = 4  # saddle stitch: sheets folded once, nested


@dataclass(frozen=True)
class BookletPlan:
    """Where everything sits, as 1-based page numbers (= printed folios = page labels)."""

    starts: dict[str, int]   # message slug → folio of its first page
    pages: int
    # Bytes of the embedded font programs: the parts' subsets, and the merged ones written.
    fonts: tuple[int, int] = (0, 0)


# -- parts --------------------------------------------------------------------------------------

def render_front(messages: list[Message], starts: dict[str, int], layout: Layout,
                 renderer: Renderer, screen: bool = False) -> Part:
    """Cover, contents and imprint; without ``starts`` the contents has no numbers yet (it is
    laid out to measure how long the front matter is). ``screen``: with the screen edition's
    pages too (all parts: from the same layout)."""
    contents = [(message, starts.get(message.slug, 0)) for message in messages]
    document = renderer.render(layout.html("booklet-front", messages=messages, contents=contents),
                               source=layout.project.config_path)
    return _part(document, renderer, screen)


def render_part(message: Message, folio: int, layout: Layout, renderer: Renderer,
                screen: bool = False) -> Part:
    """One message of the booklet, its first page numbered ``folio``."""
    document = renderer.render(layout.html("booklet-message", messages=[message],
                                           start_folio=folio), source=message.path)
    return _part(document, renderer, screen)


def render_back(messages: list[Message], layout: Layout, renderer: Renderer,
                screen: bool = False) -> Part:
    """Two pages: the back cover, and a blank page to repeat where the fold needs one."""
    document = renderer.render(layout.html("booklet-back", messages=messages),
                               source=layout.project.config_path)
    return _part(document, renderer, screen, [document.pages[0], document.pages[-1]])


def _part(document, renderer: Renderer, screen: bool, pages=None) -> Part:
    return Part(spell_out(renderer.write(document, pages)), len(pages or document.pages),
                screen=screen_part(*renderer.write_screen(document, pages),
                                   profile=renderer.profile) if screen else b"")


# -- the plan and the assembly ------------------------------------------------------------------

def front_length(front: Part) -> int:
    """Pages before the first message: the front matter, ending on a left-hand page."""
    return _even(front.pages)


def plan_starts(messages: list[Message], front_pages: int,
                lengths: dict[str, int]) -> dict[str, int]:
    """Each message's first folio: after the front matter, every message on a right-hand page."""
    starts, folio = {}, front_pages + 1
    for message in messages:
        starts[message.slug] = folio
        folio += _even(lengths[message.slug])
    return starts


def shared_fonts(messages: list[Message], front: Part, parts: Mapping[str, Part], back: Part,
                 *, screen: bool = False) -> FontUnion:
    """Every face of the booklet once: the parts' subsets merged (fontunion.py). The parts
    are loaded one at a time; only the merged fonts stay in memory. Print and screen parts
    embed the same subsets, so one union serves both editions."""
    fonts = FontUnion()
    for part in (front, *(parts[message.slug] for message in messages), back):
        fonts.add(part.screen if screen else part.pdf)
    return fonts


def assemble(messages: list[Message], front: Part, parts: Mapping[str, Part], back: Part,
             starts: dict[str, int], spec: PressSpec, layout: Layout, file: BinaryIO,
             *, screen: bool = False, fonts: FontUnion | None = None) -> BookletPlan:
    """Write the booklet into ``file`` as its parts arrive: ``parts`` may load each message's
    part only when it is asked for, so memory stays flat however many messages there are.
    ``screen``: the screen edition, from the parts' screen pages (the same pages, in the
    same order, so that folios, page labels and contents agree in both). ``fonts``: the
    merged faces (:func:`shared_fonts`) that replace the parts' subsets."""
    first = min(starts.values(), default=front_length(front) + 1)
    if front_length(front) != first - 1:
        raise PublisherError("the contents page changed length once page numbers were added",
                             path=layout.dir, fix="give the contents page more room in the layout")
    def pdf(part: Part) -> bytes:
        return part.screen if screen else part.pdf

    booklet = (ScreenPdf if screen else StreamedPdf)(file, spec, fonts)

    def blanks(count: int) -> None:
        if count > 0:
            booklet.add_unfinished(pdf(back), [1] * count)  # the back part's blank page

    booklet.source(pdf(front))
    booklet.add_unfinished(pdf(front))
    blanks(first - 1 - front.pages)
    for index, message in enumerate(messages):
        part = parts[message.slug]
        booklet.source(pdf(part))
        booklet.add_unfinished(pdf(part))
        if index < len(messages) - 1 and part.pages % 2:
            blanks(1)  # the next message starts on the right
    blanks(-(booklet.pages + 1) % PAGES_PER_SIGNATURE)
    booklet.source(pdf(back))
    booklet.add_unfinished(pdf(back), [0])
    total = booklet.pages
    assert total % PAGES_PER_SIGNATURE == 0, total
    # One decimal range of page labels, like the folios.
    booklet.close(labels=True, outline=[(m.outline_title, starts[m.slug] - 1)
                                        for m in messages])
    return BookletPlan(starts=starts, pages=total,
                       fonts=(fonts.before, fonts.after) if fonts else (0, 0))


def collection(messages: list[Message], brochures: Mapping[str, Part], spec: PressSpec,
               file: BinaryIO, *, screen: bool = False) -> BookletPlan:
    """Letterfolds do not bind into a booklet: the combined file is every sheet, both sides,
    in order, for one print run; bookmarks and labels as in a booklet."""
    combined = (ScreenPdf if screen else StreamedPdf)(file, spec)
    starts = {}
    for message in messages:
        starts[message.slug] = combined.pages + 1
        part = brochures[message.slug]
        raw = part.screen if screen else part.raw
        combined.source(raw)
        combined.add_unfinished(raw)
    combined.close(labels=True, outline=[(m.outline_title, starts[m.slug] - 1)
                                         for m in messages])
    return BookletPlan(starts=starts, pages=combined.pages)


def _even(count: int) -> int:
    return count + count % 2
