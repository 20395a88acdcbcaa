"""Layouts for the people who restyle: switching is one line, overrides need no copying, new
projects and messages build at once."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pypdf import PdfReader

from publisher.build import build

from . import pdftools
from .conftest import copy_project
from .test_errors import edit, fails_cleanly, publisher
from .test_output import SEEDS, words

MM = 72 / 25.4


def use_layout(project, name: str) -> None:
    edit(project / "content/publication.yaml", "layout: classic", f"layout: {name}")


@pytest.fixture(scope="module")
def modern(tmp_path_factory):
    project = copy_project(tmp_path_factory.mktemp("modern"))
    use_layout(project, "modern")
    return project, build(project)


@pytest.fixture(scope="module")
def trifold(tmp_path_factory):
    project = copy_project(tmp_path_factory.mktemp("trifold"))
    use_layout(project, "trifold")
    return project, build(project)


@pytest.fixture(scope="module")
def letter(tmp_path_factory):
    project = copy_project(tmp_path_factory.mktemp("letter"))
    use_layout(project, "letter")
    return project, build(project)


@pytest.mark.parametrize("name", ["modern", "trifold", "letter"])
def test_each_layout_is_print_ready(name, modern, trifold, letter):
    project, result = {"modern": modern, "trifold": trifold, "letter": letter}[name]
    # The same preflight as classic: boxes, bleed, fonts, colour, PDF/X, placement.
    assert [row for report in result.reports for row in report.rows()] == []
    for output in result.outputs:
        if "screen" not in output.path.parts:  # the screen edition: tests/test_screen.py
            assert pdftools.info(output.path)["PDF subtype"] == "PDF/X-4"
        for row in pdftools.fonts(output.path):
            assert row["emb"] == "yes", row
    # Every word of the seeds is printed in its brochure.
    for slug in ("bjut-leadership", "ustb-chancellor-president"):
        printed = words(pdftools.text(project / "out/brochures" / f"{slug}.pdf"))
        for word in set(words((SEEDS / f"{slug}.txt").read_text())):
            assert word in printed, (slug, word)


def test_modern_sets_the_text_in_two_columns(modern):
    project, _ = modern
    brochure = project / "out/brochures/bjut-leadership.pdf"
    assert pdftools.page_count(brochure) == 4
    xml = pdftools.run("pdftotext", "-bbox", "-f", "2", "-l", "2", str(brochure), "-")
    lefts = sorted({round(float(x)) for x in __import__("re").findall(r'xMin="([\d.]+)"', xml)})
    boxes = pdftools.page_boxes(brochure)[1]
    middle = (boxes.trim[0] + boxes.trim[2]) / 2 - boxes.media[0]
    # Words start in both halves of the page: two columns side by side.
    assert any(x < middle - 20 for x in lefts) and any(x > middle + 5 for x in lefts)
    fonts = {row["name"].split("+", 1)[1] for row in pdftools.fonts(brochure)}
    assert all(name.startswith("Lato") for name in fonts), fonts


def test_trifold_is_one_landscape_sheet_with_panels_in_folding_order(trifold):
    project, result = trifold
    brochure = project / "out/brochures/ustb-chancellor-president.pdf"
    assert pdftools.page_count(brochure) == 2
    boxes = pdftools.page_boxes(brochure)
    x0, y0, x1, y1 = boxes[0].trim
    assert (x1 - x0, y1 - y0) == pytest.approx((297 * MM, 210 * MM), abs=0.05)
    offset = boxes[0].trim[0] - boxes[0].media[0]
    panel, flap = 100 * MM, 97 * MM  # the fold-in panel is 3 mm narrower

    def panel_text(page: int, left: float, width: float) -> str:
        # Letter-spaced capitals come out as "O F F I C E": compare without spaces.
        return "".join(pdftools.text(brochure, page, crop=(
            offset + left, 0, width, boxes[0].media[3])).split())

    outside = [panel_text(1, 0, flap), panel_text(1, flap, panel), panel_text(1, flap + panel,
                                                                              panel)]
    # Outside: fold-in flap (motto), back (event, publisher), front cover (title) on the right.
    assert "SeekingTruthandPromotingInnovation" in outside[0]
    assert "OFFICEOFINTERNATIONALRELATIONS" in outside[1].upper()
    assert "MessageFromtheChancellor" in outside[2]
    inside = [panel_text(2, 0, panel), panel_text(2, panel, panel), panel_text(2, 2 * panel,
                                                                               flap)]
    # Inside: the message reads across the three panels, left to right.
    assert inside[0].upper().startswith("UNIVERSITYOFSCIENCE") and "Seekingtruth" in inside[0]
    assert "WUGUILONG" in inside[2].upper() and "WUGUILONG" not in inside[0].upper()
    # The combined file is every sheet in order, a bookmark per message, not a folded booklet.
    reader = PdfReader(result.booklet.path)
    assert len(reader.pages) == 4
    assert [reader.get_destination_page_number(item) for item in reader.outline] == [0, 2]


def test_letter_is_a_flat_a4_letter_per_message(letter):
    project, result = letter
    pdf = project / "out/brochures/bjut-leadership.pdf"
    boxes = pdftools.page_boxes(pdf)
    x0, y0, x1, y1 = boxes[0].trim
    assert (x1 - x0, y1 - y0) == pytest.approx((210 * MM, 297 * MM), abs=0.05)
    first = " ".join(pdftools.text(pdf, 1).split())
    assert "Dear colleagues and friends," in first and "Beijing University of Technology" in first
    assert result.booklet.pages == sum(o.pages for o in result.brochures)  # a collection


def test_a_too_long_message_for_the_trifold_is_a_clear_error(tmp_path):
    project = copy_project(tmp_path)
    use_layout(project, "trifold")
    message = project / "content/messages/bjut-leadership.md"
    message.write_text(message.read_text() + "\n\n" + "More words for the panels. " * 900)
    line = fails_cleanly(project, "bjut-leadership.md", "too long for the trifold")
    assert "layout: classic or modern" in line


def test_overrides_change_one_block_one_token_and_add_css(tmp_path):
    project = copy_project(tmp_path)
    overrides = project / "layouts/overrides"
    overrides.mkdir()
    (overrides / "theme.yaml").write_text("colors:\n  primary: [0, 100, 100, 0]\n")
    (overrides / "message.html").write_text(
        '{% extends "layout/message.html" %}\n'
        '{% block signatures %}<p class="overridden">Signed in the overrides</p>'
        '{{ super() }}{% endblock %}\n')
    (overrides / "extra.css").write_text(".overridden { color: {{ colors.accent }}; }\n")
    result = build(project)
    brochure = project / "out/brochures/bjut-leadership.pdf"
    text = pdftools.text(brochure)
    assert "Signed in the overrides" in text and "Jiang Zeting" in text  # block + super()
    content = pdftools.qdf(brochure, tmp_path / "q.pdf")
    assert "0 1 1 0 scn" in content  # the overridden primary colour …
    assert "1 0.78 0.12 0.48 scn" not in content  # … instead of classic's navy
    assert not [row for report in result.reports for row in report.rows()]


def test_a_mistake_in_the_overrides_names_that_file(tmp_path):
    project = copy_project(tmp_path)
    (project / "layouts/overrides").mkdir()
    (project / "layouts/overrides/theme.yaml").write_text("colors:\n  primary: [0, 100, 100]\n")
    fails_cleanly(project, "layouts/overrides/theme.yaml:2", "four CMYK percentages")
    (project / "layouts/overrides/theme.yaml").write_text("colours:\n  primary: [0, 1, 1, 0]\n")
    fails_cleanly(project, "overrides/theme.yaml:1", "did you mean 'colors'")


def test_init_then_build_then_new_message(tmp_path):
    target = tmp_path / "x"
    result = publisher("init", str(target), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (target / "layouts").iterdir()) == [
        "base", "classic", "letter", "modern", "overrides", "trifold"]
    result = publisher("build", cwd=target)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ready for print" in result.stdout
    assert pdftools.page_count(target / "out/booklet.pdf") % 4 == 0

    result = publisher("new", "message", "Welcome from the Dean: 2026", "--institution",
                       "School of Engineering", cwd=target)
    assert result.returncode == 0, result.stderr
    created = target / "content/messages/welcome-from-the-dean-2026.md"
    assert created.exists() and "# short_name:" in created.read_text()
    result = publisher("build", cwd=target)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Welcome from the Dean: 2026" in pdftools.text(
        target / "out/brochures/welcome-from-the-dean-2026.pdf")

    again = publisher("new", "message", "Welcome from the Dean: 2026", cwd=target)
    assert again.returncode == 1 and "already exists" in again.stderr
    busy = publisher("init", str(target), cwd=tmp_path)
    assert busy.returncode == 1 and "not empty" in busy.stderr


def test_progress_is_plain_lines_without_a_terminal_and_quiet_means_quiet(built, tmp_path):
    project = copy_project(tmp_path / "p")
    result = publisher("build", cwd=project)
    lines = result.stdout.splitlines()
    assert lines[:3] == ["[1/9] brochure bjut-leadership",
                         "[2/9] brochure ustb-chancellor-president",
                         "[3/9] booklet bjut-leadership"]
    assert lines[7:9] == ["[8/9] screen booklet", "[9/9] checking the booklet"]
    quiet = subprocess.run([sys.executable, "-m", "publisher", "build", "-q"], cwd=project,
                           capture_output=True, text=True, env={**os.environ})
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == ""


def test_trifold_fold_marks_stand_in_the_slug_at_the_folds(trifold):
    import pypdfium2

    project, _ = trifold
    pdf = project / "out/brochures/bjut-leadership.pdf"
    boxes = pdftools.page_boxes(pdf)
    panel, flap = 100 * MM, 97 * MM
    expected = {0: [flap, flap + panel], 1: [panel, 2 * panel]}
    document = pypdfium2.PdfDocument(pdf)
    for index, folds in expected.items():
        trim = boxes[index].trim  # user space, as PDFium reports bounds
        top = trim[3] + 3 * MM
        # Vertical marks above the bleed, other than the crop marks at the corners.
        xs = sorted({round(x0 + (x1 - x0) / 2 - trim[0], 1)
                     for obj in document[index].get_objects(max_depth=4)
                     for x0, y0, x1, y1 in [obj.get_bounds()]
                     if y0 > top and x1 - x0 < 1 and trim[0] + 1 < x0 < trim[2] - 1})
        assert xs == pytest.approx(folds, abs=0.6), (index, xs)


def test_css_templates_autoescape_for_css():
    """Values printed into CSS cannot end a string, a rule or the <style> element; numbers and
    validated tokens print as they are."""
    from markupsafe import Markup

    from publisher.compose.layout import cmyk_css, css_escape

    escaped = css_escape('x"; } </style>\\\n\'(')
    assert escaped == Markup(r"x\22 \3b  \7d  \3c /style\3e \5c \a \27 \28 ")
    assert not set('"\';{}<>\n()') & set(escaped)
    assert css_escape(12.5) == "12.5" and css_escape("12.00pt") == "12.00pt"
    assert css_escape(cmyk_css([100, 0, 0, 0])) == "device-cmyk(1 0 0 0)"


def test_a_letter_prints_one_salutation_the_texts_own_or_the_guests(tmp_path):
    """A text that opens with its own salutation: the letter prints that one in the
    salutation's place, not a general one as well; a guest's run prints the guest's alone."""
    from publisher.build.personalise import personalise

    project = copy_project(tmp_path / "project")
    use_layout(project, "letter")
    message = project / "content/messages/bjut-leadership.md"
    edit(message, "\n---\n", "\n---\n\nDear colleagues,\n\n")
    build(project, check=False)
    first = " ".join(pdftools.text(project / "out/brochures/bjut-leadership.pdf", 1).split())
    assert first.count("Dear colleagues,") == 1 and "Dear colleagues and friends" not in first
    assert first.index("Dear colleagues,") < first.index("As the only member")
    (tmp_path / "guests.csv").write_text("name\nAda Example\n")
    run = personalise(project, tmp_path / "guests.csv", message="bjut-leadership",
                      check=False, jobs=1)
    guest = " ".join(pdftools.text(run.folder / "ada-example.pdf", 1).split())
    assert "Dear Ada Example," in guest and "Dear colleagues" not in guest


def test_a_letters_signatures_never_stand_alone_on_a_page(tmp_path):
    """Texts of every length around a page's end: the last page always carries text before
    the signatures."""
    project = copy_project(tmp_path / "project")
    use_layout(project, "letter")
    message = project / "content/messages/bjut-leadership.md"
    head, body = message.read_text().split("\n---\n", 1)
    seed_words = body.split()
    alone = []
    for count in range(300, 570, 15):
        text = " ".join((seed_words * 2)[:count])
        message.write_text(f"{head}\n---\n\n{text}\n")
        build(project, check=False, jobs=1)
        pdf = project / "out/brochures/bjut-leadership.pdf"
        last = pdftools.page_count(pdf)
        lines = [line.strip() for line in pdftools.text(pdf, last).splitlines() if line.strip()]
        if last > 1 and lines[0].startswith("Jiang Zeting"):
            alone.append(count)
    assert alone == []
