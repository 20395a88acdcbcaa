"""Writing outputs all-or-nothing, into a folder publisher shares with its user.

Files go to a staging folder and move into place together. Publisher removes only what it
wrote: the output folder keeps a manifest of its files (``.publisher-manifest.json``), and a
staging folder left by a killed build carries a mark that it is publisher's. Everything else
in the folder is the user's and stays untouched.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from ..errors import PublisherError
from ..processes import hold, release
from ..hashing import file_digest
from .cache import write_atomic

MANIFEST = ".publisher-manifest.json"
STAGING = ".publisher-staging-"      # prefix of staging folders
STAGING_MARK = ".publisher-staging"  # the file inside that says a staging folder is ours


def check_out_folder(root: Path, out: Path) -> None:
    """An output folder that would mix publisher's files with the project's is refused."""
    root, target = Path(root).resolve(), Path(out).resolve()
    from .. import SOURCE_FOLDERS
    from .cache import FOLDER

    fix = "build into a folder of its own, such as PROJECT/out (the default)"
    if target == root:
        raise PublisherError("--out is the project folder itself: its brochures and booklet "
                             "would be mixed with the project's files", path=out, fix=fix)
    if root in target.parents:
        inside = target.relative_to(root).parts[0]
        if inside == FOLDER:
            raise PublisherError("--out is inside the build cache, which publisher clears "
                                 "as it likes", path=out, fix=fix)
        if inside in SOURCE_FOLDERS:
            raise PublisherError(f"--out is inside the project's {inside}/ folder: every "
                                 "build would change its own input", path=out, fix=fix)
    if target in root.parents:
        raise PublisherError("--out contains the project folder", path=out, fix=fix)


class BuildLock:
    """Only one build writes to an output folder at a time, whichever project it builds.

    The lock is the kernel's (flock) on the folder itself: no lock file, and released when
    the build ends however it ends (render workers never hold it; see processes.py)."""

    def __init__(self, out: Path):
        self.out = Path(out)
        self._fd: int | None = None
        self._made = False

    def __enter__(self) -> "BuildLock":
        import fcntl

        self._made = not self.out.exists()
        self.out.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.out, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._fd)
            self._fd = None
            raise PublisherError("another build is writing to this folder",
                                 path=self.out,
                                 fix="wait for it to finish, or build into another --out"
                                 ) from None
        hold(self._fd)  # render workers forked from here do not keep it
        return self

    def __exit__(self, *exc) -> None:
        release(self._fd)
        os.close(self._fd)  # closing releases the lock
        if self._made:
            try:
                self.out.rmdir()  # made for a build that wrote nothing: gone again
            except OSError:
                pass  # not empty: outputs were written


class Staging:
    """Collects a build's files; ``commit`` moves them into ``out``, else nothing changes."""

    def __init__(self, out: Path):
        self.out = out
        self.files: dict[Path, Path] = {}
        self._tmp: Path | None = None

    def __enter__(self) -> "Staging":
        self.out.mkdir(parents=True, exist_ok=True)
        # Left by a build that was killed outright (SIGKILL, power cut): under the build lock,
        # no other build can be using them. Only folders with publisher's mark go.
        for stale in self.out.glob(STAGING + "*"):
            if stale.is_dir() and not stale.is_symlink() and (stale / STAGING_MARK).is_file():
                shutil.rmtree(stale, ignore_errors=True)
        self._tmp = Path(tempfile.mkdtemp(prefix=STAGING, dir=self.out))
        (self._tmp / STAGING_MARK).write_bytes(b"")
        return self

    def write(self, relative: str, data: bytes) -> Path:
        staged = self._tmp / relative
        staged.parent.mkdir(parents=True, exist_ok=True)
        staged.write_bytes(data)
        self.files[self.out / relative] = staged
        return self.out / relative

    def open(self, relative: str):
        """A file to write ``relative`` into bit by bit (a large combined file)."""
        staged = self._tmp / relative
        staged.parent.mkdir(parents=True, exist_ok=True)
        self.files[self.out / relative] = staged
        return staged.open("wb")

    def commit(self, *, prune: tuple[str, ...] = ()) -> None:
        """Move staged files into place (same filesystem: each move is atomic), and record
        them in the folder's manifest.

        ``prune``: folders (or files) inside ``out`` whose earlier files from publisher that
        this build did not write are removed (a deleted message's brochure, say). A file
        publisher did not write, or that was changed since, is never removed."""
        manifest = read_manifest(self.out)
        written = {final.relative_to(self.out).as_posix(): file_digest(staged)
                   for final, staged in self.files.items()}
        for final, staged in self.files.items():
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, final)
        for relative, recorded in list(manifest.items()):
            if relative in written or not _under(relative, prune):
                continue
            path = self.out / relative
            try:
                if path.is_file() and not path.is_symlink() and file_digest(path) == recorded:
                    path.unlink()
            except OSError:
                pass  # unreadable now: not provably ours, left alone
            del manifest[relative]
        manifest.update(written)
        _write_manifest(self.out, manifest)

    def __exit__(self, *exc) -> None:
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)


def read_manifest(out: Path) -> dict[str, str]:
    """The files publisher wrote into ``out``: relative path → sha256."""
    try:
        data = json.loads((out / MANIFEST).read_text())
        files = data["files"] if data.get("format") == 1 else {}
        return {str(k): str(v) for k, v in files.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _write_manifest(out: Path, files: dict[str, str]) -> None:
    write_atomic(out / MANIFEST, json.dumps({"format": 1, "files": dict(sorted(files.items()))},
                                            indent=1).encode())


def _under(relative: str, folders: tuple[str, ...]) -> bool:
    return any(relative == folder or relative.startswith(folder.rstrip("/") + "/")
               for folder in folders)
