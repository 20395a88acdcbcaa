"""HTML → laid-out pages with WeasyPrint, loading files only from inside the project.

WeasyPrint is imported here and nowhere else, and only when a render is needed: it costs
about a second to import.
"""

from __future__ import annotations

import io
import logging
import mimetypes
import signal
from collections import OrderedDict
import threading
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..errors import PublisherError
from ..sources.config import Project
from .pictures import (
    convert_for_press,
    pdf_placeholder,
    place_pdf_pictures,
    svg_for_press,
)

RASTER_TYPES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".gif"}
MAX_DATA_URL = 2_000_000
MAX_DOWNLOAD = 50_000_000  # one file from an allowed host
RASTER_MIME = {"image/jpeg", "image/png", "image/tiff", "image/webp", "image/gif"}


class Renderer:
    """Lays out HTML documents of one project; keeps WeasyPrint's font cache between them."""

    def __init__(self, project: Project, profile: bytes):
        self.project = project
        self.profile = profile
        self.roots = [project.content_dir.resolve(), project.layouts_dir.resolve(),
                      project.fonts_dir.resolve()]
        # Converted pictures by path and file state (a long-lived renderer sees edits), and
        # files from allowed hosts by URL.
        self._loaded: dict[tuple, tuple[bytes, str]] = {}
        # PDF pictures (logos), by the marker of the placeholder WeasyPrint placed for them.
        self._pdf_pictures: dict[bytes, bytes] = {}
        # The layouts' stylesheets, parsed: parsing one costs more than laying out a cover,
        # and a personalised run lays out thousands with the same stylesheet.
        self._stylesheets: OrderedDict[str, object] = OrderedDict()

    @property
    def ink_limit(self) -> float | None:
        """Pictures converted from RGB keep under the condition's total ink (None: the
        profile's own)."""
        return self.project.publication.print.output_intent.total_ink

    @cached_property
    def _weasyprint(self):
        import weasyprint
        from weasyprint.text.fonts import FontConfiguration

        # Unsupported-CSS chatter is for layout authors; --verbose shows it.
        logging.getLogger("weasyprint").setLevel(logging.ERROR)
        return weasyprint, FontConfiguration()

    def warm(self) -> None:
        """Import WeasyPrint now rather than at the first render."""
        self._weasyprint

    def render(self, html: str, *, source: Path):
        """Lay out ``html``; ``source`` is the content file named in errors."""
        weasyprint, fonts = self._weasyprint
        fetcher = _make_fetcher(self, source)
        failures = _FailureLog()
        logger = logging.getLogger("weasyprint")
        logger.addHandler(failures)
        limit = self.project.publication.print.render_time_limit
        try:
            base_url = self.project.root.as_uri() + "/"
            with _time_limit(limit):
                html, stylesheets = self._parsed_style(html, base_url, fetcher)
                document = weasyprint.HTML(
                    string=html, base_url=base_url, url_fetcher=fetcher,
                ).render(font_config=fonts, output_intent="device-cmyk",
                         stylesheets=stylesheets)
        except BaseException as error:  # FatalURLFetchingError derives from BaseException
            if isinstance(error, PublisherError):
                raise
            if isinstance(error, RecursionError):
                raise PublisherError("the document is nested too deeply to lay out",
                                     path=source, fix="simplify the text or the template "
                                                      "(markup inside markup, hundreds deep)") \
                    from None
            if isinstance(error, _TimeLimit):
                raise PublisherError(f"laying out this document took longer than {limit:g} s",
                                     path=source,
                                     fix="shorten it, or raise print.render_time_limit in "
                                         "publication.yaml") from None
            if type(error).__name__ == "FatalURLFetchingError":
                raise error.args[0] if error.args and isinstance(
                    error.args[0], PublisherError) else PublisherError(
                    str(error), path=source) from None
            raise
        finally:
            logger.removeHandler(failures)
        if failures.messages:  # WeasyPrint only logs what it could not load: never print that
            raise PublisherError(failures.messages[0], path=source,
                                 fix="re-export the file (JPEG or PNG for pictures)")
        return document

    def _parsed_style(self, html: str, base_url: str, fetcher) -> tuple[str, list]:
        """``html`` without its one ``<style>`` element, and that stylesheet parsed (once per
        text: the same object serves every later document with the same style)."""
        start = html.find("<style>")
        end = html.find("</style>", start)
        if start < 0 or end < 0 or html.find("<style", start + 1) != -1:
            return html, []  # not the shape the base template gives: parse it as it is
        css = html[start + len("<style>"):end]
        sheet = self._stylesheets.get(css)
        if sheet is None:
            weasyprint, fonts = self._weasyprint
            sheet = weasyprint.CSS(string=css, base_url=base_url, url_fetcher=fetcher,
                                   font_config=fonts)
            self._stylesheets[css] = sheet
            if len(self._stylesheets) > 16:
                self._stylesheets.popitem(last=False)
        else:
            self._stylesheets.move_to_end(css)
        return html[:start] + html[end + len("</style>"):], [sheet]

    def write(self, document, pages=None) -> bytes:
        """The PDF of ``document`` (or of the given pages, possibly from several documents),
        with PDF pictures in the places WeasyPrint laid out for them."""
        if pages is not None:
            document = document.copy(pages)  # pages may come from several documents
        pdf = document.write_pdf(pdf_version="1.6")
        return place_pdf_pictures(pdf, self._pdf_pictures) if self._pdf_pictures else pdf

    def write_screen(self, document, pages=None) -> tuple[bytes, dict[str, str]]:
        """The tagged PDF/UA-1 file of the same laid-out pages, at trim size: no second
        layout (the press stage makes it fit for screens, press/screen.py); and the lines
        of text in another language than the document's, each with its language."""
        if pages is not None:
            document = document.copy(pages)
        languages = other_languages(document)
        saved = [page.bleed for page in document.pages]
        try:
            for page in document.pages:  # the bleed is the press's: a screen shows the trim
                page.bleed = dict.fromkeys(page.bleed, 0)
            pdf = document.write_pdf(pdf_variant="pdf/ua-1")
        finally:
            for page, bleed in zip(document.pages, saved):
                page.bleed = bleed
        if self._pdf_pictures:
            pdf = place_pdf_pictures(pdf, self._pdf_pictures)
        return pdf, languages

    # -- the sandboxed fetcher ---------------------------------------------------------------

    def load(self, url: str, source: Path) -> tuple[bytes, str]:
        """Bytes and MIME type of ``url``, if the project may use it."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "data":
            if not url[5:].lstrip().lower().startswith("image/"):
                raise PublisherError("refused a data: URL that is not an image", path=source,
                                     fix="refer to files inside the project instead")
            if len(url) > MAX_DATA_URL:
                raise PublisherError("an embedded data: URL is too large", path=source,
                                     fix="save the image as a file in content/images/")
            return None, ""  # decoded by WeasyPrint's own data: handler
        if scheme in ("http", "https"):
            return self._download(url.split("#", 1)[0], source)
        if scheme != "file":
            raise PublisherError(f"refused to load {url}: publisher loads only files of the "
                                 "project", path=source,
                                 fix="save the file into the project and refer to it by path")
        path = Path(unquote(parts.path)).resolve()
        if not any(path.is_relative_to(root) for root in self.roots):
            raise PublisherError(
                f"refused to load {unquote(parts.path)}: it is outside the project's content, "
                "layouts and fonts folders", path=source,
                fix="copy the file into the project (content/images/ for pictures)")
        if not path.is_file():
            raise PublisherError(f"file not found: {path.relative_to(self.project.root)}",
                                 path=source, fix="correct the path or add the file")
        if path.suffix.lower() in RASTER_TYPES or path.suffix.lower() in (".svg", ".pdf"):
            return self._press_image(path, source)
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return path.read_bytes(), mime

    def _press_image(self, path: Path, source: Path) -> tuple[bytes, str]:
        """Raster images converted to the output intent's CMYK (grey stays grey)."""
        stat = path.stat()
        key = (path, stat.st_mtime_ns, stat.st_size, self.ink_limit)
        if key not in self._loaded:
            if path.suffix.lower() == ".svg":
                self._loaded[key] = svg_for_press(path, self.profile, source, self.ink_limit)
            elif path.suffix.lower() == ".pdf":
                data = path.read_bytes()
                placeholder, mime, marker = pdf_placeholder(data, path.name, source)
                self._pdf_pictures[marker] = data
                self._loaded[key] = placeholder, mime
            else:
                self._loaded[key] = convert_for_press(path, path.name, self.profile, source,
                                                      self.ink_limit)
        return self._loaded[key]

    def _download(self, url: str, source: Path) -> tuple[bytes, str]:
        """A file from a host ``network.allow`` names, pictures converted like local ones.
        Fetched once per renderer: a build does not ask twice for the same file."""
        network = self.project.publication.network
        if not network.allows(url):
            raise PublisherError(
                f"refused to fetch {url}: its host is not allowed", path=source,
                fix="save the file into the project and refer to it by path, or name the host "
                    "under network: allow: in publication.yaml")
        if (url,) not in self._loaded:
            data, mime = download(url, network, source)
            name = Path(urlsplit(url).path).name or url
            if mime in RASTER_MIME or Path(name).suffix.lower() in RASTER_TYPES:
                data, mime = convert_for_press(io.BytesIO(data), name, self.profile, source,
                                               self.ink_limit)
            self._loaded[(url,)] = data, mime
        return self._loaded[(url,)]


