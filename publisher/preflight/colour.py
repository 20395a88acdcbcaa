"""Colour for press: CMYK (or ICC-based RGB under PDF/X-4), an output intent, and PDF/X
identification in both the Info dictionary and XMP."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pypdf.generic import DictionaryObject, StreamObject

from .content import Name
from .document import Document, colour_family, named, operations
from .report import Finding, Options

OPERATOR_SPACES = {b"rg": "rgb", b"RG": "rgb", b"k": "cmyk", b"K": "cmyk",
                   b"g": "gray", b"G": "gray"}
NAMES = {"rgb": "DeviceRGB", "cmyk": "DeviceCMYK", "gray": "DeviceGray", "icc-rgb": "ICC-based RGB", "cal-rgb": "CalRGB", "lab": "Lab",
         "icc-cmyk": "ICC-based CMYK", "icc-gray": "ICC-based gray", "cal-gray": "CalGray",
         "unknown": "an unknown colour space"}
FIX = {
    "pdf/x-4": "use CMYK colours (device-cmyk() in the layout) and let publisher convert "
               "pictures, or convert the file to CMYK",
    "pdf/x-1a": "convert every colour and picture to CMYK; PDF/X-1a allows no RGB or ICC colour",
}


def allowed(family: str, options: Options, intent: str | None = None,
            defaults: frozenset[str] = frozenset()) -> bool:
    """Whether colour in ``family`` may print under the target, the output intent's colour
    space (``intent``: "cmyk", "rgb", "gray") and the Default colour spaces in force (a
    DefaultRGB makes DeviceRGB ICC-based)."""
    if options.target == "pdf/x-1a":
        return family in ("cmyk", "gray", "spot", "pattern") and intent in (None, "cmyk")
    if family == "rgb":
        return intent == "rgb" or "rgb" in defaults
    if family == "cmyk":  # device CMYK means the intent's CMYK; under an RGB intent, nothing
        return intent in (None, "cmyk") or "cmyk" in defaults
    return family != "unknown"


def output_profile(document: Document) -> StreamObject | None:
    """The ICC profile of the file's (first) output intent."""
    intents = document.catalog.get("/OutputIntents")
    intents = intents.get_object() if intents is not None else None
    for intent in intents if isinstance(intents, list) else []:
        intent = intent.get_object()
        profile = intent.get("/DestOutputProfile") if isinstance(intent, dict) else None
        profile = profile.get_object() if profile is not None else None
        if isinstance(profile, StreamObject):
            return profile
    return None


def intent_space(document: Document) -> str | None:
    """The colour space of the PDF/X output intent's profile: "cmyk", "rgb", "gray"."""
    profile = output_profile(document)
    if profile is None:
        return None
    family = {b"CMYK": "cmyk", b"RGB ": "rgb", b"GRAY": "gray"}.get(profile.get_data()[16:20])
    channels = {"cmyk": 4, "rgb": 3, "gray": 1}.get(family)
    try:  # a profile at odds with its /N is structure's finding, not a colour space
        return family if int(profile.get("/N", 0)) == channels else None
    except (TypeError, ValueError):
        return None


def _defaults(resources) -> frozenset[str]:
    """The Default colour spaces (DefaultRGB, DefaultCMYK, DefaultGray) in ``resources``."""
    spaces = resources.get("/ColorSpace") if isinstance(resources, dict) else None
    spaces = spaces.get_object() if spaces is not None else None
    if not isinstance(spaces, dict):
        return frozenset()
    return frozenset(key[len("/Default"):].lower() for key in spaces
                     if str(key) in ("/DefaultRGB", "/DefaultCMYK", "/DefaultGray"))


