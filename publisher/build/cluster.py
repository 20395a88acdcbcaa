"""Rendering on a Dask distributed cluster (``--scheduler ADDRESS``).

Workers are sent what a render needs: the project's content, layouts and fonts travel once as
a bundle of bytes, are unpacked in a temporary folder on each worker and loaded into a warm
workshop there. No shared filesystem is assumed. Results come back as bytes, like from local
worker processes, so the output is the same.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from concurrent.futures import Future
from pathlib import Path

from .. import SOURCE_FOLDERS
from .cache import digest
from ..errors import PublisherError

_workshops: dict[str, object] = {}   # on a worker: bundle digest → Workshop


def bundle(root: Path) -> dict[str, bytes]:
    """Every file a render can read: relative path → bytes."""
    files = {}
    for name in SOURCE_FOLDERS:
        folder = root / name
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            if path.is_file() and not path.is_symlink():
                files[path.relative_to(root).as_posix()] = path.read_bytes()
    return files


def bundle_digest(files: dict[str, bytes]) -> str:
    return digest(sorted(files.items()))


def run_remote(digest: str, files: dict[str, bytes], date: dt.datetime, task):
    """On a worker: the task's result, from a workshop for this exact project."""
    from .workshop import Workshop

    workshop = _workshops.get(digest)
    if workshop is None:
        folder = Path(tempfile.mkdtemp(prefix="publisher-dask-"))
        for name, data in files.items():
            target = (folder / name).resolve()
            if not target.is_relative_to(folder.resolve()):
                raise PublisherError(f"refused path in the project bundle: {name}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        workshop = _workshops[digest] = Workshop(folder, date)
    try:
        return workshop.run(task)
    except PublisherError as error:
        # A fresh error, raised outside this handler: no exception chain travels back (it can
        # be circular), and the file is named as the user knows it, not as the temp copy.
        path = error.path
        if path is not None and path.is_relative_to(workshop.root):
            path = path.relative_to(workshop.root)
        failure = PublisherError(error.message, path=path, line=error.line, fix=error.fix)
    raise failure


class ClusterWorkshops:
    """The Workshops interface (submit, call, close) on a Dask cluster."""

    def __init__(self, root: Path, date: dt.datetime, address: str):
        try:
            from distributed import Client
        except ImportError:
            raise PublisherError("--scheduler needs Dask distributed",
                                 fix="pip install 'publisher[dask]'") from None
        self.root, self.date = root, date
        try:
            self.client = Client(address, timeout="10s")
        except OSError as error:
            raise PublisherError(f"cannot reach the Dask scheduler at {address} ({error})",
                                 fix="start one with `dask scheduler`, and workers with "
                                     "`dask worker ADDRESS`, or leave out --scheduler") from None
        files = bundle(root)
        self.digest = bundle_digest(files)
        # Sent once to every worker, not with each task.
        self.files = self.client.scatter(files, broadcast=True, hash=False)
        self.jobs = max(1, sum(info.get("nthreads", 1) for info in
                               self.client.scheduler_info().get("workers", {}).values()))

    @property
    def window(self) -> int:
        """Jobs kept submitted at once (see Workshops.window)."""
        return 4 * self.jobs

    def rest(self) -> None:
        """The cluster's workers are not this build's to stop."""

    def renew(self) -> None:
        """Nor to replace."""

    def submit(self, task) -> _Result:
        return _Result(self.client.submit(run_remote, self.digest, self.files, self.date, task,
                                          pure=False), self.root)

    def call(self, function, *args) -> Future:
        from .workshop import run_here

        return run_here(function, *args)  # light work (preflight) stays here

    def reset(self, date: dt.datetime) -> None:
        self.date = date

    def close(self, *, stop: bool = False) -> None:
        self.client.close()  # the cluster's own workers outlive the build either way


class _Result:
    """A Dask future whose errors name files inside the local project."""

    def __init__(self, future, root: Path):
        self.future, self.root = future, root

    def result(self):
        try:
            return self.future.result()
        except PublisherError as error:
            if error.path is not None and not error.path.is_absolute():
                error.path = self.root / error.path
            raise
