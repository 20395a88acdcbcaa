"""Hostile and broken inputs: each gives one clear error (exit 1, file and fix, earlier outputs
untouched) or a safe rendering; never a file from the machine in a PDF, never a network
connection, never a traceback."""

from __future__ import annotations

import socket
import struct
import threading
import zlib
from pathlib import Path

import pytest

from . import pdftools
from .test_errors import fails_cleanly, project, publisher, snapshot  # noqa: F401 (fixture)

MESSAGE = "content/messages/bjut-leadership.md"
SECRET = Path("/etc/hostname")


@pytest.fixture(scope="module")
def listener():
    """A local server that records every connection made to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    connections: list = []

    def accept():
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            connections.append(connection)
            connection.close()
    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}", connections
    server.close()


def front_matter(project: Path, line: str) -> None:
    path = project / MESSAGE
    path.write_text(path.read_text().replace("language: en\n", f"language: en\n{line}\n", 1))


def body(project: Path, text: str) -> None:
    path = project / MESSAGE
    path.write_text(path.read_text() + "\n\n" + text + "\n")


def extra_css(project: Path, css: str) -> None:
    (project / "layouts/overrides").mkdir(exist_ok=True)
    (project / "layouts/overrides/extra.css").write_text(css)


def png(width: int, height: int) -> bytes:
    """A valid grey PNG of any size, written without holding the pixels in memory."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    compressor = zlib.compressobj(9)
    row = b"\0" * (width + 1)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0,
                                                              0, 0, 0))
            + chunk(b"IDAT", data) + chunk(b"IEND", b""))


def noisy_png() -> bytes:
    """A photo-like PNG (noise does not compress), so cutting it loses pixel data."""
    import io
    import os

    from PIL import Image

    buffer = io.BytesIO()
    Image.frombytes("RGB", (300, 200), os.urandom(300 * 200 * 3)).save(buffer, "PNG")
    return buffer.getvalue()


def image_file(project: Path, name: str, data: bytes) -> None:
    (project / "content/images").mkdir(exist_ok=True)
    (project / "content/images" / name).write_bytes(data)
    front_matter(project, f"image: ../images/{name}")


