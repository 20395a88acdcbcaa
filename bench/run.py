"""publisher's benchmark: every figure of docs/performance.md in one run.

    .venv/bin/python bench/run.py [--runs 3] [--messages 40]

Builds run as separate processes (`python -m publisher build`), as staff run them, so every
figure includes starting Python. Medians of --runs runs; ratios against the floor, a plain
WeasyPrint + pypdf script rendering the same HTML (bench/floor.py).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def copy_project(target: Path) -> Path:
    for folder in ("content", "layouts", "fonts"):
        shutil.copytree(ROOT / folder, target / folder)
    return target


def timed(*args: str, cwd: Path | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(args, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def publisher(project: Path, *options: str) -> float:
    return timed(PYTHON, "-m", "publisher", "build", str(project), "-q", *options)


def stop_server() -> None:
    subprocess.run([PYTHON, "-m", "publisher", "daemon", "stop"], check=True,
                   stdout=subprocess.DEVNULL)


def cold(project: Path, *options: str) -> float:
    """A first build: no cache, no outputs, no build server running (it leaves one behind)."""
    stop_server()
    shutil.rmtree(project / ".publisher-cache", ignore_errors=True)
    shutil.rmtree(project / "out", ignore_errors=True)
    return publisher(project, *options)


def median(function, runs: int) -> float:
    return statistics.median(function() for _ in range(runs))


def write_html(project: Path, target: Path) -> None:
    """The HTML publisher renders for ``project``, as files, for the floor to render."""
    sys.path.insert(0, str(ROOT))
    from publisher.press.booklet import plan_starts
    from publisher.sources.config import load_project
    from publisher.sources.content import read_messages
    from publisher.compose.layout import Layout

    loaded = load_project(project)
    messages = read_messages(loaded)
    layout = Layout(loaded)
    target.mkdir(parents=True, exist_ok=True)
    for message in messages:
        (target / f"brochure-{message.slug}.html").write_text(
            layout.html("brochure", messages=[message]))
    starts = plan_starts(messages, 2, {m.slug: 3 for m in messages})
    (target / "booklet-0000-front.html").write_text(layout.html(
        "booklet-front", messages=messages,
        contents=[(m, starts[m.slug]) for m in messages]))
    for index, message in enumerate(messages, 1):
        (target / f"booklet-{index:04d}-{message.slug}.html").write_text(layout.html(
            "booklet-message", messages=[message], start_folio=starts[message.slug]))
    (target / "booklet-9999-back.html").write_text(layout.html("booklet-back",
                                                               messages=messages))


def many_messages(project: Path, count: int) -> None:
    """``count`` messages, cycling through the seeds with their own titles."""
    seeds = sorted((project / "content/messages").glob("*.md"))
    texts = [path.read_text() for path in seeds]
    for path in seeds:
        path.unlink()
    config = project / "content/publication.yaml"
    config.write_text(re.sub(r"messages:\n(  - .*\n)+", "messages: []\n", config.read_text()))
    for number in range(1, count + 1):
        text = texts[number % len(texts)]
        text = re.sub(r"^title: (.*)$", rf"title: \1 ({number})", text, count=1, flags=re.M)
        (project / f"content/messages/department-{number:02d}.md").write_text(text)


def output_pages(project: Path) -> int:
    from pypdf import PdfReader

    return sum(len(PdfReader(path).pages) for path in (project / "out").rglob("*.pdf"))


def warm_edit(project: Path, runs: int) -> float:
    """A warm renderer (as in `publisher serve`): from saving a message to its new brochure."""
    sys.path.insert(0, str(ROOT))
    from publisher.build import jobs
    from publisher.build.workshop import Job, Workshop

    from publisher.sources.config import load_project
    date = load_project(project).build_date()
    workshop = Workshop(project, date)
    slug = "bjut-leadership"
    workshop.run(Job(jobs.brochure, (slug,)))  # the first document of a process costs more
    message = project / f"content/messages/{slug}.md"
    original = message.read_text()
    times = []
    for run in range(runs):
        message.write_text(original.replace("Founded in 1960", f"Founded in 1960 ({run})"))
        started = time.perf_counter()
        workshop.reload(date)
        workshop.run(Job(jobs.brochure, (slug,)))
        times.append(time.perf_counter() - started)
    message.write_text(original)
    return statistics.median(times)


LETTER = """---
title: An Invitation to the Partners Forum
institution: Office of International Relations
short_name: International Office
signatories:
  - name: Alex Example
    role: Director of International Relations
