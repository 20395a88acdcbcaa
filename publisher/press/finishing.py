"""Finishing for press: page boxes, crop marks, CMYK output intent and PDF/X-4 identification.

Brochures and the booklet both pass through here, so they carry the same print settings.
pypdf's merge drops the output intent, XMP and PDF/X keys, so they are (re)written last.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from xml.sax.saxutils import escape

from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    RectangleObject,
    TextStringObject,
)

from .. import __version__
from ..errors import PublisherError
from ..pdf import FONTS_KEY, draw_form, stream
from ..sources.config import Project

DEFAULT_PROFILE = "FOGRA39L_coated.icc"

MM = 72 / 25.4
MARK_GAP = 1 * MM      # between the bleed edge and a crop mark: marks never touch the bleed
MARK_LENGTH = 5 * MM
MARK_WIDTH = 0.25      # points
REGISTRATION = "/PublisherRegistration"


@dataclass(frozen=True)
class PressSpec:
    """What the print shop needs in every file."""

    bleed: float                 # points
    slug: float                  # points outside the bleed, for marks
    crop_marks: bool
    profile: bytes               # ICC profile of the CMYK output condition
    condition: str               # OutputConditionIdentifier, e.g. FOGRA39
    condition_info: str
    registry: str
    date: dt.datetime
    title: str
    author: str | None = None
    subject: str | None = None
    keywords: tuple[str, ...] = field(default_factory=tuple)
    language: str = "en"
    # Fold marks: per page in turn, where the sheet folds (points from the trim's left edge).
    folds: tuple[tuple[float, ...], ...] = ()
    # The layout's font families, recorded in the file for `publisher check`.
    fonts: tuple[str, ...] = ()
    total_ink: float | None = None  # percent; None: the profile's own

    def with_title(self, title: str, *, language: str | None = None) -> "PressSpec":
        return replace(self, title=title, language=language or self.language)


def load_profile(project: Project) -> bytes:
    """The output intent's ICC profile: the user's, or the bundled FOGRA39."""
    setting = project.publication.print.output_intent.profile
    if setting is None:
        return (Path(__file__).parent / "profiles" / DEFAULT_PROFILE).read_bytes()
    path = (project.content_dir / setting).resolve()
    line = project.config_line("print", "output_intent", "profile")
    if not path.is_relative_to(project.root) or not path.is_file():
        raise PublisherError(f"colour profile '{setting}' not found", path=project.config_path,
                             line=line, fix="put the .icc file in the project (path relative to "
                                            "content/), or remove 'profile' to use FOGRA39")
    data = path.read_bytes()
    # ICC header: bytes 12-16 the device class, 16-20 the colour space.
    if len(data) < 128 or data[36:40] != b"acsp" or data[16:20] != b"CMYK" \
            or data[12:16] != b"prtr":
        raise PublisherError(f"'{setting}' is not a CMYK printer ICC profile",
                             path=project.config_path, line=line,
                             fix="ask the print shop for their CMYK output profile (.icc)")
    return data


def condition_info(intent, profile: bytes) -> str:
    """The OutputCondition text: the setting, else the embedded profile's description and the
    ink limit the file keeps to (never a claim about a profile the file does not carry)."""
    if intent.info:
        return intent.info
    from PIL import ImageCms

    from ..compose.pictures import profile_ink

    try:
        described = ImageCms.getProfileDescription(
            ImageCms.ImageCmsProfile(io.BytesIO(profile))).strip()
    except (OSError, ImageCms.PyCMSError):
        described = intent.condition
    limit = intent.total_ink if intent.total_ink is not None else profile_ink(profile)
    return f"{described or intent.condition}, total ink at most {limit:g}%"


def press_spec(project: Project, profile: bytes, layout=None) -> PressSpec:
    """The print settings of ``project``; with its ``layout``, also the folds and fonts."""
    publication = project.publication
    intent = publication.print.output_intent
    return PressSpec(
        bleed=publication.page.bleed, slug=publication.page.slug,
        crop_marks=publication.page.crop_marks, profile=profile,
        condition=intent.condition, condition_info=condition_info(intent, profile),
        registry=intent.registry, total_ink=intent.total_ink,
        date=project.build_date(), title=publication.title, author=publication.author,
        subject=publication.subject or publication.subtitle,
        keywords=tuple(publication.keywords), language=publication.language,
        folds=layout.folds if layout is not None else (),
        fonts=layout.font_families if layout is not None else ())


def finish(writer: PdfWriter, spec: PressSpec, *, pages: bool = True,
           sources: list[bytes] | None = None, convert_images: bool = True) -> bytes:
    """Make ``writer``'s pages and catalog print-ready; return the PDF bytes.

    With ``pages=False`` the page boxes and marks are left as they are (imposed sheets).
    RGB pictures (those with transparency arrive so) are converted to the output CMYK, with
    their soft masks, unless ``convert_images`` is False.
    ``sources``, the PDFs the pages came from, give the document ID; without them the file
    is written twice, the ID being the hash of the first writing."""
    finish_pages(writer, spec, boxes=pages, convert_images=convert_images)
    root = writer.root_object
    intent = output_intent(spec, writer._add_object(stream(spec.profile, N=4)))
    root[NameObject("/OutputIntents")] = ArrayObject([intent])
    root[NameObject("/Lang")] = TextStringObject(spec.language)
    info = info_entries(spec)
    writer.metadata = None
    writer.add_metadata(info)
    writer._info.get_object()[NameObject("/Trapped")] = NameObject("/False")
    writer.pdf_header = b"%PDF-1.6"

    # The document ID comes from the content itself, so equal inputs give equal bytes.
    if sources is not None:
        h = id_hash(spec)
        for source in sources:
            h.update(hashlib.sha256(source).digest())
        digest = h.digest()
    else:
        writer.xmp_metadata = xmp(spec, "00000000-0000-0000-0000-000000000000")
        writer._ID = None
        draft = io.BytesIO()
        writer.write(draft)
        digest = hashlib.sha256(draft.getvalue()).digest()
    writer.xmp_metadata = xmp(spec, document_id(digest))
    writer._ID = ArrayObject([ByteStringObject(digest[:16]), ByteStringObject(digest[:16])])
    metadata = root["/Metadata"].get_object()
    metadata[NameObject("/Type")] = NameObject("/Metadata")
    metadata[NameObject("/Subtype")] = NameObject("/XML")
    final = io.BytesIO()
    writer.write(final)
    return final.getvalue()


def finish_pages(writer: PdfWriter, spec: PressSpec, *, boxes: bool = True,
                 convert_images: bool = True, first: int = 0) -> None:
    """The page-level part of :func:`finish`: transparency groups, CMYK pictures, no links,
    and (with ``boxes``) the boxes and marks. ``first``: the index of the writer's first
    page in the whole document (fold marks alternate by page)."""
    from ..compose.pictures import cmyk_images

    registration = None
    converted: set = set()
    named: set = set()
    for index, page in enumerate(writer.pages, start=first):
        fix_transparency_group(page)
        name_subsets(page.get("/Resources"), named)
        if convert_images:
            cmyk_images(page.get("/Resources"), spec.profile, converted, spec.total_ink)
        if "/Annots" in page:  # links have no place on press (PDF/X forbids them in the bleed)
            del page["/Annots"]
        if not boxes:
            continue
        _set_boxes(page, spec)
        if spec.crop_marks:
            registration = registration or writer._add_object(registration_space())
            folds = spec.folds[index % len(spec.folds)] if spec.folds else ()
            _draw_crop_marks(writer, page, spec, registration, folds)


def name_subsets(resources, done: set) -> None:
    """Give every subset font under ``resources`` (pages' and forms') a tag made from its
    program, ``ABCDEF+Lato-Bold``: WeasyPrint tags a family's subsets alike in every
    document, so a booklet of many parts held several programs under one name, and a RIP
    that caches fonts by name can print another part's glyphs. Equal programs keep equal
    names (and the booklet writer then stores them once)."""


    if resources is None:
        return
    resources = resources.get_object()
    for category in ("/Font", "/XObject"):
        entries = resources.get(category)
        entries = entries.get_object() if entries is not None else None
        for reference in (entries or {}).values():
            item = reference.get_object()
            if id(item) in done:
                continue
            done.add(id(item))
            if category == "/XObject":
                if item.get("/Subtype") == "/Form":
                    name_subsets(item.get("/Resources"), done)
                continue
            fonts = [item]
            kids = item.get("/DescendantFonts")
            if kids is not None:
                fonts += [kid.get_object() for kid in kids.get_object()]
            descriptor = next((f["/FontDescriptor"].get_object() for f in fonts
                               if "/FontDescriptor" in f), None)
            program = None if descriptor is None else next(
                (descriptor[key].get_object() for key in ("/FontFile2", "/FontFile3",
                                                          "/FontFile") if key in descriptor),
                None)
            if program is None:
                continue
            rename_subset(fonts, descriptor, subset_tag(program.get_data()))


def subset_tag(program: bytes) -> str:
    """The six capitals before a subset font's name, made from its program: equal programs
    get equal names, and different programs different ones."""
    import hashlib

    digest = hashlib.sha256(program).digest()
    return "".join(chr(65 + byte % 26) for byte in digest[:6])


def rename_subset(fonts, descriptor, tag: str) -> None:
    """Give a subset font (its dictionaries ``fonts`` and its ``descriptor``) the tag."""
    import re

    for holder, key in [*((f, "/BaseFont") for f in fonts), (descriptor, "/FontName")]:
        name = str(holder.get(key, ""))
        if re.match(r"/[A-Z]{6}\+", name):
            holder[NameObject(key)] = NameObject(f"/{tag}+{name[8:]}")


def output_intent(spec: PressSpec, profile) -> DictionaryObject:
    """The PDF/X output intent; ``profile``: a reference to the ICC profile's stream."""
    return DictionaryObject({
        NameObject("/Type"): NameObject("/OutputIntent"),
        NameObject("/S"): NameObject("/GTS_PDFX"),
        NameObject("/OutputConditionIdentifier"): TextStringObject(spec.condition),
        NameObject("/OutputCondition"): TextStringObject(spec.condition_info),
        NameObject("/Info"): TextStringObject(spec.condition_info),
        NameObject("/RegistryName"): TextStringObject(spec.registry),
        NameObject("/DestOutputProfile"): profile,
    })