def check_colour(document: Document, options: Options) -> Iterator[Finding]:
    x1a = options.target == "pdf/x-1a"
    intent = intent_space(document)
    for page in document.pages:
        found: dict[tuple[str, str], None] = {}   # (what, family), in order, once per page
        page_resources = page.obj.get("/Resources")
        page_defaults = _defaults(page_resources.get_object()
                                  if page_resources is not None else None)

        def use(what: str, space, resources) -> None:
            family = space if isinstance(space, str) and not space.startswith("/") \
                else colour_family(space, resources)
            defaults = _defaults(resources) if resources is not None else page_defaults
            if not allowed(family, options, intent, defaults):
                found[(what, family)] = None

        group = page.obj.get("/Group")
        transparency = [] if group is None else ["the page is a transparency group"]
        if group is not None and "/CS" in group.get_object():
            use("page transparency group", group.get_object()["/CS"], None)
        for op in operations(document, page):
            operator, operands, resources = op.operator, op.operands, op.resources
            if operator in OPERATOR_SPACES:
                use("colour", OPERATOR_SPACES[operator], resources)
            elif operator in (b"cs", b"CS") and operands:
                use("colour", operands[0], resources)
            elif operator == b"Do" and operands:
                image = named(resources, "/XObject", operands[0])
                if image is not None and image.get("/Subtype") == "/Image":
                    if "/ColorSpace" in image and not image.get("/ImageMask", False):
                        use(f"picture ({image.get('/Width')}×{image.get('/Height')} px)",
                            image["/ColorSpace"], resources)
                    if "/SMask" in image:
                        transparency.append("a picture with a soft mask")
            elif operator == b"BI" and operands:
                settings = operands[0]
                space = settings.get("/CS", settings.get("/ColorSpace"))
                if space is not None:
                    use("inline image", space, resources)
            elif operator == b"sh" and operands:
                shading = named(resources, "/Shading", operands[0])
                if shading is not None:
                    use("shading", shading.get("/ColorSpace"), resources)
            elif operator in (b"scn", b"SCN") and operands and \
                    isinstance(operands[-1], Name):
                pattern = named(resources, "/Pattern", operands[-1])
                shading = pattern.get("/Shading") if pattern is not None else None
                if shading is not None:
                    use("shading", shading.get_object().get("/ColorSpace"), resources)
            elif operator == b"BeginForm":
                form_group = operands[0].get("/Group")
                if form_group is not None and "/CS" in form_group.get_object():
                    use("transparency group", form_group.get_object()["/CS"], resources)
                if form_group is not None:
                    transparency.append("a drawing is a transparency group")
            elif operator == b"gs" and operands:
                transparency.extend(_state_transparency(named(resources, "/ExtGState",
                                                              operands[0])))

        for what, family in found:
            under = f" under an {intent.upper()} output intent" \
                if intent not in (None, "cmyk") and family in ("cmyk", "rgb") else ""
            yield Finding("error", "colour.space",
                          f"{what} in {NAMES.get(family, family)}, not allowed in "
                          f"{options.target.upper()}{under}", FIX[options.target],
                          page.number)
        if x1a and transparency:
            yield Finding("error", "colour.transparency",
                          f"transparency ({transparency[0]}), not allowed in PDF/X-1A",
                          "check against PDF/X-4, which allows transparency, or flatten it",
                          page.number)


def _state_transparency(state: DictionaryObject | None) -> list[str]:
    if state is None:
        return []
    found = []
    mask = state.get("/SMask")
    if mask is not None and mask.get_object() != "/None":
        found.append("a soft mask")
    for key in ("/CA", "/ca"):
        if key in state and float(state[key]) < 1:
            found.append("opacity below 100%")
    if state.get("/BM", "/Normal") not in ("/Normal", "/Compatible"):
        found.append("a blend mode")
    return found


def check_pdfx(document: Document, options: Options) -> Iterator[Finding]:
    version = "PDF/X-4" if options.target == "pdf/x-4" else "PDF/X-1"
    catalog = document.catalog
    intents = catalog.get("/OutputIntents")
    intents = [i.get_object() for i in intents.get_object()] if intents is not None else []
    pdfx = [i for i in intents if i.get("/S") == "/GTS_PDFX"]
    if not pdfx:
        yield Finding("error", "pdfx.output-intent", "no PDF/X output intent: the print "
                      "condition (e.g. FOGRA39) is not stated", "export as PDF/X with the print "
                      "shop's output profile (publisher adds FOGRA39 by default)")
    else:
        profile = pdfx[0].get("/DestOutputProfile")
        profile = profile.get_object() if profile is not None else None
        if not isinstance(profile, StreamObject) and options.target == "pdf/x-4":
            yield Finding("error", "pdfx.output-intent", "the output intent has no ICC profile",
                          "embed the print shop's output profile (.icc)")
        # The profile itself: structure.check_output_profile.

    info_version = str(document.info.get("/GTS_PDFXVersion", ""))
    if not info_version.startswith(version):
        found = f" (it says {info_version})" if info_version else ""
        yield Finding("error", "pdfx.identification",
                      f"the Info dictionary does not identify the file as {version}{found}",
                      f"export as {options.target.upper()}")
    xmp = _xmp(document)
    match = re.search(r"GTS_PDFXVersion(?:>|=\")\s*([^<\"]+)", xmp)
    if not match or not match[1].startswith(version):
        yield Finding("error", "pdfx.identification",
                      f"the XMP metadata does not identify the file as {version}",
                      f"export as {options.target.upper()} (XMP with pdfxid:GTS_PDFXVersion)")
    if document.info.get("/Trapped") not in ("/True", "/False"):
        yield Finding("error", "pdfx.trapped", "the Trapped key is missing or Unknown",
                      "export as PDF/X, which states whether the file is trapped")


def _xmp(document: Document) -> str:
    metadata = document.catalog.get("/Metadata")
    if metadata is None or not isinstance(metadata.get_object(), StreamObject):
        return ""
    return metadata.get_object().get_data().decode("utf-8", errors="replace")
