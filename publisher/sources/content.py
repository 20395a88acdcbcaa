"""Messages: ``content/messages/<slug>.md`` (YAML front matter + Markdown) → typed objects."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from markupsafe import Markup
from pydantic import AfterValidator, Field

from ..errors import PublisherError
from .config import Language, Project
from .markdown import render_body
from .names import slug as name_slug
from .schema import Strict, validate
from .yamlsource import parse_yaml, read_text

MAX_MESSAGE_BYTES = 2_000_000
SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")
# A translation: the message's slug, a dot, a language code (president.zh.md).
TRANSLATION = re.compile(r"(?P<slug>[a-z0-9][a-z0-9-]*)\.(?!md$)"
                         r"(?P<lang>[a-z]{2,3}(-[A-Za-z0-9]{2,8})*)")
IMAGE_TYPES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".gif", ".svg", ".pdf"}
MESSAGE_TYPES = {".md", ".markdown"}  # in any case: dean.MD is a message too
# Files of editors and operating systems, never messages: left out without a word.
_NOISE = re.compile(r"(\..*|~\$.*|.*~|.*\.(swp|swx|tmp|bak)|Thumbs\.db|desktop\.ini)",
                    re.IGNORECASE)


def _focus(value: str) -> str:
    """``'50% 25%'`` (across, down) → the CSS object-position it becomes."""
    parts = str(value).split()
    if len(parts) != 2 or not all(re.fullmatch(r"\d{1,3}(\.\d+)?%", p)
                                  and float(p[:-1]) <= 100 for p in parts):
        raise ValueError(f"'{value}' is not a focal point; write two percentages, across "
                         "then down, like '50% 25%' (the middle of the top quarter)")
    return " ".join(parts)


Focus = Annotated[str, AfterValidator(_focus)]


class Signatory(Strict):
    name: str
    role: str | None = None
    # A head-and-shoulders photo, and a scanned signature (a PNG with transparency is best).
    portrait: str | None = None
    signature: str | None = None


class FrontMatter(Strict):
    title: str
    institution: str
    short_name: str | None = None
    motto: str | None = None
    # A sentence or two under the title, set larger than the body.
    standfirst: str | None = None
    signatories: list[Signatory] = Field(min_length=1)
    language: Language | None = None
    image: str | None = None
    image_caption: str | None = None
    # What the picture shows, for screen readers (the screen edition needs it); "" if it is
    # only decoration.
    image_alt: str | None = None
    # Where the picture's subject is, kept in view when it is cropped: across, then down.
    image_focus: Focus | None = None
    logo: str | None = None  # the institution's logo: SVG, PNG or JPEG
    logo_alt: str | None = None  # e.g. "Logo of Beijing University of Technology"
    # How line breaks in the text are read: "auto" (pasted text with one paragraph per
    # line is recognised), "paragraphs" (every line is a paragraph), "markdown" (as written).
    line_breaks: Literal["auto", "paragraphs", "markdown"] = "auto"
    draft: bool = False
    # With a translation beside it (x.zh.md): how the two are set (publication.yaml's
    # bilingual: setting when not given).
    bilingual: Literal["sequential", "columns"] | None = None


class TranslatedSignatory(Strict):
    name: str
    role: str | None = None


class TranslationMatter(Strict):
    """The front matter of a translation, ``x.zh.md`` beside ``x.md``: the words in the
    other language. Pictures, logo and settings come from the message itself."""

    title: str
    institution: str | None = None
    short_name: str | None = None
    motto: str | None = None
    standfirst: str | None = None
    # The signatories' names and roles in this language, in the message's order.
    signatories: list[TranslatedSignatory] | None = None
    language: Language | None = None
    line_breaks: Literal["auto", "paragraphs", "markdown"] = "auto"


@dataclass(frozen=True)
class Message:
    """One message, ready for the layouts."""

    slug: str
    path: Path
    meta: FrontMatter
    body_html: Markup
    language: str
    image_path: Path | str | None  # a file in content/, or a URL on an allowed host
    image_line: int | None
    # The picture's shape, read from its file: "portrait", "landscape" or "square".
    image_shape: str = "landscape"
    logo_path: Path | str | None = None
    # Per signatory (in order): their portrait and signature files, or None.
    portraits: tuple = ()
    signatures: tuple = ()
    # Every local file the message prints: its digest keys the cache.
    assets: tuple[Path, ...] = ()
    # The message in its other language (x.zh.md), set as ``arrangement`` says.
    translation: Message | None = None
    # Top-level blocks of the body (paragraphs, lists, tables), for setting side by side.
    blocks: tuple[Markup, ...] = ()
    # Pictures without alt text: (line, what it is, the fix), for the screen edition's check.
    unlabelled: tuple[tuple[int | None, str, str], ...] = ()

    @property
    def outline_title(self) -> str:
        """The message's bookmark: its institution and title, and the translated title."""
        title = f"{self.institution}: {self.title}"
        return f"{title} / {self.translation.title}" if self.translation else title

    @property
    def arrangement(self) -> str:
        """How a message and its translation are set: "sequential" or "columns"."""
        return self.meta.bilingual or "sequential"

    @property
    def block_pairs(self) -> list[tuple[Markup, Markup]]:
        """The body's blocks beside the translation's, row by row (a missing one: empty)."""
        other = self.translation.blocks if self.translation else ()
        count = max(len(self.blocks), len(other))
        return [(self.blocks[i] if i < len(self.blocks) else Markup(""),
                 other[i] if i < len(other) else Markup("")) for i in range(count)]

    @property
    def salutation(self) -> Markup | None:
        """The text's own salutation ("Dear colleagues,"), if it opens with one: a letter
        prints it in its place, or a guest's instead, never two."""
        found = _SALUTATION.match(self.body_html)
        return Markup(found["text"]) if found else None

    @property
    def body_after_salutation(self) -> Markup:
        found = _SALUTATION.match(self.body_html)
        return Markup(self.body_html[found.end():]) if found else self.body_html

    @property
    def image_position(self) -> str:
        """Where a cropped picture keeps its subject: the author's focus, else the middle,
        or for a portrait (a face) the upper third."""
        if self.meta.image_focus:
            return self.meta.image_focus
        return "50% 30%" if self.image_shape == "portrait" else "50% 50%"

    def __getattr__(self, name):
        # Templates read front matter fields straight off the message: message.title.
        if name.startswith("__") or name == "meta":
            raise AttributeError(name)
        return getattr(self.meta, name)


