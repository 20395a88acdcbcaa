"""Small pypdf helpers every stage shares: streams, a page as a Form XObject, drawing a form
on a page, the box of a one-page PDF picture, and the keys publisher writes into its files."""

from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    RectangleObject,
    StreamObject,
)

from .errors import PublisherError

# The Info key in which publisher records the layout's font families (a private key: PDF
# readers ignore it), so that `publisher check` knows them for any file publisher made.
FONTS_KEY = "/PublisherFonts"


def stream(data: bytes, **entries) -> DecodedStreamObject:
    stream = DecodedStreamObject()
    stream.set_data(data)
    for key, value in entries.items():
        stream[NameObject(f"/{key}")] = NumberObject(value) if isinstance(value, int) \
            else FloatObject(value)
    return stream


def page_as_form(writer: PdfWriter, page):
    """``page`` as a Form XObject in ``writer`` (a reference): stored once, drawn as often as
    wanted (imposed sheets, the shared page of personalised letters)."""
    contents = page.raw_get("/Contents")
    contents = contents.get_object() if contents is not None else None
    if isinstance(contents, ArrayObject):
        data = b"\n".join(part.get_object().get_data() for part in contents)
    elif isinstance(contents, StreamObject):
        data = contents.get_data()
    else:
        data = b""
    form = stream(data)
    form[NameObject("/Type")] = NameObject("/XObject")
    form[NameObject("/Subtype")] = NameObject("/Form")
    x0, y0, x1, y1 = (float(v) for v in page.mediabox)
    form[NameObject("/BBox")] = RectangleObject((min(x0, x1), min(y0, y1), max(x0, x1),
                                                 max(y0, y1)))
    resources = page.get("/Resources")
    form[NameObject("/Resources")] = resources.get_object().clone(writer) \
        if resources is not None else DictionaryObject()
    group = page.get("/Group")
    if group is not None:
        group = group.get_object().clone(writer)
        if group.get("/CS") == "/DeviceRGB":  # WeasyPrint's issue #2723, as in finish()
            group[NameObject("/CS")] = NameObject("/DeviceCMYK")
        form[NameObject("/Group")] = group
    return writer._add_object(form.flate_encode())


def draw_form(writer: PdfWriter, page, name: str, form, *, under: bool) -> None:
    """Draw the Form XObject ``form`` as ``name`` under or over ``page``'s own drawing."""
    # Own resources dictionary, so resources the page shares with others stay untouched.
    resources = page["/Resources"].get_object()
    xobjects = resources.get("/XObject")
    xobjects = DictionaryObject() if xobjects is None else DictionaryObject(xobjects.get_object())
    xobjects[NameObject(name)] = form
    page_resources = DictionaryObject(resources)
    page_resources[NameObject("/XObject")] = xobjects
    page[NameObject("/Resources")] = page_resources

    contents = page.raw_get("/Contents")  # the reference, not the resolved stream
    streams = list(contents.get_object()) if isinstance(contents.get_object(), ArrayObject) \
        else [contents]
    if under:
        parts = [writer._add_object(stream(f"q {name} Do Q\n".encode())), *streams]
    else:
        # The page's own drawing may end with its graphics state changed: isolate it.
        parts = [writer._add_object(stream(b"q\n")), *streams,
                 writer._add_object(stream(f"\nQ\n{name} Do\n".encode()))]
    page[NameObject("/Contents")] = ArrayObject(parts)


def pdf_box(data: bytes, name: str, source: Path,
            line: int | None = None) -> tuple[float, float, float, float]:
    """The visible box of a one-page PDF picture (ArtBox, TrimBox, CropBox, MediaBox)."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise PublisherError(f"{name} is encrypted", path=source, line=line,
                                 fix="export the logo again without a password or protection")
        if len(reader.pages) != 1:
            raise PublisherError(f"{name} has {len(reader.pages)} pages; a picture is one page",
                                 path=source, line=line, fix="export the logo alone, on one page")
        page = reader.pages[0]
        for key in ("/ArtBox", "/TrimBox", "/CropBox", "/MediaBox"):
            if key in page:
                x0, y0, x1, y1 = (float(v) for v in page[key])
                break
    except PublisherError:
        raise
    except (PyPdfError, OSError, ValueError, KeyError, TypeError) as error:
        raise PublisherError(f"{name} cannot be read as a PDF ({error})", path=source,
                             line=line, fix="export the logo again as PDF, SVG or PNG") from None
    box = (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
    if box[2] - box[0] < 1 or box[3] - box[1] < 1:
        raise PublisherError(f"{name} has an empty page", path=source, line=line,
                             fix="export the logo again with its artwork on the page")
    return box
