"""The command line: parses arguments, calls the pipeline, and is the only place that prints."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import time
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import click

from .. import __version__
from ..errors import PublisherError
from ..preflight.report import REPORT_VERSION, TARGETS
from ..sources.sizes import SHEETS


class _Console:
    """A rich Console made on first use: a quiet build that succeeds never imports rich."""

    def __init__(self, **options):
        self.options = options
        self._console = None

    @property
    def console(self):
        if self._console is None:
            from rich.console import Console

            self._console = Console(highlight=False, **self.options)
        return self._console

    def __getattr__(self, name):
        return getattr(self.console, name)


err = _Console(stderr=True)
out = _Console()


def reset_consoles() -> None:
    """Consoles for the current standard streams (a build server's child has the caller's)."""
    global err, out
    err, out = _Console(stderr=True), _Console()


def escape(text: str) -> str:
    from rich.markup import escape as rich_escape

    return rich_escape(text)


class LengthType(click.ParamType):
    """A length such as 3mm, 0.125in or 9pt, as points."""

    name = "length"

    def convert(self, value, param, ctx):
        from ..sources.config import parse_length

        try:
            if isinstance(value, str) and value.strip() in ("0", "0.0"):
                return 0.0  # nothing, in any unit
            return value if isinstance(value, float) else parse_length(value)
        except ValueError as error:
            self.fail(str(error), param, ctx)


LENGTH = LengthType()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="publisher")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Print-ready brochures and booklets from YAML + Markdown content."""
    ctx.obj = {"debug": debug}
    try:
        os.getcwd()  # every relative path starts here
    except FileNotFoundError:
        _error_line("the current folder was removed while this terminal was in it — fix: "
                    "change to an existing folder (cd) and run the command again")
    # pypdf reports damaged files it works around as log warnings: what matters reaches the
    # user as a finding or an error line, never as library chatter (--verbose shows it).
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    # A termination request stops a build like Ctrl-C: staged files are removed, and the
    # outputs of the last complete build stay as they were.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)