def info_entries(spec: PressSpec, *, screen: bool = False) -> dict[str, str]:
    """The document information of a print file (besides /Trapped, a name), or with
    ``screen`` of a screen file."""
    pdf_date = _pdf_date(spec.date)
    info = {
        "/Title": spec.title, "/Creator": f"publisher {__version__}",
        "/Producer": f"publisher {__version__} (WeasyPrint, pypdf)",
        "/CreationDate": pdf_date, "/ModDate": pdf_date,
    }
    if not screen:
        info["/GTS_PDFXVersion"] = "PDF/X-4"
    if spec.author:
        info["/Author"] = spec.author
    if spec.subject:
        info["/Subject"] = spec.subject
    if spec.keywords:
        info["/Keywords"] = ", ".join(spec.keywords)
    if spec.fonts:
        info[FONTS_KEY] = ", ".join(spec.fonts)
    return info


def id_hash(spec: PressSpec):
    """The start of a document ID's hash: the spec; the sources' digests follow."""
    h = hashlib.sha256(repr(replace(spec, profile=b"")).encode())
    h.update(hashlib.sha256(spec.profile).digest())
    return h


def document_id(digest: bytes) -> str:
    return str(uuid.UUID(bytes=digest[:16], version=4))


def _set_boxes(page, spec: PressSpec) -> None:
    # WeasyPrint's TrimBox is the CSS page: the finished size.
    trim = page.trimbox if "/TrimBox" in page else page.mediabox
    x0, y0, x1, y1 = (float(v) for v in (trim.left, trim.bottom, trim.right, trim.top))
    b = spec.bleed
    outer = b + (spec.slug if spec.crop_marks else 0)
    page[NameObject("/TrimBox")] = RectangleObject([x0, y0, x1, y1])
    page[NameObject("/BleedBox")] = RectangleObject([x0 - b, y0 - b, x1 + b, y1 + b])
    page[NameObject("/MediaBox")] = RectangleObject([x0 - outer, y0 - outer, x1 + outer, y1 + outer])
    for box in ("/CropBox", "/ArtBox"):
        if box in page:
            del page[box]


