"""Proofs for review without a PDF viewer: one PNG per page, cut at the trim as a reader sees
it, and contact sheets of reader spreads (the cover alone, then 2–3, 4–5 …)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import PublisherError

SPREADS_PER_ROW = 3
ROWS_PER_SHEET = 4
THUMB_HEIGHT = 320      # pixels, a page on the contact sheet
GAP = 36                # between spreads
LABEL = 28              # room under a spread for its page numbers
PAPER = (250, 250, 248)
BACKGROUND = (214, 216, 220)
INK = (60, 64, 72)


@dataclass
class Proofs:
    pages: list[Path] = field(default_factory=list)
    contact_sheets: list[Path] = field(default_factory=list)


def reader_spreads(pages: int) -> list[tuple[int | None, int | None]]:
    """Pages as a reader sees them open: (left, right), the cover alone on the right."""
    spreads: list[tuple[int | None, int | None]] = [(None, 1)] if pages else []
    for left in range(2, pages + 1, 2):
        spreads.append((left, left + 1 if left + 1 <= pages else None))
    return spreads


def proof(source: Path, out_dir: Path, *, dpi: float = 100, bleed: bool = False) -> Proofs:
    """Render ``source`` into ``out_dir``: ``page-NN.png`` and ``contact-N.png``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    result = Proofs()
    images = []
    pages = list(rendered_pages(source, dpi=dpi, bleed=bleed))
    digits = max(2, len(str(len(pages))))
    for index, (image, _text) in enumerate(pages):
        path = out_dir / f"page-{index + 1:0{digits}d}.png"
        image.save(path, optimize=True)
        result.pages.append(path)
        images.append(_thumbnail(image))

    spreads = reader_spreads(len(images))
    per_sheet = SPREADS_PER_ROW * ROWS_PER_SHEET
    for number, start in enumerate(range(0, len(spreads), per_sheet), 1):
        sheet = _contact_sheet(spreads[start:start + per_sheet], images)
        path = out_dir / f"contact-{number}.png"
        sheet.save(path, optimize=True)
        result.contact_sheets.append(path)
    _remove_stale(out_dir, {*result.pages, *result.contact_sheets})
    return result


def rendered_pages(source: Path, *, dpi: float = 100, bleed: bool = False):
    """Each page of ``source`` as (RGB image cut at the trim, its text)."""
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(str(source))
    except pypdfium2.PdfiumError as error:
        raise PublisherError(f"not a readable PDF ({error})", path=source) from None
    try:
        for page in document:
            image = page.render(scale=dpi / 72, crop=_crop(page, bleed)).to_pil().convert("RGB")
            textpage = page.get_textpage()
            text = textpage.get_text_range()
            textpage.close()
            page.close()
            yield image, text
    finally:
        document.close()


def _crop(page, bleed: bool) -> tuple[float, float, float, float]:
    """Points to cut from each side of the rendered box (the CropBox) to show the trim."""
    x0, y0, x1, y1 = page.get_cropbox()
    tx0, ty0, tx1, ty1 = page.get_bleedbox() if bleed else page.get_trimbox()
    return max(tx0 - x0, 0), max(ty0 - y0, 0), max(x1 - tx1, 0), max(y1 - ty1, 0)


def _thumbnail(image):
    width = round(image.width * THUMB_HEIGHT / image.height)
    return image.resize((width, THUMB_HEIGHT))


def _contact_sheet(spreads, images):
    from PIL import Image, ImageDraw, ImageFont

    page_width = max(image.width for image in images)
    spread_width = 2 * page_width
    rows = -(-len(spreads) // SPREADS_PER_ROW)
    columns = min(len(spreads), SPREADS_PER_ROW)
    sheet = Image.new("RGB", (GAP + columns * (spread_width + GAP),
                              GAP + rows * (THUMB_HEIGHT + LABEL + GAP)), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=16)
    for index, (left, right) in enumerate(spreads):
        row, column = divmod(index, SPREADS_PER_ROW)
        x = GAP + column * (spread_width + GAP)
        y = GAP + row * (THUMB_HEIGHT + LABEL + GAP)
        for number, offset in ((left, 0), (right, page_width)):
            if number is None:
                continue
            image = images[number - 1]
            # A soft shadow, then the page; left pages sit against the fold.
            px = x + offset + (page_width - image.width if offset == 0 else 0)
            draw.rectangle((px + 3, y + 3, px + image.width + 3, y + THUMB_HEIGHT + 3),
                           fill=(180, 182, 188))
            sheet.paste(image, (px, y))
        if left is not None and right is not None:
            draw.line((x + page_width, y, x + page_width, y + THUMB_HEIGHT), fill=(200, 200, 200))
        label = "-".join(  # the built-in label font has no en dash
            str(n) for n in (left, right) if n is not None)
        draw.text((x + page_width, y + THUMB_HEIGHT + 8), label, fill=INK, font=font,
                  anchor="mt")
    return sheet


def _remove_stale(out_dir: Path, written: set[Path]) -> None:
    # Pages of an earlier, longer proof would otherwise look like part of this one.
    for pattern in ("page-*.png", "contact-*.png"):
        for path in out_dir.glob(pattern):
            if path not in written:
                path.unlink()
