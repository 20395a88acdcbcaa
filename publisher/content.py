"""Messages: ``content/messages/<slug>.md`` (YAML front matter + Markdown) → typed objects."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt
from markupsafe import Markup, escape
from pydantic import Field

from .config import Language, Project
from .errors import PublisherError
from .schema import Strict, validate
from .yamlsource import parse_yaml, read_text

MAX_MESSAGE_BYTES = 2_000_000
SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")
IMAGE_TYPES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".gif", ".svg"}


class Signatory(Strict):
    name: str
    role: str | None = None


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
    draft: bool = False


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

    def __getattr__(self, name):
        # Templates read front matter fields straight off the message: message.title.
        if name.startswith("__") or name == "meta":
            raise AttributeError(name)
        return getattr(self.meta, name)


# Raw HTML off: content is content, never markup or script. Smart quotes for typography.
_markdown = MarkdownIt("commonmark", {"html": False, "typographer": True}).enable("smartquotes")
_markdown.disable("image")  # images come from front matter, where they are checked


def _link_open(renderer, tokens, index, options, env):
    # Paper has no links: the text, then its address in brackets when it differs. No link
    # annotation, no URL in the PDF that nobody can see.
    env.setdefault("links", []).append((tokens[index].attrGet("href") or "", index))
    return '<span class="link">'


def _link_close(renderer, tokens, index, options, env):
    href, start = env["links"].pop()
    text = "".join(t.content for t in tokens[start + 1:index] if t.type == "text")
    shown = f' <span class="link-url">({escape(href)})</span>' \
        if href and text.strip() != href and not href.startswith("mailto:") else ""
    return "</span>" + shown


_markdown.add_render_rule("link_open", _link_open)
_markdown.add_render_rule("link_close", _link_close)


def render_markdown(text: str) -> Markup:
    return Markup(_markdown.render(text))


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
    body_line = front.count("\n") + 3
    return front, body, body_line


def read_message(path: Path, project: Project) -> Message:
    slug = path.stem
    if not SLUG.fullmatch(slug):
        raise PublisherError(
            f"'{path.name}' is not a usable file name for a message", path=path,
            fix="rename it with lowercase letters, digits and hyphens only, e.g. "
                "president-welcome.md")
    text = read_text(path, max_bytes=MAX_MESSAGE_BYTES)
    front, body, _ = split_front_matter(text, path)
    document = parse_yaml(front, path, line_offset=1)
    meta = validate(FrontMatter, document, what="front matter")
    if not body.strip():
        raise PublisherError("the message has no text after its front matter", path=path,
                             fix="write the message below the closing '---' line")
    image_path = None
    image_line = document.line_of(("image",))
    if meta.image:
        image_path = resolve_image(meta.image, path, project, image_line)
    return Message(slug=slug, path=path, meta=meta, body_html=render_markdown(body),
                   language=meta.language or project.publication.language,
                   image_path=image_path, image_line=image_line)


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
                             fix="use a JPEG, PNG, TIFF, WebP or SVG file")
    return candidate


def read_messages(project: Project) -> list[Message]:
    """All messages, in booklet order: as listed in publication.yaml, then by file name."""
    folder = project.messages_dir
    files = {path.stem: path for path in sorted(folder.glob("*.md"))} if folder.is_dir() else {}
    order = project.publication.messages
    for index, slug in enumerate(order):
        if slug not in files:
            raise PublisherError(
                f"message '{slug}' is listed but content/messages/{slug}.md does not exist",
                path=project.config_path, line=project.config_line("messages", index),
                fix="create the file, or remove the name from 'messages:'")
    ordered = list(dict.fromkeys([*order, *files]))
    messages = [read_message(files[slug], project) for slug in ordered]
    messages = [message for message in messages if not message.meta.draft]
    if not messages:
        raise PublisherError("there are no messages to publish", path=folder,
                             fix="add a file content/messages/<name>.md (see README)")
    return messages
