"""Message bodies: Markdown as staff write it (or paste it from Word) → the HTML the layouts
print.

Built on markdown-it-py and mdit-py-plugins: CommonMark with GFM tables and strikethrough,
footnotes (set as page footnotes by the layouts), pictures as figures, and ``{.full}``
attributes after a picture. Nothing prints as raw syntax: what the parser leaves as text but
an author meant as markup (raw HTML, an undefined footnote, a picture inside a sentence, a
table without its ``|---|`` line, an unclosed ``**``) is an error with the file and line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup, escape
from mdit_py_plugins.attrs import attrs_plugin
from mdit_py_plugins.footnote import footnote_plugin

from ..errors import PublisherError

# Classes a picture in the body may carry: {.full} spans every column of the text block.
FIGURE_CLASSES = {"full", "decorative"}
MAX_NESTING = 24  # levels of markup inside markup; real text needs a handful
PASTED_LINE = 100  # a line this long, followed by another, is a paragraph typed without wrapping
Resolve = Callable[[str, int], "Path | str"]  # picture reference, line → file or allowed URL


@dataclass
class Body:
    html: Markup
    pictures: list[Path | str] = field(default_factory=list)
    blocks: tuple[Markup, ...] = ()  # the top-level paragraphs, lists, tables… one by one
    # Pictures with no alt text and no {.decorative} mark, as (line, reference): the screen
    # edition cannot describe them.
    unlabelled: list[tuple[int | None, str]] = field(default_factory=list)


# -- pasted text --------------------------------------------------------------------------------

# Bullets that Word, Outlook and web pages put at the start of a line, with their usual
# level. The en dash and Word's "o" and "§" count only before a tab, as Word pastes them
# (an en or em dash and a space also start an attribution: "— Albert Einstein").
_BULLETS = {"•": 0, "●": 0, "‣": 0, "·": 0, "–": 0, "◦": 1, "○": 1, "o": 1, "▪": 2,
            "■": 2, "§": 2}
_BULLET_LINE = re.compile(r"(?P<indent>[ \t\u00a0]*)(?:(?P<mark>[•●▪■◦○‣·])[ \t\u00a0]+"
                          r"|(?P<tabbed>[–o§])\t[ \t]*)(?P<text>\S.*)")
_NUMBER_LINE = re.compile(r"(?P<indent>[ \t\u00a0]*)(?P<number>\d{1,3})[.)][ \t\u00a0]+"
                          r"(?P<text>\S.*)")
_SPECIAL = re.compile(r"[ \t]*(\||#|>|```|~~~|\[\^)")
_FENCE = re.compile(r"[ \t]*(```|~~~)")


def normalise(text: str) -> tuple[str, list[int]]:
    """Text as Word, Outlook or a web page hands it over, made into the Markdown its author
    saw: CRLF and Word's line breaks, non-breaking spaces at line starts, ``•``, ``–``, ``o``
    and ``1)`` lists. When the text has paragraphs typed as one long line each (a line over
    100 characters directly followed by another line), every line is a paragraph. Returns
    the text and, for each of its lines, the original line (0-based)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n") \
        .replace("\u2029", "\n\n").replace("\ufeff", "")
    lines = text.split("\n")
    pasted = any(len(line.strip()) > PASTED_LINE and following.strip()
                 and not _SPECIAL.match(line) for line, following in zip(lines, lines[1:]))
    result: list[str] = []
    origin: list[int] = []
    fenced = False
    previous = "blank"
    for number, line in enumerate(lines):
        if _FENCE.match(line):
            fenced = not fenced
        if fenced or _FENCE.match(line):
            kind, converted = "code", line
        else:
            # Word's manual line break (vertical tab) is a line break inside the paragraph.
            kind, converted = _convert_line(line.replace("\x0b", "\\\n"), pasted)
        # Pasted text: each line is a paragraph of its own (list items already are), and a
        # paragraph after a list item does not continue the item.
        if pasted and kind == "text" and previous in ("text", "item"):
            result.append("")
            origin.append(number)
        for part in converted.split("\n"):
            result.append(part)
            origin.append(number)
        previous = kind
    return "\n".join(result), origin


