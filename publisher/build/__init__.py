"""``publisher build``: content → layout → render → brochures and booklet → disk → preflight.

A build renders only what changed since the last one (``cache.py``), renders parts in
parallel (``workshop.py``), and with nothing changed does not even parse the project.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..hashing import digest, file_digest
from .cache import Cache, Record, inputs_digest, outputs_intact, tree_digest, versions
from ..preflight import Options, Report, preflight


@dataclass
class Output:
    path: Path
    pages: int


@dataclass
class BuildResult:
    brochures: list[Output] = field(default_factory=list)
    booklet: Output | None = None
    # The screen edition (out/screen/): the same pages, tagged PDF/UA-1, in sRGB.
    screen_brochures: list[Output] = field(default_factory=list)
    screen_booklet: Output | None = None
    reports: list[Report] = field(default_factory=list)  # preflight of every output
    up_to_date: bool = False     # nothing changed: nothing was rendered or written
    rendered: int = 0            # parts rendered (the rest came from the cache)
    reused: int = 0
    # Content files that were not built, each "file — fix" (e.g. dean.md.txt): never silent.
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # for -v: cache entries that failed checks

    @property
    def outputs(self) -> list[Output]:
        return [*self.brochures, *([self.booklet] if self.booklet else []),
                *self.screen_brochures, *([self.screen_booklet] if self.screen_booklet else [])]


Progress = Callable[[str, int, int], None]


def build(root: Path, out: Path | None = None,
          progress: Progress = lambda step, done, total: None, *,
          check: bool = True, jobs: int | None = None, force: bool = False,
          workshops=None, scheduler: str | None = None,
          oversubscribe: bool = False, editions: tuple[str, ...] = ()) -> BuildResult:
    """Build every brochure and the booklet of the project at ``root`` into ``out``.

    ``progress(step, done, total)`` is called before each step and once at the end. ``jobs``
    is the number of processes that render (default: one per core, and at most that unless
    ``oversubscribe``); ``force`` renders
    everything again instead of reusing the cache. ``workshops`` keeps renderers warm between
    builds (``publisher serve``); by default they are started for this build and stopped.
    ``scheduler``, a Dask scheduler's address, sends the renders to that cluster instead.
    ``editions`` ("print", "screen"): which to write; none given, publication.yaml's.

    Everything is read and checked before anything is rendered, and nothing is written until
    everything is rendered: on any error the previous outputs stay as they were. With
    ``check``, the written files are then preflighted; the reports are in the result."""
    root = Path(root).resolve()
    out = Path(out) if out is not None else root / "out"
    cache = Cache(root, read=not force)
    inputs = inputs_digest(root, out, check, editions)
    record = cache.record()
    if not force and _unchanged(out, inputs, record):
        progress("done", 1, 1)
        return _from_record(out, record)

    from ..sources.config import load_project
    from ..sources.content import message_files, read_messages
    from ..compose.layout import Layout
    from ..press.finishing import load_profile, press_spec
    from .output import BuildLock
    from .workshop import Workshops, default_jobs

    project = load_project(root)
    messages = read_messages(project)
    warnings = [f"{path.relative_to(root)} was left out: it is not a message file — fix: {fix}"
                for path, fix in message_files(project)[1]]
    layout = Layout(project)
    profile = load_profile(project)
    spec = press_spec(project, profile, layout)
    editions = tuple(editions or project.publication.editions)
    if "screen" in editions:
        from ..sources.content import check_alt_texts

        check_alt_texts(project, messages)
    keys = _Keys(project, messages, layout, spec, screen="screen" in editions)
    with BuildLock(out):  # one build at a time writes to ``out``
        own = workshops is None
        if own and scheduler:
            from .cluster import ClusterWorkshops

            workshops = ClusterWorkshops(root, spec.date, scheduler)
        elif own:
            if jobs is None:
                # Workers pay off when brochures render side by side; one changed message
                # (its brochure, then its booklet part) renders faster in this process, which
                # warms WeasyPrint once for both.
                missing = sum(not cache.has(keys.brochure(m)) for m in messages)
                jobs = default_jobs() if missing >= 2 else 1
            workshops = Workshops(root, spec.date, jobs,
                                  loaded=(project, messages, layout, profile),
                                  cap=not oversubscribe)
        else:
            workshops.reset(spec.date)
        try:
            result = _render_and_write(project, messages, layout, spec, keys, cache,
                                       workshops, out, progress, check, editions)
        except BaseException:
            if own:
                workshops.close(stop=True)  # no worker goes on rendering for nobody
            raise
        if own:
            workshops.close()
    result.warnings = warnings
    cache.save_record(Record(
        inputs=inputs,
        outputs={o.path.relative_to(out).as_posix(): {"pages": o.pages,
                                                      "sha256": file_digest(o.path)}
                 for o in result.outputs},
        reports=[report.as_dict() for report in result.reports], warnings=warnings))
    cache.prune()
    return result


def up_to_date(root: Path, out: Path | None = None, check: bool = True,
               editions: tuple[str, ...] = ()) -> bool:
    """Whether a build would find nothing changed (and so render nothing)."""
    return last_build(root, out, check, editions) is not None


def last_build(root: Path, out: Path | None = None, check: bool = True,
               editions: tuple[str, ...] = ()) -> Record | None:
    """The record of the last build, if a build now would find nothing changed."""
    root = Path(root).resolve()
    out = Path(out) if out is not None else root / "out"
    record = Cache(root).record()
    return record if _unchanged(out, inputs_digest(root, out, check, editions), record) \
        else None


def _unchanged(out: Path, inputs: str, record: Record | None) -> bool:
    return record is not None and record.inputs == inputs and outputs_intact(out, record)


def _render_and_write(project, messages, layout, spec, keys: _Keys, cache: Cache, workshops,
                      out: Path, progress: Progress, check: bool,
                      editions: tuple[str, ...]) -> BuildResult:
    from ..errors import PublisherError
    from ..press import booklet
    from ..press.parts import Part
    from . import jobs
    from .jobs import Job
    from .output import Staging
    from .workshop import result as result_of

    sheets = layout.single_sheets  # letterfolds and letters: a collection, no booklet
    printed, screen = "print" in editions, "screen" in editions
    # Steps: brochures; the booklet's front, back, messages, contents and assembly (and the
    # screen edition's); checks.
    total = len(messages) + (1 if sheets else len(messages) + 3) + (1 if check else 0) \
        + (0 if sheets or len(messages) <= FRONT_GUESS_UP_TO else 1) + (screen and printed)
    result = BuildResult()
    done = 0

    stored: dict[str, str] = {}  # part name → its cache key, for loading it again

    def light(name: str, key: str, part: Part) -> Part:
        """Keep a part's facts, not its bytes: those are in the cache (and a brochure in the
        staging folder), loaded again where needed. Memory stays flat in the message count."""
        if name.startswith("brochure:"):
            slug = name.removeprefix("brochure:")
            if printed:
                staging.write(f"brochures/{slug}.pdf", part.pdf)
            if screen:
                staging.write(f"screen/brochures/{slug}.pdf", part.screen)
        stored[name] = key
        return Part(b"", part.pages, part.body_pages, b"", part.report,
                    screen_report=part.screen_report)

    def parts(tasks: dict[str, tuple[Job, str]]) -> dict[str, Part]:
        """Each task's part: from the cache, else rendered (all at once, in parallel)."""
        nonlocal done
        found, waiting, futures = {}, deque(), deque()
        for name, (task, key) in tasks.items():
            cached = cache.get(key)
            if cached is None:
                if key in cache.rejected:
                    result.notes.append(f"the cached {_label(name)} did not match its digest: "
                                        "rendered again")
                waiting.append((name, task, key))
                continue
            found[name] = light(name, key, _part(*cached))
            progress(_label(name) + " (cached)", done, total)
            result.reused += 1
            done += 1
        while waiting or futures:
            # A few jobs at a time, popped as collected: a finished future holds its part's
            # bytes, and the workers are renewed between jobs (workshop.py).
            while waiting and len(futures) < workshops.window:
                name, task, key = waiting.popleft()
                futures.append((name, workshops.submit(task), key))
            name, future, key = futures.popleft()
            progress(_label(name), done, total)
            part = result_of(future)
            del future
            if name.startswith("booklet contents") and len(messages) > LONG_CONTENTS:
                workshops.renew()  # a long contents leaves its worker large
            _store(cache, key, part)
            found[name] = light(name, key, part)
            result.rendered += 1
            done += 1
        return found

    def load(name: str) -> Part:
        loaded = cache.load(stored[name])
        if loaded is None:
            raise PublisherError("a part this build rendered changed in the build cache while "
                                 "the build ran", path=cache.folder,
                                 fix="run the build again, one at a time per project")
        return _part(*loaded)

    with Staging(out) as staging:
        # 1. Brochures (preflighted where they are made).
        options = preflight_options(project, layout, messages) if check else None
        tasks = {}
        if not sheets and len(messages) > FRONT_GUESS_UP_TO:
            # Many messages may need more than one contents page: measure the front matter
            # (with three-digit placeholder folios) beside the brochures, so that the parts
            # are rendered at their right folios the first time. First: the longest job,
            # while the workers are fresh.
            placeholder = tuple((m.slug, 999) for m in messages)
            tasks["booklet contents"] = (Job(jobs.booklet_front, (placeholder, screen)),
                                         keys.front(dict(placeholder)))
        tasks.update({f"brochure:{m.slug}": (Job(jobs.brochure, (m.slug, options, screen)),
                                             keys.brochure(m)) for m in messages})
        first = parts(tasks)
        brochures = {m.slug: first[f"brochure:{m.slug}"] for m in messages}

        if sheets:
            workshops.rest()
            for edition in editions:
                progress("booklet" if edition == "print" else "screen booklet", done, total)
                done += 1
                with staging.open(BOOKLETS[edition]) as file:
                    plan = booklet.collection(messages, _Loading(load, "brochure:{}"), spec,
                                              file, screen=edition == "screen")
        else:
            # 2. The messages at their folios, and the front matter with the contents. A
            # message takes as many pages in the booklet as in its brochure (the same text
            # block), and the front matter is expected to fill one sheet side pair (cover,
            # contents): so every folio is known now and all parts render together. Both are
            # checked after rendering; a surprise re-plans, and only parts whose folio moved
            # are rendered again.
            measured = booklet.front_length(first["booklet contents"]) \
                if "booklet contents" in first else FRONT_PAGES
            lengths = {m.slug: brochures[m.slug].body_pages for m in messages}
            rendered: dict[tuple[str, int], Part] = {}
            fronts: dict[tuple, str] = {}  # plan → the name its front part is stored under
            back = None  # the back cover depends on nothing: it fills a worker's idle turn
            for _attempt in range(len(messages) + 3):
                starts = booklet.plan_starts(messages, measured, lengths)
                wanted = {f"booklet:{slug}@{folio}": (Job(jobs.booklet_part,
                                                          (slug, folio, screen)),
                                                      keys.part(slug, folio))
                          for slug, folio in starts.items() if (slug, folio) not in rendered}
                plan_key = tuple(starts.items())
                front_name = f"booklet contents@{len(fronts)}"
                if plan_key not in fronts:
                    front = {front_name: (Job(jobs.booklet_front, (plan_key, screen)),
                                          keys.front(starts))}
                    if len(messages) > LONG_CONTENTS:
                        # A long contents: the longest job, first, on fresh workers.
                        workshops.renew()
                        wanted = {**front, **wanted}
                    else:
                        wanted.update(front)
                if back is None:
                    wanted["booklet back"] = (Job(jobs.booklet_back, (screen,)), keys.back())
                for name, part in parts(wanted).items():
                    if name == front_name:
                        fronts[plan_key] = name
                        continue
                    if name == "booklet back":
                        back = part
                        continue
                    slug, folio = name.removeprefix("booklet:").split("@")
                    rendered[slug, int(folio)] = part
                actual = {slug: rendered[slug, folio].pages for slug, folio in starts.items()}
                front_pages = booklet.front_length(load(fronts[plan_key]))
                if actual == lengths and front_pages == measured:
                    break
                lengths, measured = actual, front_pages
            workshops.rest()
            at = {message.slug: f"booklet:{message.slug}@{starts[message.slug]}"
                  for message in messages}
            fonts = booklet.shared_fonts(messages, load(fronts[plan_key]),
                                         _Loading(load, at.__getitem__), load("booklet back"),
                                         screen=not printed)
            for edition in editions:
                progress("booklet" if edition == "print" else "screen booklet", done, total)
                done += 1
                with staging.open(BOOKLETS[edition]) as file:
                    plan = booklet.assemble(messages, load(fronts[plan_key]),
                                            _Loading(load, at.__getitem__),
                                            load("booklet back"), starts, spec, layout, file,
                                            screen=edition == "screen", fonts=fonts)
                before, after = plan.fonts
                if before:
                    result.notes.append(
                        f"{BOOKLETS[edition]}: the parts' font subsets ({before // 1024} KB) "
                        f"merged into one program per face ({after // 1024} KB)")
        for message in messages:
            pages = brochures[message.slug].pages
            if printed:
                result.brochures.append(Output(out / f"brochures/{message.slug}.pdf", pages))
            if screen:
                result.screen_brochures.append(
                    Output(out / f"screen/brochures/{message.slug}.pdf", pages))
        if printed:
            result.booklet = Output(out / BOOKLETS["print"], plan.pages)
        if screen:
            result.screen_booklet = Output(out / BOOKLETS["screen"], plan.pages)
        # Earlier files of publisher's that this build did not write go: a deleted message's
        # brochure, an edition no longer asked for.
        staging.commit(prune=("brochures", "screen", BOOKLETS["print"]))

    if check:
        # Brochures were checked when they were made (and their reports cached with them);
        # the booklet is checked now.
        progress("checking the booklet", done, total)
        from .jobs import SCREEN_CHECK

        for message in messages:
            part = brochures[message.slug]
            if (printed and part.report is None) or (screen and part.screen_report is None):
                # Made by a build without checks: check it now, keep the report.
                full = load(f"brochure:{message.slug}")
                if printed and part.report is None:
                    full.report = part.report = preflight(
                        out / f"brochures/{message.slug}.pdf", options).as_dict()
                if screen and part.screen_report is None:
                    full.screen_report = part.screen_report = preflight(
                        out / f"screen/brochures/{message.slug}.pdf", SCREEN_CHECK).as_dict()
                _store(cache, keys.brochure(message), full)
        for output, message in zip(result.brochures, messages):
            result.reports.append(Report.from_dict({**brochures[message.slug].report,
                                                    "file": str(output.path)}))
        if result.booklet:
            result.reports.append(preflight(result.booklet.path, options))
        for output, message in zip(result.screen_brochures, messages):
            result.reports.append(Report.from_dict({**brochures[message.slug].screen_report,
                                                    "file": str(output.path)}))
        if result.screen_booklet:
            result.reports.append(preflight(result.screen_booklet.path, SCREEN_CHECK))
    progress("done", total, total)
    return result


