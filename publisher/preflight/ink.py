"""Total ink: the sum of the four process inks a page lays down in one place, against the
limit of the output condition (300% for FOGRA39; more will not dry, offsets, or sticks).

What each drawing operator and picture lays down is read from the file: CMYK colours as set
(``k``, ``K``, ``scn`` in a CMYK space) and CMYK pictures pixel by pixel, averaged over cells
of about half a millimetre (a press prints areas, not pixels; a lone dark pixel of JPEG noise is not a
fault). Overlaps composited by transparency are not added up; the tests compare these figures
with Ghostscript's separations of the same pages.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

from pypdf.generic import StreamObject

from .colour import intent_space, output_profile
from .content import Name
from .document import Document, colour_family, named, operations
from .report import Finding, Options

# A picture's coverage is averaged over this many cells along its long side: about half a
# millimetre each on a picture as wide as an A5 or A4 page.
CELLS = 300
FILL_SPACES = (b"k", b"K")


def ink_limit(document: Document, options: Options) -> float | None:
    """The limit the file is held to: the option, else its CMYK output profile's own."""
    if options.total_ink is not None:
        return options.total_ink
    if intent_space(document) != "cmyk":
        return None
    from ..compose.pictures import profile_ink

    profile = output_profile(document)
    try:
        return profile_ink(profile.get_data())
    except Exception:  # a profile LittleCMS cannot use: structure reports it
        return None


def check_ink(document: Document, options: Options) -> Iterator[Finding]:
    limit = ink_limit(document, options)
    if limit is None:
        return
    pictures: dict[int, float] = {}
    for page in document.pages:
        worst: dict[str, float] = {}
        for op in operations(document, page):
            if op.operator in FILL_SPACES and len(op.operands) == 4:
                _note(worst, "a colour", _percent(op.operands))
            elif op.operator in (b"sc", b"scn", b"SC", b"SCN") and len(op.operands) == 4 \
                    and not isinstance(op.operands[-1], Name):
                _note(worst, "a colour", _percent(op.operands))
            elif op.operator == b"Do" and op.operands:
                image = named(op.resources, "/XObject", op.operands[0])
                if image is None or image.get("/Subtype") != "/Image":
                    continue
                key = id(image)
                if key not in pictures:
                    pictures[key] = _picture_ink(image, op.resources)
                _note(worst, f"a picture ({image.get('/Width')}×{image.get('/Height')} px)",
                      pictures[key])
        for what, ink in worst.items():
            if ink > limit + 0.5:
                yield Finding("error", "colour.total-ink",
                              f"{what} lays down {ink:.0f}% total ink; the output condition "
                              f"allows {limit:.0f}%",
                              "use a lighter colour token (theme colours sum their CMYK "
                              "percentages), or let publisher convert the picture from RGB "
                              "(it keeps pictures under the limit)", page.number)


def _note(worst: dict[str, float], what: str, ink: float) -> None:
    if ink > worst.get(what, 0):
        worst[what] = ink


def _percent(operands) -> float:
    try:
        return sum(float(value) for value in operands) * 100
    except (TypeError, ValueError):
        return 0.0


def _picture_ink(image: StreamObject, resources) -> float:
    """The most ink a CMYK picture lays down over about half a millimetre, in percent."""
    from PIL import Image, ImageMath

    if image.get("/ImageMask") or int(image.get("/BitsPerComponent", 8)) != 8:
        return 0.0
    space = image.get("/ColorSpace")
    if space is None or colour_family(space, resources) not in ("cmyk", "icc-cmyk"):
        return 0.0
    width, height = int(image["/Width"]), int(image["/Height"])
    try:
        if image.get("/Filter") in ("/DCTDecode", ["/DCTDecode"]):
            picture = Image.open(io.BytesIO(image._data))
            picture.draft("CMYK", (max(1, width // 8), max(1, height // 8)))
            picture = picture.convert("CMYK")
            # An Adobe CMYK JPEG read by Pillow is already the right way round; a /Decode of
            # [1 0 1 0 1 0 1 0] says the file's numbers are inverted.
            if _inverted(image) and "adobe" not in picture.info:
                picture = Image.eval(picture, lambda v: 255 - v)
        else:
            picture = Image.frombytes("CMYK", (width, height), image.get_data())
            if _inverted(image):
                picture = Image.eval(picture, lambda v: 255 - v)
    except Exception:  # an image the placement check cannot read either: not a TAC finding
        return 0.0
    # Averaged over cells of about half a millimetre on a picture a page wide.
    scale = CELLS / max(picture.width, picture.height)
    if scale < 1:
        picture = picture.resize((max(1, round(picture.width * scale)),
                                  max(1, round(picture.height * scale))), Image.Resampling.BOX)
    bands = [band.convert("F") for band in picture.split()]
    total = ImageMath.lambda_eval(lambda x: x["c"] + x["m"] + x["y"] + x["k"],
                                  c=bands[0], m=bands[1], y=bands[2], k=bands[3])
    return total.getextrema()[1] * 100 / 255


def _inverted(image: StreamObject) -> bool:
    decode = image.get("/Decode")
    return decode is not None and [float(v) for v in decode][:2] == [1.0, 0.0]
