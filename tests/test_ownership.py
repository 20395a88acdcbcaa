"""Publisher shares its output folder with its user: it removes only files it wrote, refuses
output folders that would mix with the project, and lets one build at a time write a folder,
whichever project it builds."""

from __future__ import annotations


import pytest

from publisher.build.output import BuildLock

from .conftest import copy_built, copy_project
from .test_errors import publisher, snapshot

USTB = "content/messages/ustb-chancellor-president.md"


def test_only_files_publisher_wrote_are_ever_removed(tmp_path):
    project = copy_project(tmp_path / "project")
    for name in ("extra", "later"):
        (project / f"content/messages/{name}.md").write_text(
            (project / USTB).read_text().replace("title: ", f"title: {name} ", 1))
    shared = tmp_path / "shared"
    mine = {"notes.txt": b"the user's notes",
            "brochures/mine.pdf": b"%PDF-1.4 the user's own brochure",
            ".publisher-mine/keep.txt": b"kept",
            ".publisher-staging-lookalike/keep.txt": b"not publisher's: no mark inside",
            "personalised/guest.pdf": b"%PDF-1.4 from elsewhere"}
    for relative, data in mine.items():
        (shared / relative).parent.mkdir(parents=True, exist_ok=True)
        (shared / relative).write_bytes(data)

    first = publisher("build", ".", "--out", str(shared), "-q", "--no-check", cwd=project)
    assert first.returncode == 0, first.stderr
    assert sorted(p.name for p in (shared / "brochures").iterdir()) == [
        "bjut-leadership.pdf", "extra.pdf", "later.pdf", "mine.pdf",
        "ustb-chancellor-president.pdf"]

    # The user changes one of publisher's files; two messages are deleted.
    edited = shared / "brochures/extra.pdf"
    edited.write_bytes(edited.read_bytes() + b"% annotated by the user\n")
    (project / "content/messages/extra.md").unlink()
    (project / "content/messages/later.md").unlink()
    second = publisher("build", ".", "--out", str(shared), "-q", "--no-check", cwd=project)
    assert second.returncode == 0, second.stderr
    assert sorted(p.name for p in (shared / "brochures").iterdir()) == [
        "bjut-leadership.pdf", "extra.pdf", "mine.pdf",
        "ustb-chancellor-president.pdf"]  # later.pdf, ours and unchanged, went
    after = snapshot(shared)
    assert all(after[relative] == data for relative, data in mine.items())
    assert after["brochures/extra.pdf"].endswith(b"% annotated by the user\n")


@pytest.mark.parametrize("out, reason", [
    (".", "--out is the project folder itself"),
    (".publisher-cache/pdfs", "--out is inside the build cache"),
    ("content/pdfs", "--out is inside the project's content/ folder"),
    ("layouts", "--out is inside the project's layouts/ folder"),
    ("..", "--out contains the project folder"),
])
def test_output_folders_that_mix_with_the_project_are_refused(tmp_path, out, reason):
    project = copy_project(tmp_path / "project")
    before = snapshot(tmp_path)
    result = publisher("build", ".", "--out", out, cwd=project)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and reason in lines[0] and "fix: build into a folder of its own" \
        in lines[0], result.stderr
    assert snapshot(tmp_path) == before  # nothing written, nothing removed


def test_two_projects_cannot_write_one_folder_at_once(tmp_path):
    """The lock lives with the output folder, not in either project."""
    first = copy_project(tmp_path / "first")
    second = copy_built(first, tmp_path / "second")
    shared = tmp_path / "shared"
    with BuildLock(shared):  # the first project's build, under way
        result = publisher("build", str(second), "--out", str(shared), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == (f"error: {shared}: another build is writing to this "
                                     "folder — fix: wait for it to finish, or build into "
                                     "another --out")
    assert not shared.exists() or not any(shared.rglob("*.pdf"))
    assert publisher("build", str(second), "--out", str(shared), "-q", "--no-check",
                     cwd=tmp_path).returncode == 0
