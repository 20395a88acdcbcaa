"""``publication.yaml``: the booklet's settings, validated into typed models."""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field

from ..errors import PublisherError
from .schema import Strict, validate
from .sizes import PAGE_SIZES
from .yamlsource import YamlDocument, parse_yaml, read_text

CONFIG_NAME = "publication.yaml"
MAX_CONFIG_BYTES = 1_000_000

POINTS_PER = {"pt": 1.0, "mm": 72 / 25.4, "cm": 72 / 2.54, "in": 72.0, "px": 0.75, "pc": 12.0}



def parse_length(value: object) -> float:
    """``'3mm'``, ``'0.125in'``, ``'9pt'`` or ``0`` → PDF points."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0:
        return 0.0
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(pt|mm|cm|in|px|pc)\s*", str(value))
    if not match:
        raise ValueError(f"'{value}' is not a length; write a number and a unit, like 3mm, "
                         "0.125in or 9pt")
    return float(match[1]) * POINTS_PER[match[2]]


Length = Annotated[float, BeforeValidator(parse_length)]


def parse_page_size(value: str) -> tuple[float, float]:
    """``'A5'``, ``'Letter'`` or ``'148mm 210mm'`` → (width, height) in points, portrait."""
    key = str(value).strip().upper().replace(" ", "-").replace("US-", "")
    if key in PAGE_SIZES:
        width, height = PAGE_SIZES[key]
        return width * POINTS_PER["mm"], height * POINTS_PER["mm"]
    parts = str(value).split()
    if len(parts) == 2:
        width, height = parse_length(parts[0]), parse_length(parts[1])
        smallest, largest = 50 * POINTS_PER["mm"], 1200 * POINTS_PER["mm"]  # A0 is 841 × 1189
        if not all(smallest <= side <= largest for side in (width, height)):
            raise ValueError(f"'{value}' is not a page size publisher prints: each side must be "
                             "between 50mm and 1200mm")
        return width, height
    known = ", ".join(name.title() if len(name) > 3 else name for name in PAGE_SIZES)
    raise ValueError(f"unknown page size '{value}'; use one of {known}, "
                     "or a width and height such as '148mm 210mm'")


def language_tag(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", value):
        raise ValueError(f"'{value}' is not a language tag; use a code such as en, en-GB or zh")
    return value


# Languages set in Han characters, kana or Hangul: no hyphenation, no justification by
# stretching spaces (layouts select them with :lang(zh), :lang(ja), :lang(ko)).
CJK_LANGUAGES = ("zh", "ja", "ko")


def is_cjk(language: str) -> bool:
    return language.split("-")[0].lower() in CJK_LANGUAGES


Language = Annotated[str, AfterValidator(language_tag)]


class Event(Strict):
    name: str
    date: dt.date | None = None  # year-month-day only: the PDFs' dates come from it
    venue: str | None = None


def _page_size(value: str) -> str:
    parse_page_size(value)
    return value


class PageSettings(Strict):
    size: Annotated[str, AfterValidator(_page_size)] = "A5"
    orientation: Literal["portrait", "landscape"] = "portrait"
    bleed: Length = Field(default=parse_length("3mm"), ge=0)
    crop_marks: bool = True
    # Room outside the bleed for crop marks (PDF/X: marks sit outside the BleedBox).
    slug: Length = Field(default=parse_length("10mm"), ge=0)

    @property
    def trim(self) -> tuple[float, float]:
        width, height = parse_page_size(self.size)
        if self.orientation == "landscape":
            width, height = max(width, height), min(width, height)
        return width, height


class OutputIntent(Strict):
    # Path inside the project; None means the bundled FOGRA39 profile.
    profile: str | None = None
    condition: str = "FOGRA39"
    # The printing condition in words; default: the embedded profile's own description and
    # ink limit ("FOGRA39L Coated, total ink at most 300%"), so the file says what it holds.
    info: str | None = None
    registry: str = "http://www.color.org"
    # The most ink (C+M+Y+K, percent) the print may lay down in one place; default: the
    # profile's (its black: 300% for FOGRA39L). Pictures converted from RGB keep under it,
    # and the preflight holds every colour and picture to it.
    total_ink: float | None = Field(default=None, ge=100, le=400)


class PrintSettings(Strict):
    standard: Literal["PDF/X-4"] = "PDF/X-4"
    # Preflight: text must stay this far inside the trim (trimming is accurate to about 1 mm).
    safe_margin: Length = Field(default=parse_length("3mm"), ge=0)
    # Preflight: text under this size on more than one plate is a warning (0: not checked).
    small_text: Length = Field(default=8.0, ge=0, le=72)
    output_intent: OutputIntent = OutputIntent()
    # Dates written into the PDFs; SOURCE_DATE_EPOCH overrides it; then the event's date.
    date: dt.datetime | dt.date | None = None
    # Seconds one document may take to lay out before the build stops (a runaway layout).
    render_time_limit: float = Field(default=300, gt=0, le=86_400)  # at most a day


_HOST = re.compile(r"(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*"
                   r"(:[0-9]{1,5})?")
DEFAULT_PORTS = {"http": 80, "https": 443}


def _host(value: str) -> str:
    value = value.strip().lower()
    if not _HOST.fullmatch(value):
        raise ValueError(f"'{value}' is not a host name; write the name alone, without "
                         "https:// or a path: media.example.edu, *.example.edu or "
                         "media.example.edu:8443")
    return value


Host = Annotated[str, AfterValidator(_host)]


class NetworkSettings(Strict):
    # Hosts whose files (pictures, stylesheets, fonts) a build may fetch over http(s). Nothing
    # else is fetched: with no hosts named, a build makes no network connection at all.
    allow: list[Host] = []
    timeout: float = Field(default=20, gt=0)  # seconds per file

    def allows(self, url: str) -> bool:
        """Whether ``url`` is http(s) on a named host (a name without port: default ports)."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        try:
            host, port = parts.hostname, parts.port
        except ValueError:  # a malformed port
            return False
        if scheme not in DEFAULT_PORTS or not host:
            return False
        for entry in self.allow:
            name, _, wanted = entry.partition(":")
            if (int(wanted) if wanted else DEFAULT_PORTS[scheme]) != (port or DEFAULT_PORTS[scheme]):
                continue
            if host == name or (name.startswith("*.") and host.endswith(name[1:])):
                return True
        return False