# A first paragraph that greets: short, one of the usual openings, ending in , : or !
_SALUTATION = re.compile(
    r"\s*<p>(?P<text>(?:(?:dear|my dear|to|distinguished|esteemed|hono(?:u)?red|respected|"
    r"ladies and gentlemen|good (?:morning|afternoon|evening)|greetings)\b[^<\n]{0,100}"
    r"[,:!]|(?:尊敬的|亲爱的|各位)[^<\n]{0,40}[：:，,！!]))</p>\s*", re.IGNORECASE)


def split_front_matter(text: str, path: Path) -> tuple[str, str, int]:
    """``---`` YAML ``---`` body → (yaml, body, line where the body starts)."""
    if not text.startswith("---\n"):
        raise PublisherError(
            "no front matter found", path=path, line=1,
            fix="start the file with a line '---', the fields (title:, institution:, "
                "signatories:), and another line '---' before the text")
    end = re.search(r"^---[ \t]*$", text[4:], flags=re.MULTILINE)
    if end is None:
        raise PublisherError("front matter is not closed", path=path, line=1,
                             fix="add a line '---' after the last front matter field")
    front = text[4: 4 + end.start()]
    body = text[4 + end.end():]
    # The body starts on the closing '---' line itself (its line end is the body's first
    # character): line 1 '---', the front matter's lines, then that one.
    body_line = front.count("\n") + 2
    return front, body, body_line


