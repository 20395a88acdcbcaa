"""Rebuild the static EB Garamond faces in fonts/eb-garamond/ from the current release.

Source: the PyPI package ``fontpkg-eb-garamond`` (Google Fonts' EB Garamond 1.003, OFL, the
variable fonts of https://github.com/octaviopardo/EBGaramond12). WeasyPrint embeds static faces
best, so each weight the layouts use is instanced with fontTools. The italic lacks the
superscript figures ¹ ² ³ of Latin-1; they are copied from the roman, slanted like the italic.

    pip download --no-deps fontpkg-eb-garamond && unzip fontpkg_eb_garamond-*.whl
    python tools/make_fonts.py fontpkg_eb_garamond/files fonts/eb-garamond
"""

import math
import sys
from pathlib import Path

from fontTools.pens.recordingPen import DecomposingRecordingPen
from fontTools.pens.transformPen import TransformPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont
from fontTools.varLib.instancer import instantiateVariableFont

FACES = [("EBGaramond[wght].ttf", 400, "Regular"), ("EBGaramond[wght].ttf", 600, "SemiBold"),
         ("EBGaramond[wght].ttf", 700, "Bold"), ("EBGaramond-Italic[wght].ttf", 400, "Italic"),
         ("EBGaramond-Italic[wght].ttf", 600, "SemiBoldItalic"),
         ("EBGaramond-Italic[wght].ttf", 700, "BoldItalic")]
BORROWED = [0xB9, 0xB2, 0xB3]  # superscript one, two, three


def borrow(italic: TTFont, roman: TTFont) -> None:
    """Copy the glyphs of BORROWED from ``roman`` into ``italic``, slanted by its angle."""
    slant = math.tan(math.radians(-italic["post"].italicAngle))
    roman_cmap, glyph_set = roman.getBestCmap(), roman.getGlyphSet()
    order = italic.getGlyphOrder()
    for code in BORROWED:
        if code in italic.getBestCmap():
            continue
        source = roman_cmap[code]
        name = f"{source}.roman"
        outline = DecomposingRecordingPen(glyph_set)  # components would point into roman
        glyph_set[source].draw(outline)
        pen = TTGlyphPen(None)
        outline.replay(TransformPen(pen, (1, 0, slant, 1, 0, 0)))
        italic["glyf"][name] = pen.glyph()
        italic["hmtx"][name] = roman["hmtx"][source]
        if name not in order:  # newer fontTools add it when the glyph is set
            order.append(name)
        for table in italic["cmap"].tables:
            if table.isUnicode():
                table.cmap[code] = name
    italic.setGlyphOrder(order)
    italic["maxp"].numGlyphs = len(order)


def main(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    romans = {}
    for name, weight, style in FACES:
        font = instantiateVariableFont(TTFont(source / name), {"wght": weight},
                                       updateFontNames=True)
        if "Italic" in style:
            borrow(font, romans[weight])
        else:
            romans[weight] = font
        font.save(target / f"EBGaramond-{style}.ttf")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
