"""``publisher build``: content → layout → render → brochures and booklet → disk."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .booklet import make_booklet
from .brochure import make_brochure
from .config import load_project
from .content import read_messages
from .layout import Layout
from .output import Staging
from .preflight import Options, Report, preflight
from .press import load_profile, press_spec
from .render import Renderer


@dataclass
class Output:
    path: Path
    pages: int


@dataclass
class BuildResult:
    brochures: list[Output] = field(default_factory=list)
    booklet: Output | None = None
    reports: list[Report] = field(default_factory=list)  # preflight of every output

    @property
    def outputs(self) -> list[Output]:
        return [*self.brochures, *([self.booklet] if self.booklet else [])]


def build(root: Path, out: Path | None = None,
          progress: Callable[[str, int, int], None] = lambda step, done, total: None, *,
          check: bool = True) -> BuildResult:
    """Build every brochure and the booklet of the project at ``root`` into ``out``.

    ``progress(step, done, total)`` is called before each step and once at the end.

    Everything is read and checked before anything is rendered, and nothing is written until
    everything is rendered: on any error the previous outputs stay as they were. With
    ``check``, the written files are then preflighted; the reports are in the result."""
    project = load_project(root)
    messages = read_messages(project)
    layout = Layout(project)
    profile = load_profile(project)
    spec = press_spec(project, profile)
    renderer = Renderer(project, profile)
    out = Path(out) if out is not None else project.root / "out"
    result = BuildResult()
    # Progress: one step per brochure, one for the booklet, one per preflighted file.
    total = 2 * len(messages) + 2 if check else len(messages) + 1
    with Staging(out) as staging:
        for done, message in enumerate(messages):
            progress(f"brochure {message.slug}", done, total)
            data, pages = make_brochure(message, layout, renderer, spec)
            result.brochures.append(Output(staging.write(f"brochures/{message.slug}.pdf", data),
                                           pages))
        progress("booklet", len(messages), total)
        data, plan = make_booklet(messages, layout, renderer, spec)
        result.booklet = Output(staging.write("booklet.pdf", data), plan.pages)
        staging.commit(prune={"brochures": "*.pdf"})
    if check:
        options = preflight_options(project, layout)
        for done, output in enumerate(result.outputs, len(messages) + 1):
            progress(f"checking {output.path.name}", done, total)
            result.reports.append(preflight(output.path, options))
    progress("done", total, total)
    return result


def preflight_options(project, layout: Layout) -> Options:
    """What this project's outputs are checked against: PDF/X-4, its layout's fonts."""
    families = {face.family for face in layout.theme.font_faces}
    return Options(target="pdf/x-4", safe_margin=project.publication.print.safe_margin,
                   fonts=tuple(sorted(families | set(layout.theme.fonts.values()))),
                   # A letterfold is one sheet, both sides; the combined file is many sheets.
                   fold=layout.theme.fold != "letterfold")
