"""Pictures for press: raster files and SVG logos in the output intent's CMYK.

Opaque photos become CMYK JPEG (WeasyPrint embeds them as they are). Pictures with
transparency stay PNG, so WeasyPrint keeps their alpha as a soft mask; their colour is
converted after rendering (:func:`cmyk_images`), because a PNG cannot carry CMYK. SVG stays
vector: its colours are rewritten as ``device-cmyk()``, which WeasyPrint's SVG reader accepts.
Neutral greys (logos' black and white) print on black ink only.
"""

from __future__ import annotations

import io
import re
import zlib
from functools import lru_cache
from pathlib import Path

from ..errors import PublisherError
from ..pdf import page_as_form, pdf_box

MAX_IMAGE_PIXELS = 60_000_000  # 60 MP: a full-bleed A3 photo at 450 ppi; more is a mistake
MAX_SVG_BYTES = 5_000_000


@lru_cache(maxsize=4)
def _transform(profile: bytes):
    from PIL import ImageCms

    return ImageCms.buildTransform(
        ImageCms.createProfile("sRGB"), ImageCms.ImageCmsProfile(io.BytesIO(profile)),
        "RGB", "CMYK",
        renderingIntent=ImageCms.Intent.PERCEPTUAL)


def to_cmyk(image, profile: bytes, embedded: bytes | None = None,
            limit: float | None = None):
    """An RGB Pillow image in the output CMYK (from its own profile, else sRGB), with no
    more total ink than ``limit`` percent (default: the profile's own, :func:`profile_ink`)."""
    from PIL import ImageCms

    if embedded:
        transform = ImageCms.buildTransform(
            ImageCms.ImageCmsProfile(io.BytesIO(embedded)),
            ImageCms.ImageCmsProfile(io.BytesIO(profile)), "RGB", "CMYK",
            renderingIntent=ImageCms.Intent.PERCEPTUAL)
    else:
        transform = _transform(profile)
    converted = ImageCms.applyTransform(image.convert("RGB"), transform)
    return limit_ink(converted, profile_ink(profile) if limit is None else limit)


@lru_cache(maxsize=8)
def profile_ink(profile: bytes) -> float:
    """The total ink of the profile's black (sRGB black, perceptual), in percent: the
    condition's limit as the profile itself sets it (300% for FOGRA39L). Its separation of
    dark colours on the way there may go over (318% for some greys): :func:`limit_ink`."""
    from PIL import Image, ImageCms

    black = ImageCms.applyTransform(Image.new("RGB", (1, 1)), _transform(profile))
    return round(sum(black.getpixel((0, 0))) * 100 / 255, 1)


# JPEG's rounding and ringing put a pixel or two a few levels over: keep that much below.
INK_MARGIN = 3


def limit_ink(image, limit: float):
    """A CMYK image whose pixels lay down at most ``limit`` percent ink: where one goes
    over, its cyan, magenta and yellow shrink in proportion, black stays (deep shadows lose
    a little colour, never their depth)."""
    from PIL import Image, ImageMath

    most = (limit - INK_MARGIN) * 255 / 100
    c, m, y, k = (band.convert("F") for band in image.split())
    total = ImageMath.lambda_eval(lambda a: a["c"] + a["m"] + a["y"] + a["k"],
                                  c=c, m=m, y=y, k=k)
    if total.getextrema()[1] <= most:
        return image
    scale = ImageMath.lambda_eval(
        lambda a: a["min"](a["max"](a["most"] - a["k"], 0.0)
                           / a["max"](a["c"] + a["m"] + a["y"], 1.0), 1.0),
        c=c, m=m, y=y, k=k, most=most)
    bands = [ImageMath.lambda_eval(lambda a: a["band"] * a["scale"], band=band,
                                   scale=scale).convert("L") for band in (c, m, y)]
    return Image.merge("CMYK", (*bands, k.convert("L")))


def convert_for_press(image_file, name: str, profile: bytes, source: Path,
                      limit: float | None = None) -> tuple[bytes, str]:
    """A raster picture (a path or a binary file) ready for WeasyPrint: CMYK JPEG, or grey;
    with transparency a PNG whose alpha WeasyPrint keeps (colour converted after rendering)."""
    from PIL import Image, ImageFile

    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    # WeasyPrint lets Pillow load truncated images (a global switch): a cut-off picture
    # must be an error here, not print grey.
    truncated_allowed, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
    try:
        with Image.open(image_file) as image:
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise Image.DecompressionBombError("too many pixels")
            image.load()
            embedded = image.info.get("icc_profile")
            output = io.BytesIO()
            if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
                grey = image.mode in ("LA", "L", "1", "I;16", "I")
                image = image.convert("LA" if grey else "RGBA")
                if image.getchannel("A").getextrema() != (255, 255):
                    image.save(output, format="PNG")
                    return output.getvalue(), "image/png"
                image = image.convert("L" if grey else "RGB")  # an alpha that hides nothing
            if image.mode in ("L", "1", "I;16", "I"):
                image = image.convert("L")
            elif image.mode != "CMYK":
                image = to_cmyk(image, profile, embedded, limit)
            # JPEG at press quality: WeasyPrint 70 embeds CMYK JPEG as is, but cannot read TIFF.
            image.save(output, format="JPEG", quality=95, subsampling=0)
    except Image.DecompressionBombError:
        raise PublisherError(f"image {name} has too many pixels to print safely",
                             path=source, fix="resize it to at most 300 ppi at its printed size "
                                              f"(limit {MAX_IMAGE_PIXELS // 1_000_000} MP)") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise PublisherError(f"image {name} cannot be read ({error})", path=source,
                             fix="re-export it as JPEG or PNG") from None
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = truncated_allowed
    return output.getvalue(), "image/jpeg"


