"""Personalised runs: one brochure per row of a guest list, ``out/personalised/<key>.pdf``.

Only the cover is rendered per row (``brochure-cover.html``, with ``guest``); the brochure's
other pages are rendered once per process and shared by every row. Rows stream through a
bounded window of work, so memory stays flat however long the list.
"""

from __future__ import annotations

import io
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from pypdf import PdfReader, PdfWriter

from .data import Row, read_rows
from .errors import PublisherError


@dataclass
class PersonalResult:
    folder: Path
    count: int
    combined: Path | None = None
    reports: list = field(default_factory=list)  # preflight of every file written


def overlay_batch(workshop, slug: str, rows: list[Row], combined_only: bool) -> list[bytes]:
    """Inside a workshop: brochures for ``rows`` in overlay mode. The letter is rendered once
    (without a guest); one WeasyPrint document holds every row's fields, a page each, and each
    page is laid over the shared first page, which is stored once per file as a Form XObject.
    ``combined_only``: one unfinished PDF of the whole batch, for the combined print file."""
    from .brochure import make_brochure
    from .press import draw_form, finish, page_as_form

    message = workshop.messages[slug]
    shared = workshop.shared.get(slug)
    if shared is None:
        shared = workshop.shared[slug] = make_brochure(
            message, workshop.layout, workshop.renderer, workshop.spec, raw=True,
            personal_base=True).raw
    document = workshop.renderer.render(
        workshop.layout.html("personal-overlay", messages=[message],
                             guests=[row.fields for row in rows]), source=message.path)
    if len(document.pages) != len(rows):
        raise PublisherError("a guest's fields run onto a second page of the overlay",
                             path=workshop.layout.dir,
                             fix="shorten the guest fields, or give them more room")
    overlay = workshop.renderer.write(document)
    overlays = PdfReader(io.BytesIO(overlay)).pages
    shared_pages = PdfReader(io.BytesIO(shared)).pages
    results, writer, form = [], None, None
    for index, row in enumerate(rows):
        if writer is None or not combined_only:
            writer = PdfWriter()
            form = page_as_form(writer, shared_pages[0])
        page = writer.add_page(overlays[index])
        draw_form(writer, page, "/PublisherShared", form, under=True)
        for shared_page in shared_pages[1:]:
            writer.add_page(shared_page)
        if not combined_only:
            title = f"{message.title} — {row.fields['name']}"
            results.append(finish(writer, workshop.spec.with_title(
                title, language=message.language), sources=[overlay, bytes([index]), shared]))
    if combined_only:
        buffer = io.BytesIO()
        writer.write(buffer)
        results.append(buffer.getvalue())
    return results


def personal_brochure(workshop, slug: str, row: Row) -> bytes:
    """Inside a workshop: the print-ready brochure of ``slug`` for ``row``."""
    from .brochure import make_brochure
    from .press import finish

    shared = workshop.shared.get(slug)
    if shared is None:  # the pages every guest gets, once per process
        message = workshop.messages[slug]
        part = make_brochure(message, workshop.layout, workshop.renderer, workshop.spec,
                             raw=True)
        shared = workshop.shared[slug] = part.raw
    message = workshop.messages[slug]
    document = workshop.renderer.render(
        workshop.layout.html("brochure-cover", messages=[message], guest=row.fields),
        source=message.path)
    if len(document.pages) != 1:
        raise PublisherError("the personalised cover runs onto a second page",
                             path=workshop.layout.dir,
                             fix="shorten the guest fields, or give the cover more room")
    cover = workshop.renderer.write(document)
    writer = PdfWriter()
    writer.add_page(PdfReader(io.BytesIO(cover)).pages[0])
    for page in PdfReader(io.BytesIO(shared)).pages[1:]:
        writer.add_page(page)
    title = f"{message.title} — {row.fields['name']}"
    return finish(writer, workshop.spec.with_title(title, language=message.language),
                  sources=[cover, shared])


BATCH = 50  # overlay mode: guests per WeasyPrint document


