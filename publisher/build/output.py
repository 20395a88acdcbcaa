"""Writing outputs all-or-nothing: files go to a staging folder and move into place together."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from ..processes import hold, release


class BuildLock:
    """Only one build writes to an output folder at a time. The lock file lives in the
    project's cache folder, named after the output folder, so ``out/`` holds only outputs."""

    def __init__(self, out: Path, root: Path):
        import hashlib

        name = hashlib.sha256(str(Path(out).resolve()).encode()).hexdigest()[:16]
        self.out = Path(out)
        self.path = Path(root) / ".publisher-cache" / "locks" / f"out-{name}.lock"
        self._file = None

    def __enter__(self) -> "BuildLock":
        import fcntl

        from ..errors import PublisherError

        self.path.parent.mkdir(parents=True, exist_ok=True)
        # An empty file, never rewritten: the lock is the kernel's (flock), released when
        # the process ends however it ends, so a killed build never leaves a stale lock.
        self._file = open(self.path, "a")
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            hold(self._file)  # render workers forked from here do not keep it
        except BlockingIOError:
            self._file.close()
            raise PublisherError("another build is writing to this folder",
                                 path=self.out,
                                 fix="wait for it to finish, or build into another --out"
                                 ) from None
        return self

    def __exit__(self, *exc) -> None:
        release(self._file)
        self._file.close()  # closing releases the lock


class Staging:
    """Collects a build's files; ``commit`` moves them into ``out``, else nothing changes."""

    def __init__(self, out: Path):
        self.out = out
        self.files: dict[Path, Path] = {}
        self._tmp: Path | None = None

    def __enter__(self) -> "Staging":
        self.out.mkdir(parents=True, exist_ok=True)
        # Left by a build that was killed outright (SIGKILL, power cut): under the build lock,
        # no other build can be using them.
        for stale in self.out.glob(".publisher-*"):
            if stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
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
