"""Finishing for screens: a tagged PDF/UA-1 file from the same laid-out pages as the print file.

WeasyPrint writes the tagged file (``pdf/ua-1``) from the document it laid out for press, at
trim size. What it leaves for print is made right for reading here:

- colours: DeviceCMYK (the layouts' press colours, converted pictures) becomes sRGB, through
  the output profile, so the screen shows what the press would print;
- pictures: downsampled to at most ``PPI`` where they are placed, re-encoded as JPEG;
- running heads, folios and decorative pictures (``alt=""``) become artifacts, which screen
  readers skip (WeasyPrint tags margin boxes but hangs them nowhere in the tree);
- letter-spaced words: their glyphs carry the words as ActualText, so "S P R I N G" is read
  and extracted as "SPRING" (text.py; the print file has them too).
"""

from __future__ import annotations

import hashlib
import io
import math
from functools import lru_cache

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    ContentStream,
    DictionaryObject,
    FloatObject,
    NameObject,
    NullObject,
    NumberObject,
    TextStringObject,
)

from .finishing import PressSpec, document_id, id_hash, info_entries, name_subsets, xmp
from .text import spelled_run, text_of

PPI = 150          # pictures on screen: sharp at 150% zoom, small enough to e-mail
JPEG_QUALITY = 85
CMYK_NAMES = ("/DeviceCMYK",)


def screen_part(data: bytes, languages: dict[str, str] | None = None, *, profile: bytes
                ) -> bytes:
    """WeasyPrint's tagged output ``data`` made right for screens, as a part of a larger file
    (the booklet writes the document's own metadata); ``profile``: the output CMYK;
    ``languages``: lines of text in another language, each with its language."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    screen_pages(writer, profile, languages)
    writer.compress_identical_objects(remove_duplicates=False, remove_unreferenced=True)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def finish_screen(data: bytes, languages: dict[str, str] | None = None, *, spec: PressSpec
                  ) -> bytes:
    """The screen file of WeasyPrint's tagged output ``data``, described as ``spec`` says
    (title, language, date; its profile is the CMYK the print colours are meant for)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    screen_pages(writer, spec.profile, languages)
    root = writer.root_object
    root[NameObject("/Lang")] = TextStringObject(spec.language)
    writer.metadata = None
    writer.add_metadata(info_entries(spec, screen=True))
    digest = id_hash(spec)
    digest.update(hashlib.sha256(data).digest())
    digest = digest.digest()
    writer.xmp_metadata = xmp(spec, document_id(digest), screen=True)
    metadata = root["/Metadata"].get_object()
    metadata[NameObject("/Type")] = NameObject("/Metadata")
    metadata[NameObject("/Subtype")] = NameObject("/XML")
    writer._ID = ArrayObject([ByteStringObject(digest[:16]), ByteStringObject(digest[:16])])
    writer.pdf_header = b"%PDF-1.7"
    writer.compress_identical_objects(remove_duplicates=False, remove_unreferenced=True)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def screen_pages(writer: PdfWriter, profile: bytes,
                 languages: dict[str, str] | None = None) -> None:
    """Colours, pictures, artifacts, letter-spaced words and languages of every page made
    right for screens; ``profile``: the CMYK output profile the print colours are meant for;
    ``languages``: lines of text in another language than the document's → that language."""
    tree = _Tree(writer)
    colours = _Colours(profile)
    sizes: dict[int, tuple[object, float, float]] = {}  # image: (object, width, height) px
    done_forms: set[int] = set()
    for index, page in enumerate(writer.pages):
        artifacts = tree.artifacts(index)
        contents = ContentStream(page["/Contents"].get_object(), writer)
        resources = page.get("/Resources")
        resources = resources.get_object() if resources is not None else DictionaryObject()
        texts: dict[int, list[str]] | None = {} if languages else None
        contents.operations = _rewrite(contents.operations, resources, colours, artifacts,
                                       sizes, done_forms, writer, texts=texts)
        for mcid, parts in (texts or {}).items():
            language = languages.get("".join(parts).strip())
            if language:
                tree.set_language(index, mcid, language)
        page.replace_contents(contents)
        page.compress_content_streams()
        group = page.get("/Group")
        if group is not None and group.get_object().get("/CS") in CMYK_NAMES:
            group.get_object()[NameObject("/CS")] = NameObject("/DeviceRGB")
    tree.finish()
    for image, width, height in sizes.values():
        _screen_image(image, width, height, colours)
    named: set = set()
    for page in writer.pages:
        name_subsets(page.get("/Resources"), named)