@main.command()
@click.argument("project", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (default: PROJECT/out).")
@click.option("-q", "--quiet", is_flag=True, help="Print errors only.")
@click.option("-v", "--verbose", is_flag=True, help="Also show WeasyPrint's layout warnings.")
@click.option("--no-check", is_flag=True, help="Skip the preflight of the written files.")
@click.option("-j", "--jobs", type=click.IntRange(1, 256),
              help="Processes that render in parallel, at most one per core [default: one "
                   "per core].")
@click.option("--oversubscribe", is_flag=True,
              help="Allow --jobs beyond the cores this process may use (where a container "
                   "hides cores that are there).")
@click.option("--force", is_flag=True, help="Render everything again, ignoring the cache.")
@click.option("--data", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Personalised run: one brochure per row of this CSV, JSON or YAML guest "
                   "list, into OUT/personalised/.")
@click.option("--message", "message_slug", metavar="NAME",
              help="With --data: the message to personalise (its file name without .md).")
@click.option("--key", metavar="COLUMN", help="With --data: the column that names the files "
              "[default: id, else name].")
@click.option("--combined", is_flag=True, help="With --data: also one print file of them all.")
@click.option("--combined-only", is_flag=True,
              help="With --data: only the one print file, no file per guest.")
@click.option("--scheduler", metavar="ADDRESS",
              help="Send the renders to a Dask cluster, e.g. tcp://10.0.0.5:8786.")
@click.option("--no-daemon", is_flag=True,
              help="Build in this process, not in the warm build server.")
@click.option("--edition", "editions", multiple=True, type=click.Choice(("print", "screen")),
              help="Build this edition only: print (out/) or screen (out/screen/); may be "
                   "given twice [default: publication.yaml's editions, both unless set].")
@click.pass_context
def build(ctx: click.Context, project: Path, out_dir: Path | None, quiet: bool,
          verbose: bool, no_check: bool, jobs: int | None, oversubscribe: bool, force: bool,
          data: Path | None,
          message_slug: str | None, key: str | None, combined: bool, combined_only: bool,
          scheduler: str | None, no_daemon: bool, editions: tuple[str, ...]) -> None:
    """Build every brochure and the booklet of PROJECT, then preflight them.

    Exits 1 when the content or layout has an error, or when preflight finds one."""
    from ..build import up_to_date
    from . import daemon

    root = project.resolve()
    if out_dir is not None:
        from ..build.output import check_out_folder

        _run(ctx, lambda: check_out_folder(root, out_dir), root)
    if not (no_daemon or scheduler or ctx.obj.get("debug")) and daemon.enabled() \
            and _invoked_as_command() \
            and (force or data is not None
                 or not up_to_date(root, out_dir, not no_check, editions)):
        # Something must be rendered: the warm build server does it without importing
        # WeasyPrint again; without one, build here and leave one behind for the next build.
        status = daemon.delegate(sys.argv[1:])
        if status is not None:
            sys.exit(status)
        try:
            _build(ctx, root, out_dir, quiet, verbose, no_check, jobs, force, data,
                   message_slug, key, combined, combined_only, scheduler, oversubscribe,
                   editions)
        finally:
            daemon.spawn()
        return
    _build(ctx, root, out_dir, quiet, verbose, no_check, jobs, force, data, message_slug, key,
           combined, combined_only, scheduler, oversubscribe, editions)


def _invoked_as_command() -> bool:
    """Run as ``publisher`` or ``python -m publisher``, so sys.argv is the command line."""
    return Path(sys.argv[0]).name in ("publisher", "__main__.py")


def _build(ctx: click.Context, root: Path, out_dir: Path | None, quiet: bool, verbose: bool,
           no_check: bool, jobs: int | None, force: bool, data: Path | None,
           message_slug: str | None, key: str | None, combined: bool, combined_only: bool,
           scheduler: str | None, oversubscribe: bool = False,
           editions: tuple[str, ...] = ()) -> None:
    from ..build import build as run_build

    if verbose:
        logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
        logging.getLogger("pypdf").setLevel(logging.WARNING)
    started = time.perf_counter()

    if data is not None:
        from ..build.personalise import personalise

        with _progress(quiet, unit="brochures") as progress:
            run = _run(ctx, lambda: personalise(root, data, out_dir, message=message_slug,
                                                key=key, combined=combined,
                                                files=not combined_only, jobs=jobs,
                                                oversubscribe=oversubscribe,
                                                scheduler=scheduler, check=not no_check,
                                                progress=progress), root)
        if not quiet:
            where = _show(run.combined) if combined_only else _show(run.folder) + (
                f" and {_show(run.combined)}" if run.combined else "")
            out.print(f"wrote {run.count} personalised brochures to {where}"
                      + f" in {time.perf_counter() - started:.1f} s")
        if _print_reports(run.reports, quiet=quiet, summary_only=True, files=run.checked):
            sys.exit(1)
        return
    with _progress(quiet) as progress:
        result = _run(ctx, lambda: run_build(root, out_dir, progress=progress,
                                             check=not no_check, jobs=jobs, force=force,
                                             oversubscribe=oversubscribe,
                                             scheduler=scheduler, editions=editions), root)
    if not quiet:
        if result.up_to_date:
            out.print("nothing changed since the last build: the PDFs are up to date")
        for output in result.outputs:
            verb = "kept" if result.up_to_date else "wrote"
            out.print(f"{verb} {_show(output.path)} ({output.pages} pages)")
        for note in result.notes if verbose else ():
            out.print(escape(note))
        if result.reused and verbose:
            out.print(f"rendered {result.rendered} parts, reused {result.reused} from the cache")
        if verbose and not result.up_to_date:
            from . import daemon

            out.print("rendered by the build server" if daemon.in_server
                      else "rendered in this process")
    for warning in result.warnings:
        err.print(f"[yellow]warning[/]: {escape(warning)}")
    errors = _print_reports(result.reports, quiet=quiet, summary_only=True)
    if not quiet:
        out.print(f"[green]done[/green] in {time.perf_counter() - started:.1f} s")
    if errors:
        sys.exit(1)


@main.command("daemon")
@click.argument("action", type=click.Choice(["status", "stop"]))
def daemon_command(action: str) -> None:
    """Show or stop the build server that keeps WeasyPrint loaded between builds.

    The first build that renders starts it; it stops by itself after 15 minutes without
    builds (PUBLISHER_DAEMON_IDLE seconds). PUBLISHER_DAEMON=0 turns it off."""
    from . import daemon

    if action == "stop":
        out.print("stopped the build server" if daemon.stop() else "no build server is running")
        return
    state = "off (PUBLISHER_DAEMON, CI or this system)" if not daemon.enabled() else (
        "running" if daemon.running() else "not running")
    out.print(f"build server: {state}")


@main.command("build-server", hidden=True)
@click.argument("path", type=click.Path(path_type=Path))
def build_server(path: Path) -> None:
    """The build server itself (started by the first build that renders)."""
    from . import daemon

    daemon.serve(path, _run_command)


def _run_command(argv: list[str]) -> None:
    """A command line, run in a child of the build server as the caller's own process."""
    reset_consoles()
    main(args=argv, prog_name="publisher")


@main.command()
@click.argument("project", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; the default is reachable from this computer only.")
@click.pass_context
def serve(ctx: click.Context, project: Path, port: int, host: str) -> None:
    """Preview PROJECT in the browser; saving a file rebuilds it and refreshes the page."""
    import threading

    from ..sources.config import load_project
    from .serve import Preview, make_server

    root = project.resolve()
    _run(ctx, lambda: load_project(root), root)  # a clear error now, not on the page

    def report(state) -> None:
        if state.error:
            err.print(f"[bold red]error:[/bold red] {escape(state.error)}", soft_wrap=True)
        else:
            out.print(f"rebuilt in {state.seconds:.1f} s ({len(state.preflight)} preflight "
                      f"finding{'s' * (len(state.preflight) != 1)})")

    preview = Preview(root, on_build=report)
    try:
        server = make_server(preview, host, port)
    except OSError as error:
        err.print(f"[bold red]error:[/bold red] cannot listen on {host}:{port} ({error.strerror})"
                  " — fix: choose another --port", soft_wrap=True)
        sys.exit(1)
    stop = threading.Event()
    threading.Thread(target=preview.rebuild, daemon=True).start()
    threading.Thread(target=preview.watch, args=(stop,), daemon=True).start()
    address = f"http://{server.server_address[0]}:{server.server_address[1]}/"
    out.print(f"preview at {address} (Ctrl-C to stop)")
    from .serve import loopback

    if not loopback(host):
        err.print(f"[yellow]warning[/]: the preview is reachable from other computers at "
                  f"{escape(host)}: anyone who can reach it sees the project's pages")
    sys.stdout.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        out.print("stopped")
    finally:
        stop.set()
        server.server_close()
        preview.close()


@main.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.pass_context
def init(ctx: click.Context, directory: Path) -> None:
    """Create a new publication project in DIRECTORY that builds at once."""
    from .scaffold import init_project

    _run(ctx, lambda: init_project(directory), Path.cwd())
    out.print(f"created {_show(directory)}: content/ (settings and a sample message), "
              "layouts/ (classic, modern, trifold; your changes go in layouts/overrides/), "
              "fonts/")
    out.print(f"next: cd {directory} && publisher serve   (or: publisher build)")


@main.command("fetch-fonts")
@click.argument("project", type=click.Path(file_okay=False, path_type=Path), required=False)
@click.pass_context
def fetch_fonts_command(ctx: click.Context, project: Path | None) -> None:
    """Fetch the Chinese fonts (Noto Serif SC, Noto Sans SC: 65 MB, SIL Open Font License)
    from registry.npmjs.org into PROJECT's fonts/ folder, checked against pinned digests.
    Without PROJECT: into publisher's own fonts/, which `publisher init` copies."""
    from ..sources.fetch import fetch_fonts
    from .scaffold import bundled

    folder = (project / "fonts") if project is not None else None
    where = project.resolve() if project is not None else Path.cwd()
    written = _run(ctx, lambda: fetch_fonts(folder or bundled("fonts"),
                                            report=lambda line: err.print(escape(line), soft_wrap=True)),
                   where)
    out.print(f"{len(written)} font files fetched" if written
              else "the Chinese fonts are in place")


@main.group()
def new() -> None:
    """Add something to a project."""


@new.command("message")
@click.argument("title")
@click.option("--project", type=click.Path(file_okay=False, path_type=Path), default=".",
              help="The project folder [default: here].")
@click.option("--institution", help="Who the message is from.")
@click.option("--name", "slug", help="File name without .md [default: from the title].")
@click.pass_context
def new_message(ctx: click.Context, title: str, project: Path, institution: str | None,
                slug: str | None) -> None:
    """Add content/messages/<name>.md with commented front matter."""
    from .scaffold import new_message as make

    root = project.resolve()
    path = _run(ctx, lambda: make(root, title, institution=institution, slug=slug), root)
    out.print(f"created {_show(path)}: fill in the lines between the --- marks, then the text")


@main.command("import")
@click.argument("document", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--project", type=click.Path(file_okay=False, path_type=Path), default=".",
              help="The project folder [default: here].")
@click.option("--name", "slug", help="File name without .md [default: from the title].")
@click.pass_context
def import_command(ctx: click.Context, document: Path, project: Path, slug: str | None) -> None:
    """Turn a Word document (.docx) into content/messages/<name>.md.

    Text, bold and italic, lists, tables, footnotes and pictures are kept; pictures are saved
    into content/images/. Title, institution and signatories are taken from the document
    where they can be found; what cannot is marked TODO. Never overwrites a file."""
    from ..sources.wordimport import import_docx

    root = project.resolve()
    result = _run(ctx, lambda: import_docx(document.resolve(), root, slug=slug), root)
    pictures = f", {len(result.pictures)} picture{'s' * (len(result.pictures) != 1)} " \
        f"into {_show(result.pictures[0].parent)}" if result.pictures else ""
    out.print(f"created {_show(result.path)}{pictures}")
    if result.todo:
        out.print(f"[yellow]to do[/]: fill in {', '.join(result.todo)} in {_show(result.path)} "
                  "(the build stops at each until it is done)")
    out.print("check the text against the original, then: publisher build")


@main.command()
@click.argument("pdfs", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--target", type=click.Choice(TARGETS, case_sensitive=False), default="pdf/x-4",
              show_default=True, help="The standard to check against: the PDF/X the print "
              "shop asked for, or pdf/ua-1 for screen files (accessibility).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable report on stdout.")
@click.option("--project", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Check fonts and safe margin against this project's layout and settings.")
@click.option("--font", "fonts", multiple=True, metavar="FAMILY",
              help="A font family the layout uses (repeat); text in any other is reported.")
@click.option("--safe-margin", type=LENGTH, help="Keep text this far inside the trim "
              "[default: 3mm].")
@click.option("--min-bleed", type=LENGTH, help="Bleed needed on every side [default: 3mm].")
@click.option("--no-fold", is_flag=True, help="Flat prints: do not ask for pages in fours.")
@click.option("--total-ink", type=click.FloatRange(100, 400), metavar="PERCENT",
              help="Most ink (C+M+Y+K) in one place [default: the output profile's own].")
@click.option("--small-text", type=LENGTH, help="Warn of text under this size on more than "
              "one plate [default: 8pt; 0 to switch off].")
@click.pass_context
def check(ctx: click.Context, pdfs: tuple[Path, ...], target: str, as_json: bool,
          project: Path | None, fonts: tuple[str, ...], safe_margin: float | None,
          min_bleed: float | None, no_fold: bool, total_ink: float | None,
          small_text: float | None) -> None:
    """Preflight PDF files for print: boxes, bleed, fonts, images, colour, PDF/X, folding;
    or with --target pdf/ua-1, check screen files for accessibility (PDF/UA-1).

    Exits 0 when no file has errors, 1 when one has (warnings do not count)."""
    from ..preflight import Options, preflight

    options = Options(target=target.lower(), fold=not no_fold)
    if project is not None:
        from ..build import preflight_options
        from ..compose.layout import Layout
        from ..sources.config import load_project

        def project_options():
            from ..sources.content import read_messages

            loaded = load_project(project)
            return preflight_options(loaded, Layout(loaded), read_messages(loaded))

        options = replace(_run(ctx, project_options, project.resolve()),
                          target=options.target, fold=options.fold)
    options = replace(options, fonts=tuple(dict.fromkeys(options.fonts + fonts)),
                      **{key: value for key, value in (("safe_margin", safe_margin),
                                                       ("min_bleed", min_bleed),
                                                       ("total_ink", total_ink),
                                                       ("small_text", small_text))
                         if value is not None})
    reports = [preflight(pdf, options) for pdf in pdfs]
    if as_json:
        click.echo(json.dumps({
            "version": REPORT_VERSION, "target": options.target,
            "errors": sum(r.errors for r in reports),
            "warnings": sum(r.warnings for r in reports),
            "files": [r.as_dict() for r in reports]}, indent=2, ensure_ascii=False))
        errors = sum(r.errors for r in reports)
    else:
        errors = _print_reports(reports)
    sys.exit(1 if errors else 0)


@main.command()
@click.argument("pdf", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "target", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The imposed PDF to write.")
@click.option("--sheet", type=click.Choice(list(SHEETS), case_sensitive=False),
              help="Paper to print on [default: the smallest that fits bleed and marks].")
@click.option("--creep", type=LENGTH, default="0.1mm", show_default=True,
              help="Shift towards the spine per sheet: about the paper's thickness.")
@click.pass_context
def impose(ctx: click.Context, pdf: Path, target: Path, sheet: str | None,
           creep: float) -> None:
    """Lay out a booklet PDF as saddle-stitch printer spreads, two pages per sheet side."""
    from ..press.impose import impose as run_impose

    result = _run(ctx, lambda: run_impose(pdf, target, sheet=sheet, creep=creep),
                  Path.cwd())
    out.print(f"wrote {_show(target)}: {result.pages} pages on {result.sheets} sheet"
              f"{'s' * (result.sheets != 1)} of {result.sheet} ({2 * result.sheets} sides)")
    if result.blanks:
        out.print(f"[yellow]note:[/] added {result.blanks} blank page"
                  f"{'s' * (result.blanks != 1)} at the end to fill the last sheet")
    if not result.bleed:
        out.print(f"[yellow]note:[/] {result.sheet} is too small for bleed: pages are cut at "
                  "the trim (fine for office printing, not for a print shop)")
    elif not result.marks:
        out.print(f"[yellow]note:[/] {result.sheet} has no room for crop and fold marks")
    out.print("print double-sided, flipping on the short edge; stack the sheets in order, "
              "fold, staple on the fold, trim")


@main.command()
@click.argument("pdf", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the PNG files.")
@click.option("--dpi", type=click.IntRange(20, 600), default=100, show_default=True,
              help="Resolution of the page images.")
@click.option("--bleed", is_flag=True, help="Show the bleed too, not just the trimmed page.")
@click.pass_context
def proof(ctx: click.Context, pdf: Path, out_dir: Path, dpi: int, bleed: bool) -> None:
    """Page images and contact sheets of reader spreads, for review without a PDF viewer."""
    from ..press.proof import proof as run_proof

    result = _run(ctx, lambda: run_proof(pdf, out_dir, dpi=dpi, bleed=bleed), Path.cwd())
    out.print(f"wrote {len(result.pages)} page images and "
              f"{len(result.contact_sheets)} contact sheet"
              f"{'s' * (len(result.contact_sheets) != 1)} to {_show(out_dir)}")
    for path in result.contact_sheets:
        out.print(f"  {_show(path)}")


def _print_reports(reports, *, quiet: bool = False, summary_only: bool = False,
                   files: int | None = None) -> int:
    """Print preflight reports (errors only when quiet); return the number of errors.
    ``files``: how many files were checked, when only reports with findings are given."""
    from ..preflight import page_ranges

    errors = sum(report.errors for report in reports)
    warnings = sum(report.warnings for report in reports)
    for report in reports:
        rows = [row for row in report.rows() if row.severity == "error" or not quiet]
        if not rows:
            if not summary_only and not quiet:
                out.print(f"[green]✓[/green] {_show(report.path)}: {report.pages} pages, "
                          f"no findings ({report.target.upper()})")
            continue
        from rich import box
        from rich.table import Table

        pages = f"{report.pages} page{'s' * (report.pages != 1)}"
        table = Table(title=f"{_show(report.path)} ({pages}, "
                            f"{report.target.upper()})", title_justify="left",
                      box=box.SIMPLE_HEAD, show_lines=False, expand=False)
        table.add_column("", no_wrap=True)
        table.add_column("Pages", no_wrap=True)
        table.add_column("Finding", ratio=3)
        table.add_column("Fix", ratio=2)
        for row in rows:
            mark = "[bold red]error[/]" if row.severity == "error" else "[yellow]warning[/]"
            table.add_row(mark, page_ranges(row.pages) or "all",
                          f"{escape(row.message)}\n[dim]{row.check}[/]", escape(row.fix))
        out.print(table)
    files = len(reports) if files is None else files
    if files and (not quiet or errors):
        # What the files are for: press (PDF/X) or screens (PDF/UA), or both.
        uses = " and ".join(dict.fromkeys(
            "screen" if report.target == "pdf/ua-1" else "print"
            for report in sorted(reports, key=lambda r: r.target == "pdf/ua-1"))) or "print"
        verdict = f"[bold red]not ready for {uses}[/]" if errors \
            else f"[green]ready for {uses}[/]"
        counts = f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
        out.print(f"preflight: {files} file{'s' * (files != 1)}, {counts}: "
                  f"{verdict}")
    return errors


@contextmanager
def _progress(quiet: bool, unit: str = ""):
    """A progress bar on a terminal (with the rate and time left when ``unit`` is given);
    plain lines elsewhere (CI logs); nothing when quiet."""
    if quiet:
        yield lambda step, done, total: None
        return
    if not err.is_terminal:
        def plain(step: str, done: int, total: int) -> None:
            if unit and done and (done % 100 == 0 or done == total):
                out.print(f"[{done}/{total or '?'}] {unit}")
            elif not unit and done < total:
                out.print(f"[{done + 1}/{total}] {step}")
        yield plain
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
               MofNCompleteColumn(), TimeElapsedColumn()]
    if unit:
        from rich.progress import TimeRemainingColumn

        columns += [_RateColumn(unit), TimeRemainingColumn()]
    with Progress(*columns, console=err.console, transient=True) as bar:
        task = bar.add_task("reading content", total=None)

        def update(step: str, done: int, total: int) -> None:
            bar.update(task, description=step, completed=done, total=total or None)
        yield update


def _RateColumn(unit: str):
    from rich.progress import ProgressColumn
    from rich.text import Text

    class RateColumn(ProgressColumn):
        def render(self, task):
            return Text(f"{task.speed:.1f} {unit}/s" if task.speed else f"– {unit}/s")
    return RateColumn()


def _interrupt(signum, frame) -> None:
    """Stop as Ctrl-C does. Further requests are ignored from here: a second one arriving
    while the build stops its workers would leave them running (and the process waiting)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def _show(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _error_line(text: str) -> None:
    """The one line of an error, exit status 1. User text is printed as it is, never read
    as markup (a key such as '[/bold]' must neither crash nor restyle the line)."""
    err.print(f"[bold red]error:[/bold red] {escape(text)}", soft_wrap=True, markup=True)
    sys.exit(1)


def _os_error(error: OSError, root: Path) -> str:
    """An operating-system error as one line with the file and the fix."""
    import errno

    where = error.filename or root
    try:
        where = Path(where).resolve().relative_to(Path.cwd())
    except (OSError, ValueError):
        pass
    fixes = {errno.ENOSPC: "the disk is full: free some space, or build into another folder "
                           "with --out",
             errno.EDQUOT: "the disk quota is used up: free some space",
             errno.EACCES: "publisher may not write there: check the folder's permissions, or "
                           "build into another folder with --out",
             errno.EPERM: "publisher may not write there: check the folder's permissions",
             errno.EROFS: "the folder is read-only: build into another folder with --out",
             errno.ENOENT: "a folder was removed while publisher used it: run the command "
                           "again from an existing folder"}
    fix = fixes.get(error.errno, "check the file and the folder it is in")
    return f"{where}: {error.strerror or error} — fix: {fix}"


def _run(ctx: click.Context, action, root: Path):
    """Run ``action``; turn user errors into one line and exit status 1."""
    try:
        return action()
    except PublisherError as error:
        if ctx.obj.get("debug"):
            raise
        _error_line(error.describe(relative_to=root))
    except OSError as error:  # a full disk, a read-only or vanished folder
        if ctx.obj.get("debug"):
            raise
        _error_line(_os_error(error, root))
    except KeyboardInterrupt:
        err.print("interrupted: outputs left as they were")
        sys.exit(130)
