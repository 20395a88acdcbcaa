"""Layouts: theme tokens + Jinja2 templates → the HTML of each printed document.

A layout is a folder ``layouts/<name>/`` with ``theme.yaml`` (colours, fonts, type scale,
margins), ``style.css`` and any templates it changes; everything else comes from
``layouts/base/``. A layout's template overrides one block of the base with
``{% extends "base/<file>" %}``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import cached_property
from html import unescape
from pathlib import Path
from typing import Annotated, Literal

import jinja2
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup
from pydantic import AfterValidator, Field

from ..errors import PublisherError
from ..sources.config import Length, Project, parse_page_size
from ..sources.content import Message, resolve_image
from ..sources.schema import Strict, suggest, validate
from ..sources.yamlsource import LayeredDocument, parse_yaml, read_text

BASE = "base"
OVERRIDES = "overrides"  # layouts/overrides/: the project's changes to whichever layout it uses
THEME_NAME = "theme.yaml"
# The first bytes of TrueType, OpenType, TrueType collections and WOFF 1 and 2.
FONT_SIGNATURES = {b"\x00\x01\x00\x00", b"OTTO", b"true", b"typ1", b"ttcf", b"wOFF", b"wOF2"}


def _cmyk(value: list[float]) -> list[float]:
    if len(value) != 4 or any(not 0 <= part <= 100 for part in value):
        raise ValueError("a colour is four CMYK percentages from 0 to 100, like [100, 75, 10, 45]")
    if sum(value) > 320:
        raise ValueError(f"total ink {sum(value):g}% is more than presses accept (about 300%)")
    return value


CMYK = Annotated[list[float], AfterValidator(_cmyk)]


def _css_name(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 ._-]*", value):
        raise ValueError(f"'{value}' is not a usable font family name; use letters, digits, "
                         "spaces, dots, hyphens")
    return value


FamilyName = Annotated[str, AfterValidator(_css_name)]


def _css_names(value: str) -> str:
    """A family followed by fallbacks, 'EB Garamond, Noto Serif SC': each character prints in
    the first family that has it (Latin in Garamond, Han in Noto Serif SC)."""
    names = [name.strip() for name in value.split(",")]
    for name in names:
        _css_name(name)
    return ", ".join(names)


FamilyStack = Annotated[str, AfterValidator(_css_names)]


class FontFace(Strict):
    family: FamilyName
    src: str  # inside the project's fonts/ folder
    weight: int = 400
    style: Literal["normal", "italic"] = "normal"


class TypeScale(Strict):
    size: Length = 10.5
    leading: Length = 14.0
    scale: float = Field(default=1.25, gt=1, le=2)
    # Sizes and margins are set for pages this wide; on other pages they scale by the square
    # root of the width ratio, and the line length stays at most `measure` ems.
    reference_width: Length = 148 * 72 / 25.4
    measure: float = Field(default=36, gt=10)
    # A quarter-em space where Han characters meet Latin letters or digits (compose/cjk.py).
    cjk_latin_space: bool = True


class Margins(Strict):
    top: Length
    bottom: Length
    inner: Length
    outer: Length


class Theme(Strict):
    name: str
    description: str = ""
    colors: dict[str, CMYK]
    fonts: dict[str, FamilyStack]
    font_faces: list[FontFace] = Field(min_length=1)
    type: TypeScale = TypeScale()
    margins: Margins
    # How a brochure folds: "booklet" (sheets folded once, pages in fours), "letterfold" (one
    # landscape A4 or Letter sheet, both sides, folded twice into six panels) or "flat" (A4 or
    # Letter sheets as they are: letters).
    fold: Literal["booklet", "letterfold", "flat"] = "booklet"
    # Personalised runs: "page" renders the first page per guest; "overlay" renders it once
    # and lays only the guest's fields (personal-overlay.html, absolutely placed) over it.
    personal: Literal["page", "overlay"] = "page"


def family_stack(value: str) -> list[str]:
    return [name.strip() for name in value.split(",")]


def cmyk_css(value: list[float]) -> Markup:
    return Markup("device-cmyk(" + " ".join(f"{part / 100:.4g}" for part in value) + ")")


_CSS_PLAIN = re.compile(r"[A-Za-z0-9 _.,%#+/-]")


def css_escape(value: object) -> Markup:
    """A value as it may appear in CSS: anything that could end a string, a declaration or
    the ``<style>`` element (quotes, ``;``, braces, ``<``, backslashes, newlines) becomes a
    CSS escape. Validated tokens (colours, font names, URLs) are ``Markup`` already."""
    if hasattr(value, "__html__"):
        return Markup(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        value = "".join(char if _CSS_PLAIN.fullmatch(char) else f"\\{ord(char):x} "
                        for char in str(value))
    return Markup(value)


@jinja2.pass_context
def _escape_for_context(context: jinja2.runtime.Context, value: object) -> object:
    """Autoescaping for CSS templates: every value is CSS-escaped (HTML escaping, which
    Jinja applies in the other templates, would turn CSS quotes into entities)."""
    if context.name and context.name.endswith(".css"):
        return css_escape(value)
    return value


@dataclass
class Tokens:
    """Theme values as templates use them: ``colors.primary``, ``step(2)``, ``margins.inner``,
    scaled to the page width."""

    theme: Theme
    page_width: float
    colors: dict[str, str] = field(init=False)
    factor: float = field(init=False)

    def __post_init__(self):
        self.colors = {name: cmyk_css(value) for name, value in self.theme.colors.items()}
        self.factor = (self.page_width / self.theme.type.reference_width) ** 0.5

    @property
    def size(self) -> float:
        return self.theme.type.size * self.factor

    @property
    def leading(self) -> float:
        return self.theme.type.leading * self.factor

    def pt(self, value: float) -> str:
        """A size given for the reference page, scaled to this one."""
        return f"{value * self.factor:.2f}pt"

    def step(self, n: float) -> str:
        """Font size ``n`` steps up (or down) the type scale, in points."""
        return f"{self.size * self.theme.type.scale ** n:.2f}pt"

    def font(self, role: str) -> Markup:
        """The role's font stack for CSS: '"EB Garamond", "Noto Serif SC"'."""
        families = family_stack(self.theme.fonts[role])  # validated: no quotes or brackets
        return Markup(", ".join(f'"{family}"' for family in families))

    @property
    def margin_points(self) -> dict[str, float]:
        margins = {key: value * self.factor
                   for key, value in self.theme.margins.model_dump().items()}
        # Width beyond a comfortable line length goes to the margins, more of it outside.
        spare = self.page_width - margins["inner"] - margins["outer"] \
            - self.theme.type.measure * self.size
        if spare > 0:
            margins["inner"] += 0.4 * spare
            margins["outer"] += 0.6 * spare
        return margins

    @property
    def margins(self) -> dict[str, str]:
        return {key: f"{value:.3f}pt" for key, value in self.margin_points.items()}