BOOKLETS = {"print": "booklet.pdf", "screen": "screen/booklet.pdf"}


def _part(header: dict, blobs: list[bytes]):
    """A part as the cache holds it: its facts, print file, unfinished pages, screen file."""
    from ..press.parts import Part

    return Part(blobs[0], header["pages"], header["body_pages"], blobs[1],
                header.get("report"), blobs[2] if len(blobs) > 2 else b"",
                header.get("screen_report"))


def _store(cache: Cache, key: str, part) -> None:
    cache.put(key, {"pages": part.pages, "body_pages": part.body_pages,
                    "report": part.report, "screen_report": part.screen_report},
              [part.pdf, part.raw, part.screen])


class _Loading:
    """Parts by message slug, each loaded from the cache when asked for (``parts[slug]``)."""

    def __init__(self, load, name):
        self._load = load
        self._name = name.format if isinstance(name, str) else name

    def __getitem__(self, slug: str):
        return self._load(self._name(slug))


FRONT_PAGES = 2  # the booklet's front matter as the layouts make it: cover, contents
# Contents of more messages are long documents (150 MB to lay out at 1,000): they go first,
# on fresh workers, which are replaced after them. Below, that costs more than it saves.
LONG_CONTENTS = 100
FRONT_GUESS_UP_TO = 6  # messages whose contents surely fit one page; beyond, it is measured


