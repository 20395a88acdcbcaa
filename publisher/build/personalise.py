"""Personalised runs: one brochure per row of a guest list, ``out/personalised/<key>.pdf``,
and with ``--combined`` one print file of them all.

Rows stream through a bounded window of work, so memory stays flat however long the list;
press/personal.py makes each guest's file. Every file is preflighted where it is made.
"""

from __future__ import annotations

import io
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from pypdf import PdfReader

from ..errors import PublisherError
from ..press.personal import combine
from ..sources.data import Row, read_rows


@dataclass
class PersonalResult:
    folder: Path
    count: int
    combined: Path | None = None
    reports: list = field(default_factory=list)  # preflight of every file written


BATCH = 50  # overlay mode: guests per WeasyPrint document


def personalise(root: Path, data: Path, out: Path | None = None, *,
                message: str | None = None, key: str | None = None, combined: bool = False,
                files: bool = True, jobs: int | None = None, scheduler: str | None = None,
                check: bool = True,
                progress: Callable[[str, int, int], None] = lambda step, done, total: None
                ) -> PersonalResult:
    """Write one brochure of ``message`` per row of ``data`` into ``out/personalised/`` (unless
    not ``files``), and with ``combined`` all of them in ``out/personalised.pdf``."""
    from ..compose.layout import Layout
    from ..sources.config import load_project
    from ..sources.content import read_messages
    from . import jobs as work  # the parameter `jobs` is the number of processes
    from .output import BuildLock, Staging
    from .workshop import Job, Workshops, default_jobs, result as result_of

    project = load_project(root)
    messages = read_messages(project)
    layout = Layout(project)
    overlay = layout.theme.personal == "overlay"
    options = None
    if check:
        from . import preflight_options

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
    from ..preflight import Report

    reports: list = []
    window: deque = deque()
    pieces: list = []          # for the combined file, in row order: staged paths or bytes
    count = 0

    submitted = 0

    def task(rows: list[Row]):
        nonlocal submitted
        first, submitted = submitted == 0, submitted + 1
        if overlay:
            return Job(work.overlay, (message, tuple(rows), not files, options, first))
        return Job(work.personal, (message, rows[0], options, first))

    try:
        with BuildLock(out), Staging(out) as staging:
            def collect() -> None:
                nonlocal count
                rows, future = window.popleft()
                results = result_of(future)
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
                data_combined = combine(project, pieces, finished=files)
                final = staging.write("personalised.pdf", data_combined)
                if options is not None:
                    from ..preflight import preflight

                    # The first guest's pages, then each further guest's own first page.
                    pages = len(PdfReader(io.BytesIO(data_combined)).pages)
                    each = max(1, pages // max(count, 1))
                    check = replace(options, pages=tuple(sorted(
                        {*range(1, each + 1), *range(1, pages + 1, each)})))
                    reports.append(preflight(final, check, data=data_combined))
            staging.commit(prune=("personalised", "personalised.pdf"))
    except BaseException:
        workshops.close(stop=True)
        raise
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