# name → (set-up, fragments of the one-line error)
ERRORS = {
    "image outside the project": (lambda p, url: front_matter(p, "image: /etc/passwd"),
                                  ["bjut-leadership.md", "image"]),
    "image ../ escape": (lambda p, url: front_matter(p, "image: ../../../../../etc/hostname"),
                         ["bjut-leadership.md", "image"]),
    "image file: URL": (lambda p, url: front_matter(p, "image: file:///etc/hostname"),
                        ["bjut-leadership.md", "image"]),
    "image from the network": (lambda p, url: front_matter(p, f"image: {url}/latest/meta"),
                               ["bjut-leadership.md", "image"]),
    "image from cloud metadata": (lambda p, url: front_matter(
        p, "image: http://169.254.169.254/latest/meta-data"), ["bjut-leadership.md", "image"]),
    "image symlink out of the project": (
        lambda p, url: ((p / "content/images").mkdir(),
                        (p / "content/images/x.png").symlink_to("/etc/passwd"),
                        front_matter(p, "image: ../images/x.png")),
        ["bjut-leadership.md", "image"]),
    "missing image": (lambda p, url: front_matter(p, "image: ../images/none.jpg"),
                      ["bjut-leadership.md", "none.jpg"]),
    "truncated image": (lambda p, url: image_file(p, "cut.png", noisy_png()[:20_000]),
                        ["bjut-leadership.md", "cut.png"]),
    "decompression bomb": (lambda p, url: image_file(p, "bomb.png", png(20000, 20000)),
                           ["bomb.png"]),
    "python object tag": (lambda p, url: front_matter(
        p, 'motto: !!python/object/apply:os.system ["echo pwned"]'), ["bjut-leadership.md"]),
    "billion laughs": (lambda p, url: (p / MESSAGE).write_text(
        "---\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: [*b, *b, *b, *b, *b, *b, *b, *b]\ntitle: x\n---\nText\n"),
        ["bjut-leadership.md", "alias"]),
    "invalid UTF-8": (lambda p, url: (p / MESSAGE).write_bytes(b"---\ntitle: \xff\xfe\n---\n"),
                      ["bjut-leadership.md", "UTF-8"]),
    "50 MB message": (lambda p, url: (p / MESSAGE).write_text(
        (p / MESSAGE).read_text() + "word " * 10_000_000), ["bjut-leadership.md"]),
    "empty message file": (lambda p, url: (p / MESSAGE).write_text(""),
                           ["bjut-leadership.md"]),
    "CSS image from a system file": (lambda p, url: extra_css(
        p, '.cover { background: url("file:///etc/passwd") }'), ["/etc/passwd"]),
    "CSS background from the network": (lambda p, url: extra_css(
        p, f".cover {{ background: url({url}/x.png) }}"), ["x.png"]),
    "CSS ../ escape": (lambda p, url: extra_css(
        p, ".cover { background: url(../../../../../../etc/hostname) }"), ["hostname"]),
    "CSS font from outside": (lambda p, url: extra_css(
        p, '@font-face { font-family: X; src: url("/etc/passwd") } body { font-family: X }'),
        ["passwd"]),
    "CSS symlink out of the project": (
        lambda p, url: ((p / "layouts/overrides").mkdir(),
                        (p / "layouts/overrides/evil.png").symlink_to("/etc/passwd"),
                        extra_css(p, ".cover { background: url(evil.png) }")),
        ["evil.png"]),
    "data: URL that is not an image": (lambda p, url: extra_css(
        p, '.cover { background: url("data:text/html,<b>x</b>") }'), ["data:"]),
    "huge data: URL": (lambda p, url: extra_css(
        p, ".cover { background: url(data:image/png;base64," + "A" * 3_000_000 + ") }"),
        ["data:"]),
    "template include escape": (lambda p, url: ((p / "layouts/overrides").mkdir(),
                                                (p / "layouts/overrides/message.html").write_text(
        '{% include "../../../../../etc/passwd" %}')), ["passwd"]),
    "circular template include": (lambda p, url: ((p / "layouts/overrides").mkdir(),
                                                  (p / "layouts/overrides/message.html")
                                                  .write_text('{% include "message.html" %}')),
                                  ["overrides", "loop"]),
    "font file outside fonts/": (lambda p, url: ((p / "layouts/overrides").mkdir(),
                                                 (p / "layouts/overrides/theme.yaml").write_text(
        "font_faces:\n  - {family: Lato, src: ../../../../etc/passwd}\n")),
        ["theme.yaml", "font file"]),
    "colour profile outside the project": (lambda p, url: (p / "content/publication.yaml")
                                           .write_text((p / "content/publication.yaml")
                                                       .read_text().replace(
        "    condition: FOGRA39", "    profile: /etc/passwd\n    condition: FOGRA39")),
        ["publication.yaml", "profile"]),
    "runaway layout (time limit)": (lambda p, url: (p / "content/publication.yaml").write_text(
        (p / "content/publication.yaml").read_text().replace(
            "print:\n", "print:\n  render_time_limit: 0.05\n")), ["took longer than 0.05 s",
                                                                  "render_time_limit"]),
    # Raw HTML in a message is neither markup nor printed as raw syntax: one clear error.
    "script tag": (lambda p, url: body(p, "<script>alert('x')</script> after"),
                   ["bjut-leadership.md", "HTML", "<script>"]),
    "iframe to the network": (lambda p, url: body(p, f'<iframe src="{url}/frame"></iframe>'),
                              ["bjut-leadership.md", "<iframe>"]),
    "inline event handler": (lambda p, url: body(p, '<img src=x onerror="alert(1)">'),
                             ["bjut-leadership.md", "<img>"]),
    # A picture in the text is checked like a front-matter one: nothing is fetched.
    "markdown image from the network": (lambda p, url: body(p, f"![a picture]({url}/p.png)"),
                                        ["bjut-leadership.md", "is a URL"]),
    "markdown image outside the project": (lambda p, url: body(p, "![x](/etc/hostname)"),
                                           ["bjut-leadership.md", "outside the content"]),
    "broken PDF logo": (lambda p, url: ((p / "content/images").mkdir(),
                                        (p / "content/images/logo.pdf").write_bytes(b"%PDF-1.4 x"),
                                        front_matter(p, "logo: ../images/logo.pdf")),
                        ["bjut-leadership.md:", "logo.pdf", "cannot be read as a PDF"]),
    "oversized publication.yaml": (lambda p, url: (p / "content/publication.yaml").write_text(
        (p / "content/publication.yaml").read_text() + "#" * 2_000_000), ["publication.yaml"]),
}

