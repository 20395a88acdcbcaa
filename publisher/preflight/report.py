"""What preflight finds: findings, the report of one file, and the options the checks use."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

MM = 72 / 25.4
# The JSON report's shape and codes (docs/print-guide.md): 2 added the structure rules,
# 3 the accessibility target (pdf/ua-1) and its ua.* codes.
REPORT_VERSION = 3

Severity = Literal["error", "warning"]
Target = Literal["pdf/x-4", "pdf/x-1a", "pdf/ua-1"]
TARGETS: tuple[Target, ...] = ("pdf/x-4", "pdf/x-1a", "pdf/ua-1")


@dataclass(frozen=True)
class Options:
    """What the checks hold a file to."""

    target: Target = "pdf/x-4"
    min_bleed: float = 3 * MM      # points, on every side of the trim
    safe_margin: float = 3 * MM    # points inside the trim kept clear of text
    # Families the layout asked for; text in any other font is a fallback. Empty: not checked.
    fonts: tuple[str, ...] = ()
    fold: bool = True              # more than two pages must come in fours (folded sheets)
    warn_ppi: float = 300
    error_ppi: float = 150
    # The pages whose content (fonts, colour, placement) is checked, 1-based; empty: all.
    # Boxes, folding and PDF/X keys are always checked for the whole file. Personalised runs
    # check the pages every guest shares once, and then only each guest's own page.
    pages: tuple[int, ...] = ()
    # The pictures the project prints, as (width px, height px, file): a finding about a
    # picture names its file. Empty (any PDF): it is named by its size.
    pictures: tuple[tuple[int, int, str], ...] = ()
    # Total ink allowed, in percent; None: the output intent profile's own (300% for FOGRA39).
    total_ink: float | None = None
    # Text under this size (points) on more than one plate is a warning; 0: not checked.
    small_text: float = 8

    def picture(self, width: int, height: int) -> str:
        """How a finding names a picture of this many pixels."""
        for w, h, name in self.pictures:
            if (w, h) in ((width, height), (height, width)):
                return f"picture {name} ({width}×{height} px)"
        return f"picture {width}×{height} px"


@dataclass(frozen=True)
class Finding:
    severity: Severity
    check: str        # stable identifier, e.g. "fonts.embedded"
    message: str
    fix: str
    page: int | None = None   # 1-based; None for the whole file


@dataclass(frozen=True)
class Row:
    """Equal findings on several pages, reported once."""

    severity: Severity
    check: str
    message: str
    fix: str
    pages: tuple[int, ...]

    def as_dict(self) -> dict:
        return {"severity": self.severity, "check": self.check, "pages": list(self.pages),
                "message": self.message, "fix": self.fix}


@dataclass
class Report:
    path: Path
    pages: int
    target: Target
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(row.severity == "error" for row in self.rows())

    @property
    def warnings(self) -> int:
        return sum(row.severity == "warning" for row in self.rows())

    def rows(self) -> list[Row]:
        """Findings with equal text merged across pages; errors first, then by page."""
        merged: dict[tuple, list[int]] = {}
        for finding in self.findings:
            key = (finding.severity, finding.check, finding.message, finding.fix)
            pages = merged.setdefault(key, [])
            if finding.page is not None and finding.page not in pages:
                pages.append(finding.page)
        rows = [Row(*key, tuple(sorted(pages))) for key, pages in merged.items()]
        return sorted(rows, key=lambda row: (row.severity != "error",
                                             row.pages[:1] or (0,), row.check))

    @classmethod
    def from_dict(cls, data: dict) -> "Report":
        """The report :meth:`as_dict` described (findings on several pages come back one per
        page, as they were found)."""
        findings = [Finding(row["severity"], row["check"], row["message"], row["fix"], page)
                    for row in data["findings"] for page in (row["pages"] or [None])]
        return cls(Path(data["file"]), data["pages"], data["target"], findings)

    def as_dict(self) -> dict:
        return {"file": str(self.path), "pages": self.pages, "target": self.target,
                "errors": self.errors, "warnings": self.warnings,
                "findings": [row.as_dict() for row in self.rows()]}


def page_ranges(pages: tuple[int, ...]) -> str:
    """(1, 2, 3, 5) → '1–3, 5'."""
    parts: list[str] = []
    start = previous = None
    for page in [*pages, None]:
        if previous is not None and page == previous + 1:
            previous = page
            continue
        if start is not None:
            parts.append(str(start) if start == previous else f"{start}–{previous}")
        start = previous = page
    return ", ".join(parts)
