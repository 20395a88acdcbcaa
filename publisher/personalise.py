"""Personalised runs: one brochure per row of a guest list, ``out/personalised/<key>.pdf``.

Only the cover is rendered per row (``brochure-cover.html``, with ``guest``); the brochure's
other pages are rendered once per process and shared by every row. Rows stream through a
bounded window of work, so memory stays flat however long the list.
"""

from __future__ import annotations

import io
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader, PdfWriter

from .data import Row, read_rows
from .errors import PublisherError


@dataclass
class PersonalResult:
    folder: Path
    count: int
    combined: Path | None = None


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


def personalise(root: Path, data: Path, out: Path | None = None, *,
                message: str | None = None, key: str | None = None, combined: bool = False,
                jobs: int | None = None, scheduler: str | None = None,
                progress: Callable[[str, int, int], None] = lambda step, done, total: None
                ) -> PersonalResult:
    """Write one brochure of ``message`` per row of ``data`` into ``out/personalised/``."""
    from .config import load_project
    from .content import read_messages
    from .output import Staging
    from .workshop import PersonalTask, Workshops, default_jobs

    project = load_project(root)
    messages = read_messages(project)
    slugs = [m.slug for m in messages]
    if message is None and len(slugs) == 1:
        message = slugs[0]
    if message not in slugs:
        raise PublisherError(f"which message? {'unknown: ' + message if message else ''}".strip(),
                             fix="choose one with --message: " + ", ".join(slugs))
    total = _count_rows(data)
    out = Path(out) if out is not None else project.root / "out"
    if scheduler:
        from .cluster import ClusterWorkshops

        workshops = ClusterWorkshops(project.root, project.build_date(), scheduler)
    else:
        workshops = Workshops(project.root, project.build_date(), jobs or default_jobs())
    window: deque = deque()
    written: list[Path] = []   # staged files, in row order
    count = 0
    try:
        with Staging(out) as staging:
            def collect() -> None:
                nonlocal count
                row, future = window.popleft()
                final = staging.write(f"personalised/{row.key}.pdf", future.result())
                written.append(staging.files[final])
                count += 1
                progress(row.key, count, total)

            progress("starting", 0, total)
            for row in read_rows(data, key):
                window.append((row, workshops.submit(PersonalTask(message, row))))
                if len(window) >= 4 * workshops.jobs:
                    collect()
            while window:
                collect()
            if combined:
                staging.write("personalised.pdf", _combine(project, written))
            staging.commit(prune={"personalised": "*.pdf"})
    finally:
        workshops.close()
    return PersonalResult(out / "personalised", count,
                          out / "personalised.pdf" if combined else None)


def _count_rows(data: Path) -> int:
    """Rows in the file, for the progress bar (CSV: lines, a quick count)."""
    try:
        if data.suffix.lower() == ".csv":
            with data.open("rb") as file:
                return max(sum(1 for line in file if line.strip()) - 1, 0)
    except OSError:
        pass
    return 0


def _combine(project, files: list[Path]) -> bytes:
    """Every personalised brochure in one print file, in row order (this one file is built in
    memory: for thousands of guests, print the single files instead)."""
    import hashlib

    from .press import finish, load_profile, press_spec

    writer = PdfWriter()
    for path in files:
        writer.append(str(path), import_outline=False)
    spec = press_spec(project, load_profile(project))
    return finish(writer, spec.with_title(f"{spec.title} — personalised"), pages=False,
                  sources=[hashlib.sha256(path.read_bytes()).digest() for path in files])