def fix_transparency_group(page) -> None:
    """WeasyPrint marks page groups DeviceRGB even in CMYK output (its issue #2723)."""
    group = page.get("/Group")
    if group is not None:
        group = group.get_object()
        if group.get("/CS") == "/DeviceRGB":
            group[NameObject("/CS")] = NameObject("/DeviceCMYK")


def registration_space() -> ArrayObject:
    # Registration colour: prints on every separation, as crop marks must.
    return ArrayObject([
        NameObject("/Separation"), NameObject("/All"), NameObject("/DeviceCMYK"),
        DictionaryObject({
            NameObject("/FunctionType"): NumberObject(2),
            NameObject("/Domain"): ArrayObject([NumberObject(0), NumberObject(1)]),
            NameObject("/C0"): ArrayObject([NumberObject(0)] * 4),
            NameObject("/C1"): ArrayObject([NumberObject(1)] * 4),
            NameObject("/N"): NumberObject(1),
        }),
    ])


def crop_mark_lines(trim: tuple[float, float, float, float], start: float,
                    length: float) -> list[tuple[float, float, float, float]]:
    """Two lines per corner of ``trim``, from ``start`` to ``start + length`` outside it."""
    x0, y0, x1, y1 = trim
    lines = []
    for x, y, dx, dy in ((x0, y0, -1, -1), (x1, y0, 1, -1), (x0, y1, -1, 1), (x1, y1, 1, 1)):
        lines.append((x + dx * start, y, x + dx * (start + length), y))
        lines.append((x, y + dy * start, x, y + dy * (start + length)))
    return lines