class Layout:
    """A loaded layout: renders the HTML of brochures and booklet parts."""

    def __init__(self, project: Project):
        self.project = project
        self.name = project.publication.layout
        available = sorted(path.name for path in project.layouts_dir.glob("*/")
                           if path.name not in (BASE, OVERRIDES)
                           and (path / THEME_NAME).is_file())
        self.dir = project.layouts_dir / self.name
        if self.name in (BASE, OVERRIDES) or not (self.dir / THEME_NAME).is_file():
            guess = suggest(self.name, available)
            raise PublisherError(
                f"unknown layout '{self.name}'", path=project.config_path,
                line=project.config_line("layout"),
                fix=(f"did you mean '{guess}'? " if guess else "")
                + f"available layouts: {', '.join(available) or 'none'} (folders in layouts/)")
        self.base_dir = project.layouts_dir / BASE
        # The project's own changes: templates, extra.css and theme keys, over any layout.
        self.overrides_dir = project.layouts_dir / OVERRIDES
        self.theme_path = self.dir / THEME_NAME
        layers = [self.theme_path]
        if (self.overrides_dir / THEME_NAME).is_file():
            layers.append(self.overrides_dir / THEME_NAME)
        document = LayeredDocument([parse_yaml(read_text(path, max_bytes=1_000_000), path)
                                    for path in layers], appended=("font_faces",))
        self.theme = validate(Theme, document, what=THEME_NAME)
        # An override's face for a family, weight and style the layout has replaces it.
        faces = {(face.family, face.weight, face.style): face
                 for face in self.theme.font_faces}
        self.theme = self.theme.model_copy(update={"font_faces": list(faces.values())})
        if len(layers) > 1:
            _refuse_misspelt_tokens(document)
        self.tokens = Tokens(self.theme, self.trim[0])
        for role in ("text", "display", "sans"):
            if role not in self.theme.fonts:
                raise PublisherError(f"fonts has no '{role}' entry",
                                     path=document.source_of(("fonts",)).path,
                                     line=document.line_of(("fonts",)),
                                     fix=f"add '{role}: <family name>' under fonts:")
        for index, face in enumerate(self.theme.font_faces):
            path = (project.fonts_dir / face.src).resolve()
            where = ("font_faces", index, "src")
            if not path.is_relative_to(project.fonts_dir.resolve()) or not path.is_file():
                from ..sources.fetch import fetched

                raise PublisherError(
                    f"font file '{face.src}' not found in fonts/",
                    path=document.source_of(where).path, line=document.line_of(where),
                    fix="run `publisher fetch-fonts PROJECT` (it downloads the Chinese fonts, "
                        "65 MB)" if face.src in fetched() else
                        "copy the font into the project's fonts/ folder, or correct 'src'")
            with path.open("rb") as file:
                head = file.read(4)
            # A damaged or mislabelled file would silently be replaced by another face.
            if head not in FONT_SIGNATURES:
                raise PublisherError(
                    f"'{face.src}' is not a font file WeasyPrint can load",
                    path=document.source_of(where).path,
                    line=document.line_of(where),
                    fix="copy the font again from its source (TrueType .ttf, OpenType .otf or "
                        "WOFF)")
        FileSystemLoader = _loader_inside(project.layouts_dir)
        layout_then_base = jinja2.ChoiceLoader([FileSystemLoader(self.dir),
                                                FileSystemLoader(self.base_dir)])
        loaders = [FileSystemLoader(self.overrides_dir)] \
            if self.overrides_dir.is_dir() else []
        # The sandbox: layouts come from many hands, and a template must not reach Python's
        # internals (cycler.__init__.__globals__ and the like).
        self.env = SandboxedEnvironment(
            loader=jinja2.ChoiceLoader([
                *loaders,
                FileSystemLoader(self.dir),
                # "base/x.html" is the base's block; "layout/x.html" the chosen layout's.
                jinja2.PrefixLoader({BASE: FileSystemLoader(self.base_dir),
                                     "layout": layout_then_base}),
                FileSystemLoader(self.base_dir),
            ]),
            # Every template autoescapes: HTML templates with HTML escaping, CSS templates
            # with CSS escaping (the finalizer's Markup is left alone by the HTML escaper).
            autoescape=True, finalize=_escape_for_context,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True, lstrip_blocks=True,
            bytecode_cache=_bytecode_cache(),
        )
        logo = project.publication.logo
        self.publication_logo = resolve_image(logo, project.config_path, project,
                                              project.config_line("logo")) if logo else None
        self.env.filters["pullquote_after"] = _insert_after_paragraph
        self.env.filters["format_date"] = _format_date

    @property
    def folds(self) -> tuple[tuple[float, ...], ...]:
        """Where the sheet folds, in points from the trim's left edge, for each page in turn
        (a letterfold: outside then inside); empty for booklets, whose fold is the spine."""
        if self.theme.fold != "letterfold":
            return ()
        panel, flap = letterfold_panels(self.trim[0])
        return ((flap, flap + panel), (panel, 2 * panel))

    @property
    def trim(self) -> tuple[float, float]:
        """The finished page size: the publication's, except that letterfolds (landscape) and
        letters (portrait) are printed on A4, or US Letter, whatever the booklet's page size."""
        page = self.project.publication.page
        if self.theme.fold == "booklet":
            return page.trim
        size = page.size.strip().upper().replace("US ", "")
        width, height = parse_page_size("Letter" if size == "LETTER" else "A4")
        if self.theme.fold == "flat":
            return min(width, height), max(width, height)
        return max(width, height), min(width, height)

    @property
    def font_families(self) -> tuple[str, ...]:
        """Every family the layout declares or names: text in any other is a fallback."""
        families = {face.family for face in self.theme.font_faces}
        for stack in self.theme.fonts.values():
            families.update(family_stack(stack))
        return tuple(sorted(families))

    @property
    def single_sheets(self) -> bool:
        """Brochures are sheets on their own (letterfolds, letters), not bound in a booklet."""
        return self.theme.fold != "booklet"

    # -- rendering -------------------------------------------------------------------------

    def _template(self, name: str) -> jinja2.Template:
        try:
            return self.env.get_template(name)
        except jinja2.TemplateSyntaxError as error:
            raise PublisherError(f"template error: {error.message}",
                                 path=error.filename or self.dir / name, line=error.lineno,
                                 fix="correct the Jinja2 syntax on this line") from None
        except jinja2.TemplateNotFound as error:
            raise PublisherError(f"template '{error.name}' not found", path=self.dir,
                                 fix=f"add {error.name} to layouts/{self.name}/ or "
                                     f"layouts/{BASE}/") from None

    def _render(self, name: str, **context) -> str:
        template = self._template(name)
        try:
            return template.render(**context)
        except RecursionError:
            raise PublisherError("templates include or extend each other in a loop",
                                 path=self.overrides_dir if self.overrides_dir.is_dir()
                                 else self.dir,
                                 fix=f"check the include and extends lines of {name} and the "
                                     "templates it uses") from None
        except jinja2.TemplateError as error:
            path, line = _template_frame(error)
            message = error.message or str(error)
            if isinstance(error, jinja2.UndefinedError):
                message = f"template uses an undefined value: {_undefined_name(message)}"
                fix = "check the spelling of the name (see docs/layouts.md for what exists)"
            else:
                message, fix = f"template error: {message}", "correct the template"
            raise PublisherError(message, path=path or self.dir / name, line=line,
                                 fix=fix) from None

    @property
    def primary_families(self) -> set[str]:
        """The families that come first in a font stack (the rest are fallbacks)."""
        return {family_stack(stack)[0] for stack in self.theme.fonts.values()}

    @cached_property
    def _covered(self) -> frozenset[int]:
        """The characters that every first family has: text of only these never reaches a
        fallback family, whose faces (15 MB each for Chinese) then need not be loaded."""
        from fontTools.ttLib import TTFont, TTLibError

        by_family: dict[str, set[int]] = {}
        for face in self.theme.font_faces:
            if face.family in self.primary_families:
                try:
                    cmap = TTFont(self.project.fonts_dir / face.src, lazy=True,
                                  fontNumber=0).getBestCmap() or {}
                except (TTLibError, OSError, ValueError, KeyError, AssertionError):
                    cmap = {}  # unreadable here (WOFF 2 without brotli…): load everything
                by_family.setdefault(face.family, set()).update(cmap)
        sets = list(by_family.values())
        return frozenset(set.intersection(*sets)) if sets else frozenset()

    def needs_fallbacks(self, html: str) -> bool:
        """Whether the text of ``html`` has a character some first family lacks."""
        text = unescape(_TAGS.sub(" ", _STYLE.sub(" ", html)))
        covered = self._covered
        return any(ord(char) not in covered for char in set(text) if not char.isspace())

    def stylesheet(self, *, start_folio: int | None = None, document: str = "",
                   fallbacks: bool = True) -> Markup:
        """The CSS of a document; without ``fallbacks``, only the first families' faces.
        Made once per kind of document: a personalised run asks for the same one per guest."""
        key = (start_folio, document, fallbacks)
        made = self.__dict__.setdefault("_stylesheets", {})
        if key not in made:
            made[key] = self._stylesheet(start_folio, document, fallbacks)
        return made[key]

    def _stylesheet(self, start_folio: int | None, document: str, fallbacks: bool) -> Markup:
        page = self.project.publication.page
        width, height = self.trim
        panel, flap = letterfold_panels(width)
        faces = [face for face in self.theme.font_faces
                 if fallbacks or face.family in self.primary_families]
        common = dict(t=self.tokens, theme=self.theme, colors=self.tokens.colors,
                      page=dict(width=width, height=height, bleed=page.bleed),
                      panels=dict(panel=panel, flap=flap),
                      font_faces=[(face, self.font_url(face.src)) for face in faces],
                      start_folio=start_folio, document=document)
        css = "\n".join(self._render(name, **common)
                        for name in ("base.css", "style.css", "extra.css"))
        return Markup(css)

    def font_url(self, src: str) -> Markup:
        # as_uri percent-encodes quotes, brackets and spaces: safe inside url("…").
        return Markup((self.project.fonts_dir / src).resolve().as_uri())

    def html(self, document: str, *, messages: list[Message], start_folio: int | None = None,
             contents: list[tuple[Message, int]] | None = None, **context) -> str:
        """The HTML of one printed document: ``brochure``, ``booklet-front``,
        ``booklet-message``, ``booklet-back`` or ``blank``."""
        publication = self.project.publication
        language = messages[0].language if len(messages) == 1 else publication.language
        # The Latin faces alone, unless the text has a character they lack (below).
        css = self.stylesheet(start_folio=start_folio, document=document, fallbacks=False)
        html = self._render(
            f"{document}.html", publication=publication, event=publication.event,
            messages=messages, message=messages[0] if messages else None,
            contents=contents or [], language=language, t=self.tokens, colors=self.tokens.colors,
            css=css, document=document, publication_logo=self.publication_logo,
            image_url=_image_url, **context)
        if len(self.primary_families) < len({face.family for face in self.theme.font_faces}) \
                and self.needs_fallbacks(html):
            # Loading a face costs its size in every process: the Chinese ones only where
            # some character needs them. What prints is the same either way.
            html = html.replace(css, self.stylesheet(start_folio=start_folio,
                                                     document=document), 1)
        if self.theme.type.cjk_latin_space:
            from .cjk import space_han_latin

            html = space_han_latin(html)
        return html


