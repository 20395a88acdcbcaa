"""One real build of the seed project per test run, shared by the tests that read its PDFs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from publisher.build import build

# Builds started by the tests run in their own process; tests/test_daemon.py turns the build
# server on for its own tests, with a private folder for its socket.
os.environ["PUBLISHER_DAEMON"] = "0"

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO.parent / "shared" / "seeds"


def copy_project(target: Path) -> Path:
    """A copy of the repository's publication project (content, layouts, fonts)."""
    for folder in ("content", "layouts", "fonts"):
        shutil.copytree(REPO / folder, target / folder, copy_function=_copy)
    return target


def copy_built(source: Path, target: Path) -> Path:
    """A copy of a whole project folder, its outputs and cache too."""
    shutil.copytree(source, target, copy_function=_copy)
    return target


def _copy(source: str, target: str) -> None:
    """The Chinese faces (65 MB a copy: a test run would fill a disk) are hard links where
    the file system allows; everything else is copied, as tests change files in place
    (tests/test_bad_input.py damages a Latin font). No test may write to a Chinese face."""
    if f"{os.sep}noto-" in source and source.endswith(".ttf"):
        try:
            os.link(source, target)
            return
        except OSError:  # another file system
            pass
    shutil.copy2(source, target)


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """The seed project, built once: (project folder, BuildResult)."""
    project = copy_project(tmp_path_factory.mktemp("seed-project"))
    return project, build(project)


@pytest.fixture(scope="session")
def booklet(built) -> Path:
    return built[1].booklet.path


@pytest.fixture(scope="session")
def brochures(built) -> list[Path]:
    return [output.path for output in built[1].brochures]


@pytest.fixture(scope="session")
def all_pdfs(booklet, brochures) -> list[Path]:
    return [booklet, *brochures]


@pytest.fixture(scope="session")
def real(tmp_path_factory):
    """The realistic project (tests/realistic.py: photos, logos, a table, footnotes), built
    once per layout, both editions: layout → (project, result)."""
    from .realistic import make_realistic
    from .test_layouts import use_layout

    built = {}

    def get(layout: str):
        if layout not in built:
            project = copy_project(tmp_path_factory.mktemp(f"real-{layout}"))
            make_realistic(project, compact=layout == "trifold")
            use_layout(project, layout)
            built[layout] = project, build(project)
        return built[layout]
    return get
