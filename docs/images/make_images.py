"""Regenerate the README pictures from a fresh build: .venv/bin/python docs/images/make_images.py

Pages are cropped to the trim, as a reader sees the printed piece (bleed and marks cut off).
"""

import shutil
import sys
import tempfile
from pathlib import Path

import pypdfium2
from PIL import Image, ImageDraw

from publisher.build import build
from publisher.press.impose import impose
from publisher.press.proof import proof

MM = 72 / 25.4
ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent


def trimmed(pdf, index, scale):
    page = pypdfium2.PdfDocument(pdf)[index]
    image = page.render(scale=scale).to_pil().convert("RGB")
    media, trim = page.get_mediabox(), page.get_trimbox()
    left, top = (trim[0] - media[0]) * scale, (media[3] - trim[3]) * scale
    return image.crop((round(left), round(top), round(left + (trim[2] - trim[0]) * scale),
                       round(top + (trim[3] - trim[1]) * scale)))


def spread(pdf, left, right, scale):
    a, b = trimmed(pdf, left, scale), trimmed(pdf, right, scale)
    image = Image.new("RGB", (a.width + b.width, a.height))
    image.paste(a, (0, 0))
    image.paste(b, (a.width, 0))
    ImageDraw.Draw(image).line([(a.width, 0), (a.width, a.height)], fill="#bbbbbb")
    return image


def row(images, gap, pad, background="#d9d6cf"):
    width = sum(image.width for image in images) + gap * (len(images) - 1) + 2 * pad
    canvas = Image.new("RGB", (width, max(i.height for i in images) + 2 * pad), background)
    x = pad
    for image in images:
        canvas.paste(image, (x, pad))
        x += image.width + gap
    return canvas


def screenshot_preview(project, target):
    import re
    import subprocess
    import sys

    from playwright.sync_api import sync_playwright

    server = subprocess.Popen([sys.executable, "-m", "publisher", "serve", str(project),
                               "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        url = re.search(r"http://\S+/", server.stdout.readline())[0]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                 args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(url)
            page.wait_for_selector(".document", timeout=60_000)
            page.wait_for_timeout(500)
            page.screenshot(path=str(target))
            browser.close()
    finally:
        server.terminate()
        server.wait()


def realistic(target: Path) -> None:
    """A message as offices receive it (tests/realistic.py): portrait, logo, picture, table,
    footnotes, lists, signature; the brochure's cover and its first spread, and the booklet
    page with the portrait beside the heading."""
    import sys

    sys.path.insert(0, str(ROOT))
    from tests.realistic import make_realistic

    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        for part in ("content", "layouts", "fonts"):
            shutil.copytree(ROOT / part, project / part)
        make_realistic(project)
        built = build(project)
        pdf = project / "out/brochures/president-welcome.pdf"
        booklet = built.booklet.path
        start = next(i for i, page in enumerate(pypdfium2.PdfDocument(booklet))
                     if "brings together" in page.get_textpage().get_text_range())
        row([trimmed(pdf, 0, 0.8), spread(pdf, 1, 2, 0.8), trimmed(booklet, start, 0.8)],
            20, 20).save(target, optimize=True)


if __name__ == "__main__" and sys.argv[1:] == ["realistic"]:
    realistic(HERE / "realistic.png")
elif __name__ == "__main__":
    realistic(HERE / "realistic.png")
    result = build(ROOT)
    booklet = result.booklet.path
    brochure = ROOT / "out/brochures/ustb-chancellor-president.pdf"
    row([trimmed(booklet, 0, 1.3), spread(booklet, 1, 2, 1.3)], 28, 24).save(
        HERE / "booklet-cover-contents.png", optimize=True)
    row([spread(booklet, 3, 4, 1.3)], 0, 24).save(HERE / "booklet-spread.png", optimize=True)
    row([trimmed(brochure, 0, 0.8), spread(brochure, 1, 2, 0.8), trimmed(brochure, 3, 0.8)],
        20, 20).save(HERE / "brochure.png", optimize=True)

    # Preflight companions: the contact sheet of `publisher proof`, a sheet of `publisher impose`.
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        (sheet,) = proof(booklet, folder, dpi=60).contact_sheets
        contact = Image.open(sheet)
        contact.thumbnail((1400, 1400))
        contact.save(HERE / "proof-contact-sheet.png", optimize=True)
        impose(booklet, folder / "imposed.pdf", sheet="A3")
        page = pypdfium2.PdfDocument(folder / "imposed.pdf")[0]
        page.render(scale=0.9).to_pil().convert("RGB").save(HERE / "imposed-sheet.png",
                                                             optimize=True)

    # One page or spread of each layout, from the same content.
    with tempfile.TemporaryDirectory() as folder:
        for name in ("modern", "trifold", "letter"):
            project = Path(folder) / name
            for part in ("content", "layouts", "fonts"):
                shutil.copytree(ROOT / part, project / part)
            config = project / "content/publication.yaml"
            config.write_text(config.read_text().replace("layout: classic", f"layout: {name}"))
            built = build(project)
            pdf = project / "out/brochures/ustb-chancellor-president.pdf"
            if name == "modern":
                row([trimmed(built.booklet.path, 0, 0.8), spread(built.booklet.path, 3, 4, 0.8)],
                    20, 20).save(HERE / "layout-modern.png", optimize=True)
            elif name == "trifold":
                row([trimmed(pdf, 0, 0.55), trimmed(pdf, 1, 0.55)], 20, 20).save(
                    HERE / "layout-trifold.png", optimize=True)
            else:
                row([trimmed(pdf, 0, 0.7)], 0, 20).save(HERE / "layout-letter.png",
                                                       optimize=True)

    # The preview page of `publisher serve`, as a browser shows it.
    screenshot_preview(ROOT, HERE / "serve-preview.png")
