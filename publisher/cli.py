"""The command line: parses arguments, calls the pipeline, and is the only place that prints."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import click
from rich.console import Console

from . import __version__
from .errors import PublisherError

err = Console(stderr=True, highlight=False)
out = Console(highlight=False)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="publisher")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Print-ready brochures and booklets from YAML + Markdown content."""
    ctx.obj = {"debug": debug}


@main.command()
@click.argument("project", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (default: PROJECT/out).")
@click.option("-q", "--quiet", is_flag=True, help="Print errors only.")
@click.option("-v", "--verbose", is_flag=True, help="Also show WeasyPrint's layout warnings.")
@click.pass_context
def build(ctx: click.Context, project: Path, out_dir: Path | None, quiet: bool,
          verbose: bool) -> None:
    """Build every brochure and the booklet of PROJECT."""
    from .build import build as run_build

    if verbose:
        logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    started = time.perf_counter()
    root = project.resolve()

    def progress(step: str) -> None:
        if not quiet and err.is_terminal:
            err.print(f"[dim]rendering {step}…[/dim]")

    result = _run(ctx, lambda: run_build(root, out_dir, progress=progress), root)
    if quiet:
        return
    for output in [*result.brochures, result.booklet]:
        out.print(f"wrote {_show(output.path)} ({output.pages} pages)")
    out.print(f"[green]done[/green] in {time.perf_counter() - started:.1f} s")


def _show(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _run(ctx: click.Context, action, root: Path):
    """Run ``action``; turn user errors into one line and exit status 1."""
    try:
        return action()
    except PublisherError as error:
        if ctx.obj.get("debug"):
            raise
        err.print(f"[bold red]error:[/bold red] {error.describe(relative_to=root)}",
                  soft_wrap=True, markup=True)
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("interrupted: outputs left as they were")
        sys.exit(130)