def personalise(root: Path, data: Path, out: Path | None = None, *,
                message: str | None = None, key: str | None = None, combined: bool = False,
                files: bool = True, jobs: int | None = None, scheduler: str | None = None,
                check: bool = True,
                progress: Callable[[str, int, int], None] = lambda step, done, total: None
                ) -> PersonalResult:
    """Write one brochure of ``message`` per row of ``data`` into ``out/personalised/`` (unless
    not ``files``), and with ``combined`` all of them in ``out/personalised.pdf``."""
    from .config import load_project
    from .content import read_messages
    from .layout import Layout
    from .output import BuildLock, Staging
    from .workshop import PersonalBatch, PersonalTask, Workshops, default_jobs

    project = load_project(root)
    messages = read_messages(project)
    layout = Layout(project)
    overlay = layout.theme.personal == "overlay"
    options = None
    if check:
        from .build import preflight_options

        options = preflight_options(project, layout)
    slugs = [m.slug for m in messages]
    if message is None and len(slugs) == 1:
        message = slugs[0]
    if message not in slugs:
        raise PublisherError(f"which message? {'unknown: ' + message if message else ''}".strip(),
                             fix="choose one with --message: " + ", ".join(slugs))
    combined = combined or not files
    total = _count_rows(data)
    out = Path(out) if out is not None else project.root / "out"
    if scheduler:
        from .cluster import ClusterWorkshops

        workshops = ClusterWorkshops(project.root, project.build_date(), scheduler)
    else:
        workshops = Workshops(project.root, project.build_date(), jobs or default_jobs())
    from .preflight import Report

    reports: list = []
    window: deque = deque()
    pieces: list = []          # for the combined file, in row order: staged paths or bytes
    count = 0

    submitted = 0

    def task(rows: list[Row]):
        nonlocal submitted
        first, submitted = submitted == 0, submitted + 1
        if overlay:
            return PersonalBatch(message, tuple(rows), combined_only=not files, check=options,
                                 first=first)
        return PersonalTask(message, rows[0], check=options, first=first)

    try:
        with BuildLock(out, project.root), Staging(out) as staging:
            def collect() -> None:
                nonlocal count
                rows, future = window.popleft()
                results = future.result()
                results = results if isinstance(results, list) else [results]
                if files:
                    for row, made in zip(rows, results, strict=True):
                        pdf, report = made if isinstance(made, tuple) else (made, None)
                        final = staging.write(f"personalised/{row.key}.pdf", pdf)
                        pieces.append(staging.files[final])
                        if report is not None:
                            reports.append(Report.from_dict({**report, "file": str(final)}))
                else:
                    pieces.extend(results)  # one unfinished PDF per batch
                count += len(rows)
                progress(rows[-1].key, count, total)

            progress("starting", 0, total)
            batch: list[Row] = []
            size = BATCH if overlay else 1
            for row in read_rows(data, key):
                batch.append(row)
                if len(batch) == size:
                    window.append((batch, workshops.submit(task(batch))))
                    batch = []
                if len(window) >= (2 if overlay else 4) * workshops.jobs:
                    collect()
            if batch:
                window.append((batch, workshops.submit(task(batch))))
            while window:
                collect()
            if combined:
                data_combined = _combine(project, pieces, finished=files)
                final = staging.write("personalised.pdf", data_combined)
                if options is not None:
                    from .preflight import preflight

                    # The first guest's pages, then each further guest's own first page.
                    pages = len(PdfReader(io.BytesIO(data_combined)).pages)
                    each = max(1, pages // max(count, 1))
                    check = replace(options, pages=tuple(sorted(
                        {*range(1, each + 1), *range(1, pages + 1, each)})))
                    reports.append(preflight(final, check, data=data_combined))
            staging.commit(prune={"personalised": "*.pdf"})
    finally:
        workshops.close()
    return PersonalResult(out / "personalised", count,
                          out / "personalised.pdf" if combined else None, reports)


def _count_rows(data: Path) -> int:
    """Rows in the file, for the progress bar (CSV: lines, a quick count)."""
    try:
        if data.suffix.lower() == ".csv":
            with data.open("rb") as file:
                return max(sum(1 for line in file if line.strip()) - 1, 0)
    except OSError:
        pass
    return 0


def _combine(project, pieces: list, *, finished: bool) -> bytes:
    """Every personalised brochure in one print file, in row order. ``pieces`` are finished
    files on disk, or unfinished batches (bytes) that get their boxes and marks here."""
    import hashlib

    from .press import finish, load_profile, press_spec

    writer = PdfWriter()
    digests = []
    for piece in pieces:
        data = piece.read_bytes() if isinstance(piece, Path) else piece
        digests.append(hashlib.sha256(data).digest())
        writer.append(io.BytesIO(data), import_outline=False)
    from .layout import Layout

    spec = press_spec(project, load_profile(project), Layout(project))
    return finish(writer, spec.with_title(f"{spec.title} — personalised"), pages=not finished,
                  sources=digests)
