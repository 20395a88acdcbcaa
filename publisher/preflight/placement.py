"""Where things are drawn (measured with PDFium): text clear of the trim, artwork that bleeds
all the way, nothing lost off the page, no marks inside the bleed, pictures sharp enough, and
text not set over a busy part of a picture."""

from __future__ import annotations

import math
from collections.abc import Iterator

from .document import Box, Document, Page
from .report import MM, Finding, Options

EPSILON = 0.25  # points: anti-aliasing and rounding of object bounds
# Behind readable text a picture is calm: the spread (standard deviation) of its lightness
# there stays below this, on a scale of 0 to 255 (a clear sky ~10, foliage or a crowd 50+).
BUSY = 40


def check_placement(document: Document, options: Options) -> Iterator[Finding]:
    import pypdfium2.raw as raw

    kinds = {raw.FPDF_PAGEOBJ_TEXT: "text", raw.FPDF_PAGEOBJ_IMAGE: "image",
             raw.FPDF_PAGEOBJ_PATH: "artwork", raw.FPDF_PAGEOBJ_SHADING: "artwork"}
    for page in document.pages:
        found: dict[Finding, None] = {}
        texts: list[Box] = []
        pictures: list[tuple[Box, tuple, object]] = []
        pdfium_page = document.pdfium[page.number - 1]
        # Objects inside forms are measured in the form's space: carry each form's matrix,
        # and the clipping that applies to its drawing, in page space.
        forms: list[tuple[int, tuple, Box | None]] = []
        for obj in pdfium_page.get_objects(max_depth=16):
            while forms and forms[-1][0] >= obj.level:
                forms.pop()
            outer, clip = (forms[-1][1], forms[-1][2]) if forms else (IDENTITY, None)
            own_clip = _clip_box(raw, obj)
            if own_clip is not None:
                clip = _intersect(clip, _transform_box(own_clip, outer))
            if obj.type == raw.FPDF_PAGEOBJ_FORM:
                forms.append((obj.level, _compose(_matrix(obj), outer), clip))
                continue
            kind = kinds.get(obj.type)
            if kind is None:
                continue
            bounds = _transform_box(obj.get_bounds(), outer)
            if clip is not None:
                bounds = _intersect(bounds, clip)
                if bounds is None:
                    continue  # clipped away: does not print
            for finding in _place(kind, bounds, page, options):
                found[finding] = None
            if kind == "text":
                texts.append(bounds)
            if kind == "image":
                matrix = _compose(_matrix(obj), outer)
                pictures.append((bounds, matrix, obj))
                for finding in _resolution(obj, matrix, bounds, page, options):
                    found[finding] = None
        for finding in _busy_backgrounds(texts, pictures, page, options):
            found[finding] = None
        pdfium_page.close()
        yield from found


IDENTITY = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _matrix(obj) -> tuple:
    m = obj.get_matrix()
    return (m.a, m.b, m.c, m.d, m.e, m.f)


def _compose(inner: tuple, outer: tuple) -> tuple:
    a, b, c, d, e, f = inner
    A, B, C, D, E, F = outer
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D,
            e * A + f * C + E, e * B + f * D + F)


def _transform_box(box, m: tuple) -> Box:
    x0, y0, x1, y1 = box
    points = [(x * m[0] + y * m[2] + m[4], x * m[1] + y * m[3] + m[5])
              for x in (x0, x1) for y in (y0, y1)]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def _clip_box(raw, obj) -> Box | None:
    """The bounding box of ``obj``'s clipping path, in its parent's space."""
    import ctypes

    clip = raw.FPDFPageObj_GetClipPath(obj)
    if not clip:
        return None
    xs, ys = [], []
    x, y = ctypes.c_float(), ctypes.c_float()
    for path in range(raw.FPDFClipPath_CountPaths(clip)):
        for index in range(raw.FPDFClipPath_CountPathSegments(clip, path)):
            segment = raw.FPDFClipPath_GetPathSegment(clip, path, index)
            if segment and raw.FPDFPathSegment_GetPoint(segment, x, y):
                xs.append(x.value)
                ys.append(y.value)
    return (min(xs), min(ys), max(xs), max(ys)) if xs else None


def _intersect(a: Box | None, b: Box | None) -> Box | None:
    if a is None or b is None:
        return a if b is None else b
    box = (max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3]))
    return box if box[0] < box[2] and box[1] < box[3] else None


def _outside(box: Box, area: Box) -> bool:
    return (box[2] <= area[0] + EPSILON or box[0] >= area[2] - EPSILON
            or box[3] <= area[1] + EPSILON or box[1] >= area[3] - EPSILON)


def _mm(points: float) -> str:
    return f"{points / MM:.1f} mm"