def _label(name: str) -> str:
    """'booklet:slug@5' → 'booklet slug'."""
    return name.split("@")[0].replace(":", " ")


class _Keys:
    """Cache keys: the digest of everything that goes into each part."""

    def __init__(self, project, messages, layout, spec, *, screen: bool):
        publication = project.publication
        date_fixed = bool(os.environ.get("SOURCE_DATE_EPOCH")) or any(
            isinstance(date, dt.date) for date in (publication.print.date, publication.event.date))
        self.common = digest(
            versions(), tree_digest(project.layouts_dir, project.fonts_dir),
            project.config_path.read_bytes(), spec.profile,
            file_digest(layout.publication_logo)
            if isinstance(layout.publication_logo, Path) else b"",
            # A date from the clock would make every build new: parts keep the date they got.
            spec.date.isoformat() if date_fixed else "",
            # Parts made with their screen pages, or without.
            screen)
        # A picture from the network is keyed by its URL: it is fetched when its parts render.
        self.messages = {m.slug: digest(m.path.read_bytes(),
                                        m.translation.path.read_bytes() if m.translation
                                        else b"",
                                        *(file_digest(asset) for asset in m.assets))
                         for m in messages}
        self.front_matter = [(m.slug, m.meta.model_dump(mode="json"),
                              m.translation.meta.model_dump(mode="json")
                              if m.translation else None) for m in messages]

    def brochure(self, message) -> str:
        return digest("brochure", self.common, self.messages[message.slug])

    def part(self, slug: str, folio: int) -> str:
        return digest("part", self.common, self.messages[slug], folio)

    def front(self, starts: dict[str, int]) -> str:
        return digest("front", self.common, self.front_matter, starts)

    def back(self) -> str:
        return digest("back", self.common, self.front_matter)


