"""``publisher serve``: a live preview in the browser.

One process keeps WeasyPrint, its fonts and the templates warm. watchfiles reports saved
content, layout and font files; the project is rebuilt into a preview folder (``out/`` is left
alone) and the page, told by server-sent events, reloads itself. A build error is shown on the
page with file, line and fix; the server keeps running, and fixing the file clears it.
"""

from __future__ import annotations

import html
import json
import logging
import shutil
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .. import SOURCE_FOLDERS
from ..errors import PublisherError
from ..press.proof import reader_spreads, rendered_pages

log = logging.getLogger(__name__)
PREVIEW_DPI = 60
PAGE_HEIGHT = 300  # pixels, a page on the preview


@dataclass
class Page:
    image: str     # URL path of the PNG
    text: str
    aspect: float  # width / height

    @property
    def landscape(self) -> bool:
        return self.aspect > 1


@dataclass
class Document:
    title: str
    pdf: str       # URL path
    pages: list[Page]


@dataclass
class State:
    version: int = 0
    building: bool = False
    error: str | None = None
    seconds: float = 0.0
    documents: list[Document] = field(default_factory=list)
    preflight: list[str] = field(default_factory=list)  # one line per error or warning
    title: str = ""


class Preview:
    """Rebuilds the project on demand and keeps what the page shows."""

    def __init__(self, root: Path, on_build=lambda state: None):
        self.root = root
        self.on_build = on_build  # called after each build, with the new state
        self.folder = Path(tempfile.mkdtemp(prefix="publisher-preview-"))
        self.state = State()
        self.changed = threading.Condition()
        self._build_lock = threading.Lock()
        # One warm renderer for every rebuild: WeasyPrint, fonts and templates stay loaded.
        from ..build.workshop import Workshops

        self.workshops = Workshops(root, None, jobs=1)

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def rebuild(self) -> None:
        from ..build import build
        from ..sources.config import load_project

        with self._build_lock:
            self._publish(building=True)
            started = time.perf_counter()
            version = self.state.version + 1
            out = self.folder / "out"
            try:
                result = build(self.root, out, workshops=self.workshops)
                # The print edition when it is built, else the screen edition.
                shown = result.booklet or result.screen_booklet
                documents = [self._document(shown.path, "Booklet", version)]
                documents += [self._document(o.path, o.path.stem, version)
                              for o in result.brochures or result.screen_brochures]
                findings = [f"{report.path.name}: {row.severity}: {row.message} "
                            f"(fix: {row.fix})" for report in result.reports
                            for row in report.rows()]
                title = load_project(self.root).publication.title
                self._publish(version=version, building=False, error=None, title=title,
                              documents=documents, preflight=findings,
                              seconds=time.perf_counter() - started)
            except PublisherError as error:
                self._publish(version=version, building=False,
                              error=error.describe(relative_to=self.root))
            except Exception:  # a bug of ours: show it, keep serving
                log.exception("build failed")
                self._publish(version=version, building=False,
                              error="publisher failed unexpectedly:\n" + traceback.format_exc())
            self.on_build(self.state)

    def _document(self, pdf: Path, title: str, version: int) -> Document:
        folder = self.folder / "pages" / str(version) / pdf.stem
        folder.mkdir(parents=True, exist_ok=True)
        pages = []
        for number, (image, text) in enumerate(rendered_pages(pdf, dpi=PREVIEW_DPI), 1):
            path = folder / f"{number}.png"
            image.save(path)
            pages.append(Page(image=self.url(path), text=text,
                              aspect=image.width / image.height))
        return Document(title=title, pdf=self.url(pdf) + f"?v={version}", pages=pages)

    def url(self, path: Path) -> str:
        return "/files/" + path.relative_to(self.folder).as_posix()

    def _publish(self, **changes) -> None:
        with self.changed:
            for key, value in changes.items():
                setattr(self.state, key, value)
            self.changed.notify_all()
        if "documents" in changes:  # keep only the shown build's page images
            for old in (self.folder / "pages").glob("*"):
                if old.name != str(self.state.version):
                    shutil.rmtree(old, ignore_errors=True)

    def watch(self, stop: threading.Event) -> None:
        """Rebuild whenever a watched file is saved, until ``stop`` is set."""
        import watchfiles

        paths = [self.root / name for name in SOURCE_FOLDERS if (self.root / name).is_dir()]
        for _changes in watchfiles.watch(*paths, stop_event=stop, debounce=300, step=30,
                                         raise_interrupt=False):
            self.rebuild()


LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# The page and its files come from this server only; nothing may frame it (clickjacking).
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                               "style-src 'self' 'unsafe-inline'; "
                               "script-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def loopback(host: str) -> bool:
    return host.strip("[]") in LOOPBACK or host.startswith("127.")


class Handler(BaseHTTPRequestHandler):
    preview: Preview   # set on the subclass made by make_server()
    hosts: set | None  # names the Host header may carry; None: any (served beyond loopback)

    def log_message(self, format, *args):  # the CLI prints what matters
        log.debug(format, *args)

    def end_headers(self):
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        super().end_headers()

    def do_GET(self):
        if self.hosts is not None:
            # DNS rebinding: a web page elsewhere may point its own name at 127.0.0.1 to read
            # this server; its requests carry that name, which is refused here.
            host = urlsplit("//" + (self.headers.get("Host") or "")).hostname or ""
            if host not in self.hosts:
                self._send(HTTPStatus.FORBIDDEN, "text/plain", b"unknown host")
                return
        path = unquote(urlsplit(self.path).path)
        if path == "/":
            self._send(HTTPStatus.OK, "text/html; charset=utf-8", page(self.preview).encode())
        elif path == "/events":
            self._events()
        elif path == "/state":
            state = self.preview.state
            body = json.dumps({"version": state.version, "error": state.error,
                               "building": state.building})
            self._send(HTTPStatus.OK, "application/json", body.encode())
        elif path.startswith("/files/"):
            self._file(path.removeprefix("/files/"))
        else:
            self._send(HTTPStatus.NOT_FOUND, "text/plain", b"not found")

    def _file(self, relative: str) -> None:
        folder = self.preview.folder.resolve()
        target = (folder / relative).resolve()
        if not target.is_relative_to(folder) or not target.is_file():
            self._send(HTTPStatus.NOT_FOUND, "text/plain", b"not found")
            return
        kind = {".png": "image/png", ".pdf": "application/pdf"}.get(target.suffix,
                                                                    "application/octet-stream")
        self._send(HTTPStatus.OK, kind, target.read_bytes())

    def _events(self) -> None:
        """Server-sent events: the build version and status, whenever they change."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        preview = self.preview
        last = None
        try:
            while True:
                with preview.changed:
                    preview.changed.wait_for(
                        lambda: (preview.state.version, preview.state.building) != last,
                        timeout=15)
                    state = preview.state
                    current = (state.version, state.building)
                if current == last:
                    self.wfile.write(b": keep-alive\n\n")
                else:
                    data = json.dumps({"version": state.version, "building": state.building})
                    self.wfile.write(f"data: {data}\n\n".encode())
                    last = current
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return

    def _send(self, status, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)


def make_server(preview: Preview, host: str, port: int) -> ThreadingHTTPServer:
    hosts = LOOPBACK | {host.strip("[]")} if loopback(host) else None
    handler = type("PreviewHandler", (Handler,), {"preview": preview, "hosts": hosts})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def page(preview: Preview) -> str:
    """The preview page: status, any error, then every document as reader spreads."""
    state = preview.state
    e = html.escape
    parts = []
    if state.error:
        parts.append(f'<div id="error" class="error"><h2>The last change did not build</h2>'
                     f"<pre>{e(state.error)}</pre><p>Fix the file and save it: this page "
                     "updates by itself.</p></div>")
    if state.preflight:
        items = "".join(f"<li>{e(line)}</li>" for line in state.preflight)
        parts.append(f'<div id="preflight" class="preflight"><h2>Preflight</h2>'
                     f"<ul>{items}</ul></div>")
    for document in state.documents:
        spreads = []
        landscape = any(p.landscape for p in document.pages)
        pairs = [(None, n) for n in range(1, len(document.pages) + 1)] if landscape \
            else reader_spreads(len(document.pages))
        for left, right in pairs:
            cells = []
            for number in (left, right):
                if number is None:  # the facing page of a cover: room, not paper
                    width = round(PAGE_HEIGHT * document.pages[0].aspect)
                    cells.append(f'<div class="page empty" style="width: {width}px"></div>')
                    continue
                item = document.pages[number - 1]
                cells.append(f'<figure class="page"><img src="{e(item.image)}" alt="page '
                             f'{number}"><figcaption>{number}</figcaption>'
                             f'<div class="page-text">{e(item.text)}</div></figure>')
            spreads.append(f'<div class="spread">{"".join(cells)}</div>')
        parts.append(f'<section class="document"><h2>{e(document.title)} '
                     f'<a href="{e(document.pdf)}">PDF</a> <span>{len(document.pages)} '
                     f'pages</span></h2><div class="spreads">{"".join(spreads)}</div>'
                     "</section>")
    status = "building…" if state.building else (
        "error" if state.error else f"built in {state.seconds:.1f} s")
    stale = ' class="stale"' if state.error else ""
    return PAGE.format(title=e(state.title or preview.root.name), status=e(status), version=state.version,
                       body="".join(parts) or "<p>Building…</p>", stale=stale,
                       page_height=PAGE_HEIGHT)


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{title} · publisher preview</title>
<style>
  body {{ margin: 0; font: 15px/1.4 system-ui, sans-serif; background: #d6d8dc; color: #222; }}
  header {{ position: sticky; top: 0; z-index: 1; display: flex; gap: 1em; align-items: baseline;
           padding: .6em 1.2em; background: #1f2a3a; color: #fff; }}
  header h1 {{ font-size: 1.05em; margin: 0; }}
  header span {{ opacity: .75; }}
  main {{ padding: 1em 1.2em 3em; }}
  .error {{ background: #fff0f0; border-left: 6px solid #c62828; padding: .6em 1em;
            margin-bottom: 1em; }}
  .error pre {{ white-space: pre-wrap; font-size: 14px; }}
  .preflight {{ background: #fff8e1; border-left: 6px solid #f9a825; padding: .4em 1em;
                margin-bottom: 1em; }}
  .stale .document {{ opacity: .45; }}
  .document h2 {{ font-size: 1.05em; margin: 1.2em 0 .5em; }}
  .document h2 span {{ font-weight: normal; color: #555; }}
  .spreads {{ display: flex; flex-wrap: wrap; gap: 22px; }}
  .spread {{ display: flex; }}
  .page:not(.empty) {{ box-shadow: 0 2px 8px rgba(0,0,0,.25); }}
  .page {{ margin: 0; position: relative; background: #fff; }}
  .page.empty {{ background: none; }}
  .page img {{ display: block; height: {page_height}px; }}
  .page figcaption {{ position: absolute; bottom: -1.5em; width: 100%; text-align: center;
                      font-size: 12px; color: #444; }}
  .page-text {{ position: absolute; width: 1px; height: 1px; overflow: hidden;
                clip: rect(0 0 0 0); white-space: pre-wrap; }}
</style></head>
<body data-version="{version}">
<header><h1>{title}</h1><span id="status">{status}</span></header>
<main{stale}>{body}</main>
<script>
  // Reload when a new build is ready, keeping the scroll position.
  const shown = Number(document.body.dataset.version);
  const y = sessionStorage.getItem("publisher-scroll");
  if (y !== null) {{ window.scrollTo(0, Number(y)); sessionStorage.removeItem("publisher-scroll"); }}
  const events = new EventSource("/events");
  events.onmessage = (event) => {{
    const state = JSON.parse(event.data);
    if (state.building) {{ document.getElementById("status").textContent = "building…"; }}
    else if (state.version !== shown) {{
      sessionStorage.setItem("publisher-scroll", String(window.scrollY));
      location.reload();
    }}
  }};
</script>
</body></html>
"""
