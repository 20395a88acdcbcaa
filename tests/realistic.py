"""A message as a communications office really receives it: a portrait of the president, a
landscape photo in the text, the institution's logo (a transparent PNG and an SVG), a scanned
signature, a table, footnotes, nested lists, bold and italic, names with accents.

Pictures are drawn here, so the tests need no binary files: photos are smooth gradients with
detail (a "face" in the upper third of the portrait, to see where a crop falls).
"""

from __future__ import annotations

import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

NAVY = (20, 40, 90)


def photo(path: Path, size: tuple[int, int], *, face: bool = False, seed: int = 1) -> Path:
    """A JPEG like a photo: a sky-to-ground gradient, shapes, grain; with ``face`` an oval
    head and shoulders centred in the upper third."""
    width, height = size
    rng = random.Random(seed)
    image = Image.new("RGB", size)
    pixels = image.load()
    for y in range(height):
        t = y / height
        row = (int(90 + 120 * (1 - t)), int(110 + 90 * (1 - t)), int(150 + 60 * (1 - t)))
        for x in range(0, width):
            pixels[x, y] = row
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = rng.randrange(width), rng.randrange(height // 2, height)
        r = rng.randrange(width // 20, width // 6)
        draw.ellipse((x - r, y - r, x + r, y + r),
                     fill=(rng.randrange(40, 120), rng.randrange(80, 160), rng.randrange(40, 90)))
    if face:
        cx, cy = width // 2, height // 3
        draw.rectangle((cx - width // 3, cy + height // 6, cx + width // 3, height),
                       fill=(30, 35, 60))  # shoulders, a dark suit
        draw.ellipse((cx - width // 7, cy - height // 7, cx + width // 7, cy + height // 7),
                     fill=(225, 185, 160))  # the face
        draw.ellipse((cx - width // 16, cy - height // 40, cx - width // 30, cy),
                     fill=(40, 30, 30))
        draw.ellipse((cx + width // 30, cy - height // 40, cx + width // 16, cy),
                     fill=(40, 30, 30))
    image = image.filter(ImageFilter.GaussianBlur(2))
    noise = Image.effect_noise(size, 12).convert("RGB")
    image = Image.blend(image, noise, 0.06)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, quality=90)
    return path


def logo_png(path: Path, size: tuple[int, int] = (1200, 400)) -> Path:
    """A white and gold logo on a transparent background: it must sit on a navy cover with no
    box around it."""
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.ellipse((10, 10, h - 10, h - 10), outline=(255, 255, 255, 255), width=h // 14)
    draw.polygon([(h // 2, h // 5), (h // 5, 4 * h // 5), (4 * h // 5, 4 * h // 5)],
                 fill=(200, 160, 60, 255))
    for i in range(3):
        draw.rectangle((h + 40, h // 4 + i * h // 5, w - 40 - i * 150, h // 4 + i * h // 5 + h // 9),
                       fill=(255, 255, 255, 255))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path


def logo_svg(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 100" width="300" height="100">'
        '<style>.word { fill: #ffffff; }</style>'
        '<circle cx="50" cy="50" r="40" fill="none" stroke="#C8A03C" stroke-width="6"/>'
        '<path d="M50 22 L72 74 L28 74 Z" fill="rgb(200, 160, 60)"/>'
        '<rect class="word" x="105" y="30" width="170" height="12"/>'
        '<rect x="105" y="55" width="120" height="12" style="fill: white"/>'
        '</svg>')
    return path


def logo_pdf(path: Path) -> Path:
    """A vector logo as print shops receive it: a one-page PDF in CMYK (a white ring, a gold
    triangle, white bars), with an ArtBox around the artwork."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, NameObject, RectangleObject

    writer = PdfWriter()
    page = writer.add_blank_page(320, 120)
    page[NameObject("/ArtBox")] = RectangleObject((10, 10, 310, 110))
    content = DecodedStreamObject()
    content.set_data(b"q 0 0 0 0 K 6 w 60 60 m 60 82 42 100 20 100 c 20 20 l S "
                     b"0.12 0.32 0.78 0.08 k 60 90 m 85 30 l 35 30 l f "
                     b"0 0 0 0 k 110 75 180 12 re f 110 52 140 12 re f 110 29 100 12 re f Q")
    page[NameObject("/Contents")] = writer._add_object(content)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as file:
        writer.write(file)
    return path


def signature_png(path: Path) -> Path:
    """A scanned signature: dark blue strokes on transparency."""
    image = Image.new("RGBA", (900, 300), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    points = [(40 + i * 8, 150 + int(60 * __import__("math").sin(i / 6))) for i in range(100)]
    draw.line(points, fill=(20, 30, 110, 255), width=9, joint="curve")
    draw.line([(300, 80), (420, 240), (520, 90), (640, 230)], fill=(20, 30, 110, 255), width=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path


BODY = """\
It is my great pleasure to welcome you to the **2026 International Forum on Engineering
Education**, and to our campus on the eastern edge of the city. This year more than three
hundred colleagues from *twenty-eight countries* join us.[^numbers]

Our university was founded in 1960 with a single mission: **to educate engineers who serve
society**. Sixty-six years later that mission is unchanged, though the world it serves has
changed beyond recognition.

![The new Library and Learning Centre, opened in spring 2026](../images/library.jpg)

## What we have built together

Over the past five years our partnerships have grown steadily:

| Year | Partner universities | Joint programmes | Exchange students |
|------|---------------------:|-----------------:|------------------:|
| 2022 | 41 | 12 | 310 |
| 2023 | 48 | 15 | 365 |
| 2024 | 55 | 19 | 402 |
| 2025 | 63 | 24 | 478 |

The forum's programme reflects three commitments:

1. **Teaching** that joins theory and practice
   - studio courses in every engineering school
   - industry projects from the first year
     - with mentors from partner companies
     - and a public showcase each June
2. **Research** that crosses borders
3. **Openness** to students of every background

> Education is not the filling of a pail, but the lighting of a fire.

As Professor Zdeněk Dvořák of our partner university in Brno reminded us last year, the
best collaborations begin with a conversation.[^brno] I hope this forum starts many.\\
With warm regards, and my thanks to everyone who made it possible,

[^numbers]: Registrations as of 1 November 2026: 312 delegates from 28 countries and regions.
[^brno]: Opening address to the 2025 forum, Brno University of Technology.
"""

FRONT = """\
---
title: Welcome from the President
institution: Northbridge University of Technology
short_name: NUT
standfirst: A forum that brings together engineers, teachers and students from around the world.
image: ../images/president.jpg
image_caption: President Łukasz Nowak on the main campus
image_alt: President Łukasz Nowak, in a dark suit, in front of the main building
image_focus: 50% 28%
logo: ../images/logo.png
logo_alt: Logo of Northbridge University of Technology
signatories:
  - name: Łukasz Nowak
    role: President, Northbridge University of Technology
    portrait: ../images/nowak-head.jpg
    signature: ../images/signature.png
---

"""

SHORT = """\
---
title: A Note from the Dean
institution: School of Civil Engineering
logo: ../images/logo.svg
logo_alt: Logo of the School of Civil Engineering
image: ../images/dean.jpg
image_alt: Dean Amélie Fontaine
signatories:
  - name: Amélie Fontaine
    role: Dean of Civil Engineering
---

Welcome to the School of Civil Engineering. We are delighted that the forum's workshops on
sustainable infrastructure will be held in our new laboratory building this year.
"""


COMPACT = """\
It is my great pleasure to welcome you to the **2026 Forum**, and to our campus by the
river.[^numbers]

![The new Library and Learning Centre](../images/library.jpg)

| Year | Partners | Programmes |
|------|---------:|-----------:|
| 2024 | 55 | 19 |
| 2025 | 63 | 24 |

- **Teaching** that joins theory and practice
  - studio courses in every school
    - with mentors from industry
- **Research** that crosses borders

With warm regards, and my thanks to everyone who made it possible.

[^numbers]: 312 delegates from 28 countries and regions.
"""


def make_realistic(project: Path, *, compact: bool = False) -> Path:
    """Add the realistic messages and their pictures to the project at ``project``; with
    ``compact``, a shorter text with the same kinds of content (it fits a letterfold)."""
    images = project / "content/images"
    photo(images / "president.jpg", (2000, 2500), face=True)
    photo(images / "nowak-head.jpg", (600, 600), face=True, seed=3)
    photo(images / "dean.jpg", (2000, 2600), face=True, seed=4)
    photo(images / "library.jpg", (2400, 1500), seed=2)
    logo_png(images / "logo.png")
    logo_svg(images / "logo.svg")
    logo_pdf(images / "organiser.pdf")
    config = project / "content/publication.yaml"
    config.write_text(config.read_text().replace(
        "\nevent:", "\nlogo: images/organiser.pdf\nlogo_alt: Logo of the forum's organiser"
        "\nevent:", 1))
    signature_png(images / "signature.png")
    messages = project / "content/messages"
    (messages / "president-welcome.md").write_text(FRONT + (COMPACT if compact else BODY))
    (messages / "dean-note.md").write_text(SHORT)
    return project
