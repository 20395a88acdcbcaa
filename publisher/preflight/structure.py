"""The file's structure as PDF/X rules it: header version, trailer /ID, actions and JavaScript,
embedded files, annotations on the printed area, ArtBox beside TrimBox, the ICC profile of the
output intent, and XMP metadata (well-formed RDF that agrees with the Info dictionary).

Each rule reads a few dictionaries with pypdf; none renders anything. Findings are errors:
a RIP either rejects such a file or prints something the author did not see.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from pypdf.generic import ArrayObject, DictionaryObject, StreamObject

from .document import Document, font_program
from .report import Finding, Options

# Highest header version each target allows (PDF/X-4 is based on PDF 1.6, X-1a:2003 on 1.4).
MAX_VERSION = {"pdf/x-4": (1, 6), "pdf/x-1a": (1, 4)}
# Annotations PDF/X allows on the printed area: printer's marks and trapping.
PRINT_ANNOTATIONS = {"/PrinterMark", "/TrapNet"}
# Actions that run code or change what prints; PDF/X allows none of them.
FORBIDDEN_ACTIONS = {"/JavaScript", "/Launch", "/Sound", "/Movie", "/ResetForm",
                     "/ImportData", "/Hide", "/SetOCGState", "/Rendition", "/Trans",
                     "/GoTo3DView", "/SubmitForm"}
ICC_SPACES = {1: b"GRAY", 3: b"RGB ", 4: b"CMYK"}


def check_structure(document: Document, options: Options) -> Iterator[Finding]:
    yield from _version(document, options)
    yield from _trailer_id(document)
    yield from _actions(document)
    yield from _embedded_files(document)
    yield from _xmp(document)
    yield from _font_names(document, options)


def _font_names(document: Document, options: Options) -> Iterator[Finding]:
    """One name, one font program: a RIP that caches fonts by name (many do) prints a second
    program's text with the first's glyphs. Among the pages whose content is checked (a
    guest's own page, in a personalised run: the pages every guest shares were checked in
    the first guest's file)."""
    import hashlib

    named: dict[str, dict[object, tuple]] = {}  # name → program's object → (it, page)
    seen: set[int] = set()
    for page in document.pages:
        if options.pages and page.number not in options.pages:
            continue
        for font in _fonts(page.obj.get("/Resources"), seen, 0):
            name = str(font.get("/BaseFont", ""))
            program = font_program(font, resolve=False)
            if program is not None and name:
                key = (program.idnum, program.generation) if hasattr(program, "idnum") \
                    else id(program)
                named.setdefault(name, {}).setdefault(key, (program, page.number))
    for name, objects in named.items():
        if len(objects) < 2:
            continue  # one program object: nothing to compare (nor to read and hash)
        found: dict[bytes, int] = {}
        for program, number in objects.values():
            program = program.get_object()
            if isinstance(program, StreamObject):
                found.setdefault(hashlib.sha256(program.get_data()).digest(), number)
        if len(found) > 1:
            yield Finding("error", "fonts.duplicate-name",
                          f"{len(found)} different font programs are named {name[1:]} "
                          f"(pages {', '.join(str(p) for p in sorted(found.values()))}): a "
                          "RIP that keeps fonts by name may print one with another's glyphs",
                          "merge the parts with a tool that renames font subsets (publisher "
                          "names each subset after its program), or export the file in one "
                          "go")


def _fonts(resources, seen: set[int], depth: int):
    """The font dictionaries under ``resources`` and in the forms it draws."""
    resources = resources.get_object() if resources is not None else None
    if not isinstance(resources, DictionaryObject) or depth > 12:
        return
    for category in ("/Font", "/XObject"):
        entries = resources.get(category)
        entries = entries.get_object() if entries is not None else None
        for reference in entries.values() if isinstance(entries, DictionaryObject) else []:
            item = reference.get_object()
            if not isinstance(item, DictionaryObject) or id(item) in seen:
                continue
            seen.add(id(item))
            if category == "/Font":
                yield item
            elif item.get("/Subtype") == "/Form":
                yield from _fonts(item.get("/Resources"), seen, depth + 1)



def check_page_structure(document: Document, options: Options) -> Iterator[Finding]:
    """Per page: ArtBox with TrimBox, annotations on the printed area, page actions."""
    for page in document.pages:
        obj = page.obj
        if "/ArtBox" in obj and "/TrimBox" in obj:
            yield Finding("error", "boxes.art-and-trim", "the page has both an ArtBox and a "
                          "TrimBox (PDF/X allows one)", "export again with only the TrimBox "
                          "(the finished size)", page.number)
        if "/AA" in obj:
            yield Finding("error", "actions.forbidden", "the page runs actions when it is "
                          "opened or closed", "export as PDF/X, which removes actions",
                          page.number)
        annotations = obj.get("/Annots")
        annotations = annotations.get_object() if annotations is not None else []
        for annotation in annotations if isinstance(annotations, ArrayObject) else []:
            annotation = annotation.get_object()
            if not isinstance(annotation, DictionaryObject):
                continue
            kind = str(annotation.get("/Subtype", "/?"))
            if _runs_code(annotation):
                yield Finding("error", "actions.javascript", f"a {kind[1:]} annotation runs "
                              "JavaScript or another action", "export as PDF/X without "
                              "interactive elements", page.number)
            if kind == "/FileAttachment":
                yield Finding("error", "files.embedded", "a file is attached to the page",
                              "remove the attachment; send other files separately",
                              page.number)
            elif kind not in PRINT_ANNOTATIONS and _on(annotation, page.bleed):
                yield Finding("error", "annotations.printed-area",
                              f"a {kind[1:]} annotation lies on the printed area (PDF/X "
                              "allows only printer's marks and trapping there)",
                              "export as PDF/X for print, without links, comments or form "
                              "fields", page.number)


def check_output_profile(document: Document, options: Options) -> Iterator[Finding]:
    """The output intents' ICC profiles: a real printer profile whose colour space matches
    its /N, and one profile for every intent of the file."""
    intents = document.catalog.get("/OutputIntents")
    intents = intents.get_object() if intents is not None else None
    if not isinstance(intents, ArrayObject):
        return
    profiles = []
    for intent in intents:
        intent = intent.get_object()
        if not isinstance(intent, DictionaryObject):
            continue
        profile = intent.get("/DestOutputProfile")
        profile = profile.get_object() if profile is not None else None
        if not isinstance(profile, StreamObject):
            continue
        data = profile.get_data()
        profiles.append(data)
        problem = _icc_problem(data, profile.get("/N"))
        if problem:
            yield Finding("error", "pdfx.output-profile", f"the output intent's ICC profile "
                          f"{problem}", "export again with the print shop's output profile "
                          "(for example FOGRA39, a CMYK printer profile)")
        elif data[16:20] != b"CMYK":
            yield Finding("warning", "pdfx.output-intent",
                          "the output intent is not a CMYK profile",
                          "use the print shop's CMYK output profile (.icc)")
    if len(set(profiles)) > 1:
        yield Finding("error", "pdfx.output-profile", f"the file has {len(set(profiles))} "
                      "different output intent profiles (PDF/X allows one printing "
                      "condition)", "export again with one output intent")


def _icc_problem(data: bytes, count) -> str | None:
    """What is wrong with an output profile's header, or None."""
    if len(data) < 128 or data[36:40] != b"acsp":
        return "is not an ICC profile"
    size = int.from_bytes(data[0:4], "big")
    if size != len(data):
        return f"is damaged (its header says {size} bytes, it has {len(data)})"
    device_class = data[12:16]
    if device_class != b"prtr":
        return (f"is a '{device_class.decode('latin-1').strip()}' profile, not an output "
                "(printer) profile")
    space = data[16:20]
    try:
        channels = int(count)
    except (TypeError, ValueError):
        return "has no /N (number of colour components)"
    if ICC_SPACES.get(channels) != space:
        return (f"describes '{space.decode('latin-1').strip()}' colour but the file says it "
                f"has {channels} components")
    return None


def _version(document: Document, options: Options) -> Iterator[Finding]:
    header = str(document.reader.pdf_header or "")
    version = header
    # A catalog /Version (an incremental update) raises the header's.
    declared = document.catalog.get("/Version")
    if declared is not None:
        version = max(version, "%PDF-" + str(declared).lstrip("/"))
    found = re.match(r"%PDF-(\d+)\.(\d+)", version)
    limit = MAX_VERSION[options.target]
    if not found:
        yield Finding("error", "file.version", "the file has no PDF version header",
                      "save the PDF again from the program that made it")
    elif (int(found[1]), int(found[2])) > limit:
        yield Finding("error", "file.version",
                      f"the file is PDF {found[1]}.{found[2]}; {options.target.upper()} allows "
                      f"at most {limit[0]}.{limit[1]}", f"export as {options.target.upper()}")


def _trailer_id(document: Document) -> Iterator[Finding]:
    file_id = document.reader.trailer.get("/ID")
    file_id = file_id.get_object() if file_id is not None else None
    if not isinstance(file_id, ArrayObject) or len(file_id) != 2:
        yield Finding("error", "file.id", "the file has no identifier (trailer /ID)",
                      "export as PDF/X, which writes one")


def _actions(document: Document) -> Iterator[Finding]:
    catalog = document.catalog
    names = catalog.get("/Names")
    names = names.get_object() if names is not None else None
    if isinstance(names, DictionaryObject) and "/JavaScript" in names:
        yield Finding("error", "actions.javascript", "the file carries JavaScript",
                      "export as PDF/X for print, without scripts")
    if "/AA" in catalog:
        yield Finding("error", "actions.forbidden", "the file runs actions when it is opened, "
                      "saved or printed", "export as PDF/X, which removes actions")
    action = catalog.get("/OpenAction")
    action = action.get_object() if action is not None else None
    if isinstance(action, DictionaryObject) and _runs_code(DictionaryObject({"/A": action})):
        yield Finding("error", "actions.javascript", "the file runs JavaScript or another "
                      "action when it is opened", "export as PDF/X, which removes actions")


def _runs_code(holder: DictionaryObject) -> bool:
    """Whether the action of ``holder`` (and the ones chained after it) is one PDF/X forbids,
    or ``holder`` has additional actions."""
    if "/AA" in holder:
        return True
    action, seen = holder.get("/A"), 0
    while action is not None and seen < 50:
        action = action.get_object()
        if not isinstance(action, DictionaryObject):
            return False
        if str(action.get("/S")) in FORBIDDEN_ACTIONS:
            return True
        following = action.get("/Next")
        following = following.get_object() if following is not None else None
        action = following[0] if isinstance(following, ArrayObject) and following \
            else following
        seen += 1
    return False


def _embedded_files(document: Document) -> Iterator[Finding]:
    names = document.catalog.get("/Names")
    names = names.get_object() if names is not None else None
    if isinstance(names, DictionaryObject) and "/EmbeddedFiles" in names:
        yield Finding("error", "files.embedded", "the file carries embedded files",
                      "remove them; a print file holds only what prints")


def _on(annotation: DictionaryObject, box) -> bool:
    rect = annotation.get("/Rect")
    try:
        x0, y0, x1, y1 = (float(v) for v in rect.get_object())
    except (TypeError, ValueError, AttributeError):
        return True  # no usable rectangle: assume the worst
    if annotation.get("/F") is not None and int(annotation["/F"]) & 2:  # Hidden
        return False
    left, bottom, right, top = box
    return min(x0, x1) < right and max(x0, x1) > left and min(y0, y1) < top \
        and max(y0, y1) > bottom


# -- XMP -----------------------------------------------------------------------------------------

_NS = {"rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
       "dc": "http://purl.org/dc/elements/1.1/",
       "xmp": "http://ns.adobe.com/xap/1.0/",
       "pdf": "http://ns.adobe.com/pdf/1.3/"}


def _xmp(document: Document) -> Iterator[Finding]:
    """The catalog's XMP: parsed as XML with an rdf:RDF element, and saying what the Info
    dictionary says (title, author, creator tool, producer, dates, trapped)."""
    metadata = document.catalog.get("/Metadata")
    metadata = metadata.get_object() if metadata is not None else None
    if not isinstance(metadata, StreamObject):
        return  # its absence is pdfx.identification's finding
    from xml.etree import ElementTree

    try:
        root = ElementTree.fromstring(_without_packet(metadata.get_data()))
    except ElementTree.ParseError as error:
        yield Finding("error", "xmp.malformed", f"the XMP metadata is not well-formed XML "
                      f"({error})", "export the PDF again; the metadata was damaged")
        return
    rdf = root if root.tag == f"{{{_NS['rdf']}}}RDF" else root.find(f".//{{{_NS['rdf']}}}RDF")
    if rdf is None:
        yield Finding("error", "xmp.malformed", "the XMP metadata has no rdf:RDF element",
                      "export the PDF again; the metadata was damaged")
        return
    values = _rdf_values(rdf)
    info = document.info
    pairs = (("/Title", "dc:title", "title"), ("/Author", "dc:creator", "author"),
             ("/Creator", "xmp:CreatorTool", "creator tool"),
             ("/Producer", "pdf:Producer", "producer"), ("/Keywords", "pdf:Keywords",
                                                         "keywords"),
             ("/Trapped", "pdf:Trapped", "trapped state"))
    for key, name, label in pairs:
        if key not in info or name not in values:
            continue
        said = str(info[key]).lstrip("/") if key == "/Trapped" else str(info[key])
        if said.strip() != values[name].strip():
            yield Finding("error", "xmp.info-mismatch",
                          f"the {label} in the XMP metadata differs from the Info dictionary "
                          f"('{_short(values[name])}' / '{_short(said)}')",
                          "export the PDF again (an edit changed only one of the two)")
    for key, name, label in (("/CreationDate", "xmp:CreateDate", "creation date"),
                             ("/ModDate", "xmp:ModifyDate", "modification date")):
        if key in info and name in values:
            said, written = _pdf_date(str(info[key])), _xmp_date(values[name])
            if said is not None and written is not None and said != written:
                yield Finding("error", "xmp.info-mismatch",
                              f"the {label} in the XMP metadata differs from the Info "
                              "dictionary", "export the PDF again (an edit changed only one "
                              "of the two)")


def _without_packet(data: bytes) -> bytes:
    data = re.sub(rb"<\?xpacket[^>]*\?>", b"", data)
    return data.strip().rstrip(b"\x00 \n\r\t")


def _rdf_values(rdf) -> dict[str, str]:
    """Simple values under rdf:Description, as prefix:name → text (alternatives and
    sequences: the first item; attributes count as values too)."""
    values: dict[str, str] = {}
    prefixes = {uri: prefix for prefix, uri in _NS.items()}
    for description in rdf.iter(f"{{{_NS['rdf']}}}Description"):
        for attribute, value in description.attrib.items():
            uri, _, name = attribute[1:].partition("}")
            if uri in prefixes:
                values[f"{prefixes[uri]}:{name}"] = value
        for child in description:
            uri, _, name = child.tag[1:].partition("}")
            if uri not in prefixes:
                continue
            item = child.find(f".//{{{_NS['rdf']}}}li")
            text = (item.text if item is not None else child.text) or ""
            values[f"{prefixes[uri]}:{name}"] = text
    return values


def _pdf_date(value: str) -> dt.datetime | None:
    found = re.match(r"D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?"
                     r"(?:([Zz+-])(\d{2})?'?(\d{2})?'?)?", value)
    if not found:
        return None
    year, month, day, hour, minute, second, sign, zh, zm = found.groups()
    return _moment(year, month, day, hour, minute, second, sign, zh, zm)


def _xmp_date(value: str) -> dt.datetime | None:
    found = re.match(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?(?:T(\d{2}):(\d{2})(?::(\d{2}))?"
                     r"(?:\.\d+)?)?(?:([Zz+-])(\d{2})?:?(\d{2})?)?", value.strip())
    if not found:
        return None
    return _moment(*found.groups())


def _moment(year, month, day, hour, minute, second, sign, zh, zm) -> dt.datetime | None:
    try:
        offset = dt.timedelta(hours=int(zh or 0), minutes=int(zm or 0))
        zone = dt.timezone(-offset if sign == "-" else offset) if sign else dt.timezone.utc
        return dt.datetime(int(year), int(month or 1), int(day or 1), int(hour or 0),
                           int(minute or 0), int(second or 0), tzinfo=zone)
    except ValueError:
        return None


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "…"
