"""Faults and staff mistakes found by attacking the build: each is one clear line (file, line
where known, fix), exit 1, no traceback, nothing half-written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import copy_project
from .test_errors import edit, fails_cleanly, publisher

MESSAGE = Path("content/messages/bjut-leadership.md")


@pytest.fixture
def project(tmp_path) -> Path:
    return copy_project(tmp_path / "project")


def test_a_tab_in_yaml_names_its_line(project):
    edit(project / "content/publication.yaml", "  venue: Beijing, China",
         "\tvenue: Beijing, China")
    line = fails_cleanly(project, "publication.yaml:", "starts with a tab", "indent with spaces")
    assert "cannot start any token" not in line


def test_a_key_given_twice_is_an_error_naming_both_lines(project):
    edit(project / MESSAGE, "title: Message from the Leadership",
         "title: Message from the Leadership\ntitle: Another Title")
    fails_cleanly(project, "bjut-leadership.md:3:", "'title' is given twice (lines 2 and 3)")


def test_deeply_nested_yaml_is_one_line(project):
    config = project / "content/publication.yaml"
    config.write_text(config.read_text() + "keywords: " + "[" * 3000 + "]" * 3000 + "\n")
    fails_cleanly(project, "publication.yaml", "nested more than")


def test_text_that_looks_like_markup_is_printed_as_it_is(project):
    edit(project / MESSAGE, "title: Message from the Leadership",
         "title: Message from the Leadership\n\"[/bold]\": x\n\"[conceal]\": y")
    line = fails_cleanly(project, "bjut-leadership.md:3:", "[/bold]")
    assert "Traceback" not in line


def test_a_title_yaml_reads_as_null_or_yes_still_builds(project):
    for title in ("Null", "Yes", "off"):
        result = publisher("new", "message", title, "--project", str(project), cwd=project)
        assert result.returncode == 0, result.stderr
    result = publisher("build", "--no-check", cwd=project)
    assert result.returncode == 0, result.stderr
    assert (project / "out/brochures/null.pdf").exists()


def test_an_output_folder_publisher_may_not_create_is_one_line(project):
    result = publisher("build", "--out", "/sys/publisher-test", cwd=project)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "/sys/publisher-test" in lines[0] and "fix:" in lines[0]


@pytest.fixture
def small_disk(tmp_path):
    """A 400 KB file system (root may mount a tmpfs; elsewhere the test is skipped)."""
    folder = tmp_path / "small-disk"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(folder)],
                             capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small file system here (needs root)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def test_a_full_disk_is_one_line_and_leaves_nothing_half_written(project, small_disk):
    out = small_disk / "out"
    result = publisher("build", "--out", str(out), cwd=project)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "disk is full" in lines[0], result.stderr
    # Nothing half-written: no staging folder, no partial file, no output but complete ones.
    left = [path for path in small_disk.rglob("*") if path.is_file()]
    assert all(not path.name.endswith(".partial") for path in left), left
    assert not any(".publisher-staging" in part for path in left for part in path.parts), left
    assert not list((project / ".publisher-cache").rglob("*.partial"))
    assert os.listdir(small_disk) in ([], ["out"]) and (
        not out.exists() or not any(out.rglob("*.pdf")))


def test_an_impossible_page_size_is_refused(project):
    edit(project / "content/publication.yaml", "  size: A5", "  size: 20000mm 20000mm")
    fails_cleanly(project, "publication.yaml:", "between 50mm and 1200mm")


def test_all_missing_fields_are_named_at_once(project):
    text = (project / MESSAGE).read_text()
    text = text.replace("title: Message from the Leadership\n", "")
    text = text.replace("institution: Beijing University of Technology\n", "")
    (project / MESSAGE).write_text(text)
    fails_cleanly(project, "missing required fields 'title', 'institution'",
                  "'title: …', 'institution: …'")


def test_a_type_error_is_said_in_plain_words(project):
    text = (project / MESSAGE).read_text()
    start = text.index("signatories:")
    end = text.index("language:")
    (project / MESSAGE).write_text(text[:start] + "signatories: Jiang Zeting\n" + text[end:])
    line = fails_cleanly(project, "'signatories' must be a list", "- name:")
    assert "Input should be" not in line


def test_dates_are_year_month_day(project):
    edit(project / "content/publication.yaml", "date: 2026-12-08", "date: 08/12/2026")
    fails_cleanly(project, "publication.yaml:", "must be a date", "2027-04-20")


def test_a_damaged_font_file_is_named(project):
    (project / "fonts/lato/Lato-Bold.ttf").write_bytes(b"<html>not a font</html>")
    fails_cleanly(project, "theme.yaml:", "Lato-Bold.ttf", "not a font file")


def test_a_column_given_twice_in_a_guest_list_is_an_error(project):
    (project / "guests.csv").write_text("id,name,name\nA1,Ada,Lovelace\n")
    result = publisher("build", "--data", "guests.csv", "--message", "bjut-leadership",
                       cwd=project)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "guests.csv:1" in result.stderr and "'name' appears twice" in result.stderr


def test_the_preview_refuses_other_host_names_and_cannot_be_framed(project):
    """DNS rebinding: a page elsewhere points its own name at 127.0.0.1; the preview answers
    only to loopback names, and every answer forbids framing and sniffing."""
    import http.client

    from publisher.app.serve import Preview, make_server

    preview = Preview(project)
    server = make_server(preview, "127.0.0.1", 0)
    import threading

    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                     daemon=True).start()
    try:
        port = server.server_address[1]
        for host, status in ((f"127.0.0.1:{port}", 200), (f"localhost:{port}", 200),
                             (f"evil.example:{port}", 403), ("", 403)):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.putrequest("GET", "/state", skip_host=True)
            if host:
                connection.putheader("Host", host)
            connection.endheaders()
            response = connection.getresponse()
            assert response.status == status, (host, response.status)
            assert response.getheader("X-Frame-Options") == "DENY"
            assert response.getheader("X-Content-Type-Options") == "nosniff"
            assert "frame-ancestors 'none'" in response.getheader("Content-Security-Policy")
            connection.close()
    finally:
        server.shutdown()
        server.server_close()
        preview.close()


def test_guest_lists_as_spreadsheets_save_them(project):
    """Semicolons, 'Name' headers with spaces and capitals, empty rows, Chinese-only names."""
    (project / "guests.csv").write_text("ID;  Name ;Organisation\n;;\nG1;吴桂龙;BJUT\n"
                                        "G2;Ada Lovelace;\n;;\n", encoding="utf-8")
    result = publisher("build", "--data", "guests.csv", "--message", "bjut-leadership",
                       "--key", "name", "--no-check", cwd=project)
    assert result.returncode == 0, result.stderr
    names = sorted(path.name for path in (project / "out/personalised").glob("*.pdf"))
    assert names == ["ada-lovelace.pdf", "wu-gui-long.pdf"]
    (project / "guests.csv").write_text("id;guest\nG1;Ada\n")
    result = publisher("build", "--data", "guests.csv", "--message", "bjut-leadership",
                       cwd=project)
    assert result.returncode == 1 and "no column 'name'" in result.stderr
    assert "columns found are: id, guest" in result.stderr


def test_message_files_are_regular_files_inside_the_project(project, tmp_path):
    outside = tmp_path / "outside.md"
    outside.write_text((project / MESSAGE).read_text())
    link = project / "content/messages/linked.md"
    link.symlink_to(outside)
    fails_cleanly(project, "linked.md", "outside the project")
    link.unlink()
    os.mkfifo(project / "content/messages/pipe.md")
    fails_cleanly(project, "pipe.md", "not a regular file")


def test_templates_cannot_reach_python_internals(project):
    (project / "layouts/overrides").mkdir(exist_ok=True)
    (project / "layouts/overrides/guest.html").write_text("x")
    (project / "layouts/overrides/back-event.html").write_text(
        "{{ cycler.__init__.__globals__.os.system('touch pwned') }}")
    fails_cleanly(project, "back-event.html")
    assert not (project / "pwned").exists()


def test_a_misspelt_override_token_is_an_error(project):
    (project / "layouts/overrides").mkdir(exist_ok=True)
    (project / "layouts/overrides/theme.yaml").write_text(
        "colors:\n  primery: [100, 60, 0, 20]\n  highlight: [0, 50, 100, 0]\n")
    fails_cleanly(project, "overrides/theme.yaml:2:", "unknown color 'primery'",
                  "did you mean 'primary'?")
    (project / "layouts/overrides/theme.yaml").write_text(
        "colors:\n  highlight: [0, 50, 100, 0]\n")
    assert publisher("build", "--no-check", cwd=project).returncode == 0


@pytest.mark.parametrize("date", ["2026-02-30", "0000-01-01"])
def test_a_date_that_does_not_exist_is_one_line(project, date):
    edit(project / "content/publication.yaml", "date: 2026-12-08", f"date: {date}")
    fails_cleanly(project, "publication.yaml:13:", f"'{date}' is not a date that exists",
                  "year-month-day")


def test_emphasis_a_thousand_deep_is_one_line(project):
    text = (project / MESSAGE).read_text()
    (project / MESSAGE).write_text(text + "\n\n" + "*" * 1000 + "deep" + "*" * 1000 + "\n")
    fails_cleanly(project, "bjut-leadership.md:", "emphasis nested more than")


@pytest.mark.parametrize("setting, expected", [
    ("render_time_limit: .inf", "render_time_limit"),
    ("render_time_limit: 1e400", "render_time_limit"),
])
def test_odd_numbers_in_settings_are_one_line(project, setting, expected):
    edit(project / "content/publication.yaml", "print:\n", f"print:\n  {setting}\n")
    fails_cleanly(project, "publication.yaml:", expected)


@pytest.mark.parametrize("epoch", ["1e20", "99999999999999999", "soon"])
def test_an_odd_source_date_epoch_is_one_line(project, epoch):
    result = subprocess.run([__import__("sys").executable, "-m", "publisher", "build"],
                            cwd=project, capture_output=True, text=True,
                            env={**os.environ, "SOURCE_DATE_EPOCH": epoch})
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "SOURCE_DATE_EPOCH" in result.stderr and "fix:" in result.stderr


def malformed_pdfs(folder: Path, clean: Path) -> dict[str, Path]:
    """Other people's broken PDFs, made from a clean one: each name → a file."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, FloatObject, NameObject, TextStringObject

    def variant(name: str, change) -> None:
        writer = PdfWriter(clone_from=PdfReader(clean))
        change(writer)
        with (folder / f"{name}.pdf").open("wb") as file:
            writer.write(file)

    variant("two-number-trimbox", lambda w: [page.__setitem__(
        NameObject("/TrimBox"), ArrayObject([FloatObject(0), FloatObject(0)]))
        for page in w.pages])
    variant("string-output-intents", lambda w: w.root_object.__setitem__(
        NameObject("/OutputIntents"), TextStringObject("FOGRA39")))
    def misspell(writer) -> None:
        for page in writer.pages:
            contents = page.raw_get("/Contents").get_object()
            for part in (contents if isinstance(contents, ArrayObject) else [contents]):
                stream = part.get_object()
                if "/Filter" in stream:
                    stream[NameObject("/Filter")] = NameObject("/Flatedecode")

    variant("misspelt-filter", misspell)
    data = clean.read_bytes()
    # The trailer's Info entry pointing at an object that does not exist.
    at = data.rindex(b"/Info ")
    (folder / "undefined-info.pdf").write_bytes(
        data[:at] + b"/Info 9999 0 R /OldInfo " + data[at + 6:])
    subprocess.run(["qpdf", "--encrypt", "user", "owner", "256", "--", str(clean),
                    str(folder / "aes-256.pdf")], check=True)
    return {path.stem: path for path in folder.glob("*.pdf")}


