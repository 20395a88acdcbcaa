"""The one error type: what went wrong, where (file and line), and how to fix it."""

from __future__ import annotations

from pathlib import Path


class PublisherError(Exception):
    """A problem in the user's content, layout or settings, reported without a traceback."""

    def __init__(self, message: str, *, path: Path | str | None = None,
                 line: int | None = None, fix: str | None = None):
        super().__init__(message)
        self.message = message
        self.path = Path(path) if path is not None else None
        self.line = line
        self.fix = fix

    def __reduce__(self):
        # Errors travel back from worker processes: keep file, line and fix.
        return _restore, (self.message, self.path, self.line, self.fix)

    def location(self, relative_to: Path | None = None) -> str:
        if self.path is None:
            return ""
        path = self.path
        if relative_to is not None:
            try:
                path = path.resolve().relative_to(relative_to.resolve())
            except ValueError:
                pass
        return f"{path}:{self.line}" if self.line else str(path)

    def describe(self, relative_to: Path | None = None) -> str:
        """One line: ``file:line: message (fix: …)``."""
        where = self.location(relative_to)
        text = f"{where}: {self.message}" if where else self.message
        return f"{text} — fix: {self.fix}" if self.fix else text

    def __str__(self) -> str:
        return self.describe()


def _restore(message, path, line, fix) -> PublisherError:
    return PublisherError(message, path=path, line=line, fix=fix)