class _TimeLimit(BaseException):
    """Raised by the alarm inside a render that takes too long."""


@contextmanager
def _time_limit(seconds: float):
    """Stop the enclosed code after ``seconds`` (a SIGALRM timer: main thread only; renders in
    a preview's background thread or on Dask worker threads run without a limit)."""
    if threading.current_thread() is not threading.main_thread() or \
            not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum, frame):
        raise _TimeLimit

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class _FailureLog(logging.Handler):
    """Collects WeasyPrint's 'Failed to load …' errors, which it does not raise."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("Failed to load"):
            self.messages.append(message.split(":", 1)[0].replace("file://", ""))


def download(url: str, network, source: Path) -> tuple[bytes, str]:
    """The body and MIME type of ``url``; redirects only to hosts that are allowed too."""
    import http.client
    import urllib.error
    import urllib.request

    from .. import __version__

    class AllowedRedirects(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, request, fp, code, message, headers, new_url):
            if not network.allows(new_url):
                raise PublisherError(f"refused to follow {url} to {new_url}: its host is not "
                                     "allowed", path=source,
                                     fix="use the final address, or name its host under "
                                         "network: allow: in publication.yaml")
            return super().redirect_request(request, fp, code, message, headers, new_url)

    opener = urllib.request.build_opener(AllowedRedirects)
    request = urllib.request.Request(url, headers={"User-Agent": f"publisher/{__version__}"})
    try:
        with opener.open(request, timeout=network.timeout) as response:
            data = response.read(MAX_DOWNLOAD + 1)
            mime = response.headers.get_content_type()
    except urllib.error.HTTPError as error:
        raise PublisherError(f"could not fetch {url}: HTTP {error.code} {error.reason}",
                             path=source, fix="check the address") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
        reason = getattr(error, "reason", None) or error
        raise PublisherError(f"could not fetch {url}: {reason}", path=source,
                             fix="check the address and the connection, or save the file "
                                 "into the project") from None
    if len(data) > MAX_DOWNLOAD:
        raise PublisherError(f"{url} is larger than {MAX_DOWNLOAD // 1_000_000} MB",
                             path=source, fix="save a smaller file into the project")
    return data, mime


def other_languages(document) -> dict[str, str]:
    """Each laid-out line of text (a text box) whose language is not the document's → that
    language. WeasyPrint's tags do not say it; the screen edition puts it on the line's
    structure element, found by its text."""
    from weasyprint.formatting_structure import boxes

    main = (document.metadata.lang or "").lower()
    found: dict[str, str] = {}
    for page in document.pages:
        for box in page._page_box.descendants():
            if isinstance(box, boxes.TextBox):
                language = box.style["lang"]
                if language and language.lower() != main and box.text.strip():
                    found.setdefault(box.text.strip(), language)
    return found


def _make_fetcher(renderer: Renderer, source: Path):
    """A WeasyPrint URLFetcher that asks ``renderer.load`` for every resource."""
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

    class SandboxFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            try:
                data, mime = renderer.load(url, source)
            except PublisherError as error:
                raise FatalURLFetchingError(error) from None
            if data is None:
                return super().fetch(url, headers)
            # A fragment keeps WeasyPrint from re-reading a file: URL from disk, which would
            # replace the CMYK conversion by the original file.
            return URLFetcherResponse(f"{url}#publisher", body=data,
                                      headers={"Content-Type": mime})

    # http(s) never reaches WeasyPrint's own fetching: allowed hosts are fetched by ``load``.
    return SandboxFetcher(allowed_protocols={"file", "data"}, fail_on_errors=True)
