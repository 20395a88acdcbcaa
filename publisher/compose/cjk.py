"""Chinese, Japanese and Korean in layouts: the quarter-em space between Han characters (or
kana) and Latin letters or digits that Chinese typesetting puts there (学校 2026 年), added
to a document's text, never to its markup, so authors need not type it and cannot forget it.

U+2005 (four-per-em space) is in the Latin faces every shipped layout names first; the Han
faces have no such glyph, and a missing one would come from the machine's fonts.
"""

from __future__ import annotations

import re

QUARTER_EM = "\u2005"
_HAN = ("\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u31a0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
        "\uf900-\ufaff\U00020000-\U0003134f")
_LATIN = "A-Za-z0-9\u00c0-\u024f"
_BOUNDARY = re.compile(f"(?<=[{_HAN}])(?=[{_LATIN}])|(?<=[{_LATIN}])(?=[{_HAN}])")
_MARKUP = re.compile(r"(<style\b.*?</style>|<script\b.*?</script>|<[^>]*>)", re.S | re.I)


def space_han_latin(html: str) -> str:
    """``html`` with a quarter-em space wherever Han text meets Latin letters or digits."""
    if not re.search(f"[{_HAN}]", html):
        return html
    parts = _MARKUP.split(html)
    for index in range(0, len(parts), 2):  # even parts are text, odd ones markup
        parts[index] = _BOUNDARY.sub(QUARTER_EM, parts[index])
    return "".join(parts)
