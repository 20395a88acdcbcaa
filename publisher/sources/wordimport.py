"""``publisher import FILE.docx``: a Word document → ``content/messages/<slug>.md``.

mammoth (BSD) reads the document into clean HTML (paragraphs, headings, bold and italic,
lists, tables, footnotes, pictures); this module writes that as the Markdown publisher prints,
saves the pictures into ``content/images/`` and guesses the front matter: the title from the
first heading (or the document's title), the institution from a line under it or the
document's company, the signatories from the closing block of names and roles. What it
cannot guess is left empty with a ``# TODO`` comment, so the build stops at that line until
someone fills it in: nothing guessed wrong is printed silently. It never overwrites a file.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from ..errors import PublisherError

MAX_DOCX_BYTES = 100_000_000
MAX_UNPACKED_BYTES = 500_000_000  # a zip bomb is refused before mammoth unpacks it
IMAGE_EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif",
                    "image/tiff": ".tif", "image/svg+xml": ".svg", "image/webp": ".webp"}
# Word styles mammoth does not map by itself.
STYLE_MAP = """
p[style-name='Title'] => h1.title:fresh
p[style-name='Subtitle'] => p.subtitle:fresh
p[style-name='List Bullet 2'] => ul|ol > li > ul > li:fresh
p[style-name='List Bullet 3'] => ul|ol > li > ul|ol > li > ul > li:fresh
p[style-name='List Number 2'] => ul|ol > li > ol > li:fresh
p[style-name='List Number 3'] => ul|ol > li > ul|ol > li > ol > li:fresh
"""
CLOSINGS = re.compile(r"(yours (sincerely|faithfully|truly)|sincerely|with (best|warm|kind)"
                      r"(est)? (wishes|regards)|best regards|kind regards|warm regards|"
                      r"respectfully|regards)\s*,?\s*$", re.IGNORECASE)
INSTITUTION_WORDS = re.compile(r"\b(universit\w*|college|school|institute|academy|faculty|"
                               r"department|office|ministry|council|foundation|society|"
                               r"hospital|centre|center)\b", re.IGNORECASE)
NAME = re.compile(r"((Prof(essor)?|Dr|Mr|Mrs|Ms|Sir|Dame)\.?\s+)*"
                  r"[A-Z\u00c0-\u024f][\w\u00c0-\u024f'’.-]*(\s+[A-Z\u00c0-\u024f]"
                  r"[\w\u00c0-\u024f'’.-]*){1,4}")


@dataclass
class Imported:
    path: Path
    pictures: list[Path] = field(default_factory=list)
    todo: list[str] = field(default_factory=list)   # front matter fields left to fill in


def import_docx(source: Path, root: Path, *, slug: str | None = None) -> Imported:
    """Write the message of ``source`` into the project at ``root``."""
    import mammoth

    from .config import load_project
    from .content import slugify
    from .yamlsource import yaml_text

    project = load_project(root)
    if not source.is_file():
        raise PublisherError(f"{source} not found", fix="give the path of a .docx file")
    if source.suffix.lower() != ".docx":
        raise PublisherError(f"{source.name} is not a .docx file", path=source,
                             fix="save it from Word as 'Word Document (.docx)' and import that")
    if source.stat().st_size > MAX_DOCX_BYTES:
        raise PublisherError(f"{source.name} is larger than {MAX_DOCX_BYTES // 1_000_000} MB",
                             path=source, fix="remove or compress its pictures in Word")
    try:
        with zipfile.ZipFile(source) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError) as error:
        raise PublisherError(f"{source.name} cannot be read as a Word document ({error})",
                             path=source, fix="open it in Word and save it again as .docx") \
            from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise PublisherError(f"{source.name} unpacks to more than "
                             f"{MAX_UNPACKED_BYTES // 1_000_000} MB", path=source,
                             fix="remove or compress its pictures in Word")
    images_dir = project.content_dir / "images"
    stem = slug or slugify(source.stem) or "imported"
    pictures: list[Path] = []
    pending: list[tuple[Path, bytes]] = []
    undescribed: list[str] = []  # pictures without alt text in Word: the staff describe them

    def save_image(image):
        extension = IMAGE_EXTENSIONS.get(image.content_type)
        if extension is None:
            raise PublisherError(f"{source.name} holds a picture of type {image.content_type}",
                                 path=source, fix="replace it in Word by a PNG or JPEG")
        with image.open() as stream:
            data = stream.read()
        target = _free_name(images_dir, f"{stem}-{len(pending) + 1}", extension,
                            {path for path, _ in pending})
        pending.append((target, data))
        if not (image.alt_text or "").strip():
            undescribed.append(target.name)
        return {"src": f"../images/{target.name}", "alt": image.alt_text or ""}

    try:
        with source.open("rb") as document:
            result = mammoth.convert_to_html(
                document, convert_image=mammoth.images.img_element(save_image),
                style_map=STYLE_MAP)
    except PublisherError:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise PublisherError(f"{source.name} cannot be read as a Word document ({error})",
                             path=source, fix="open it in Word and save it again as .docx") \
            from None
    blocks = _Blocks.parse(result.value)
    properties = _properties(source)

    title = blocks.take_title() or properties.get("title")
    institution = blocks.take_institution() or properties.get("company")
    signatories = blocks.take_signatories()
    body = blocks.markdown()
    if not body.strip():
        raise PublisherError(f"{source.name} has no text", path=source,
                             fix="check that it is the right document")
    name = slug or slugify(title or "") or stem
    path = project.messages_dir / f"{name}.md"
    if path.exists():
        raise PublisherError(f"a message named '{name}' already exists", path=path,
                             fix="remove or rename that file first, or import with --name")

    todo = []
    lines = ["---"]
    if title:
        lines.append(f"title: {yaml_text(title)}")
    else:
        lines.append("title:        # TODO: the message's title (none found in the document)")
        todo.append("title")
    if institution:
        lines.append(f"institution: {yaml_text(institution)}")
    else:
        lines.append("institution:  # TODO: the institution's name (none found in the document)")
        todo.append("institution")
    if signatories:
        lines.append("signatories:")
        for person_name, role in signatories:
            lines.append(f"  - name: {yaml_text(person_name)}")
            if role:
                lines.append(f"    role: {yaml_text(role)}")
    else:
        lines.append("signatories: []  # TODO: - name: … and role: … of who signs the message")
        todo.append("signatories")
    if undescribed:
        todo.append(f"a description of {', '.join(undescribed)} between the brackets of its "
                    "![](…) (or {.decorative} after it)")
    lines += [f"# Imported from {source.name}; check the text against the original.", "---", ""]

    path.parent.mkdir(parents=True, exist_ok=True)
    images_dir.mkdir(parents=True, exist_ok=True)
    for target, data in pending:
        with target.open("xb") as file:  # never overwrite: the name was free a moment ago
            file.write(data)
        pictures.append(target)
    with path.open("x", encoding="utf-8") as file:
        file.write("\n".join(lines) + "\n" + body)
    return Imported(path=path, pictures=pictures, todo=todo)


def _free_name(folder: Path, stem: str, extension: str, taken: set[Path]) -> Path:
    candidate, number = folder / f"{stem}{extension}", 1
    while candidate.exists() or candidate in taken:
        number += 1
        candidate = folder / f"{stem}-{number}{extension}"
    return candidate


def _properties(source: Path) -> dict[str, str]:
    """The document's title (core properties) and company (application properties)."""
    found = {}
    try:
        with zipfile.ZipFile(source) as archive:
            names = set(archive.namelist())
            for member, tag, key in (("docProps/core.xml", "dc:title", "title"),
                                     ("docProps/app.xml", "Company", "company")):
                if member in names:
                    text = archive.read(member)[:1_000_000].decode("utf-8", "replace")
                    if match := re.search(rf"<{tag}>([^<]+)</{tag}>", text):
                        found[key] = match[1].strip()
    except (zipfile.BadZipFile, OSError):
        pass
    return found