# -- SVG -------------------------------------------------------------------------------------

_COLOUR_PROPERTIES = ("fill", "stroke", "stop-color", "flood-color", "lighting-color", "color")
_DECLARATION = re.compile(r"(?P<name>(?<![\w-])(?:" + "|".join(_COLOUR_PROPERTIES)
                          + r"))(?P<colon>\s*:\s*)(?P<value>[^;}\"'!]+)")


def svg_for_press(path: Path, profile: bytes, source: Path,
                  limit: float | None = None) -> tuple[bytes, str]:
    """An SVG file with every colour in the output CMYK, as ``device-cmyk()``."""
    import xml.etree.ElementTree as ElementTree

    data = path.read_bytes()
    if len(data) > MAX_SVG_BYTES:
        raise PublisherError(f"{path.name} is larger than {MAX_SVG_BYTES // 1_000_000} MB",
                             path=source, fix="simplify the drawing, or export a PNG")
    if b"<!ENTITY" in data or b"<!DOCTYPE" in data.upper():
        raise PublisherError(f"{path.name} declares a DOCTYPE or entities", path=source,
                             fix="export the SVG again without a DOCTYPE (plain SVG)")
    try:
        ElementTree.register_namespace("", "http://www.w3.org/2000/svg")
        ElementTree.register_namespace("xlink", "http://www.w3.org/1999/xlink")
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        raise PublisherError(f"{path.name} is not a readable SVG file ({error})", path=source,
                             fix="export it again from the drawing program") from None
    convert = _ColourConverter(profile, limit)
    for element in root.iter():
        for name in _COLOUR_PROPERTIES:
            if name in element.attrib:
                element.set(name, convert(element.get(name)))
        if "style" in element.attrib:
            element.set("style", convert.declarations(element.get("style")))
        if element.tag.endswith("}style") and element.text:
            element.text = convert.declarations(element.text)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True), "image/svg+xml"


class _ColourConverter:
    """Colour values (any CSS colour) → ``device-cmyk(c m y k)`` in the output CMYK."""

    def __init__(self, profile: bytes, limit: float | None = None):
        self.profile, self.limit = profile, limit
        self.cache: dict[str, str] = {}

    def __call__(self, value: str) -> str:
        from tinycss2.color5 import parse_color

        key = value.strip()
        if key not in self.cache:
            colour = parse_color(key)
            if colour is None or not hasattr(colour, "space") or colour.space == "device-cmyk":
                self.cache[key] = value  # none, currentColor, url(#gradient), or CMYK already
            else:
                red, green, blue = (min(1, max(0, c)) for c in colour.to("srgb").coordinates)
                c, m, y, k = self._cmyk(red, green, blue)
                alpha = f" / {colour.alpha:g}" if colour.alpha < 1 else ""
                self.cache[key] = f"device-cmyk({c:.4g} {m:.4g} {y:.4g} {k:.4g}{alpha})"
        return self.cache[key]

    def _cmyk(self, red: float, green: float, blue: float) -> tuple[float, ...]:
        if max(red, green, blue) - min(red, green, blue) < 0.004:  # a neutral: black ink only
            return 0, 0, 0, round(1 - red, 4)
        from PIL import Image

        pixel = Image.new("RGB", (1, 1), tuple(round(255 * v) for v in (red, green, blue)))
        return tuple(v / 255 for v in to_cmyk(pixel, self.profile, limit=self.limit)
                     .getpixel((0, 0)))

    def declarations(self, css: str) -> str:
        return _DECLARATION.sub(
            lambda m: m["name"] + m["colon"] + self(m["value"].strip())
            + (" " if m["value"].endswith(" ") else ""), css)


# -- after rendering ----------------------------------------------------------------------------