def _convert_line(line: str, pasted: bool) -> tuple[str, str]:
    """(kind, Markdown) of one line: 'blank', 'item' (a list item) or 'text'."""
    if not line.strip(" \t\u00a0"):
        return "blank", ""
    if match := _BULLET_LINE.fullmatch(line):
        mark = match["mark"] or match["tabbed"]
        level = max(_indent_level(match["indent"]), _BULLETS[mark])
        return "item", "    " * level + "- " + match["text"].rstrip()
    if match := _NUMBER_LINE.fullmatch(line):
        level = _indent_level(match["indent"])
        return "item", "    " * level + f"{match['number']}. " + match["text"].rstrip()
    if re.match(r"[ \t]*[-*+]([ \t]|$)", line):
        return "item", line.replace("\u00a0", " ").rstrip()
    if pasted or line.startswith("\u00a0"):
        # A first-line indent typed with tabs or (non-breaking) spaces is not Markdown's
        # indentation: it would make the paragraph part of the list item above.
        line = line.lstrip(" \t\u00a0")
    hard_break = line.endswith("  ")
    return "text", line.rstrip(" \t\u00a0") + ("  " if hard_break else "")


def _indent_level(indent: str) -> int:
    return indent.count("\t") + len(indent.replace("\t", "").replace("\u00a0", " ")) // 2


# -- the parser ---------------------------------------------------------------------------------

def _parser() -> MarkdownIt:
    # HTML is recognised only so that it can be refused (see _check): content never becomes
    # markup. Indented code blocks are off: staff indent paragraphs, they do not write code.
    parser = MarkdownIt("commonmark", {"html": True, "typographer": True})
    parser.enable(["smartquotes", "replacements", "table", "strikethrough"])
    parser.disable("code")
    parser.use(footnote_plugin, inline=False)
    # {…} after a picture ({.full}), and [text]{lang=zh}: a span in another language.
    parser.use(attrs_plugin, after=("image",), spans=True)
    for name in ("link_open", "link_close", "image", "footnote_ref", "footnote_block_open",
                 "footnote_block_close", "footnote_open", "footnote_close",
                 "footnote_anchor", "html_inline", "html_block"):
        parser.add_render_rule(name, _RULES[name])
    return parser


LINK_SCHEMES = ("http://", "https://", "mailto:")  # what a reader's click may open


def _link_open(renderer, tokens, index, options, env):
    # Paper has no links: the text, then its address in brackets when it differs (the print
    # file drops the link itself). The screen edition keeps it, for web and mail addresses.
    href = tokens[index].attrGet("href") or ""
    live = href.lower().startswith(LINK_SCHEMES)
    env.setdefault("links", []).append((href, index, live))
    return f'<a class="link" href="{escape(href)}">' if live else '<span class="link">'


def _link_close(renderer, tokens, index, options, env):
    href, start, live = env["links"].pop()
    text = "".join(t.content for t in tokens[start + 1:index] if t.type == "text")
    shown = f' <span class="link-url">({escape(href)})</span>' \
        if href and text.strip() != href and not href.startswith("mailto:") else ""
    return ("</a>" if live else "</span>") + shown


def _image(renderer, tokens, index, options, env):
    token = tokens[index]
    alt = renderer.renderInlineAsText(token.children or [], options, env)
    caption = token.attrGet("title") or alt if not token.meta.get("decorative") else ""
    source = token.meta["url"]
    html = f'<img src="{escape(source)}" alt="{escape(alt)}">'
    if caption:
        html += f"<figcaption>{escape(caption)}</figcaption>"
    return html


def _footnote_ref(renderer, tokens, index, options, env):
    # The note's text at the place of its call: WeasyPrint floats it to the page's foot.
    return f'<span class="footnote">{env["notes"][tokens[index].meta["id"]]}</span>'


def _nothing(renderer, tokens, index, options, env):
    return ""


_RULES = {"link_open": _link_open, "link_close": _link_close, "image": _image,
          "footnote_ref": _footnote_ref, "footnote_block_open": _nothing,
          "footnote_block_close": _nothing, "footnote_open": _nothing,
          "footnote_close": _nothing, "footnote_anchor": _nothing,
          "html_inline": _nothing, "html_block": _nothing}  # only comments get this far

_parser_instance: MarkdownIt | None = None


def _markdown() -> MarkdownIt:
    global _parser_instance
    if _parser_instance is None:
        _parser_instance = _parser()
    return _parser_instance


# -- what must not print as text ----------------------------------------------------------------

