"""Personalised runs: a brochure per guest, the guest's name on the cover, shared pages
rendered once, clear errors for bad guest lists, the same bytes whatever the number of jobs."""

from __future__ import annotations

import csv
import json

import pytest
from pypdf import PdfReader

from publisher.build.personalise import personalise
from publisher.preflight import preflight

from . import pdftools
from .conftest import copy_project
from .test_errors import publisher

MESSAGE = "bjut-leadership"


def guests(path, count: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=["id", "name", "organisation"])
        writer.writeheader()
        for number in range(1, count + 1):
            writer.writerow({"id": f"G{number:03d}", "name": f"Guest Number {number}",
                             "organisation": "Partner University"})


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("personal")
    project = copy_project(folder / "project")
    guests(folder / "guests.csv", 50)
    result = personalise(project, folder / "guests.csv", message=MESSAGE, combined=True, jobs=1)
    return project, result


def test_one_brochure_per_row_with_the_name_on_the_cover(run):
    project, result = run
    files = sorted(result.folder.glob("*.pdf"))
    assert result.count == 50 and len(files) == 50
    assert files[0].name == "g001.pdf" and files[-1].name == "g050.pdf"
    for number in (1, 27, 50):
        pdf = result.folder / f"g{number:03d}.pdf"
        assert pdftools.page_count(pdf) == 4
        cover = " ".join(pdftools.text(pdf, 1).split())
        assert f"Dear Guest Number {number}," in cover
        assert PdfReader(pdf).metadata.title.endswith(f"Guest Number {number}")
    assert not (project / "out/brochures").exists()  # the normal outputs are another command


def test_the_shared_pages_are_the_same_for_every_guest(run):
    _, result = run
    first, last = (PdfReader(result.folder / name) for name in ("g001.pdf", "g050.pdf"))
    for index in (1, 2, 3):
        assert first.pages[index].get_contents().get_data() == \
            last.pages[index].get_contents().get_data()
    assert first.pages[0].get_contents().get_data() != last.pages[0].get_contents().get_data()


def test_each_personalised_file_and_the_combined_file_are_print_ready(run):
    project, result = run
    from publisher.build import preflight_options
    from publisher.sources.config import load_project
    from publisher.compose.layout import Layout

    loaded = load_project(project)
    options = preflight_options(loaded, Layout(loaded))
    for pdf in (result.folder / "g001.pdf", result.combined):
        assert preflight(pdf, options).rows() == [], pdf
    assert pdftools.page_count(result.combined) == 200
    assert pdftools.info(result.combined)["PDF subtype"] == "PDF/X-4"
    order = [" ".join(pdftools.text(result.combined, page).split()) for page in (1, 5, 197)]
    assert "Guest Number 1," in order[0] and "Guest Number 2," in order[1]
    assert "Guest Number 50," in order[2]


