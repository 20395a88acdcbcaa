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


def build(root: Path, out: Path | None = None,
          progress: Callable[[str], None] = lambda step: None) -> BuildResult:
    """Build every brochure and the booklet of the project at ``root`` into ``out``.

    Everything is read and checked before anything is rendered, and nothing is written until
    everything is rendered: on any error the previous outputs stay as they were."""
    project = load_project(root)
    messages = read_messages(project)
    layout = Layout(project)
    profile = load_profile(project)
    spec = press_spec(project, profile)
    renderer = Renderer(project, profile)
    out = Path(out) if out is not None else project.root / "out"
    result = BuildResult()
    with Staging(out) as staging:
        for message in messages:
            progress(f"brochure {message.slug}")
            data, pages = make_brochure(message, layout, renderer, spec)
            result.brochures.append(Output(staging.write(f"brochures/{message.slug}.pdf", data),
                                           pages))
        progress("booklet")
        data, plan = make_booklet(messages, layout, renderer, spec)
        result.booklet = Output(staging.write("booklet.pdf", data), plan.pages)
        staging.commit(prune={"brochures": "*.pdf"})
    return result