_COMMENT = re.compile(r"\s*<!--.*?-->\s*", re.S)
_LEFTOVERS = [
    (re.compile(r"\[\^[^\]\s]+\]"), "footnote {0} has no text",
     "add a line '{0}: the note' below the paragraph, or remove {0}"),
    (re.compile(r"!\[[^\]]*\]\([^)]*\)?"), "picture {0} is not understood",
     "write it as ![caption](../images/name.jpg) on a line of its own, with no spaces in "
     "the path (or <../images/my name.jpg>)"),
    (re.compile(r"\*\*|__"), "an unclosed '{0}' (bold)",
     "close the bold with a second '{0}', or remove it"),
    (re.compile(r"\[[^\]]+\]\[[^\]]*\]"), "link {0} refers to no address",
     "write the address in brackets: [text](https://example.edu)"),
]


def render_body(text: str, *, path: Path, first_line: int, resolve: Resolve,
                line_breaks: str = "auto") -> Body:
    """The HTML of a message body. ``first_line`` is the file's line the body starts on;
    ``resolve`` checks a picture reference and returns its file (or allowed URL)."""
    if line_breaks == "markdown":
        normalised, origin = text, list(range(text.count("\n") + 1))
    else:
        normalised, origin = normalise(text)
        if line_breaks == "paragraphs":
            normalised = "\n".join(line if not line.strip() else line + "\n"
                                   for line in normalised.split("\n"))
            origin = [n for n in origin for _ in (0, 1)]

    def line_of(token: Token | None) -> int | None:
        if token is None or not token.map:
            return None
        return first_line + origin[min(token.map[0], len(origin) - 1)]

    parser = _markdown()
    env: dict = {}
    tokens = parser.parse(normalised, env)
    body = Body(Markup(""))
    _check(tokens, env, normalised, origin, path, first_line, line_of, resolve, body)
    env["notes"] = _footnote_texts(parser, tokens, env)
    if "notes" in env and env["notes"]:  # the notes print at their calls, not at the end
        end = next(i for i, t in enumerate(tokens) if t.type == "footnote_block_open")
        tokens = tokens[:end]
    body.html = Markup(parser.renderer.render(tokens, parser.options, env))
    blocks, start, depth = [], 0, 0
    for index, token in enumerate(tokens):
        if depth == 0:
            start = index
        depth += token.nesting
        if depth == 0:
            blocks.append(Markup(parser.renderer.render(tokens[start:index + 1],
                                                        parser.options, env)))
    body.blocks = tuple(blocks)
    return body


def _check(tokens: list[Token], env: dict, text: str, origin: list[int], path: Path,
           first_line: int, line_of, resolve: Resolve, body: Body) -> None:
    """Refuse what would print as raw syntax; check and place pictures."""
    block: Token | None = None
    for index, token in enumerate(tokens):
        if token.map:
            block = token
        if token.level > MAX_NESTING:  # lists in lists, quotes in quotes
            raise PublisherError(f"lists or quotations nested more than {MAX_NESTING} deep",
                                 path=path, line=line_of(block),
                                 fix="use at most three levels of lists")
        if token.type == "html_block":
            if not _COMMENT.fullmatch(token.content):
                raise _html_error(token.content, path, line_of(token))
            continue
        if token.type == "heading_open" and token.tag == "h1":
            token.tag = "h2"  # the message's title is its only h1
            tokens[index + 2].tag = "h2"
        if token.type != "inline":
            continue
        children = token.children or []
        depth = 0
        for child in children:
            depth += child.nesting
            if depth > MAX_NESTING:  # **_*…*_** a thousand deep: no layout engine follows
                raise PublisherError(f"emphasis nested more than {MAX_NESTING} deep",
                                     path=path, line=line_of(block),
                                     fix="remove the extra * and _ marks")
            if child.type == "html_inline" and not _COMMENT.fullmatch(child.content):
                raise _html_error(child.content, path, line_of(block))
            if child.type == "text":
                _check_text(child.content, path, line_of(block))
            if child.type == "image":
                _check_picture(child, index, tokens, path, line_of(block), resolve, body)
            if child.type == "span_open":
                _check_span(child, path, line_of(block))
        for line in token.content.split("\n"):
            if re.fullmatch(r"\s*\|.*\|\s*", line) and tokens[index - 1].type == "paragraph_open":
                raise PublisherError("a table line that is not part of a table",
                                     path=path, line=line_of(block),
                                     fix="put a line like |---|---| under the table's first "
                                         "row, with as many cells")
    refs = env.get("footnotes", {}).get("refs", {})
    for label, number in refs.items():
        if number == -1:
            name = f"[^{label[1:]}]"
            where = text.find(name + ":")
            line = first_line + origin[text.count("\n", 0, where)] if where >= 0 else None
            raise PublisherError(f"footnote {name} is never referred to in the text",
                                 path=path, line=line,
                                 fix=f"put {name} where the note belongs, or remove the note")