def _place(kind: str, box: Box, page: Page, options: Options) -> Iterator[Finding]:
    trim, bleed = page.trim, page.bleed
    if not page.has_trim or _outside(box, page.media):
        if page.has_trim and _outside(box, page.media) and kind == "text":
            yield Finding("error", "layout.overflow", "text drawn off the page: content "
                          "overflowed its page and will not print",
                          "shorten the text or let it break onto the next page", page.number)
        return
    if _outside(box, bleed):
        return  # printer's marks and slug information, outside the bleed: as it should be
    # How far the object reaches past each trim edge (positive: into the bleed).
    past = (trim[0] - box[0], trim[1] - box[1], box[2] - trim[2], box[3] - trim[3])
    # How far it stays inside each trim edge (positive: clear of the edge).
    clear = (box[0] - trim[0], box[1] - trim[1], trim[2] - box[2], trim[3] - box[3])
    if _outside(box, trim):
        what = "text" if kind == "text" else "marks or artwork"
        yield Finding("error", "layout.in-bleed", f"{what} in the bleed, outside the page: "
                      "it is cut off or shows on the trimmed edge",
                      "draw crop marks outside the bleed (publisher does), and keep content "
                      "inside the page", page.number)
        return
    if kind == "text":
        if max(past) > EPSILON:
            yield Finding("error", "layout.overflow", "text runs past the trim and will be cut",
                          "shorten the text or give it more room in the layout", page.number)
        elif min(clear) < options.safe_margin - EPSILON:
            yield Finding("error", "layout.safe-margin",
                          f"text {_mm(max(min(clear), 0))} from the trim, inside the "
                          f"{_mm(options.safe_margin)} safe margin: trimming may cut it",
                          "move it further from the page edge (theme margins)", page.number)
        return
    bleed_edges = (trim[0] - bleed[0], trim[1] - bleed[1], bleed[2] - trim[2], bleed[3] - trim[3])
    for reach, clearance, room in zip(past, clear, bleed_edges):
        if reach > EPSILON and reach < room - EPSILON:
            yield Finding("warning", "layout.bleed-short",
                          f"{kind} crosses the trim but stops {_mm(room - reach)} short of the "
                          "bleed edge: a white line may show", "extend it to the bleed edge",
                          page.number)
            return
        if abs(clearance) <= EPSILON:
            yield Finding("warning", "layout.bleed-short",
                          f"{kind} ends at the trim without bleed: a white line may show",
                          "extend it past the trim to the bleed edge", page.number)
            return
    near = min(c for c in clear if c > EPSILON) if any(c > EPSILON for c in clear) else None
    if near is not None and min(clear) > EPSILON and near < options.safe_margin - EPSILON:
        yield Finding("warning", "layout.safe-margin",
                      f"{kind} {_mm(near)} from the trim, inside the "
                      f"{_mm(options.safe_margin)} safe margin", "move it away from the edge, "
                      "or extend it into the bleed if it should reach the edge", page.number)


def _resolution(obj, matrix: tuple, box: Box, page: Page, options: Options) -> Iterator[Finding]:
    width_px, height_px = obj.get_px_size()
    if min(width_px, height_px) <= 4 or _outside(box, page.bleed):
        return  # a fill or a rule, not a picture; or not on the printed page
    width_in = math.hypot(matrix[0], matrix[1]) / 72
    height_in = math.hypot(matrix[2], matrix[3]) / 72
    if width_in <= 0 or height_in <= 0:
        return
    ppi = min(width_px / width_in, height_px / height_in)
    if ppi < options.error_ppi - 0.5:
        severity = "error"
    elif ppi < options.warn_ppi - 0.5:
        severity = "warning"
    else:
        return
    yield Finding(severity, "images.resolution",
                  f"{options.picture(width_px, height_px)} printed at {ppi:.0f} ppi "
                  f"(needs {options.warn_ppi:.0f})",
                  f"use a larger original: at this size it needs "
                  f"{math.ceil(width_in * options.warn_ppi)}×"
                  f"{math.ceil(height_in * options.warn_ppi)} px", page.number)


def _busy_backgrounds(texts: list[Box], pictures: list, page: Page,
                      options: Options) -> Iterator[Finding]:
    """Text set over a part of a picture whose lightness varies a lot (a photo's detail): hard
    to read. Measured on the picture's own pixels behind each line of text."""
    bitmaps: dict[int, object] = {}
    for text in texts:
        for index, (bounds, matrix, obj) in enumerate(pictures):
            overlap = _intersect(text, bounds)
            if overlap is None or _area(overlap) < 0.5 * _area(text):
                continue
            if matrix[1] or matrix[2] or not matrix[0] or not matrix[3]:
                continue  # turned or skewed: not measured
            if index not in bitmaps:
                try:
                    bitmaps[index] = obj.get_bitmap(render=False).to_pil().convert("L")
                except Exception:  # a picture PDFium cannot decode alone: not measured
                    bitmaps[index] = None
            picture = bitmaps[index]
            if picture is None:
                continue
            # Page space → the picture's pixels (its unit square: y up, rows from the top).
            left = (overlap[0] - matrix[4]) / matrix[0] * picture.width
            right = (overlap[2] - matrix[4]) / matrix[0] * picture.width
            top = (1 - (overlap[3] - matrix[5]) / matrix[3]) * picture.height
            bottom = (1 - (overlap[1] - matrix[5]) / matrix[3]) * picture.height
            box = tuple(round(v) for v in (min(left, right), min(top, bottom),
                                           max(left, right), max(top, bottom)))
            if box[2] - box[0] < 2 or box[3] - box[1] < 2:
                continue
            region = picture.crop(box)
            histogram = region.histogram()
            count = sum(histogram)
            mean = sum(i * n for i, n in enumerate(histogram)) / count
            spread = (sum(n * (i - mean) ** 2 for i, n in enumerate(histogram)) / count) ** 0.5
            if spread > BUSY:
                width, height = obj.get_px_size()
                yield Finding("warning", "layout.busy-background",
                              f"text over a busy part of {options.picture(width, height)}: "
                              "its detail shows through the letters and makes them hard to "
                              "read",
                              "move the text off the picture, set image_focus so a calm part "
                              "lies behind it, or put a solid panel behind the text",
                              page.number)
                return


def _area(box: Box) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])
