"""Real PDFs made for preflight tests: rendered by WeasyPrint, finished by publisher's press
stage, each with one deliberate fault (or none)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from pypdf import PdfReader, PdfWriter

from publisher.press.finishing import DEFAULT_PROFILE, PressSpec, finish

REPO = Path(__file__).resolve().parent.parent
MM = 72 / 25.4
GARAMOND = REPO / "fonts/eb-garamond/EBGaramond-Regular.ttf"
PROFILE = REPO / "publisher/press/profiles" / DEFAULT_PROFILE

TEXT = ("Welcome to the forum. Our universities share a long history of exchange, and this "
        "booklet gathers the words of their leaders for the guests of the week.")


def spec(bleed: float = 3 * MM) -> PressSpec:
    return PressSpec(bleed=bleed, slug=10 * MM, crop_marks=True,
                     profile=PROFILE.read_bytes(), condition="FOGRA39",
                     condition_info="Coated FOGRA39", registry="http://www.color.org",
                     date=dt.datetime(2026, 12, 8, tzinfo=dt.timezone.utc), title="Corpus")


def render(body: str, *, css: str = "", bleed: str = "3mm", base: Path | None = None,
           output_intent: str | None = "device-cmyk") -> bytes:
    """WeasyPrint's PDF of ``body`` on A5 pages, before press finishing."""
    from weasyprint import HTML

    style = f"""
      @font-face {{ font-family: "EB Garamond"; src: url({GARAMOND.as_uri()}) }}
      @page {{ size: A5; bleed: {bleed}; margin: 20mm }}
      body {{ font-family: "EB Garamond"; font-size: 11pt; color: device-cmyk(0 0 0 1);
              margin: 0 }}
      img {{ display: block }}
      {css}"""
    html = f"<html lang=en><style>{style}</style><body>{body}</body></html>"
    base_url = (base or REPO).as_uri() + "/"
    document = HTML(string=html, base_url=base_url).render(output_intent=output_intent)
    return document.write_pdf(pdf_version="1.6")


def finished(data: bytes, *, bleed: float = 3 * MM, convert_images: bool = True) -> bytes:
    """``data`` through publisher's press stage: boxes, marks, output intent, PDF/X-4 (and,
    unless told not to, RGB pictures converted to CMYK)."""
    return finish(PdfWriter(clone_from=PdfReader(io.BytesIO(data))), spec(bleed),
                  convert_images=convert_images)


def pages(count: int) -> str:
    """``count`` pages of text, each headed with its number."""
    return "".join(f'<section style="break-after: page"><h1>Page {n}</h1><p>{TEXT}</p>'
                   "</section>" for n in range(1, count + 1))