# -- mammoth's HTML → Markdown ------------------------------------------------------------------

@dataclass
class _Node:
    tag: str
    attrs: dict
    children: list = field(default_factory=list)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)


class _TreeBuilder(HTMLParser):
    VOID = {"br", "img", "hr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = _Node("root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = _Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in self.VOID:
            self.stack.append(node)

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, 0, -1):
            if self.stack[index].tag == tag:
                del self.stack[index:]
                break

    def handle_data(self, data):
        self.stack[-1].children.append(data)


_ESCAPE = re.compile(r"([\\`*_\[\]<>|])")


def _escape(text: str) -> str:
    text = _ESCAPE.sub(r"\\\1", text)
    return re.sub(r"^(\s*)([#>+-]|\d+[.)])(?=\s)", r"\1\\\2", text)


class _Blocks:
    """mammoth's top-level blocks, from which front matter is taken before the rest becomes
    Markdown."""

    def __init__(self, nodes: list, notes: dict[str, str]):
        self.nodes = nodes
        self.notes = notes

    @classmethod
    def parse(cls, html: str) -> "_Blocks":
        builder = _TreeBuilder()
        builder.feed(html)
        nodes = [n for n in builder.root.children if isinstance(n, _Node)]
        notes = {}
        # mammoth puts the footnotes last: <ol><li id="footnote-1">…</li></ol>.
        if nodes and nodes[-1].tag == "ol" and all(
                isinstance(li, str) or li.attrs.get("id", "").startswith(("footnote-",
                                                                          "endnote-"))
                for li in nodes[-1].children):
            for item in nodes.pop().children:
                if isinstance(item, _Node):
                    key = item.attrs["id"].split("-", 1)[1]
                    notes[key] = " ".join(_inline(p).strip() for p in item.children
                                          if isinstance(p, _Node)).replace(" ↑", "").strip()
        return cls(nodes, notes)

    def _plain(self, index: int) -> str:
        return self.nodes[index].text().strip() if index < len(self.nodes) else ""

    def take_title(self) -> str | None:
        for index, node in enumerate(self.nodes[:3]):
            if node.tag == "h1" or (node.tag in ("h2", "p") and "title" in
                                     node.attrs.get("class", "")):
                del self.nodes[index]
                return " ".join(node.text().split()) or None
        return None

    def take_institution(self) -> str | None:
        for index, node in enumerate(self.nodes[:2]):
            text = " ".join(node.text().split())
            if node.tag in ("p", "h2", "h3") and len(text) < 90 \
                    and INSTITUTION_WORDS.search(text) and not text.endswith((".", ":")):
                del self.nodes[index]
                return text
        return None

    def take_signatories(self) -> list[tuple[str, str | None]]:
        """The closing block: short lines after the last paragraph (and after a closing
        such as 'Yours sincerely,'), read as names each followed by their role."""
        lines: list[str] = []
        end = len(self.nodes)
        start = end
        while start > 0:
            node = self.nodes[start - 1]
            texts = [t.strip() for t in _lines(node)]
            if node.tag != "p" or not all(0 < len(t) <= 80 and not t.endswith((".", ":"))
                                          for t in texts) or CLOSINGS.search(node.text()):
                break
            start -= 1
            lines = texts + lines
        people: list[list[str]] = []
        for line in lines:
            if NAME.fullmatch(line) and not INSTITUTION_WORDS.search(line) \
                    and (not people or len(people[-1]) > 1 or len(lines) == 1):
                people.append([line])
            elif people:
                people[-1].append(line)
            else:
                return []  # the block does not start with a name: leave it in the text
        if not people or start == 0:
            return []
        del self.nodes[start:end]
        return [(person[0], ", ".join(person[1:]) or None) for person in people]

    def markdown(self) -> str:
        out = [self._block(node) for node in self.nodes]
        text = "\n\n".join(block for block in out if block.strip())
        if self.notes:
            text += "\n\n" + "\n".join(f"[^{key}]: {note}" for key, note in self.notes.items())
        return text + "\n"

    def _block(self, node: _Node, depth: int = 0) -> str:
        if node.tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            level = max(2, int(node.tag[1]) + 1) if node.tag == "h1" else int(node.tag[1])
            return "#" * min(level, 4) + " " + " ".join(_inline(node).split())
        if node.tag in ("ul", "ol"):
            return _list(node, depth)
        if node.tag == "table":
            return _table(node)
        if node.tag == "hr":
            return "---"
        if node.tag == "blockquote":
            return "\n".join("> " + line for line in
                             "\n\n".join(self._block(c) for c in node.children
                                         if isinstance(c, _Node)).split("\n"))
        pictures = [c for c in node.children if isinstance(c, _Node) and c.tag == "img"]
        text = _inline(node).strip()
        if pictures and text:  # a picture inside a paragraph: set it after the paragraph
            return text + "\n\n" + "\n\n".join(_picture(p) for p in pictures)
        if pictures:
            return "\n\n".join(_picture(p) for p in pictures)
        return text