# -- the structure tree ------------------------------------------------------------------------

class _Tree:
    """Which marked content belongs in the structure tree, and which is an artifact."""

    def __init__(self, writer: PdfWriter):
        self.writer = writer
        root = writer.root_object.get("/StructTreeRoot")
        self.root = root.get_object() if root is not None else None
        self.parents: dict[int, list] = {}  # page index → its parent-tree array
        self.reachable: set[int] = set()
        self.decorative: set[int] = set()   # figures without alternative text
        if self.root is None:
            return
        nums = self.root["/ParentTree"].get_object().get("/Nums", ArrayObject())
        for key, value in zip(nums[::2], nums[1::2]):
            value = value.get_object()
            if isinstance(value, ArrayObject):
                self.parents[int(key)] = value
        self._walk(self.root)

    def _walk(self, node) -> None:
        stack = [node]
        while stack:
            for kid in _kids(stack.pop()):
                element = kid.get_object()
                if kid.idnum in self.reachable:
                    continue
                self.reachable.add(kid.idnum)
                if element["/S"] == "/Figure" and not str(element.get("/Alt", "")).strip():
                    self.decorative.add(kid.idnum)
                stack.append(element)

    def artifacts(self, page_index: int) -> set[int]:
        """MCIDs of this page that are artifacts: content tagged by elements outside the tree
        (margin boxes) or by decorative figures. Their parent-tree entries are cleared."""
        found = set()
        array = self.parents.get(page_index)
        if array is None:
            return found
        for mcid, reference in enumerate(array):
            idnum = getattr(reference, "idnum", None)
            if idnum is None:
                continue
            if idnum not in self.reachable or idnum in self.decorative:
                found.add(mcid)
                array[mcid] = NullObject()
        return found

    def set_language(self, page_index: int, mcid: int, language: str) -> None:
        """The language of the element that marked content ``mcid`` of the page belongs to."""
        array = self.parents.get(page_index)
        if array is None or mcid >= len(array) or not hasattr(array[mcid], "idnum"):
            return
        array[mcid].get_object()[NameObject("/Lang")] = TextStringObject(language)

    def finish(self) -> None:
        """Decorative figures leave the tree (their content is now artifacts)."""
        if not self.decorative:
            return
        stack = [self.root]
        while stack:
            node = stack.pop()
            kids = node.get("/K")
            kids = kids.get_object() if kids is not None else None
            if isinstance(kids, ArrayObject):
                node[NameObject("/K")] = ArrayObject(
                    kid for kid in kids if getattr(kid, "idnum", None) not in self.decorative)
            stack.extend(kid.get_object() for kid in _kids(node))


def _kids(node) -> list:
    """The structure elements below ``node`` (references; marked content and objects aside)."""
    kids = node.get("/K")
    if kids is None:
        return []
    kids = kids.get_object()
    return [kid for kid in (kids if isinstance(kids, ArrayObject) else [kids])
            if hasattr(kid, "idnum") and isinstance(kid.get_object(), DictionaryObject)
            and "/S" in kid.get_object()]


# -- content streams -----------------------------------------------------------------------------

class _Colours:
    """Press CMYK → screen sRGB through the output profile (relative colorimetric, as a
    proof would show it), remembered per colour."""

    def __init__(self, profile: bytes):
        self.profile = profile
        self._seen: dict[tuple, list[FloatObject]] = {}

    def rgb(self, cmyk) -> list[FloatObject]:
        key = tuple(round(float(v), 4) for v in cmyk)
        if key not in self._seen:
            from PIL import Image, ImageCms

            pixel = Image.new("CMYK", (1, 1), tuple(round(v * 255) for v in key))
            red, green, blue = ImageCms.applyTransform(pixel, self.transform).getpixel((0, 0))
            self._seen[key] = [FloatObject(round(v / 255, 4)) for v in (red, green, blue)]
        return self._seen[key]

    @property
    def transform(self):
        return _cmyk_to_srgb(self.profile)

    def image(self, picture):
        from PIL import ImageCms

        return ImageCms.applyTransform(picture, self.transform)


@lru_cache(maxsize=4)
def _cmyk_to_srgb(profile: bytes):
    from PIL import ImageCms

    return ImageCms.buildTransform(
        ImageCms.ImageCmsProfile(io.BytesIO(profile)), ImageCms.createProfile("sRGB"),
        "CMYK", "RGB", renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC)