def read_message(path: Path, project: Project, translated: Path | None = None) -> Message:
    """The message in ``path``; ``translated``: its translation's file, if it has one."""
    slug = path.stem
    if not SLUG.fullmatch(slug):
        raise PublisherError(
            f"'{path.name}' is not a usable file name for a message", path=path,
            fix="rename it with lowercase letters, digits and hyphens only, e.g. "
                "president-welcome.md")
    document, meta, body, body_line = _read_file(path, FrontMatter, "message")

    def picture(where: tuple, reference: str | None) -> Path | str | None:
        if not reference:
            return None
        return resolve_image(reference, path, project, document.line_of(where))

    image_line = document.line_of(("image",))
    image_path = picture(("image",), meta.image)
    logo_path = picture(("logo",), meta.logo)
    portraits = tuple(picture(("signatories", i, "portrait"), person.portrait)
                      for i, person in enumerate(meta.signatories))
    signatures = tuple(picture(("signatories", i, "signature"), person.signature)
                       for i, person in enumerate(meta.signatories))
    text = render_body(body, path=path, first_line=body_line,
                       resolve=lambda reference, line: resolve_image(reference, path, project,
                                                                     line),
                       line_breaks=meta.line_breaks)
    translation = read_translation(translated, project, meta, portraits, signatures) \
        if translated is not None else None
    assets = tuple(dict.fromkeys(
        item for item in (image_path, logo_path, *portraits, *signatures, *text.pictures,
                          *(translation.assets if translation else ()))
        if isinstance(item, Path)))
    if meta.bilingual is None:
        meta = meta.model_copy(update={"bilingual": project.publication.bilingual})
    unlabelled = []
    if meta.image and meta.image_alt is None:
        unlabelled.append((image_line, f"the picture {meta.image}",
                           'add image_alt: "what the picture shows" to the front matter '
                           '(image_alt: "" if it is only decoration)'))
    if meta.logo and meta.logo_alt is None:
        unlabelled.append((document.line_of(("logo",)), f"the logo {meta.logo}",
                           'add logo_alt: "Logo of …" to the front matter'))
    unlabelled += [(line, f"the picture {reference}",
                    "write what it shows between the brackets, ![A description](file), or "
                    "mark it ![](file){.decorative} if it is only decoration")
                   for line, reference in text.unlabelled]
    return Message(slug=slug, path=path, meta=meta, body_html=text.html,
                   language=meta.language or project.publication.language,
                   image_path=image_path, image_line=image_line,
                   image_shape=image_shape(image_path, path, image_line),
                   logo_path=logo_path, portraits=portraits, signatures=signatures,
                   assets=assets, translation=translation, blocks=text.blocks,
                   unlabelled=tuple(unlabelled))


def check_alt_texts(project: Project, messages: list[Message]) -> None:
    """The screen edition describes every picture to screen readers: a picture without alt
    text (or a mark that it is decoration) is an error, naming its file and line."""
    publication = project.publication
    if publication.logo and publication.logo_alt is None:
        raise PublisherError(f"the logo {publication.logo} has no alt text, which the screen "
                             "edition needs", path=project.config_path,
                             line=project.config_line("logo"),
                             fix='add logo_alt: "Logo of …" to publication.yaml (or build '
                                 'only the print edition: editions: [print])')
    for message in messages:
        for line, what, fix in message.unlabelled:
            raise PublisherError(f"{what} has no alt text, which the screen edition needs",
                                 path=message.path, line=line, fix=fix)


def _read_file(path: Path, model, what: str):
    """A message or translation file: its YAML document, validated front matter, text and
    the line the text starts on."""
    text = read_text(path, max_bytes=MAX_MESSAGE_BYTES)
    front, body, body_line = split_front_matter(text, path)
    document = parse_yaml(front, path, line_offset=1)
    meta = validate(model, document, what="front matter")
    if not body.strip():
        raise PublisherError(f"the {what} has no text after its front matter", path=path,
                             fix=f"write the {what} below the closing '---' line")
    return document, meta, body, body_line