_STYLE = re.compile(r"<style\b.*?</style>", re.S | re.I)
_TAGS = re.compile(r"<[^>]*>")


def _image_url(image: Path | str) -> str:
    """A front-matter picture's URL: a file's, or the http(s) URL it already is."""
    return image if isinstance(image, str) else Path(image).resolve().as_uri()


class _CompiledTemplates(jinja2.FileSystemBytecodeCache):
    """Templates compiled once, not once per process: Jinja's cache folder (private to this
    user, outside the project: compiled code must not travel with shared project folders),
    keyed also by this module, whose settings (escaping, undefined names) shape the code."""

    def __init__(self):
        from ..hashing import digest

        super().__init__()
        self.salt = digest(jinja2.__version__, Path(__file__).read_bytes())[:16]

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        return super().get_cache_key(f"publisher-{self.salt}/{name}", filename)


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    try:
        return _CompiledTemplates()
    except (RuntimeError, OSError):  # no private temporary folder: compile every time
        return None


TUCK = 3 * 72 / 25.4  # a letterfold's fold-in panel is this much narrower, to tuck inside


def letterfold_panels(width: float) -> tuple[float, float]:
    """The width of a letterfold's two full panels and of its fold-in panel, in points."""
    panel = (width + TUCK) / 3
    return panel, panel - TUCK


