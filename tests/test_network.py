"""The network, only when the user names a host: `network: allow:` in publication.yaml lets a
build fetch pictures, stylesheets and fonts from those hosts, and from nowhere else, redirects
included."""

from __future__ import annotations

import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from publisher.sources.config import NetworkSettings

from . import pdftools
from .test_errors import edit, fails_cleanly, project, publisher  # noqa: F401 (fixture)
from .test_hostile import MESSAGE, extra_css, front_matter, listener  # noqa: F401 (fixture)


def photo() -> bytes:
    """An RGB PNG: the build must convert it to the output profile's CMYK."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (1800, 1200), (200, 40, 30)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def media(listener):
    """A local web server: /photo.png, /texture.png, /moved (a redirect to the listener, which is
    not allowed) and 404 for the rest. Yields its host:port and the paths asked for."""
    requests: list[str] = []
    elsewhere, _ = listener
    files = {"/photo.png": ("image/png", photo()),
             "/texture.png": ("image/png", photo())}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            if self.path == "/moved":
                self.send_response(302)
                self.send_header("Location", f"{elsewhere}/photo.png")
                self.end_headers()
                return
            mime, body = files.get(self.path, ("text/plain", b""))
            self.send_response(200 if self.path in files else 404)
            self.send_header("Content-Type", mime)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_address[1]}", requests
    server.shutdown()
    server.server_close()


def allow(project, *hosts: str) -> None:
    listed = ", ".join(f'"{host}"' for host in hosts)
    path = project / "content/publication.yaml"
    path.write_text(path.read_text() + f"\nnetwork:\n  allow: [{listed}]\n")


def test_an_allowed_host_serves_pictures_to_content_and_css(project, media, listener):
    host, requests = media
    _, connections = listener
    before = len(connections)
    allow(project, host)
    front_matter(project, f"image: http://{host}/photo.png\nimage_alt: The campus")
    extra_css(project, f".cover {{ background: url(http://{host}/texture.png) }}")
    result = publisher("build", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "/photo.png" in requests and "/texture.png" in requests
    brochure = project / "out/brochures/bjut-leadership.pdf"
    images = pdftools.run("pdfimages", "-list", str(brochure)).splitlines()[2:]
    assert images and all(row.split()[5] == "cmyk" for row in images), images  # converted
    assert len(connections) == before  # nothing went anywhere else


@pytest.mark.parametrize("case, fragments", [
    ("not named", ["bjut-leadership.md", "image", "network: allow:"]),
    ("other port", ["bjut-leadership.md", "image", "network: allow:"]),
    ("redirect elsewhere", ["bjut-leadership.md", "refused to follow", "/moved"]),
    ("missing file", ["bjut-leadership.md", "HTTP 404", "/none.png"]),
])
def test_anything_else_on_the_network_is_refused(case, fragments, project, media, listener):
    host, _ = media
    elsewhere, connections = listener
    before = len(connections)
    name, port = host.split(":")
    if case != "not named":
        allow(project, host if case != "other port" else f"{name}:{int(port) + 1}")
    image = {"redirect elsewhere": "/moved", "missing file": "/none.png"}.get(case, "/photo.png")
    front_matter(project, f"image: http://{host}{image}\nimage_alt: The campus")
    fails_cleanly(project, *fragments)
    assert len(connections) == before, "connected to a host that is not allowed"


def test_css_from_a_host_not_named_is_refused(project, media):
    host, requests = media
    asked = len(requests)
    extra_css(project, f".cover {{ background: url(http://{host}/photo.png) }}")
    fails_cleanly(project, "photo.png", "not allowed")
    assert len(requests) == asked


def test_a_url_is_not_a_host_name(project):
    allow(project, "https://media.example.edu/")
    line = fails_cleanly(project, "publication.yaml", "not a host name")
    assert "media.example.edu" in line


def test_which_urls_a_list_of_hosts_allows():
    network = NetworkSettings(allow=["media.example.edu", "*.cdn.example.org", "local:8080"])
    assert network.allows("https://media.example.edu/a.jpg")
    assert network.allows("http://media.example.edu:80/a.jpg")
    assert network.allows("https://img.cdn.example.org/a.jpg")
    assert network.allows("http://local:8080/a.css")
    for url in ("https://media.example.edu:8443/a.jpg",  # a port not named
                "https://example.edu/a.jpg", "https://evilmedia.example.edu/a.jpg",
                "https://cdn.example.org.evil.net/a.jpg", "https://cdn.example.org/a.jpg",
                "ftp://media.example.edu/a.jpg", "file://media.example.edu/etc/passwd",
                "http://local/a.css", "http://169.254.169.254/", "https://media.example.edu:x/"):
        assert not network.allows(url), url
    assert not NetworkSettings().allows("https://media.example.edu/a.jpg")
