"""Writing outputs all-or-nothing: files go to a staging folder and move into place together."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


class Staging:
    """Collects a build's files; ``commit`` moves them into ``out``, else nothing changes."""

    def __init__(self, out: Path):
        self.out = out
        self.files: dict[Path, Path] = {}
        self._tmp: Path | None = None

    def __enter__(self) -> "Staging":
        self.out.mkdir(parents=True, exist_ok=True)
        self._tmp = Path(tempfile.mkdtemp(prefix=".publisher-", dir=self.out))
        return self

    def write(self, relative: str, data: bytes) -> Path:
        staged = self._tmp / relative
        staged.parent.mkdir(parents=True, exist_ok=True)
        staged.write_bytes(data)
        self.files[self.out / relative] = staged
        return self.out / relative

    def commit(self, *, prune: dict[str, str] | None = None) -> None:
        """Move staged files into place (same filesystem: each move is atomic).

        ``prune`` maps a folder inside ``out`` to a glob: files there that this build did not
        write are removed (a deleted message's brochure, say)."""
        for final, staged in self.files.items():
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, final)
        for folder, pattern in (prune or {}).items():
            for path in (self.out / folder).glob(pattern):
                if path not in self.files:
                    path.unlink()

    def __exit__(self, *exc) -> None:
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