# name → (set-up, text the PDF must show literally)
SAFE = {
    "template syntax in content": (lambda p, url: body(p, "{{ config }} {% include 'x' %}"),
                                   "{{ config }}"),
    "markdown link to a system file": (lambda p, url: body(p, "[read me](file:///etc/passwd)"),
                                       "read me"),
    "CSS @import of a system file": (lambda p, url: (extra_css(
        p, '@import url("file:///etc/passwd");'), body(p, "Imported nothing.")),
        "Imported nothing."),
    "markup in the title": (lambda p, url: (p / MESSAGE).write_text((p / MESSAGE).read_text()
                            .replace("title: Message from the Leadership",
                                     'title: "<b onmouseover=alert(1)>Bold</b>"', 1)), "<b"),
    # CSS templates autoescape for CSS: a theme's free text cannot end the string, the rule or
    # the <style> element it is printed in.
    "theme text breaking out of CSS": (lambda p, url: (
        (p / "layouts/overrides").mkdir(),
        (p / "layouts/overrides/theme.yaml").write_text(
            "description: 'Ours\"; } .page { background: url(file:///etc/passwd) } "
            "</style><script>x</script> \\'\n"),
        extra_css(p, '.message-body::after { content: "{{ theme.description }}" }')),
        'Ours"; } .page { background: url(file:///etc/passwd) } </style><script>'),
}


def set_up(cases: dict, name: str, project: Path, listener):
    """Apply case ``name`` to ``project``: its expectation, and a check that no network
    connection was made since."""
    url, connections = listener
    setup, expected = cases[name]
    count = len(connections)
    setup(project, url)
    return expected, lambda: len(connections) == count


@pytest.mark.parametrize("name", list(ERRORS))
def test_hostile_input_is_one_clear_error(name, project, listener):
    fragments, offline = set_up(ERRORS, name, project, listener)
    fails_cleanly(project, *fragments)  # exit 1, one line with file and fix, outputs intact
    assert offline(), "a network connection was made"


@pytest.mark.parametrize("name", list(SAFE))
def test_hostile_content_prints_as_text(name, project, listener):
    literal, offline = set_up(SAFE, name, project, listener)
    result = publisher("build", "--no-check", cwd=project)
    assert result.returncode == 0, result.stderr
    brochure = project / "out/brochures/bjut-leadership.pdf"
    text = pdftools.text(brochure)
    assert literal in text.replace("\u2018", "'").replace("\u2019", "'"), text[-400:]
    assert offline(), "a network connection was made"
    secret = SECRET.read_bytes().strip() if SECRET.exists() else b""
    for pdf in (project / "out").rglob("*.pdf"):
        data = pdf.read_bytes()
        assert b"/URI" not in data and b"/JavaScript" not in data, pdf
        if "screen" not in pdf.parts:
            assert b"/Annots" not in data, pdf  # print files carry no annotation at all
        else:  # the screen booklet's only links: its contents entries, to its own pages
            from pypdf import PdfReader

            for page in PdfReader(pdf).pages:
                for annotation in page.get("/Annots", []):
                    annotation = annotation.get_object()
                    assert annotation["/Subtype"] == "/Link" and "/A" not in annotation
        assert not secret or secret not in pdftools.text(pdf).encode()


def test_no_file_of_the_machine_reaches_a_pdf(project):
    """Even what the sandbox lets through (inside the project) is only what was asked for:
    the bytes of /etc/passwd never appear in any output."""
    before = snapshot(project / "out")
    passwd = Path("/etc/passwd").read_bytes()[:64]
    for data in before.values():
        assert passwd not in data