FOLD_DASH = "[2 1] 0"  # fold marks are dashed, crop marks solid


def fold_mark_lines(xs, trim: tuple[float, float, float, float], start: float,
                    length: float) -> list[tuple[float, float, float, float]]:
    """A line above and below ``trim`` at each x where the sheet folds, outside the bleed."""
    lines = []
    for x in xs:
        lines += [(x, trim[3] + start, x, trim[3] + start + length),
                  (x, trim[1] - start, x, trim[1] - start - length)]
    return lines


def stroke(lines, *, colour: str = "/PublisherReg", dash: str = "[] 0") -> str:
    """PDF operators stroking ``lines`` thinly in registration colour."""
    ops = [f"q {MARK_WIDTH} w 0 J {dash} d {colour} CS 1 SCN"]
    ops += [f"{a:.3f} {b:.3f} m {c:.3f} {d:.3f} l S" for a, b, c, d in lines]
    ops.append("Q")
    return "\n".join(ops)


def _draw_crop_marks(writer: PdfWriter, page, spec: PressSpec, registration,
                     folds: tuple[float, ...] = ()) -> None:
    trim = page.trimbox
    box = tuple(float(v) for v in (trim.left, trim.bottom, trim.right, trim.top))
    length = min(MARK_LENGTH, max(spec.slug - MARK_GAP - 1, 0))
    if length <= 0:
        return
    ops = stroke(crop_mark_lines(box, spec.bleed + MARK_GAP, length))
    if folds:
        ops += "\n" + stroke(fold_mark_lines([box[0] + x for x in folds], box,
                                              spec.bleed + MARK_GAP, length), dash=FOLD_DASH)

    marks = stream(ops.encode())
    marks[NameObject("/Type")] = NameObject("/XObject")
    marks[NameObject("/Subtype")] = NameObject("/Form")
    marks[NameObject("/BBox")] = RectangleObject(page.mediabox)
    marks[NameObject("/Resources")] = DictionaryObject({
        NameObject("/ColorSpace"): DictionaryObject({NameObject("/PublisherReg"): registration})})
    draw_form(writer, page, "/PublisherMarks", writer._add_object(marks), under=False)


def _pdf_date(date: dt.datetime) -> str:
    offset = date.utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, minutes = divmod(abs(minutes), 60)
    return date.strftime("D:%Y%m%d%H%M%S") + f"{sign}{hours:02d}'{minutes:02d}'"


def xmp(spec: PressSpec, document_id: str, *, screen: bool = False) -> bytes:
    """The XMP metadata of a print file (PDF/X-4), or with ``screen`` of a screen file
    (PDF/UA-1)."""
    date = spec.date.isoformat()
    e = escape

    def alt(text):
        return f'<rdf:Alt><rdf:li xml:lang="x-default">{e(text)}</rdf:li></rdf:Alt>'

    creator = (f"<dc:creator><rdf:Seq><rdf:li>{e(spec.author)}</rdf:li></rdf:Seq></dc:creator>"
               if spec.author else "")
    description = f"<dc:description>{alt(spec.subject)}</dc:description>" if spec.subject else ""
    keywords = f"<pdf:Keywords>{e(', '.join(spec.keywords))}</pdf:Keywords>" if spec.keywords else ""
    standard = ('<pdfuaid:part xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/">1</pdfuaid:part>'
                if screen else "<pdfxid:GTS_PDFXVersion>PDF/X-4</pdfxid:GTS_PDFXVersion>")
    return f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:pdf="http://ns.adobe.com/pdf/1.3/"
    xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/"
    xmlns:pdfxid="http://www.npes.org/pdfx/ns/id/">
   <dc:format>application/pdf</dc:format>
   <dc:title>{alt(spec.title)}</dc:title>
   {creator}
   {description}
   <dc:language><rdf:Bag><rdf:li>{e(spec.language)}</rdf:li></rdf:Bag></dc:language>
   <xmp:CreateDate>{date}</xmp:CreateDate>
   <xmp:ModifyDate>{date}</xmp:ModifyDate>
   <xmp:MetadataDate>{date}</xmp:MetadataDate>
   <xmp:CreatorTool>publisher {__version__}</xmp:CreatorTool>
   <pdf:Producer>publisher {__version__} (WeasyPrint, pypdf)</pdf:Producer>
   {keywords}
   <pdf:Trapped>False</pdf:Trapped>
   <xmpMM:DocumentID>uuid:{document_id}</xmpMM:DocumentID>
   <xmpMM:InstanceID>uuid:{document_id}</xmpMM:InstanceID>
   <xmpMM:VersionID>1</xmpMM:VersionID>
   <xmpMM:RenditionClass>default</xmpMM:RenditionClass>
   {standard}
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>""".encode()