def read_translation(path: Path, project: Project, original: FrontMatter, portraits: tuple,
                     signatures: tuple) -> Message:
    """``x.zh.md``: the message ``x`` in another language (the code in its name)."""
    document, words, body, body_line = _read_file(path, TranslationMatter, "translation")
    people = original.signatories
    if words.signatories is not None:
        if len(words.signatories) != len(people):
            raise PublisherError(
                f"the translation names {len(words.signatories)} signatories, the message "
                f"{len(people)}", path=path, line=document.line_of(("signatories",)),
                fix="list the same people, in the same order, with their names in this "
                    "language")
        people = [person.model_copy(update={"name": own.name, "role": own.role or person.role})
                  for person, own in zip(people, words.signatories)]
    # The translation's own words; the institution's name stays as it is unless translated.
    given = words.model_dump(include={"title", "short_name", "motto", "standfirst"})
    if words.institution:
        given["institution"] = words.institution
    meta = original.model_copy(update={**given, "signatories": people, "bilingual": None})
    rendered = render_body(body, path=path, first_line=body_line,
                           resolve=lambda reference, line: resolve_image(reference, path,
                                                                         project, line),
                           line_breaks=words.line_breaks)
    language = words.language or path.stem.rsplit(".", 1)[1]
    return Message(slug=path.stem.replace(".", "-"), path=path, meta=meta,
                   body_html=rendered.html, language=language, image_path=None,
                   image_line=None, portraits=portraits, signatures=signatures,
                   assets=tuple(p for p in rendered.pictures if isinstance(p, Path)),
                   blocks=rendered.blocks)


def image_shape(image: Path | str | None, message_path: Path, line: int | None) -> str:
    """'portrait', 'landscape' or 'square', from the picture's header (a URL: landscape)."""
    if not isinstance(image, Path):
        return "landscape"
    if image.suffix.lower() == ".svg":
        return "landscape"
    if image.suffix.lower() == ".pdf":
        from ..pdf import pdf_box

        x0, y0, x1, y1 = pdf_box(image.read_bytes(), image.name, message_path)
        width, height = x1 - x0, y1 - y0
    else:
        width, height = _raster_size(image, message_path, line)
    if abs(width - height) <= 0.05 * max(width, height):
        return "square"
    return "portrait" if height > width else "landscape"