def _insert_after_paragraph(html: Markup, quote: Markup, index: int = 1) -> Markup:
    """Insert ``quote`` after the ``index``-th paragraph of rendered Markdown."""
    parts = str(html).split("</p>\n", index)
    if len(parts) <= index:
        return Markup(html) + quote
    return Markup("</p>\n".join(parts[:index]) + "</p>\n" + str(quote) + parts[index])


def _format_date(value) -> str:
    """2026-12-08 → '8 December 2026'; free text is left as written."""
    if isinstance(value, dt.date):
        return f"{value.day} {value:%B %Y}"
    return "" if value is None else str(value)


def _loader_inside(folder: Path):
    """A FileSystemLoader class whose templates must lie inside ``folder`` once links are
    resolved: a link in layouts/ to a file elsewhere must not print that file."""
    allowed = folder.resolve()

    class Loader(jinja2.FileSystemLoader):
        def get_source(self, environment, template):
            source, filename, uptodate = super().get_source(environment, template)
            if not Path(filename).resolve().is_relative_to(allowed):
                raise PublisherError(f"template '{template}' is a link to a file outside "
                                     "layouts/", path=Path(filename),
                                     fix="copy the template into layouts/ instead of linking")
            return source, filename, uptodate

    return Loader


def _refuse_misspelt_tokens(document: LayeredDocument) -> None:
    """An override that adds a colour or font role close to one the layout has is a typo
    ('primery'): YAML would add it silently and the layout would go on using the old one.
    A new token with a name of its own (for extra.css) is fine."""
    base, override = document.layers[0].data or {}, document.layers[-1].data or {}
    for group in ("colors", "fonts"):
        known = (base.get(group) or {}) if isinstance(base, dict) else {}
        given = (override.get(group) or {}) if isinstance(override, dict) else {}
        if not isinstance(known, dict) or not isinstance(given, dict):
            continue
        for key in given:
            guess = suggest(str(key), [k for k in known if k != key])
            if key not in known and guess:
                raise PublisherError(f"unknown {group[:-1]} '{key}' in the overrides",
                                     path=document.layers[-1].path,
                                     line=document.layers[-1].line_of((group, key)),
                                     fix=f"did you mean '{guess}'? (a new {group[:-1]} for "
                                         "extra.css needs a name unlike the layout's)")


def _template_frame(error: Exception) -> tuple[Path | None, int | None]:
    """File and line of the innermost template frame: where the mistake is."""
    found = (None, None)
    tb = error.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".html", ".css")):
            found = (Path(filename), tb.tb_lineno)
        tb = tb.tb_next
    return found


def _undefined_name(message: str) -> str:
    # Jinja says "'x' is undefined" or "'<object repr>' has no attribute 'y'".
    if match := re.search(r"has no attribute '([^']+)'", message):
        return f"'{match[1]}' is undefined"
    return message