def _lines(node: _Node) -> list[str]:
    """A paragraph's lines, split at its line breaks."""
    parts, current = [], ""
    for child in node.children:
        if isinstance(child, _Node) and child.tag == "br":
            parts.append(current)
            current = ""
        else:
            current += child if isinstance(child, str) else child.text()
    return [p for p in parts + [current] if p.strip()]


def _inline(node: _Node) -> str:
    out = []
    for child in node.children:
        if isinstance(child, str):
            out.append(_escape(child))
            continue
        inner = _inline(child)
        if child.tag in ("strong", "b"):
            out.append(_wrap(inner, "**"))
        elif child.tag in ("em", "i"):
            out.append(_wrap(inner, "*"))
        elif child.tag in ("s", "del", "strike"):
            out.append(_wrap(inner, "~~"))
        elif child.tag == "br":
            out.append("\\\n")
        elif child.tag == "sup" and _note_link(child):
            out.append(f"[^{_note_link(child)}]")
        elif child.tag == "a" and child.attrs.get("href", "").startswith(("http", "mailto:")):
            out.append(f"[{inner}]({child.attrs['href']})")
        elif child.tag == "img":
            continue  # placed by the block
        else:
            out.append(inner)
    return "".join(out)


def _wrap(text: str, mark: str) -> str:
    # Markdown's emphasis cannot start or end with a space: keep them outside.
    stripped = text.strip()
    if not stripped:
        return text
    lead, trail = text[:len(text) - len(text.lstrip())], text[len(text.rstrip()):]
    return f"{lead}{mark}{stripped}{mark}{trail}"


