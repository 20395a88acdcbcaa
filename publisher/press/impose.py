"""Saddle-stitch imposition: a booklet's pages as printer spreads, two pages per sheet side.

Sheet k (0 = outermost) carries pages N-2k and 2k+1 on its front and 2k+2 and N-2k-1 on its
back; printed duplex (flip on the short edge), stacked, folded and stapled, they read 1..N.
Pages are placed by their TrimBox, keep their bleed on the three outer edges, and are cut at
the fold. Inner sheets shift towards the spine by the paper's thickness per sheet (creep), so
the margins still look even after the folded booklet is trimmed.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PdfReadError, PyPdfError
from pypdf.generic import (
    DictionaryObject,
    NameObject,
    RectangleObject,
)

from ..errors import PublisherError
from ..pdf import page_as_form, stream
from ..sources.sizes import SHEETS, US_SHEETS
from .finishing import (
    FOLD_DASH,
    MARK_GAP,
    MARK_LENGTH,
    MM,
    PressSpec,
    crop_mark_lines,
    finish,
    fold_mark_lines,
    registration_space,
    stroke,
)

MARK_ROOM = MARK_GAP + MARK_LENGTH + 1 * MM  # outside the bleed, for crop and fold marks


@dataclass(frozen=True)
class Imposition:
    sheet: str
    sheets: int            # sheets of paper, each printed on both sides
    pages: int             # pages of the booklet, with blanks added to fill the last sheet
    blanks: int            # blank pages added
    bleed: bool            # pages keep their bleed (the sheet is large enough)
    marks: bool            # crop and fold marks drawn (the sheet is large enough)


def sheet_order(pages: int) -> list[tuple[int, int]]:
    """(left, right) page numbers of each sheet side, in printing order: front, back, ...

    ``pages`` is a multiple of 4."""
    sides = []
    for k in range(pages // 4):
        sides.append((pages - 2 * k, 2 * k + 1))       # front
        sides.append((2 * k + 2, pages - 2 * k - 1))   # back
    return sides


def impose(source: Path, target: Path, *, sheet: str | None = None,
           creep: float = 0.1 * MM) -> Imposition:
    """Write ``source``'s pages as saddle-stitch printer spreads to ``target``.

    ``sheet`` is a name from :data:`SHEETS`, or None for the smallest that fits the pages with
    bleed and marks. ``creep`` is the shift towards the spine per sheet, in points."""
    reader = _read(source)
    if not reader.pages:
        raise PublisherError("the PDF has no pages", path=source)
    first = reader.pages[0]
    trim = _box(first.trimbox if "/TrimBox" in first else first.cropbox)
    bleed_box = _box(first.bleedbox) if "/BleedBox" in first else trim
    width, height = trim[2] - trim[0], trim[3] - trim[1]
    bleed = max(0.0, min(trim[0] - bleed_box[0], trim[1] - bleed_box[1],
                         bleed_box[2] - trim[2], bleed_box[3] - trim[3]))

    name, (sheet_w, sheet_h), fit = _choose_sheet(sheet, width, height, bleed, source)
    keep_bleed = fit in ("marks", "bleed")
    marks = fit == "marks"
    bleed = bleed if keep_bleed else 0.0

    count = len(reader.pages)
    total = count + (-count % 4)
    writer = PdfWriter()
    registration = writer._add_object(registration_space())
    forms: dict[int, object] = {}
    spine = sheet_w / 2
    bottom = (sheet_h - height) / 2
    spread = (spine - width, bottom, spine + width, bottom + height)
    sides = sheet_order(total)
    for index, (left, right) in enumerate(sides):
        depth = index // 2  # 0 = the outermost sheet
        shift = min(depth * creep, width / 4)
        resources = {}
        ops = []
        for number, is_left in ((left, True), (right, False)):
            if number > count:
                continue  # a blank page: nothing to print
            page = reader.pages[number - 1]
            form = forms.get(number) or forms.setdefault(number, page_as_form(writer, page))
            page_trim = _box(page.trimbox if "/TrimBox" in page else page.cropbox)
            # Where the page's trim goes; inner sheets move towards the spine by the creep.
            x = (spine - width + shift) if is_left else (spine - shift)
            dx, dy = x - page_trim[0], bottom - page_trim[1]
            # The part of the page that prints: bleed on the outer edges (which move with the
            # creep, as the page does), cut at the fold.
            clip = (x - bleed, bottom - bleed, spine, bottom + height + bleed) if is_left \
                else (spine, bottom - bleed, x + width + bleed, bottom + height + bleed)
            key = f"/P{number}"
            resources[key] = form
            ops.append(f"q {clip[0]:.3f} {clip[1]:.3f} {clip[2] - clip[0]:.3f} "
                       f"{clip[3] - clip[1]:.3f} re W n 1 0 0 1 {dx:.3f} {dy:.3f} cm "
                       f"{key} Do Q")
        if marks:
            start = bleed + MARK_GAP
            ops.append(stroke(crop_mark_lines(spread, start, MARK_LENGTH)))
            # Fold marks: dashed, on the spine, above and below the bleed.
            ops.append(stroke(fold_mark_lines([spine], spread, start, MARK_LENGTH),
                              dash=FOLD_DASH))
        sheet_page = writer.add_blank_page(sheet_w, sheet_h)
        sheet_page[NameObject("/Resources")] = DictionaryObject({
            NameObject("/XObject"): DictionaryObject(
                {NameObject(k): v for k, v in resources.items()}),
            NameObject("/ColorSpace"): DictionaryObject({NameObject("/PublisherReg"):
                                                         registration}),
        })
        content = stream("\n".join(ops).encode())
        content = content.flate_encode()
        sheet_page[NameObject("/Contents")] = writer._add_object(content)
        sheet_page[NameObject("/TrimBox")] = RectangleObject(spread)
        sheet_page[NameObject("/BleedBox")] = RectangleObject(
            (spread[0] - bleed, spread[1] - bleed, spread[2] + bleed, spread[3] + bleed))
        if any("/Group" in page for page in reader.pages):
            sheet_page[NameObject("/Group")] = DictionaryObject({
                NameObject("/Type"): NameObject("/Group"),
                NameObject("/S"): NameObject("/Transparency"),
                NameObject("/CS"): NameObject("/DeviceCMYK")})

    spec = _spec_from(reader)
    if spec is not None:
        data = finish(writer, spec, pages=False)
    else:
        buffer = io.BytesIO()
        writer.write(buffer)
        data = buffer.getvalue()
    _write_atomic(target, data)
    return Imposition(sheet=name, sheets=total // 4, pages=total, blanks=total - count,
                      bleed=keep_bleed, marks=marks)


def _read(source: Path) -> PdfReader:
    try:
        reader = PdfReader(source)
        if reader.is_encrypted:
            raise PublisherError("the PDF is encrypted", path=source,
                                 fix="export it again without a password")
        return reader
    except (PdfReadError, PyPdfError, ValueError, OSError) as error:
        raise PublisherError(f"not a readable PDF ({error})", path=source) from None


def _box(rectangle) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = (float(v) for v in rectangle)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _choose_sheet(sheet: str | None, width: float, height: float, bleed: float,
                  source: Path) -> tuple[str, tuple[float, float], str]:
    """The sheet (landscape, in points) and what fits on it: marks, bleed or trim only."""

    def fit(size_mm) -> str | None:
        long, short = (max(size_mm) * MM, min(size_mm) * MM)
        for kind, room in (("marks", bleed + MARK_ROOM), ("bleed", bleed), ("trim", 0.0)):
            if 2 * width + 2 * room <= long + 0.5 and height + 2 * room <= short + 0.5:
                return kind
        return None

    size = f"{width / MM:.0f} × {height / MM:.0f} mm"
    if sheet is not None:
        key = next((k for k in SHEETS if k.lower() == sheet.lower()), None)
        if key is None:
            raise PublisherError(f"unknown sheet '{sheet}'", fix="use one of "
                                 + ", ".join(SHEETS))
        kind = fit(SHEETS[key])
        if kind is None:
            fitting = [name for name, dimensions in SHEETS.items() if fit(dimensions)]
            raise PublisherError(
                f"two pages of {size} do not fit on {key}", path=source,
                fix=("choose a sheet they fit on: " + ", ".join(fitting)) if fitting
                else "no sheet publisher knows holds two of these pages side by side")
        chosen = key
    else:
        # ISO pages on ISO paper first, US pages on US paper first; then the smallest.
        us_page = any(abs(side / MM - us) < 1 for side in (width, height)
                      for us in (139.7, 215.9, 279.4))
        by_area = sorted(
            SHEETS, key=lambda k: ((k in US_SHEETS) != us_page, SHEETS[k][0] * SHEETS[k][1]))
        chosen = next((k for k in by_area if fit(SHEETS[k]) == "marks"), None) or \
            next((k for k in reversed(by_area) if fit(SHEETS[k])), None)
        if chosen is None:
            raise PublisherError(f"two pages of {size} fit on none of "
                                 + ", ".join(SHEETS), path=source,
                                 fix="impose at the print shop, or use smaller pages")
        kind = fit(SHEETS[chosen])
    long, short = max(SHEETS[chosen]) * MM, min(SHEETS[chosen]) * MM
    return chosen, (long, short), kind


def _spec_from(reader: PdfReader) -> PressSpec | None:
    """The source's print settings (output intent, title, date), to carry onto the sheets."""
    root = reader.trailer["/Root"].get_object()
    intents = root.get("/OutputIntents")
    intent = next((i.get_object() for i in intents.get_object()
                   if i.get_object().get("/S") == "/GTS_PDFX"), None) if intents else None
    profile = intent.get("/DestOutputProfile") if intent is not None else None
    if profile is None:
        return None
    info = reader.trailer.get("/Info")
    info = info.get_object() if info is not None else {}
    title = str(info.get("/Title", "")) or "Booklet"
    return PressSpec(
        bleed=0, slug=0, crop_marks=False, profile=profile.get_object().get_data(),
        condition=str(intent.get("/OutputConditionIdentifier", "")),
        condition_info=str(intent.get("/Info", intent.get("/OutputCondition", ""))),
        registry=str(intent.get("/RegistryName", "")),
        date=_date(str(info.get("/ModDate", info.get("/CreationDate", "")))),
        title=f"{title} (imposed for saddle stitch)",
        author=str(info["/Author"]) if "/Author" in info else None,
        language=str(root.get("/Lang", "en")))


def _date(value: str) -> dt.datetime:
    # The source's date, not now: imposing the same file twice gives the same bytes.
    match = re.match(r"D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?", value)
    if not match:
        return dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    parts = [int(part) if part else default
             for part, default in zip(match.groups(), (1970, 1, 1, 0, 0, 0))]
    return dt.datetime(*parts, tzinfo=dt.timezone.utc)


def _write_atomic(target: Path, data: bytes) -> None:
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.partial")
    temporary.write_bytes(data)
    temporary.replace(target)
