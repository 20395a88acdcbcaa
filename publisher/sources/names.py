"""File names from people's names and titles, in any script."""

from __future__ import annotations

import re
import unicodedata


def ascii_words(value: str) -> str:
    """``value`` in ASCII letters: accents dropped (Müller → Muller), other scripts
    transliterated syllable by syllable with anyascii (ISC): 吴桂龙 → Wu Gui Long."""
    from anyascii import anyascii

    out = []
    for char in unicodedata.normalize("NFKD", value):
        if ord(char) < 128:
            out.append(char)
        elif not unicodedata.combining(char):
            out.append(f" {anyascii(char)} ")
    return "".join(out)


def slug(value: str, length: int) -> str:
    """'Welcome from the Dean!' → 'welcome-from-the-dean'; '吴桂龙' → 'wu-gui-long'. A name
    written in Latin letters too ('Zhang Wei 张伟') keeps only those: 'zhang-wei'."""
    latin = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    text = latin if re.search(r"[A-Za-z0-9]", latin) else ascii_words(value)
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:length].strip("-")