def _from_record(out: Path, record: Record) -> BuildResult:
    result = BuildResult(up_to_date=True)
    for relative, entry in record.outputs.items():
        output = Output(out / relative, entry["pages"])
        if relative == BOOKLETS["print"]:
            result.booklet = output
        elif relative == BOOKLETS["screen"]:
            result.screen_booklet = output
        elif relative.startswith("screen/"):
            result.screen_brochures.append(output)
        else:
            result.brochures.append(output)
    result.reports = [Report.from_dict(data) for data in record.reports]
    result.warnings = list(record.warnings)
    return result


def preflight_options(project, layout, messages=()) -> Options:
    """What this project's outputs are checked against: PDF/X-4, its layout's fonts; and
    the pictures of ``messages`` and the publication, so findings name their files."""
    files = [layout.publication_logo, *(asset for m in messages for asset in m.assets)]
    return Options(target="pdf/x-4", safe_margin=project.publication.print.safe_margin,
                   fonts=layout.font_families,
                   # Letterfolds and letters are sheets; their combined file is not folded.
                   fold=not layout.single_sheets,
                   pictures=_picture_sizes(project.root, files),
                   total_ink=project.publication.print.output_intent.total_ink,
                   small_text=project.publication.print.small_text)


def _picture_sizes(root: Path, files) -> tuple[tuple[int, int, str], ...]:
    """(width px, height px, file) of each raster picture among ``files``, from its header
    (a picture turned by its EXIF tag is matched either way round)."""
    from PIL import Image

    sizes = {}
    for path in files:
        if not isinstance(path, Path) or path in sizes:
            continue
        try:
            with Image.open(path) as image:
                width, height = image.size
        except Exception:  # a vector picture (SVG, PDF) or unreadable: nothing to name
            continue
        try:
            name = path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            name = path.name
        sizes[path] = (width, height, name)
    return tuple(sizes.values())
