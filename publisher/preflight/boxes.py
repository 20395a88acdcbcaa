"""Page boxes and folding: the finished size, the bleed around it, and sheets that fold."""

from __future__ import annotations

from collections.abc import Iterator

from .document import Document
from .report import MM, Finding, Options

TOLERANCE = 0.05  # points: rounding in other tools' box arithmetic


def _inside(inner, outer) -> bool:
    return (inner[0] >= outer[0] - TOLERANCE and inner[1] >= outer[1] - TOLERANCE
            and inner[2] <= outer[2] + TOLERANCE and inner[3] <= outer[3] + TOLERANCE)


def _mm(points: float) -> str:
    return f"{points / MM:.1f} mm".replace(".0 mm", " mm")


def check_boxes(document: Document, options: Options) -> Iterator[Finding]:
    first = document.pages[0].trim if document.pages else None
    for page in document.pages:
        if not page.has_trim:
            yield Finding("error", "boxes.trim", "no TrimBox: the finished page size is not "
                          "defined", "export with bleed and a TrimBox (PDF/X), or set @page "
                          "bleed in the layout", page.number)
        if not _inside(page.bleed, page.media):
            yield Finding("error", "boxes.nesting", "BleedBox reaches outside the MediaBox",
                          "make the media (paper) box at least as large as the bleed",
                          page.number)
        if not _inside(page.trim, page.bleed):
            yield Finding("error", "boxes.nesting", "TrimBox reaches outside the BleedBox",
                          "the bleed must surround the trimmed page", page.number)
        elif page.has_trim:
            sides = dict(zip(("left", "bottom", "right", "top"),
                             (page.trim[0] - page.bleed[0], page.trim[1] - page.bleed[1],
                              page.bleed[2] - page.trim[2], page.bleed[3] - page.trim[3])))
            short = {side: amount for side, amount in sides.items()
                     if amount < options.min_bleed - TOLERANCE}
            if short:
                least = min(short.values())
                yield Finding(
                    "error", "boxes.bleed",
                    f"bleed is {_mm(least)} ({', '.join(short)}); at least "
                    f"{_mm(options.min_bleed)} is needed on every side",
                    f"set the bleed to {_mm(options.min_bleed)} (publication.yaml page.bleed) "
                    "and extend backgrounds and pictures to the bleed edge", page.number)
        width, height = page.trim[2] - page.trim[0], page.trim[3] - page.trim[1]
        if first and (abs(width - (first[2] - first[0])) > 0.5
                      or abs(height - (first[3] - first[1])) > 0.5):
            yield Finding("error", "boxes.size",
                          f"trim size {_mm(width)} × {_mm(height)} differs from page 1 "
                          f"({_mm(first[2] - first[0])} × {_mm(first[3] - first[1])})",
                          "give every page the same page size", page.number)


def check_folding(document: Document, options: Options) -> Iterator[Finding]:
    count = len(document.pages)
    if options.fold and count > 2 and count % 4:
        missing = -count % 4
        yield Finding("error", "fold.pages",
                      f"{count} pages do not fold: folded sheets carry pages in fours",
                      f"add {missing} page{'s' if missing > 1 else ''} (blank pages before the "
                      "back cover), or check with --no-fold for a flat, unfolded print")
