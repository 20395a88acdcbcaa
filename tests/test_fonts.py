"""Real typefaces: every face a layout declares is complete for Latin-1 and Latin Extended-A,
every style the layouts use is a true face, and bold is visibly bold in print."""

from __future__ import annotations

from pathlib import Path

import pypdfium2
import pytest
import yaml
from fontTools.ttLib import TTFont

from . import pdftools
from .conftest import REPO

LATIN = [chr(c) for c in range(0x20, 0x7F)] + [chr(c) for c in range(0xA0, 0x180)]
LAYOUTS = sorted(p.parent.name for p in (REPO / "layouts").glob("*/theme.yaml"))


def faces(layout: str) -> list[dict]:
    """The faces of the families a layout sets Latin text in (first in a font stack); the
    fallbacks after them (the Chinese families) are tested in test_chinese.py."""
    theme = yaml.safe_load((REPO / "layouts" / layout / "theme.yaml").read_text())
    first = {stack.split(",")[0].strip() for stack in theme["fonts"].values()}
    return [face for face in theme["font_faces"] if face["family"] in first]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_face_covers_latin_1_and_extended_a(layout):
    for face in faces(layout):
        font = TTFont(REPO / "fonts" / face["src"])
        cmap = font.getBestCmap()
        missing = [c for c in LATIN if ord(c) not in cmap]
        assert not missing, (face["src"], "".join(missing))
        # The file is the face it is declared as: weight and slant agree.
        assert font["OS/2"].usWeightClass == face.get("weight", 400), face
        italic = bool(font["OS/2"].fsSelection & 1) or font["post"].italicAngle != 0
        assert italic == (face.get("style", "normal") == "italic"), face


@pytest.mark.parametrize("layout", LAYOUTS)
def test_each_family_has_regular_italic_bold_and_bold_italic(layout):
    declared = {(f["family"], f.get("weight", 400), f.get("style", "normal"))
                for f in faces(layout)}
    for family in {family for family, _, _ in declared}:
        for weight, style in ((400, "normal"), (400, "italic"), (700, "normal"),
                              (700, "italic")):
            assert (family, weight, style) in declared, (layout, family, weight, style)


def ink(pdf: Path, page: int, box: tuple[float, float, float, float]) -> int:
    """Dark pixels in a region (points from the trim's top left) of a page rendered at 300 dpi."""
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        bitmap = document[page].render(scale=300 / 72, grayscale=True).to_pil()
    finally:
        document.close()
    left, top, width, height = (round(v * 300 / 72) for v in box)
    region = bitmap.crop((left, top, left + width, top + height))
    return sum(region.histogram()[:128])


@pytest.mark.parametrize("family", ["EB Garamond", "Lato"])
def test_bold_is_bold(family, tmp_path):
    """The same words in regular and bold, rendered: the bold's stems carry clearly more ink,
    and the embedded bold font is another program than the regular."""
    import weasyprint

    fonts = REPO / "fonts"
    faces_css = "".join(
        f'@font-face {{ font-family: "{f["family"]}"; src: url("{(fonts / f["src"]).as_uri()}");'
        f' font-weight: {f.get("weight", 400)}; font-style: {f.get("style", "normal")}; }}'
        for f in faces("classic"))
    words = "Hamburgefonstiv minimum 2026"
    html = (f"<style>{faces_css} @page {{ size: 200mm 100mm; margin: 0 }}"
            f" body {{ margin: 10mm; font: 24pt/36pt '{family}' }} p {{ margin: 0 }}</style>"
            f"<p>{words}</p><p><b>{words}</b></p><p><i>{words}</i></p>"
            f"<p><b><i>{words}</i></b></p>")
    pdf = tmp_path / "bold.pdf"
    weasyprint.HTML(string=html).write_pdf(pdf)
    line = 36  # points
    regular, bold, italic, bold_italic = (
        ink(pdf, 0, (28, 28 + i * line, 500, line)) for i in range(4))
    assert bold > 1.25 * regular, (bold, regular)
    assert bold_italic > 1.25 * italic, (bold_italic, italic)
    names = {row["name"].split("+", 1)[1] for row in pdftools.fonts(pdf)}
    stem = family.replace(" ", "-")  # WeasyPrint names subsets by family and style
    assert {stem, f"{stem}-Bold", f"{stem}-Italic", f"{stem}-Bold-Italic"} == names, names