def _check_text(content: str, path: Path, line: int | None) -> None:
    for pattern, message, fix in _LEFTOVERS:
        if match := pattern.search(content):
            found = match.group(0)
            raise PublisherError(message.format(found), path=path, line=line,
                                 fix=fix.format(found))


def _check_picture(image: Token, index: int, tokens: list[Token], path: Path,
                   line: int | None, resolve: Resolve, body: Body) -> None:
    inline = tokens[index]
    others = [c for c in inline.children if c is not image
              and not (c.type in ("softbreak", "hardbreak")
                       or (c.type == "text" and not c.content.strip()))]
    if others or tokens[index - 1].type != "paragraph_open":
        raise PublisherError("a picture inside a sentence cannot be placed", path=path,
                             line=line, fix="put the picture on a line of its own, with a "
                                            "blank line before and after it")
    classes = set((image.attrGet("class") or "").split())
    unknown = [key for key in image.attrs if key not in ("src", "alt", "title", "class")]
    unknown += sorted(classes - FIGURE_CLASSES)
    if unknown:
        raise PublisherError(f"unknown picture setting '{unknown[0]}'", path=path, line=line,
                             fix="use {.full} for a picture across the whole text block, "
                                 "{.decorative} for one that is only decoration, or nothing "
                                 "for one as wide as the column")
    if "decorative" in classes:  # screen readers pass it by: no alt text, no caption
        image.children = []
        image.meta["decorative"] = True
    elif not "".join(child.content for child in image.children or []).strip():
        body.unlabelled.append((line, image.attrGet("src") or ""))
    target = resolve(image.attrGet("src") or "", line)
    body.pictures.append(target)
    image.meta["url"] = target if isinstance(target, str) else target.resolve().as_uri()
    paragraph, closing = tokens[index - 1], tokens[index + 1]
    paragraph.tag = closing.tag = "figure"
    paragraph.attrSet("class", " ".join(["figure", *sorted(classes)]))
    for key in ("class",):
        if key in image.attrs:
            del image.attrs[key]


def _check_span(span: Token, path: Path, line: int | None) -> None:
    """``[吴桂龙]{lang=zh}``: the only setting a span of text takes is its language (for its
    font, line breaking and hyphenation, and for screen readers)."""
    from .config import language_tag

    unknown = [key for key in span.attrs if key != "lang"]
    if unknown or "lang" not in span.attrs:
        raise PublisherError(f"unknown text setting '{(unknown or ['{}'])[0]}'", path=path,
                             line=line, fix="write [text]{lang=zh} for text in another "
                                            "language; nothing else goes in the braces")
    try:
        span.attrs["lang"] = language_tag(str(span.attrs["lang"]))
    except ValueError as error:
        raise PublisherError(str(error), path=path, line=line,
                             fix="use a code such as zh, zh-Hant, ja, ko or en") from None


def _html_error(content: str, path: Path, line: int | None) -> PublisherError:
    tag = re.match(r"\s*(<[^\s>]*)", content)
    shown = tag.group(1) + ">" if tag and not tag.group(1).endswith(">") else content.strip()
    return PublisherError(f"HTML in a message is not printed: {shown[:40]}", path=path,
                          line=line, fix="write it in Markdown: **bold**, *italic*, "
                                         "![caption](../images/name.jpg), | tables |")


def _footnote_texts(parser: MarkdownIt, tokens: list[Token], env: dict) -> dict[int, str]:
    """Each footnote's text as inline HTML (paragraphs joined), by footnote id."""
    notes: dict[int, str] = {}
    current, start = None, 0
    for index, token in enumerate(tokens):
        if token.type == "footnote_open":
            current, start = token.meta["id"], index + 1
        elif token.type == "footnote_close" and current is not None:
            inner = [t for t in tokens[start:index] if t.type == "inline"]
            notes[current] = " ".join(
                parser.renderer.renderInline(t.children or [], parser.options, env)
                for t in inner)
            current = None
    return notes
