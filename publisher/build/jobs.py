"""The jobs a build hands its workshops: each a module-level function of a loaded workshop
(project, messages, layout, renderer, press spec) that makes one part with the press stage."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..preflight import Options, preflight
from ..press import booklet
from ..press.brochure import make_brochure
from ..press.parts import Part
from ..press.personal import overlay_batch, personal_brochure
from .workshop import Job


def brochure(workshop, slug: str, check=None, screen: bool = False) -> Part:
    """A message's brochure (with ``screen``, also its screen edition), preflighted where it
    is made when ``check`` (Options) is given."""
    part = make_brochure(workshop.messages[slug], workshop.layout, workshop.renderer,
                         workshop.spec, screen=screen)
    if check is not None:
        part.report = preflight(Path("brochures") / f"{slug}.pdf", check,
                                data=part.pdf).as_dict()
        if screen:
            part.screen_report = preflight(Path("screen/brochures") / f"{slug}.pdf",
                                           SCREEN_CHECK, data=part.screen).as_dict()
    return part


SCREEN_CHECK = Options(target="pdf/ua-1")


def booklet_part(workshop, slug: str, folio: int, screen: bool = False) -> Part:
    """One message of the booklet, its first page numbered ``folio``."""
    return booklet.render_part(workshop.messages[slug], folio, workshop.layout,
                               workshop.renderer, screen)


def booklet_front(workshop, starts: tuple[tuple[str, int], ...], screen: bool = False) -> Part:
    """The booklet's cover and contents, each message listed at its folio in ``starts``."""
    return booklet.render_front(list(workshop.messages.values()), dict(starts),
                                workshop.layout, workshop.renderer, screen)


def booklet_back(workshop, screen: bool = False) -> Part:
    return booklet.render_back(list(workshop.messages.values()), workshop.layout,
                               workshop.renderer, screen)


def personal(workshop, slug: str, row, check=None, first: bool = False) -> list:
    """One guest's brochure (``row``: data.Row), with its report when ``check`` is given."""
    return _checked([row], [personal_brochure(workshop, slug, row)], check, first)


def overlay(workshop, slug: str, rows: tuple, check=None, first: bool = False) -> list:
    """A batch of guests laid over one shared page (overlay layouts such as letters)."""
    return _checked(rows, overlay_batch(workshop, slug, list(rows)), check, first)


def _checked(rows, pdfs: list[bytes], options, first: bool) -> list:
    """Personalised files with their preflight reports (as dicts), checked where they were
    made; without options, the files alone. Every guest's file shares all but its first page
    with the others: the run's first file is checked whole, every other one on its own page
    (and its boxes and PDF/X keys, which are cheap)."""
    if options is None:
        return pdfs
    own_page = replace(options, pages=(1,))
    return [(pdf, preflight(Path("personalised") / f"{row.key}.pdf",
                            options if first and index == 0 else own_page, data=pdf).as_dict())
            for index, (row, pdf) in enumerate(zip(rows, pdfs, strict=True))]


__all__ = ["Job", "booklet_back", "booklet_front", "booklet_part", "brochure", "overlay",
           "personal"]