def test_check_never_tracebacks_on_malformed_pdfs(tmp_path, project):
    assert publisher("build", "--no-check", cwd=project).returncode == 0
    clean = project / "out/brochures/bjut-leadership.pdf"
    folder = tmp_path / "malformed"
    folder.mkdir()
    files = malformed_pdfs(folder, clean)
    assert len(files) == 5
    for name, path in files.items():
        result = publisher("check", str(path), cwd=tmp_path)
        assert "Traceback" not in result.stdout + result.stderr, (name, result.stderr)
        assert result.returncode in (0, 1), (name, result.returncode, result.stderr)
        if name != "undefined-info":  # each of the others is wrong for print
            assert result.returncode == 1, (name, result.stdout)
    encrypted = publisher("check", str(files["aes-256"]), cwd=tmp_path)
    assert "encrypted" in encrypted.stdout


def test_a_template_linked_from_outside_layouts_is_refused(project, tmp_path):
    secret = tmp_path / "secret.html"
    secret.write_text("TOP SECRET LINE")
    (project / "layouts/overrides").mkdir(exist_ok=True)
    (project / "layouts/overrides/back-event.html").symlink_to(secret)
    fails_cleanly(project, "back-event.html", "outside layouts/")
    printed = list((project / "out").rglob("*.pdf"))  # none: the build stopped before writing
    assert not any(b"TOP SECRET" in path.read_bytes() for path in printed)


def test_more_jobs_than_cores_start_no_more_processes_than_cores():
    from publisher.build.workshop import Workshops, default_jobs

    assert Workshops(Path("."), None, 64).jobs == default_jobs()
    assert Workshops(Path("."), None, 1).jobs == 1
    assert Workshops(Path("."), None, 64, cap=False).jobs == 64  # --oversubscribe

@pytest.mark.parametrize("command", ["build", "build -q", "serve", "new message Welcome"])
def test_a_removed_working_folder_is_one_line(tmp_path, command):
    script = (f"mkdir gone && cd gone && rmdir ../gone && "
              f"exec {sys.executable} -m publisher {command}")
    result = subprocess.run(["sh", "-c", script], cwd=tmp_path, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: the current folder was removed while this terminal was in it — fix: change "
        "to an existing folder (cd) and run the command again")