---

It is our pleasure to invite you to the Partners Forum, where the universities of our
network meet each year to exchange their experience of teaching, research and cooperation.
The programme brings together presidents and deans, researchers and students, and this year
it gives particular room to joint doctoral training, to the mobility of young researchers
and to the shared use of laboratories and libraries. We would be honoured to count you among
our guests, to hear your views in the round tables and to continue, over the days of the
forum, the conversations that make our partnership what it is. Practical details about
travel, accommodation and the programme will follow, and our office remains at your disposal
for any question you may have.
"""


def mail_merge(folder: Path, count: int) -> tuple[float, float, float, float]:
    """500 one-page letters: publisher's personalised run (combined print file) against one
    WeasyPrint document of all letters. Returns (ours, floor) seconds and peak MB."""
    sys.path.insert(0, str(ROOT))
    from publisher.sources.config import load_project
    from publisher.sources.content import read_messages
    from publisher.compose.layout import Layout

    project = copy_project(folder / "letters")
    for path in (project / "content/messages").glob("*.md"):
        path.unlink()
    (project / "content/messages/letter.md").write_text(LETTER)
    config = project / "content/publication.yaml"
    text = re.sub(r"messages:\n(  - .*\n)+", "messages: []\n", config.read_text())
    config.write_text(text.replace("layout: classic", "layout: letter"))
    rows = [(f"g{n:04d}", f"Guest Number {n}", "Partner University", f"{n} University Road",
             f"City {n % 37}") for n in range(1, count + 1)]
    guests = folder / "letters.csv"
    guests.write_text("id,name,organisation,address,city\n"
                      + "".join(",".join(row) + "\n" for row in rows))

    # The same letters as one HTML document: the letter, its address and salutation replaced.
    loaded = load_project(project)
    layout = Layout(loaded)
    page = layout.html("brochure", messages=read_messages(loaded))
    head, article = page.split("<article", 1)
    article, tail = ("<article" + article).rsplit("</article>", 1)
    generic_address = re.search(r'<div class="address">.*?</div>', article, re.S)[0]
    letters = []
    for _, name, organisation, address, city in rows:
        letter = article.replace(generic_address, f'<div class="address"><p>{name}</p><p>'
                                 f"{organisation}</p><p>{address}</p><p>{city}</p></div>")
        letters.append(letter.replace("Dear colleagues and friends,", f"Dear {name},")
                       + "</article>")
    style = "<style>article.letter { break-before: page }</style>"
    (folder / "letters.html").write_text(head + style + "".join(letters) + tail)

    def peak(*args: str) -> tuple[float, float]:
        started = time.perf_counter()
        result = subprocess.run(["/usr/bin/time", "-f", "%M", *args], check=True,
                                capture_output=True, text=True)
        seconds = time.perf_counter() - started
        return seconds, int(result.stderr.strip().splitlines()[-1]) / 1024

    floor, floor_mb = peak(PYTHON, str(ROOT / "bench/merge_floor.py"),
                           str(folder / "letters.html"), str(folder / "letters-floor.pdf"))
    ours, ours_mb = peak(PYTHON, "-m", "publisher", "build", str(project), "-q", "--no-daemon",
                         "--data", str(guests), "--combined-only")
    return ours, floor, ours_mb, floor_mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--messages", type=int, default=40)
    args = parser.parse_args()
    runs = args.runs
    rows: list[tuple[str, float, str]] = []

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        # The build server as staff have it (on), with its own socket folder for this run.
        (folder / "run").mkdir(mode=0o700)
        os.environ.update(PUBLISHER_DAEMON="1", PUBLISHER_RUNTIME_DIR=str(folder / "run"))
        seed = copy_project(folder / "seed")
        write_html(seed, folder / "html")
        floor = median(lambda: timed(PYTHON, str(ROOT / "bench/floor.py"),
                                     str(folder / "html"), str(folder / "floor")), runs)
        rows.append(("floor: WeasyPrint + pypdf script, seed HTML", floor, ""))

        cold_build = median(lambda: cold(seed), runs)
        rows.append(("publisher build, seed project, cold", cold_build,
                     f"{cold_build / floor:.2f}× floor (target ≤ 1.2×)"))
        cold_nocheck = median(lambda: cold(seed, "--no-check"), runs)
        rows.append(("  … without preflight (--no-check)", cold_nocheck,
                     f"{cold_nocheck / floor:.2f}× floor"))
        cold(seed)
        time.sleep(3)  # the build server it left behind warms up, as while staff edit
        # Side by side with what it avoids: importing WeasyPrint alone.
        unchanged = median(lambda: publisher(seed), max(runs, 5))
        importing = median(lambda: timed(PYTHON, "-c", "import weasyprint"), max(runs, 5))
        rows.append(("publisher build, nothing changed", unchanged,
                     f"{unchanged / importing:.2f}× `import weasyprint` ({importing:.3f} s; "
                     "target ≤ 0.2×)"))

        message = seed / "content/messages/ustb-chancellor-president.md"
        original = message.read_text()
        edits = iter(range(1000))

        def edited(*options: str) -> float:
            message.write_text(original.replace("seven decades",
                                                f"seven decades ({next(edits)})"))
            return publisher(seed, *options)
        one_edit = median(edited, runs)
        rows.append(("publisher build, one message edited", one_edit,
                     f"{one_edit / cold_build:.0%} of cold (target ≤ 50%)"))
        alone_edit = median(lambda: edited("--no-daemon"), runs)
        rows.append(("  … without the build server (--no-daemon)", alone_edit,
                     f"{alone_edit / cold_build:.0%} of cold"))
        message.write_text(original)

        warm = warm_edit(seed, max(runs, 5))
        rows.append(("warm renderer: edit → new one-message brochure", warm, "target ≤ 0.3 s"))

        big = copy_project(folder / "big")
        many_messages(big, args.messages)
        one_job = median(lambda: cold(big, "--jobs", "1"), runs)
        two_jobs = median(lambda: cold(big, "--jobs", "2"), runs)
        pages = output_pages(big)
        big_message = big / "content/messages/department-07.md"
        big_original = big_message.read_text()

        def big_edit() -> float:
            big_message.write_text(big_original.replace("seven decades",
                                                        f"seven decades ({next(edits)})"))
            return publisher(big)
        big_edited = median(big_edit, runs)
        rows.append((f"{args.messages}-message booklet, --jobs 1, cold", one_job,
                     f"{pages / one_job:.1f} pages/s"))
        rows.append((f"{args.messages}-message booklet, --jobs 2, cold", two_jobs,
                     f"{pages / two_jobs:.1f} pages/s, {one_job / two_jobs:.2f}× --jobs 1 "
                     "(targets ≥ 1.6×, ≥ 16 pages/s)"))
        rows.append((f"{args.messages}-message booklet, one message edited", big_edited,
                     f"{big_edited / two_jobs:.0%} of cold"))

        # Personalised run: 500 guests, a four-page brochure each (the cover personalised).
        guests = folder / "guests.csv"
        guests.write_text("id,name\n" + "".join(f"g{n:04d},Guest Number {n}\n"
                                                for n in range(1, 501)))
        started = time.perf_counter()
        result = subprocess.run(["/usr/bin/time", "-f", "%M", PYTHON, "-m", "publisher", "build",
                                 str(seed), "-q", "--no-daemon", "--data", str(guests),
                                 "--message", "bjut-leadership"], check=True,
                                capture_output=True, text=True)
        personal = time.perf_counter() - started
        peak = int(result.stderr.strip().splitlines()[-1]) / 1024
        rows.append(("personalised run, 500 guests × 4 pages, --jobs 2", personal,
                     f"{2000 / personal:.0f} pages/s, main process peak {peak:.0f} MB"))

        letters = 500
        ours, floor_merge, ours_mb, floor_mb = mail_merge(folder, letters)
        rows.append((f"mail merge floor: one write_pdf() of {letters} letters", floor_merge,
                     f"peak {floor_mb:.0f} MB"))
        rows.append((f"personalised run: {letters} letters, --combined-only", ours,
                     f"{floor_merge / ours:.2f}× faster than the floor (target ≥ 2×), "
                     f"main process peak {ours_mb:.0f} MB (target < 300 MB)"))

        stop_server()

    width = max(len(name) for name, _, _ in rows)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {platform.platform()}")
    print(f"medians of {runs} runs; {args.messages}-message run: {pages} pages of output\n")
    for name, seconds, note in rows:
        print(f"{name:<{width}}  {seconds:7.3f} s  {note}")


if __name__ == "__main__":
    main()
