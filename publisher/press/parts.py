"""What the press stage hands on: a rendered part with its page count."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Part:
    """One rendered piece: a brochure, a message of the booklet at its folio, the booklet's
    front matter or its back cover. It does not depend on which process made it."""

    pdf: bytes
    pages: int
    body_pages: int = 0         # brochure: pages of the message itself
    raw: bytes = b""            # brochure: before press finishing (a letterfold collection)
    report: dict | None = None  # brochure: its preflight, as Report.as_dict()
    screen: bytes = b""         # the same pages for screens (tagged PDF/UA-1), if asked for
    screen_report: dict | None = None  # brochure: the screen file's check
