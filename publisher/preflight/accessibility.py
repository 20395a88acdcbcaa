"""The screen edition's check: PDF/UA-1, by an independent validator.

``page`` (the ``page-validation`` package: MIT, Rust, it passes the veraPDF corpus) reads the
file against the PDF/UA-1 rules; each rule it fails is one finding, coded ``ua.`` and the
rule's own identifier (``ua.PDFUA1-FIGURE-ALTERNATIVE-TEXT-001``), with our fix where the
usual cause is known.
"""

from __future__ import annotations

from collections.abc import Iterator

from .report import Finding

GENERIC_FIX = ("build the file with publisher's screen edition (out/screen/), or correct its "
               "tags in the program that made it")

# Rule identifiers (their stem) → what to do, for the failures content can cause.
FIXES = {
    "FIGURE-ALTERNATIVE-TEXT": "give every picture alt text: image_alt (or logo_alt) in the "
                               "front matter, ![description](file) in the text; \"\" if it "
                               "is only decoration",
    "TEXT-LANGUAGE": "set language: in publication.yaml (and on a message or a "
                     "[span]{lang=xx} in another language)",
    "METADATA-TITLE": "give the publication a title in publication.yaml",
    "LINK-CONTENTS": GENERIC_FIX,
}


# The validator starts a thread pool (Rust's rayon) that does not survive fork(): a process
# that used it and then forks render workers leaves them waiting for ever. So it runs in this
# process only where nothing forks afterwards and a crash costs nothing but a rendered part
# (render workers), else in a short-lived child of its own (``publisher check``, given files
# from anywhere, included).
_here = False
used = False
# How long a chain of references the validator follows (its default, 256, is less than the
# chain of bookmarks of a booklet of a thousand messages). A file that goes deeper still, or
# crashes the validator, is reported as unreadable by the child that checks it.
REFERENCE_DEPTH = 16384  # the validator ran in this process: it must not fork (build/workshop.py)


def validate_here() -> None:
    """This process forks no children from now on: the validator may run in it."""
    global _here
    _here = True


def check_accessibility(document, options=None) -> Iterator[Finding]:
    """PDF/UA-1 findings of the document: each failed rule once, with how often."""
    data = document.data if document.data is not None else document.path.read_bytes()
    failures = _validate(data) if _here else _validate_in_child(data)
    if isinstance(failures, str):
        yield Finding("error", "file.unreadable",
                      f"the accessibility validator cannot read the file ({failures})",
                      "export or save the PDF again from the program that made it")
        return
    failed: dict[str, list[str]] = {}
    for rule, message in failures:
        failed.setdefault(rule, []).append(message)
    for rule, messages in sorted(failed.items()):
        count = f" ({len(messages)} places)" if len(messages) > 1 else ""
        stem = next((key for key in FIXES if key in rule), None)
        yield Finding("error", f"ua.{rule}", f"PDF/UA-1: {messages[0]}{count}",
                      FIXES[stem] if stem else GENERIC_FIX)


def _validate(data: bytes) -> list[tuple[str, str]] | str:
    """(rule, message) of each failed check, or why the file could not be read."""
    import page

    global used
    used = True
    try:
        report = page.validate_pdf_bytes(data, profile="ua1", limits=page.SafetyLimits(
            max_reference_depth=REFERENCE_DEPTH))
    except page.PageError as error:
        return str(error) or type(error).__name__
    return [(failure.rule_id, failure.message) for failure in report.failures]


def _validate_in_child(data: bytes) -> list[tuple[str, str]] | str:
    import json
    import subprocess
    import sys

    try:
        done = subprocess.run([sys.executable, "-m", __name__], input=data,
                              capture_output=True, timeout=600, check=True)
        result = json.loads(done.stdout)
    except (OSError, subprocess.SubprocessError, ValueError) as error:
        return f"the validator did not finish: {type(error).__name__}"
    return result if isinstance(result, str) else [tuple(item) for item in result]


if __name__ == "__main__":  # the child: a PDF on stdin, the failures as JSON on stdout
    import json
    import sys

    sys.stdout.write(json.dumps(_validate(sys.stdin.buffer.read())))
