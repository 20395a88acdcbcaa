"""The floor: one plain Python process renders the given HTML files with WeasyPrint and merges
the booklet's parts with pypdf; no publisher code at all.

    python bench/floor.py HTML_DIR OUT_DIR

HTML_DIR holds brochure-*.html and booklet-*.html (made by bench/run.py from the project)."""

import io
import sys
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

source, target = Path(sys.argv[1]), Path(sys.argv[2])
target.mkdir(parents=True, exist_ok=True)
fonts = FontConfiguration()


def render(path: Path) -> bytes:
    document = HTML(filename=path).render(font_config=fonts, output_intent="device-cmyk")
    return document.write_pdf(pdf_version="1.6")


for path in sorted(source.glob("brochure-*.html")):
    (target / f"{path.stem}.pdf").write_bytes(render(path))
writer = PdfWriter()
for path in sorted(source.glob("booklet-*.html")):
    for page in PdfReader(io.BytesIO(render(path))).pages:
        writer.add_page(page)
with open(target / "booklet.pdf", "wb") as file:
    writer.write(file)
