"""New projects and new messages: ``publisher init`` and ``publisher new message``."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from ..errors import PublisherError
from ..sources.config import load_project
from ..sources.content import slugify
from ..sources.yamlsource import yaml_text

SKELETON = Path(__file__).parent / "skeleton"
PACKAGE = Path(__file__).resolve().parent.parent


def bundled(name: str) -> Path:
    """The layouts or fonts publisher ships: inside the installed package (a wheel), or at the
    top of the source checkout (an editable install)."""
    for candidate in (PACKAGE / "bundled" / name, PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise PublisherError(f"publisher's own {name}/ folder is missing",
                         fix="reinstall publisher (pip install --force-reinstall publisher)")


def init_project(target: Path) -> list[Path]:
    """Create a project in ``target`` that builds at once; return the top-level items made."""
    target = Path(target)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise PublisherError(f"'{target}' exists and is not empty", path=target,
                             fix="choose a new folder name, or empty this one")
    layouts, fonts = bundled("layouts"), bundled("fonts")
    staging = target.with_name(f".{target.name}.init")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        shutil.copytree(SKELETON / "content", staging / "content")
        shutil.copytree(layouts, staging / "layouts",
                        ignore=shutil.ignore_patterns("overrides", "__pycache__"))
        shutil.copytree(SKELETON / "layouts" / "overrides", staging / "layouts" / "overrides")
        shutil.copytree(fonts, staging / "fonts", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(SKELETON / "gitignore", staging / ".gitignore")
        if target.exists():
            target.rmdir()
        staging.rename(target)  # all or nothing: no half-made project
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [target / "content", target / "layouts", target / "fonts"]


MESSAGE_TEMPLATE = """---
# The words between the two --- lines describe the message; the text follows below them.
# Fields: docs/content.md. Keep the indentation of the lines under signatories.
title: {title}
institution: {institution}
# short_name: A shorter name for running heads and the contents page
# motto: A line printed as a pull quote
# standfirst: A sentence or two set large under the title.
signatories:
  - name: {name}
    role: {role}
# image: ../images/picture.jpg    # a picture for the cover, inside content/
# draft: true                     # leave this message out of builds for now
---

Write the message here. Leave a blank line between paragraphs; *italic* and **bold** work
as in e-mail, and two hash signs and a space at the start of a line make a heading.
"""


def new_message(root: Path, title: str, *, institution: str | None = None,
                slug: str | None = None) -> Path:
    """Add ``content/messages/<slug>.md`` with commented front matter to the project."""
    project = load_project(root)
    slug = slug or slugify(title)
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug or ""):
        raise PublisherError(f"cannot make a file name from '{title}'",
                             fix="give one with --name, e.g. --name dean-welcome")
    path = project.messages_dir / f"{slug}.md"
    if path.exists():
        raise PublisherError(f"a message named '{slug}' already exists", path=path,
                             fix="edit that file, or choose another title or --name")
    text = MESSAGE_TEMPLATE.format(
        title=yaml_text(title), institution=yaml_text(institution or "Your institution"),
        name="Name Surname", role="Role")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
