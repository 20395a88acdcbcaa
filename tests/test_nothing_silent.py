"""Nothing is dropped or passed silently: message files with other endings, an empty messages
folder, and personalised runs, which are preflighted like builds; a PDF publisher made tells
`publisher check` its layout's fonts by itself."""

from __future__ import annotations

import re

from .conftest import copy_project
from .test_errors import fails_cleanly, publisher

MESSAGE = "bjut-leadership"


def test_other_endings_are_built_or_named_with_the_fix(tmp_path):
    project = copy_project(tmp_path)
    messages = project / "content/messages"
    text = (messages / f"{MESSAGE}.md").read_text()
    (messages / "dean.MD").write_text(text.replace("Message from the Leadership", "Dean Upper"))
    (messages / "provost.markdown").write_text(text.replace("Message from the Leadership",
                                                            "Provost Markdown"))
    (messages / "rector.md.txt").write_text(text)
    (messages / "notes.txt").write_text("to do")
    (messages / "letter.docx").write_bytes(b"PK")
    (messages / ".dean.md.swp").write_bytes(b"editor")
    result = publisher("build", "--no-check", cwd=project)
    assert result.returncode == 0, result.stderr
    assert (project / "out/brochures/dean.pdf").exists()
    assert (project / "out/brochures/provost.pdf").exists()
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning")]
    assert len(warnings) == 3, result.stderr
    joined = "\n".join(warnings)
    assert "rector.md.txt was left out" in joined and "rename it to rector.md" in joined
    assert "notes.txt was left out" in joined and "rename it to notes.md" in joined
    assert "letter.docx was left out" in joined and "publisher import" in joined
    assert ".swp" not in joined
    # The warnings stay with the outputs: a build with nothing changed repeats them.
    again = publisher("build", "--no-check", cwd=project)
    assert "nothing changed" in again.stdout and again.stderr.count("was left out") == 3


def test_an_empty_messages_folder_is_an_error(tmp_path):
    project = copy_project(tmp_path)
    assert publisher("build", "--no-check", cwd=project).returncode == 0
    for path in (project / "content/messages").iterdir():
        path.unlink()
    config = project / "content/publication.yaml"
    config.write_text(re.sub(r"messages:\n(  - .*\n)+", "", config.read_text()))
    fails_cleanly(project, "messages", "no messages to publish")


def test_personalised_runs_are_preflighted_and_check_knows_the_fonts(tmp_path):
    project = copy_project(tmp_path)
    # G3's name has a character the layout's fonts lack but the machine's DejaVu has.
    (project / "guests.csv").write_text("id,name\nG1,Ada Lovelace\nG2,김민준\nG3,Bob ☺ Smith\n")
    result = publisher("build", "--data", "guests.csv", "--message", MESSAGE, cwd=project)
    # No face of this layout has the Korean name: not ready for print, with the same summary
    # and exit status as a build.
    assert result.returncode == 1, result.stdout + result.stderr
    assert "fonts.notdef" in result.stdout and "김민준" in result.stdout
    assert "not ready for print" in result.stdout
    assert "3 files" in result.stdout  # every personalised file was checked
    # `publisher check` on the file alone (no --project) knows the layout's fonts.
    checked = publisher("check", "out/personalised/g2.pdf", cwd=project)
    assert checked.returncode == 1 and "김민준" in checked.stdout, checked.stdout
    fallback = publisher("check", "out/personalised/g3.pdf", cwd=project)
    assert fallback.returncode == 1 and "fonts.fallback" in fallback.stdout, fallback.stdout
    fine = publisher("check", "out/personalised/g1.pdf", cwd=project)
    assert fine.returncode == 0, fine.stdout
    # Without the guest whose name cannot print, the run is ready for print.
    (project / "guests.csv").write_text("id,name\nG1,Ada Lovelace\n")
    result = publisher("build", "--data", "guests.csv", "--message", MESSAGE, cwd=project)
    assert result.returncode == 0 and "ready for print" in result.stdout, result.stdout