def test_jobs_do_not_change_the_bytes_and_json_yaml_lists_work(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1796083200")
    project = copy_project(tmp_path / "project")
    rows = [{"name": "Ada Müller", "title": "Dr"}, {"name": "Grace Hopper"},
            {"name": "Zhang Wei 张伟"}]
    (tmp_path / "guests.json").write_text(json.dumps(rows, ensure_ascii=False))
    (tmp_path / "guests.yaml").write_text(
        "- name: Ada Müller\n  title: Dr\n- name: Grace Hopper\n- name: Zhang Wei 张伟\n")
    one = personalise(project, tmp_path / "guests.json", tmp_path / "one", message=MESSAGE,
                      jobs=1)
    two = personalise(project, tmp_path / "guests.yaml", tmp_path / "two", message=MESSAGE,
                      jobs=2)
    names = sorted(p.name for p in one.folder.iterdir())
    assert names == ["ada-muller.pdf", "grace-hopper.pdf", "zhang-wei.pdf"]
    for name in names:
        assert (one.folder / name).read_bytes() == (two.folder / name).read_bytes()


@pytest.mark.parametrize("content, expected", [
    ("id,name\nA1,Ada\nA2,\n", ["guests.csv:3", "row 2 has no 'name'"]),
    ("id,name\nA1,Ada\nA1,Bob\n", ["guests.csv:3", "same id as an earlier row (line 2)"]),
    ("", ["guests.csv:1", "no header line"]),
])
def test_bad_guest_lists_are_clear_errors(tmp_path, content, expected):
    project = copy_project(tmp_path / "project")
    (project / "guests.csv").write_text(content)
    before = set((project).rglob("*"))
    result = publisher("build", "--data", "guests.csv", "--message", MESSAGE, cwd=project)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    for fragment in expected:
        assert fragment in result.stderr, result.stderr
    assert not (project / "out").exists()  # made for the run, removed with it
    new = set(project.rglob("*")) - before
    assert all(".publisher-cache" in path.parts for path in new), new


def test_the_message_must_be_named_when_there_are_several(tmp_path):
    project = copy_project(tmp_path / "project")
    guests(project / "guests.csv", 2)
    result = publisher("build", "--data", "guests.csv", cwd=project)
    assert result.returncode == 1
    assert "--message" in result.stderr and "ustb-chancellor-president" in result.stderr
    result = publisher("build", "--data", "guests.csv", "--message", MESSAGE, "--key", "name",
                       cwd=project)
    assert result.returncode == 0, result.stderr
    assert "wrote 2 personalised brochures" in result.stdout
    assert (project / "out/personalised/guest-number-2.pdf").exists()


def test_letters_lay_each_guest_over_one_shared_page(tmp_path, monkeypatch):
    """The letter layout's overlay mode: the letter is rendered once, each guest's address and
    salutation are laid over it; every file stores the shared page once, as a form."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1796083200")
    project = copy_project(tmp_path / "project")
    config = project / "content/publication.yaml"
    config.write_text(config.read_text().replace("layout: classic", "layout: letter"))
    path = tmp_path / "guests.csv"
    path.write_text("name,organisation,city\nAda Example,Analytical Society,London\n"
                    + "".join(f"Guest {n},Partner University,City {n}\n" for n in range(2, 61)))
    one = personalise(project, path, tmp_path / "one", message=MESSAGE, jobs=1)
    assert one.count == 60
    ada = one.folder / "ada-example.pdf"
    first = " ".join(pdftools.text(ada, 1).split())
    assert "Ada Example Analytical Society London" in first and "Dear Ada Example," in first
    assert "Dear colleagues and friends" not in first and "Founded in 1960" in first
    reader = PdfReader(ada)
    forms = [name for name, obj in reader.pages[0]["/Resources"]["/XObject"].items()
             if name == "/PublisherShared"]
    assert forms == ["/PublisherShared"]
    assert len(reader.pages) == 2  # the seed message runs onto a second, shared page

    # Two jobs, and the combined print file alone: the same letters.
    two = personalise(project, path, tmp_path / "two", message=MESSAGE, jobs=2)
    assert (two.folder / "guest-37.pdf").read_bytes() == (one.folder / "guest-37.pdf").read_bytes()
    only = personalise(project, path, tmp_path / "only", message=MESSAGE, files=False, jobs=2)
    assert not any((tmp_path / "only/personalised").glob("*.pdf"))
    assert pdftools.page_count(only.combined) == 60 * len(reader.pages)
    assert "Dear Guest 37," in pdftools.text(only.combined, 36 * len(reader.pages) + 1)
    from publisher.preflight import Options

    assert preflight(only.combined, Options(fold=False)).rows() == []


def test_the_combined_file_holds_what_guests_share_once(run, tmp_path):
    """Written as the rows arrive (press/stream.py): the pages every guest shares, with their
    fonts and pictures, are stored once and drawn by every guest's copy."""
    import subprocess

    _, result = run
    separate = sum(path.stat().st_size for path in result.folder.glob("*.pdf"))
    assert result.combined.stat().st_size < separate / 5
    check = subprocess.run(["qpdf", "--check", str(result.combined)], capture_output=True,
                           text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    pages = PdfReader(result.combined).pages
    for shared in (1, 2, 3):  # the same objects on the first and the last guest's pages
        assert pages[shared].raw_get("/Contents") == pages[196 + shared].raw_get("/Contents")
    assert pages[0].raw_get("/Contents") != pages[196].raw_get("/Contents")
    fonts = pdftools.fonts(result.combined)
    assert fonts and all(font["emb"] == "yes" for font in fonts)


def test_a_guest_page_that_is_wrong_is_named_in_the_combined_file(tmp_path):
    """--combined-only writes no file per guest: a guest's page that fails the preflight is
    reported on its page of the combined file, never as ready for print."""
    project = copy_project(tmp_path / "project")
    # Hangul: in no font of the project (Chinese is: test_chinese.py).
    rows = "".join(f"G{n},{'김민준' if n == 7 else f'Guest {n}'}\n" for n in range(1, 13))
    (project / "guests.csv").write_text("id,name\n" + rows, encoding="utf-8")
    result = publisher("build", "--data", "guests.csv", "--message", MESSAGE,
                       "--combined-only", cwd=project)
    assert result.returncode == 1
    assert "preflight: 1 file, 1 error" in result.stdout and "not ready for print" in \
        result.stdout
    table = " ".join(result.stdout.split())
    assert "error 25 characters print as empty boxes" in table  # guest 7's cover: page 25
    assert pdftools.page_count(project / "out/personalised.pdf") == 48