def _note_link(node: _Node) -> str | None:
    for child in node.children:
        if isinstance(child, _Node) and child.tag == "a":
            match = re.fullmatch(r"#(?:foot|end)note-(\d+)", child.attrs.get("href", ""))
            if match:
                return match[1]
    return None


def _picture(node: _Node) -> str:
    alt = " ".join(node.attrs.get("alt", "").split()).replace("]", "")
    return f"![{alt}]({node.attrs.get('src', '')})"


def _list(node: _Node, depth: int) -> str:
    lines = []
    for number, item in enumerate((c for c in node.children if isinstance(c, _Node)), 1):
        marker = f"{number}." if node.tag == "ol" else "-"
        text = " ".join(_inline(_Node("li", {}, [c for c in item.children if not (
            isinstance(c, _Node) and c.tag in ("ul", "ol"))])).split())
        lines.append("    " * depth + f"{marker} {text}")
        for child in item.children:
            if isinstance(child, _Node) and child.tag in ("ul", "ol"):
                lines.append(_list(child, depth + 1))
    return "\n".join(lines)


def _table(node: _Node) -> str:
    rows = []

    def collect(parent):
        for child in parent.children:
            if isinstance(child, _Node):
                if child.tag == "tr":
                    rows.append([" ".join(_inline(cell).split()).replace("\\\n", " ")
                                 for cell in child.children
                                 if isinstance(cell, _Node) and cell.tag in ("td", "th")])
                else:
                    collect(child)

    collect(node)
    if not rows:
        return ""
    width = max(len(row) for row in rows)
    rows = [row + [""] * (width - len(row)) for row in rows]
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * width]
    lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
    return "\n".join(lines)
