"""Preflight: the checks a print shop runs on a PDF, done before the file leaves the office.

Works on any PDF, ours or not. Each check reads one aspect (boxes, folding, fonts, colour,
PDF/X identification, placement) and yields findings; :func:`preflight` runs them all.
The checks load pypdf and PDFium only when a file is checked.
"""

from __future__ import annotations

from pathlib import Path

from .report import MM, TARGETS, Finding, Options, Report, Row, page_ranges

__all__ = ["MM", "TARGETS", "Finding", "Options", "Report", "Row", "page_ranges",
           "preflight"]


def preflight(path: Path, options: Options = Options(), data: bytes | None = None) -> Report:
    """Check the PDF at ``path`` (or ``data``, the bytes of a PDF to be written there).
    A file that is not a readable PDF gives one error finding."""
    from ..errors import PublisherError
    from ..pdf import FONTS_KEY
    from .boxes import check_boxes, check_folding
    from .colour import check_colour, check_pdfx
    from .document import ENCRYPTED, Document
    from .fonts import check_fonts
    from .ink import check_ink
    from .plates import check_plates
    from .placement import check_placement
    from .structure import check_output_profile, check_page_structure, check_structure

    encrypted = Finding("error", "file.encrypted", "the PDF is encrypted",
                        "export it again without a password or restrictions: a print shop "
                        "cannot use an encrypted file")
    try:
        document = Document(path, data)
    except PublisherError as error:
        if error.message == ENCRYPTED:
            return Report(Path(path), 0, options.target, [encrypted])
        return Report(Path(path), 0, options.target, [
            Finding("error", "file.unreadable", error.message, error.fix or "")])
    except Exception as error:  # page boxes or trees too broken even to list the pages
        if type(error).__name__ == "DependencyError":  # AES needs a library we do not ship
            finding = encrypted
        else:
            finding = Finding("error", "file.unreadable", f"not a readable PDF ({_said(error)})",
                              "export or save the PDF again from the program that made it")
        return Report(Path(path), 0, options.target, [finding])
    if options.target == "pdf/ua-1":  # a screen file: the accessibility rules, not press's
        from .accessibility import check_accessibility

        try:
            return Report(Path(path), len(document.pages), options.target,
                          _guarded(check_accessibility, document, options))
        finally:
            document.close()
    if not options.fonts:
        # A PDF publisher made names its layout's families: no --project needed.
        from dataclasses import replace

        recorded = str(document.info.get(FONTS_KEY, "") or "")
        families = tuple(f.strip() for f in recorded.split(",") if f.strip())
        options = replace(options, fonts=families)
    try:
        report = Report(Path(path), len(document.pages), options.target)
        for check in (check_boxes, check_folding, check_pdfx, check_output_profile,
                      check_structure, check_page_structure):
            report.findings.extend(_guarded(check, document, options))
        pages = [page for page in document.pages
                 if not options.pages or page.number in options.pages]
        # A range of pages at a time: a booklet of thousands of pages is checked in the
        # memory of a short one (findings the ranges share merge in the report).
        seen = set(report.findings)
        for start in range(0, len(pages), PAGES_AT_A_TIME):
            document.pages = pages[start:start + PAGES_AT_A_TIME]
            for check in (check_fonts, check_colour, check_ink, check_plates,
                          check_placement):
                for finding in _guarded(check, document, options):
                    if finding not in seen:
                        seen.add(finding)
                        report.findings.append(finding)
            document.forget()
        return report
    finally:
        document.close()


PAGES_AT_A_TIME = 200


def _guarded(check, document, options) -> list[Finding]:
    """A check's findings; a file whose structure the check cannot read (a broken reference,
    a box of two numbers, an unknown filter) is an error finding, never a traceback."""
    try:
        return list(check(document, options))
    except Exception as error:  # malformed PDFs fail in endless ways: report, do not crash
        name = check.__name__.removeprefix("check_")
        return [Finding("error", "file.damaged",
                        f"the file's structure is damaged where the {name} check reads it "
                        f"({_said(error)})",
                        "export or save the PDF again from the program that made it, then "
                        "check it again")]


def _said(error: Exception) -> str:
    detail = str(error).strip().splitlines()[0][:120] if str(error).strip() else ""
    return type(error).__name__ + (f": {detail}" if detail else "")