def _raster_size(image: Path, message_path: Path, line: int | None) -> tuple[int, int]:
    """A raster picture's width and height as shown (turned by its EXIF orientation)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(image) as picture:
            width, height = picture.size
            if picture.getexif().get(0x0112, 1) in (5, 6, 7, 8):  # turned by its EXIF
                width, height = height, width
    except Image.DecompressionBombError:
        raise PublisherError(f"image {image.name} has too many pixels to print safely",
                             path=message_path, line=line,
                             fix="resize it to at most 300 ppi at its printed size") from None
    except (OSError, UnidentifiedImageError, ValueError) as error:
        raise PublisherError(f"image {image.name} cannot be read ({error})",
                             path=message_path, line=line,
                             fix="re-export it as JPEG or PNG") from None
    return width, height


def resolve_image(reference: str, message_path: Path, project: Project,
                  line: int | None) -> Path | str:
    """An image named in front matter: relative to the message, inside content/, existing;
    or a URL on a host that ``network.allow`` names."""
    if re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:", reference):
        if project.publication.network.allows(reference):
            return reference
        raise PublisherError(f"image '{reference}' is a URL", path=message_path, line=line,
                             fix="save the image into content/images/ and give its path "
                                 "(or name its host under network: allow: in publication.yaml)")
    candidate = (message_path.parent / reference).resolve()
    content = project.content_dir.resolve()
    if not candidate.is_relative_to(content):
        raise PublisherError(f"image '{reference}' is outside the content folder",
                             path=message_path, line=line,
                             fix="copy the image into content/images/ and refer to it there")
    if not candidate.is_file():
        raise PublisherError(f"image '{reference}' not found", path=message_path, line=line,
                             fix=f"put the file at {candidate.relative_to(project.root)} "
                                 "or correct the path (it is relative to the message file)")
    if candidate.suffix.lower() not in IMAGE_TYPES:
        raise PublisherError(f"'{reference}' is not an image type publisher knows",
                             path=message_path, line=line,
                             fix="use a JPEG, PNG, TIFF, WebP, SVG or PDF file")
    if candidate.suffix.lower() == ".pdf":  # checked here, where the line is known
        from ..pdf import pdf_box

        pdf_box(candidate.read_bytes(), candidate.name, message_path, line)
    return candidate


def message_files(project: Project) -> tuple[dict[str, Path], list[tuple[Path, str]]]:
    """The message files by slug, and the files in ``messages/`` that are left out, each
    with what to do about it (nothing in that folder is skipped silently)."""
    folder = project.messages_dir
    files: dict[str, Path] = {}
    left_out: list[tuple[Path, str]] = []
    if not folder.is_dir():
        return files, left_out
    root = project.root.resolve()
    for path in sorted(folder.iterdir()):
        name = path.name
        if _NOISE.fullmatch(name):
            continue
        suffix = path.suffix.lower()
        if suffix in MESSAGE_TYPES and not path.resolve().is_relative_to(root):
            raise PublisherError(f"{name} is a link to a file outside the project", path=path,
                                 fix="copy the message into content/messages/ instead of "
                                     "linking it")
        if suffix in MESSAGE_TYPES and path.exists() and not path.is_file() \
                and not path.is_dir():  # a FIFO or a device would hang or flood the build
            raise PublisherError(f"{name} is not a regular file", path=path,
                                 fix="replace it by an ordinary text file")
        if path.is_dir():
            left_out.append((path, "messages are files in content/messages/ itself; move "
                                   "the files out of the folder"))
        elif suffix in MESSAGE_TYPES and TRANSLATION.fullmatch(path.stem):
            continue  # x.zh.md: read with x.md (translations())
        elif suffix in MESSAGE_TYPES:
            if path.stem in files:
                left_out.append((path, f"{files[path.stem].name} has the same name; "
                                       "rename or remove one of them"))
            else:
                files[path.stem] = path
        elif suffix in (".docx", ".doc", ".odt", ".rtf"):
            left_out.append((path, f"turn it into a message with: publisher import "
                                   f"content/messages/{name} (then remove the {suffix} file)"))
        elif suffix == ".txt" or Path(path.stem).suffix.lower() in MESSAGE_TYPES:
            stem = Path(path.stem).stem if Path(path.stem).suffix else path.stem
            left_out.append((path, f"rename it to {stem}.md (messages end in .md)"))
        else:
            left_out.append((path, "messages end in .md; move other files out of "
                                   "content/messages/ (pictures go in content/images/)"))
    return files, left_out


def translations(project: Project, files: dict[str, Path]) -> dict[str, Path]:
    """Each message's translation file (``x.zh.md`` beside ``x.md``), by the message's slug.
    A translation without its message, or a second one, is an error: never skipped."""
    found: dict[str, Path] = {}
    if not project.messages_dir.is_dir():
        return found
    for path in sorted(project.messages_dir.iterdir()):
        match = TRANSLATION.fullmatch(path.stem)
        if path.suffix.lower() not in MESSAGE_TYPES or not match or not path.is_file():
            continue
        slug = match["slug"]
        if slug not in files:
            raise PublisherError(f"{path.name} is a translation of {slug}.md, which does not "
                                 "exist", path=path,
                                 fix=f"name it after its message (<message>.{match['lang']}"
                                     ".md), or add the message")
        if slug in found:
            raise PublisherError(f"{slug}.md has two translations: {found[slug].name} and "
                                 f"{path.name}", path=path,
                                 fix="a message is printed in at most two languages; move "
                                     "one translation out of content/messages/")
        found[slug] = path
    return found


def read_messages(project: Project) -> list[Message]:
    """All messages, in booklet order: as listed in publication.yaml, then by file name."""
    folder = project.messages_dir
    files, _ = message_files(project)
    translated = translations(project, files)
    order = project.publication.messages
    for index, slug in enumerate(order):
        if slug not in files:
            raise PublisherError(
                f"message '{slug}' is listed but content/messages/{slug}.md does not exist",
                path=project.config_path, line=project.config_line("messages", index),
                fix="create the file, or remove the name from 'messages:'")
    ordered = list(dict.fromkeys([*order, *files]))
    messages = [read_message(files[slug], project, translated.get(slug)) for slug in ordered]
    messages = [message for message in messages if not message.meta.draft]
    if not messages:
        raise PublisherError("there are no messages to publish", path=folder,
                             fix="add a file content/messages/<name>.md (see README)")
    return messages


def slugify(title: str) -> str:
    """'Welcome from the Dean!' → 'welcome-from-the-dean' (other scripts transliterated)."""
    return name_slug(title, 60)
