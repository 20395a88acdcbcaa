"""App: what people run. ``cli`` (the only place that prints), ``serve`` (the live preview),
``daemon`` (the build server), ``scaffold`` (new projects and messages).
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    """The ``publisher`` command. A quiet build that finds nothing changed, and has nothing
    to report, is answered here before the command-line library loads (loading it is a third
    of such a build); everything else is the command line of cli.py."""
    if not _quiet_and_up_to_date(sys.argv[1:]):
        from .cli import main as command

        try:
            command()
        except SystemExit as done:
            workshop = sys.modules.get("publisher.build.workshop")
            if done.code == INTERRUPTED or getattr(workshop, "stranded", False):
                # Stopped: the render pool's thread may wait for a worker that was killed
                # mid-reply, and Python's exit would wait for that thread for ever.
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(done.code if isinstance(done.code, int) else 1)
            raise


INTERRUPTED = 130  # the exit status of a command stopped by Ctrl-C or SIGTERM


def _quiet_and_up_to_date(argv: list[str]) -> bool:
    """``publisher build [PROJECT] -q`` with nothing changed and nothing to print: exactly
    what the full command would do then (print nothing, exit 0). Any doubt: False."""
    if not argv or argv[0] != "build":
        return False
    rest = argv[1:]
    folders = [arg for arg in rest if arg not in ("-q", "--quiet")]
    if len(folders) == len(rest) or len(folders) > 1 or any(f.startswith("-") for f in folders):
        return False
    try:
        from ..build import last_build

        record = last_build(folders[0] if folders else ".")
    except Exception:  # anything unusual: the full command reports it properly
        return False
    return record is not None and not record.warnings \
        and not any(report.get("errors") for report in record.reports)
