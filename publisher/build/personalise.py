"""Personalised runs: one brochure per row of a guest list, ``out/personalised/<key>.pdf``,
and with ``--combined`` one print file of them all.

Rows stream through a bounded window of work, so memory stays flat however long the list;
press/personal.py makes each guest's file. Every file is preflighted where it is made.
"""

from __future__ import annotations

import io
from collections import deque
from contextlib import ExitStack
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import PublisherError
from ..press.finishing import load_profile, press_spec
from ..press.stream import StreamedPdf
from ..sources.data import Row, read_rows


@dataclass
class PersonalResult:
    folder: Path
    count: int
    combined: Path | None = None
    reports: list = field(default_factory=list)  # preflight reports with findings
    checked: int = 0                              # files preflighted (clean ones too)


BATCH = 50  # overlay mode: guests per WeasyPrint document
SAMPLE = 100  # guests of a combined file preflighted as they are in it


def personalise(root: Path, data: Path, out: Path | None = None, *,
                message: str | None = None, key: str | None = None, combined: bool = False,
                files: bool = True, jobs: int | None = None, scheduler: str | None = None,
                check: bool = True, oversubscribe: bool = False,
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

        options = preflight_options(project, layout, messages)
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
        workshops = Workshops(project.root, project.build_date(), jobs or default_jobs(),
                              cap=not oversubscribe, jobs_per_worker=None)
    from ..preflight import Report

    reports: list = []  # those with findings: a clean file is only counted
    checked = 0
    window: deque = deque()
    count = 0

    def keep(report) -> None:
        nonlocal checked
        checked += 1
        if report.rows():
            reports.append(report)

    submitted = 0

    def task(rows: list[Row]):
        nonlocal submitted
        first, submitted = submitted == 0, submitted + 1
        if overlay:
            return Job(work.overlay, (message, tuple(rows), options, first))
        return Job(work.personal, (message, rows[0], options, first))

    try:
        with BuildLock(out), Staging(out) as staging, ExitStack() as closing:
            streamed = sample = None
            combined_path = out / "personalised.pdf"
            if combined:
                # Written as the rows arrive: memory and disk stay near the output's size.
                spec = press_spec(project, load_profile(project), layout)
                spec = spec.with_title(f"{spec.title} — personalised")
                streamed = StreamedPdf(closing.enter_context(staging.open("personalised.pdf")),
                                       spec)
                # The combined file is checked through a sample of its guests, written the
                # same way (every guest's own pages are checked where they are made).
                sample = StreamedPdf(io.BytesIO(), spec)
            sampled: list[int] = []  # the sample's guests: first page in the combined file
            guests: list = []  # findings of guests' own pages, for the combined file
            stride = max(1, total // SAMPLE)

            def collect() -> None:
                nonlocal count
                rows, future = window.popleft()
                results = result_of(future)
                results = results if isinstance(results, list) else [results]
                for row, made in zip(rows, results, strict=True):
                    pdf, report = made if isinstance(made, tuple) else (made, None)
                    final = combined_path
                    if files:
                        final = staging.write(f"personalised/{row.key}.pdf", pdf)
                    if streamed is not None:
                        start = streamed.pages
                        streamed.add(pdf)
                        if count % stride == 0 and len(sampled) < SAMPLE:
                            sampled.append(start)
                            sample.add(pdf)
                    if report is not None and files:
                        keep(Report.from_dict({**report, "file": str(final)}))
                    elif report is not None:  # findings on the guest's pages of the combined
                        guests.extend(_moved(Report.from_dict(report), start).findings)
                    count += 1
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
            if streamed is not None:
                streamed.close()
                closing.close()
                sample.close()
                if options is not None:
                    from ..preflight import preflight

                    report = preflight(combined_path, options, data=sample.file.getvalue())
                    report = _in_combined(report, sampled, streamed.pages, sample.pages)
                    report.findings.extend(guests)
                    keep(report)
            staging.commit(prune=("personalised", "personalised.pdf"))
    except BaseException:
        workshops.close(stop=True)
        raise
    workshops.close()
    return PersonalResult(out / "personalised", count,
                          out / "personalised.pdf" if combined else None, reports, checked)


def _count_rows(data: Path) -> int:
    """Rows in the file, for the progress bar (CSV: lines, a quick count)."""
    try:
        if data.suffix.lower() == ".csv":
            with data.open("rb") as file:
                return max(sum(1 for line in file if line.strip()) - 1, 0)
    except OSError:
        pass
    return 0


def _moved(report, offset: int):
    """``report`` with its findings' pages ``offset`` pages later."""
    if offset:
        report.findings = [replace(finding, page=finding.page + offset)
                           if finding.page is not None else finding
                           for finding in report.findings]
    return report


def _in_combined(report, starts: list[int], pages: int, sample_pages: int):
    """The report of a sample of the combined file, as a report of the file itself: its
    page count, and each finding on the page of the combined file it stands for."""
    each = sample_pages // max(len(starts), 1)
    report.pages = pages
    report.findings = [replace(finding, page=starts[(finding.page - 1) // each]
                               + (finding.page - 1) % each + 1)
                       if finding.page is not None and each else finding
                       for finding in report.findings]
    return report