def _rewrite(operations: list, resources, colours: _Colours, artifacts: set[int],
             sizes: dict, done_forms: set[int], writer, ctm=(1, 0, 0, 1, 0, 0),
             texts: dict[int, list[str]] | None = None) -> list:
    """``operations`` with screen colours, artifacts and ActualText; placed image sizes are
    recorded in ``sizes`` (forms are followed, and rewritten once); with ``texts``, the
    text of each marked-content sequence is collected there."""
    fonts = resources.get("/Font")
    fonts = fonts.get_object() if fonts is not None else DictionaryObject()
    xobjects = resources.get("/XObject")
    xobjects = xobjects.get_object() if xobjects is not None else DictionaryObject()
    result = []
    fill_cmyk = stroke_cmyk = False
    stack, matrix = [], tuple(ctm)
    font = None
    marked: list[int | None] = []  # the MCIDs of the marked content we are in
    for operands, operator in operations:
        if operator == b"BDC" and len(operands) == 2:
            properties = operands[1].get_object() if hasattr(operands[1], "get_object") \
                else operands[1]
            mcid = properties.get("/MCID") if isinstance(properties, DictionaryObject) \
                else None
            marked.append(mcid)
            if mcid is not None and mcid in artifacts:
                result.append(([NameObject("/Artifact")], b"BMC"))
                continue
        elif operator in (b"BMC", b"BDC"):
            marked.append(None)
        elif operator == b"EMC" and marked:
            marked.pop()
        elif operator in (b"cs", b"CS"):
            cmyk = operands and operands[0] in CMYK_NAMES
            if operator == b"cs":
                fill_cmyk = cmyk
            else:
                stroke_cmyk = cmyk
            if cmyk:
                continue  # the colour that follows is set as RGB
        elif operator in (b"scn", b"sc") and fill_cmyk and len(operands) == 4:
            result.append((colours.rgb(operands), b"rg"))
            continue
        elif operator in (b"SCN", b"SC") and stroke_cmyk and len(operands) == 4:
            result.append((colours.rgb(operands), b"RG"))
            continue
        elif operator == b"k":
            fill_cmyk = False
            result.append((colours.rgb(operands), b"rg"))
            continue
        elif operator == b"K":
            stroke_cmyk = False
            result.append((colours.rgb(operands), b"RG"))
            continue
        elif operator in (b"g", b"rg"):
            fill_cmyk = False
        elif operator in (b"G", b"RG"):
            stroke_cmyk = False
        elif operator == b"q":
            stack.append((matrix, fill_cmyk, stroke_cmyk))
        elif operator == b"Q" and stack:
            matrix, fill_cmyk, stroke_cmyk = stack.pop()
        elif operator == b"cm" and len(operands) == 6:
            matrix = _multiply(tuple(float(v) for v in operands), matrix)
        elif operator == b"Tf" and operands:
            font = fonts.get(operands[0])
        elif operator in (b"TJ", b"Tj") and texts is not None and font is not None \
                and marked and marked[-1] is not None:
            items = operands[0] if operator == b"TJ" else [operands[0]]
            texts.setdefault(marked[-1], []).append(text_of(font.get_object(), items))
        if operator == b"TJ" and (run := spelled_run(font, operands)):
            result.extend(run)
            continue
        elif operator == b"Do" and operands and operands[0] in xobjects:
            reference = xobjects.raw_get(operands[0])
            xobject = reference.get_object()
            if xobject.get("/Subtype") == "/Image":
                _placed(sizes, xobject, matrix)
            elif xobject.get("/Subtype") == "/Form":
                _form(xobject, colours, sizes, done_forms, writer, matrix)
        result.append((operands, operator))
    return result


def _form(form, colours, sizes, done_forms, writer, matrix) -> None:
    """A form drawn with ``matrix``: its content rewritten once, its pictures sized here."""
    own = form.get("/Matrix")
    if own is not None and len(own) == 6:
        matrix = _multiply(tuple(float(v) for v in own), matrix)
    resources = form.get("/Resources")
    resources = resources.get_object() if resources is not None else DictionaryObject()
    contents = ContentStream(form, writer)
    operations = _rewrite(contents.operations, resources, colours, set(), sizes, done_forms,
                          writer, matrix)
    if id(form) not in done_forms:
        done_forms.add(id(form))
        contents.operations = operations
        form.set_data(contents.get_data())
        group = form.get("/Group")
        if group is not None and group.get_object().get("/CS") in CMYK_NAMES:
            group.get_object()[NameObject("/CS")] = NameObject("/DeviceRGB")