def cmyk_images(resources, profile: bytes, done: set, limit: float | None = None) -> None:
    """Convert every DeviceRGB image under ``resources`` (pages' and forms') to the output
    CMYK in place, keeping its soft mask: pictures with transparency arrive as RGB."""
    from PIL import Image
    from pypdf.generic import NameObject

    if resources is None:
        return
    xobjects = resources.get_object().get("/XObject")
    if xobjects is None:
        return
    for reference in xobjects.get_object().values():
        xobject = reference.get_object()
        key = id(xobject)
        if key in done:
            continue
        done.add(key)
        if xobject.get("/Subtype") == "/Form":
            cmyk_images(xobject.get("/Resources"), profile, done, limit)
            continue
        if xobject.get("/Subtype") != "/Image" or xobject.get("/ColorSpace") != "/DeviceRGB" \
                or xobject.get("/BitsPerComponent") != 8 or "/Decode" in xobject:
            continue
        size = (int(xobject["/Width"]), int(xobject["/Height"]))
        if xobject.get("/Filter") == "/DCTDecode":
            picture = Image.open(io.BytesIO(xobject._data)).convert("RGB")
        else:
            picture = Image.frombytes("RGB", size, xobject.get_data())
        xobject._data = zlib.compress(to_cmyk(picture, profile, limit=limit).tobytes())
        xobject.decoded_self = None
        xobject[NameObject("/Filter")] = NameObject("/FlateDecode")
        xobject[NameObject("/ColorSpace")] = NameObject("/DeviceCMYK")
        if "/DecodeParms" in xobject:
            del xobject["/DecodeParms"]


# -- PDF pictures (logos as vector artwork) ------------------------------------------------------

PLACEHOLDER_WIDTH = 48  # pixels; the height follows the picture's proportions
MARKER = 16             # bytes of the PDF's digest written into the placeholder's first row


def pdf_placeholder(data: bytes, name: str, source: Path) -> tuple[bytes, str, bytes]:
    """A transparent PNG with the proportions of a PDF picture and its digest in its first
    row, for WeasyPrint (which cannot draw PDF) to place; :func:`place_pdf_pictures` then
    puts the PDF's own page there, as vector artwork in its own colours."""
    import hashlib

    from PIL import Image

    x0, y0, x1, y1 = pdf_box(data, name, source)
    height = max(1, min(20 * PLACEHOLDER_WIDTH,
                        round(PLACEHOLDER_WIDTH * (y1 - y0) / (x1 - x0))))
    marker = hashlib.sha256(data).digest()[:MARKER]
    # The marker is the RGB of the first pixels; every pixel is fully transparent.
    colour = bytearray(PLACEHOLDER_WIDTH * height * 3)
    colour[:MARKER] = marker
    image = Image.frombytes("RGB", (PLACEHOLDER_WIDTH, height), bytes(colour))
    image.putalpha(0)
    output = io.BytesIO()
    image.save(output, format="PNG")
    return output.getvalue(), "image/png", marker


def place_pdf_pictures(pdf: bytes, pictures: dict[bytes, bytes]) -> bytes:
    """``pdf`` with every placeholder of :func:`pdf_placeholder` replaced by a Form XObject
    of the PDF picture it stands for (``pictures``: marker → PDF bytes), scaled into the
    placeholder's unit square, so it lands exactly where the layout placed the image."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, FloatObject, NameObject, RectangleObject


    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    forms: dict[bytes, object] = {}
    seen: set = set()

    def form_for(marker: bytes):
        if marker not in forms:
            page = PdfReader(io.BytesIO(pictures[marker])).pages[0]
            reference = page_as_form(writer, page)
            form = reference.get_object()
            x0, y0, x1, y1 = pdf_box(pictures[marker], "picture", Path("picture.pdf"))
            width, height = x1 - x0, y1 - y0
            form[NameObject("/BBox")] = RectangleObject((x0, y0, x1, y1))
            form[NameObject("/Matrix")] = ArrayObject(FloatObject(v) for v in (
                1 / width, 0, 0, 1 / height, -x0 / width, -y0 / height))
            forms[marker] = reference
        return forms[marker]

    def visit(resources) -> None:
        if resources is None:
            return
        xobjects = resources.get_object().get("/XObject")
        if xobjects is None:
            return
        xobjects = xobjects.get_object()
        for name, reference in list(xobjects.items()):
            xobject = reference.get_object()
            if id(xobject) in seen:
                continue
            seen.add(id(xobject))
            if xobject.get("/Subtype") == "/Form":
                visit(xobject.get("/Resources"))
            elif xobject.get("/Subtype") == "/Image" and "/SMask" in xobject \
                    and xobject.get("/Width") == PLACEHOLDER_WIDTH \
                    and xobject.get("/ColorSpace") == "/DeviceRGB":
                marker = bytes(xobject.get_data()[:MARKER])
                if marker in pictures:
                    xobjects[NameObject(name)] = form_for(marker)

    for page in writer.pages:
        visit(page.get("/Resources"))
    if not forms:
        return pdf
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()