Edition = Literal["print", "screen"]
EDITIONS: tuple[Edition, ...] = ("print", "screen")


def _editions(value: list) -> list:
    if not value:
        raise ValueError("name at least one edition: print, screen or both")
    if len(set(value)) != len(value):
        raise ValueError("an edition is named twice")
    return [edition for edition in EDITIONS if edition in value]


class Publication(Strict):
    title: str
    subtitle: str | None = None
    author: str | None = None
    subject: str | None = None
    keywords: list[str] = []
    language: Language = "en"
    # The organiser's logo (SVG, PNG or JPEG, relative to content/): booklet covers, and the
    # brochures of messages that have no logo of their own.
    logo: str | None = None
    logo_alt: str | None = None  # what the logo says, for screen readers: "Logo of …"
    event: Event
    # Booklet order by slug; message files not listed follow in file-name order.
    messages: list[str] = []
    layout: str = "classic"
    # A message with a translation (x.zh.md beside x.md): the translation follows on its own
    # pages ("sequential"), or the two are set side by side, paragraph beside paragraph
    # ("columns"). A message may choose otherwise in its front matter.
    bilingual: Literal["sequential", "columns"] = "sequential"
    # What a build makes: the print files (PDF/X-4, for the press) and the screen edition
    # (tagged PDF/UA-1, for the web and e-mail), in out/ and out/screen/.
    editions: Annotated[list[Edition], AfterValidator(_editions)] = ["print", "screen"]
    page: PageSettings = PageSettings()
    print: PrintSettings = PrintSettings()
    network: NetworkSettings = NetworkSettings()


@dataclass(frozen=True)
class Project:
    """A publication project on disk: its folders and its validated settings."""

    root: Path
    publication: Publication
    config_path: Path
    config_document: YamlDocument

    @property
    def content_dir(self) -> Path:
        return self.root / "content"

    @property
    def messages_dir(self) -> Path:
        return self.content_dir / "messages"

    @property
    def layouts_dir(self) -> Path:
        return self.root / "layouts"

    @property
    def fonts_dir(self) -> Path:
        return self.root / "fonts"

    def config_line(self, *location) -> int | None:
        """The line of ``publication.yaml`` a setting is on, for error messages."""
        return self.config_document.line_of(location)

    def build_date(self) -> dt.datetime:
        """The date stamped into the PDFs: SOURCE_DATE_EPOCH, then print.date, then the event's
        date, then (only if none is set) the clock."""
        if epoch := os.environ.get("SOURCE_DATE_EPOCH"):
            try:
                return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc)
            except (ValueError, OverflowError, OSError):  # not a number, or beyond year 9999
                raise PublisherError(f"SOURCE_DATE_EPOCH={epoch!r} is not a usable date",
                                     fix="set it to seconds since 1970, e.g. "
                                         "$(git log -1 --format=%ct)") from None
        # Then the settings: the print date, else the event's date. The same inputs then give
        # the same bytes on any machine; the clock is the last resort.
        for date in (self.publication.print.date, self.publication.event.date):
            if isinstance(date, dt.datetime):
                return date if date.tzinfo else date.replace(tzinfo=dt.timezone.utc)
            if isinstance(date, dt.date):
                return dt.datetime(date.year, date.month, date.day, tzinfo=dt.timezone.utc)
        return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def load_project(root: Path) -> Project:
    """Read and validate ``ROOT/content/publication.yaml``."""
    root = Path(root).resolve()
    path = root / "content" / CONFIG_NAME
    if not path.is_file():
        raise PublisherError(
            f"no content/{CONFIG_NAME} here", path=root,
            fix="run publisher in a publication project folder, or give the folder as argument")
    document = parse_yaml(read_text(path, max_bytes=MAX_CONFIG_BYTES), path)
    publication = validate(Publication, document, what=CONFIG_NAME)
    return Project(root=root, publication=publication, config_path=path,
                   config_document=document)