def _multiply(a: tuple, b: tuple) -> tuple:
    """The matrix ``a`` then ``b`` (PDF order: a point is transformed by a, then by b)."""
    return (a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3],
            a[2] * b[0] + a[3] * b[2], a[2] * b[1] + a[3] * b[3],
            a[4] * b[0] + a[5] * b[2] + b[4], a[4] * b[1] + a[5] * b[3] + b[5])


def _placed(sizes: dict, image, matrix: tuple) -> None:
    """Record the pixels ``image`` needs where it is drawn with ``matrix`` (the largest use)."""
    width = math.hypot(matrix[0], matrix[1]) / 72 * PPI
    height = math.hypot(matrix[2], matrix[3]) / 72 * PPI
    known = sizes.get(id(image))
    if known is not None:
        width, height = max(width, known[1]), max(height, known[2])
    sizes[id(image)] = (image, width, height)


# -- pictures ----------------------------------------------------------------------------------

def _screen_image(image, width: float, height: float, colours: _Colours) -> None:
    """``image`` in sRGB (from the press CMYK) and no larger than its placed size needs."""
    from PIL import Image

    space = image.get("/ColorSpace")
    if image.get("/ImageMask") or image.get("/BitsPerComponent") != 8 \
            or space not in ("/DeviceCMYK", "/DeviceRGB", "/DeviceGray"):
        return
    decode = [float(value) for value in image.get("/Decode", ())]
    # An inverted Decode is how CMYK JPEGs from Adobe's convention (and Pillow's) are
    # described: Pillow reads them the right way round. Any other Decode: left as it is.
    inverted = bool(decode) and decode == [1.0, 0.0] * (len(decode) // 2)
    if decode and not inverted:
        return
    size = (int(image["/Width"]), int(image["/Height"]))
    target = (max(1, math.ceil(width)), max(1, math.ceil(height)))
    smaller = target[0] < size[0] and target[1] < size[1]
    if space != "/DeviceCMYK" and not smaller:
        return
    mode = {"/DeviceCMYK": "CMYK", "/DeviceRGB": "RGB", "/DeviceGray": "L"}[space]
    if image.get("/Filter") == "/DCTDecode":
        picture = Image.open(io.BytesIO(image._data))
        picture.load()
        if picture.mode != mode:
            picture = picture.convert(mode)
    elif image.get("/Filter") in (None, "/FlateDecode"):  # pypdf undoes any predictor
        picture = Image.frombytes(mode, size, image.get_data())
        if inverted:
            from PIL import ImageChops

            picture = ImageChops.invert(picture)
    else:
        return
    if mode == "CMYK":
        picture = colours.image(picture)
    if smaller:
        picture = picture.resize(target, Image.Resampling.LANCZOS)
    if "/SMask" in image:  # logos and signatures (line art over transparency): lossless
        import zlib

        image._data = zlib.compress(picture.tobytes())
        image[NameObject("/Filter")] = NameObject("/FlateDecode")
    else:
        output = io.BytesIO()
        picture.save(output, format="JPEG", quality=JPEG_QUALITY, optimize=True)
        image._data = output.getvalue()
        image[NameObject("/Filter")] = NameObject("/DCTDecode")
    image.decoded_self = None
    image[NameObject("/ColorSpace")] = NameObject("/DeviceRGB" if picture.mode == "RGB"
                                                  else "/DeviceGray")
    image[NameObject("/Width")] = NumberObject(picture.width)
    image[NameObject("/Height")] = NumberObject(picture.height)
    image[NameObject("/Length")] = NumberObject(len(image._data))
    for key in ("/DecodeParms", "/Decode"):
        if key in image:
            del image[key]
    mask = image.get("/SMask")
    if mask is not None and smaller:
        _shrink_mask(mask.get_object(), picture.size)


def _shrink_mask(mask, size: tuple[int, int]) -> None:
    from PIL import Image
    import zlib

    if mask.get("/BitsPerComponent") != 8 or mask.get("/Filter") not in (None, "/FlateDecode"):
        return
    current = (int(mask["/Width"]), int(mask["/Height"]))
    if current[0] <= size[0] or current[1] <= size[1]:
        return
    alpha = Image.frombytes("L", current, mask.get_data()).resize(size,
                                                                 Image.Resampling.LANCZOS)
    mask._data = zlib.compress(alpha.tobytes())
    mask.decoded_self = None
    mask[NameObject("/Filter")] = NameObject("/FlateDecode")
    if "/DecodeParms" in mask:
        del mask["/DecodeParms"]
    mask[NameObject("/Width")] = NumberObject(size[0])
    mask[NameObject("/Height")] = NumberObject(size[1])
