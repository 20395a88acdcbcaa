"""Running jobs (rendering parts), in this process or in worker processes that each load
WeasyPrint, the project and its templates once and then run many jobs.

The workshop runs the jobs it is handed (jobs.py says what they are); what they make does not
depend on which process made it, so the output is the same byte for byte whatever the number
of processes.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Job:
    """Work for a workshop: ``function(workshop, *args)``. The function is module-level (so a
    worker process or a Dask worker can be sent it) and finds the loaded project, layout and
    renderer on the workshop; the workshop knows nothing of what it runs (see jobs.py)."""

    function: Callable
    args: tuple = ()


class Workshop:
    """Everything a render needs, loaded once per process."""

    def __init__(self, root: Path, date: dt.datetime, loaded: tuple | None = None):
        """``loaded``: (project, messages, layout, profile) already read by the caller, so a
        build in one process does not read and validate everything twice."""
        self.root = root
        self.renderer = None
        self.reload(date, loaded)

    def reload(self, date: dt.datetime, loaded: tuple | None = None) -> None:
        """Read the project again after an edit. WeasyPrint and its fonts stay loaded unless
        the fonts or the colour profile changed."""
        from dataclasses import replace

        from .cache import tree_digest
        from ..sources.config import load_project
        from ..sources.content import read_messages
        from ..compose.layout import Layout
        from ..press.finishing import load_profile, press_spec
        from ..compose.render import Renderer

        self.shared: dict[str, bytes] = {}  # personalised runs: the pages every row shares
        if loaded is None:
            project = load_project(self.root)
            loaded = (project, read_messages(project), Layout(project), load_profile(project))
        self.project, messages, self.layout, profile = loaded
        self.messages = {message.slug: message for message in messages}
        # One date for every part, decided by the build, not by each worker's clock.
        self.spec = replace(press_spec(self.project, profile, self.layout), date=date)
        fonts = (tree_digest(self.project.fonts_dir), profile)
        if self.renderer is None or self._fonts != fonts:
            self.renderer = Renderer(self.project, profile)
            self._fonts = fonts
        else:
            self.renderer.project = self.project  # same folders, newly read settings

    def run(self, job: Job):
        return job.function(self, *job.args)


# -- worker processes ---------------------------------------------------------------------------

_workshop: Workshop | None = None


def _start_worker(root: Path, date: dt.datetime) -> None:
    global _workshop
    _become_worker(None)
    _workshop = Workshop(root, date)


def _warm_worker(parent: int) -> None:
    """A forked worker imports WeasyPrint at once, in parallel with its siblings, while the
    main process is still reading the cache."""
    _become_worker(parent)
    _workshop.renderer.warm()


def _become_worker(parent: int | None) -> None:
    """A worker dies with the build that started it and holds none of its locks. Ctrl-C
    reaches the whole terminal's process group: the build stops its workers itself."""
    import signal

    from ..preflight.accessibility import validate_here
    from ..processes import become_child

    become_child(parent)
    validate_here()  # a worker forks nothing
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _run_in_worker(job: Job):
    return _workshop.run(job)


def _forking() -> bool:
    """Whether workers may be forked: no other thread runs here (Python's, or the thread
    pool the accessibility validator leaves behind, which a fork would inherit locked)."""
    import sys
    import threading

    validator = sys.modules.get("publisher.preflight.accessibility")
    return "fork" in multiprocessing.get_all_start_methods() \
        and threading.active_count() == 1 and not getattr(validator, "used", False)


def _context():
    """How worker processes start. Forking needs no ``if __name__ == "__main__"`` guard in
    the calling program (a script, a notebook, stdin) and is safe while this process runs no
    other thread; otherwise workers come from a fork server that imported WeasyPrint once."""
    if _forking():
        return multiprocessing.get_context("fork")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["weasyprint", "publisher.build.jobs"])
    return context


def run_here(function, *args) -> Future:
    """``function(*args)`` run now, in this process, as a finished future."""
    future: Future = Future()
    try:
        future.set_result(function(*args))
    except BaseException as error:  # delivered by .result(), as from a pool
        future.set_exception(error)
    return future


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


# A worker is replaced after this many jobs: WeasyPrint's, Pango's and the C allocator's
# caches grow with every document laid out (95 MB after 50 brochures, 200 MB after 1,000),
# and a fresh process, forked with WeasyPrint loaded, costs a fraction of a second.
JOBS_PER_WORKER = 200


class Workshops:
    """Runs tasks: in this process for one job, else in a pool started on first use and
    renewed every ``JOBS_PER_WORKER`` jobs a worker."""

    def __init__(self, root: Path, date: dt.datetime | None, jobs: int,
                 loaded: tuple | None = None, *, cap: bool = True,
                 jobs_per_worker: int | None = JOBS_PER_WORKER):
        # More processes than cores only queue for them, each holding a WeasyPrint (``cap``
        # off: the cores this process may use are not all it will get, in some containers).
        # ``jobs_per_worker`` None: workers are never replaced (a personalised run: its small
        # covers hardly grow a worker, and a new one would lay out the shared pages again).
        self.root, self.date = root, date
        self.jobs_per_worker = jobs_per_worker
        self.jobs = max(1, min(jobs, default_jobs()) if cap else jobs)
        self.loaded = loaded  # the project as the caller read it, for the local workshop
        self._local: Workshop | None = None
        self._pool: ProcessPoolExecutor | None = None
        self._submitted = 0  # jobs sent to the current pool

    @property
    def window(self) -> int:
        """How many jobs to keep submitted at once: enough that no worker waits while this
        process stores results, few enough that finished results do not pile up here."""
        return 4 * self.jobs

    def reset(self, date: dt.datetime) -> None:
        """Before another build by the same (warm) workshops: the project may have changed."""
        self.date = date
        if self._local is not None:
            self._local.reload(date)
        self.close()  # workers hold the old project; new ones are started on demand

    def submit(self, job: Job) -> Future:
        if self.jobs == 1:
            return run_here(self.local.run, job)
        if self._pool is not None and self.jobs_per_worker is not None \
                and self._submitted >= self.jobs_per_worker * self.jobs:
            pool, self._pool = self._pool, None
            pool.shutdown(wait=True)  # the jobs under way finish: their futures stay valid
        self._submitted += 1
        return self.pool.submit(_run_in_worker, job)

    def call(self, function, *args) -> Future:
        """``function(*args)`` in a worker if the pool is running, else here (starting workers
        costs more than light work such as preflight)."""
        if self._pool is not None:
            return self._pool.submit(function, *args)
        return run_here(function, *args)

    @property
    def local(self) -> Workshop:
        if self._local is None:
            self._local = Workshop(self.root, self.date, self.loaded)
        return self._local

    @property
    def pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._start_pool()
        return self._pool

    def _start_pool(self) -> None:
        global _workshop
        self._submitted = 0
        if _forking():
            # Forked workers inherit the project as this process read it, and each imports
            # WeasyPrint at once: the imports run side by side, and this process, which only
            # finishes and checks files, never pays for one.
            _workshop = self.local
            # WeasyPrint is imported here, once, and the objects so far are frozen out of
            # the garbage collector's reach: the workers share those pages with this process
            # instead of each importing its own copy (less memory, and a faster start).
            import gc

            import weasyprint  # noqa: F401
            gc.freeze()
            self._pool = ProcessPoolExecutor(self.jobs, mp_context=_context(),
                                             initializer=_warm_worker,
                                             initargs=(os.getpid(),))
        else:
            self._pool = ProcessPoolExecutor(self.jobs, mp_context=_context(),
                                             initializer=_start_worker,
                                             initargs=(self.root, self.date))

    def renew(self) -> None:
        """Start fresh workers at the next job (after a large document, whose memory a
        worker keeps): the jobs under way finish first."""
        self._submitted = (self.jobs_per_worker or 0) * self.jobs

    def rest(self) -> None:
        """Every part is made: stop the workers, whose memory the rest of the build does not
        need (they are started again if more work comes)."""
        self.close()

    def close(self, *, stop: bool = False) -> None:
        """Stop the workers: when they are done, or with ``stop`` (the build failed or was
        interrupted) at once, without waiting for the renders under way."""
        if self._pool is None:
            return
        pool, self._pool = self._pool, None
        if stop:
            # The executor has no public way to stop running work before Python 3.14. Its
            # thread is not waited for: a worker killed while sending a result leaves it
            # reading for ever (the process exits without it: app/__init__.py).
            for process in list((getattr(pool, "_processes", None) or {}).values()):
                process.kill()
            manager = getattr(pool, "_executor_manager_thread", None)
            pool.shutdown(wait=False, cancel_futures=True)
            # Its thread then closes its wake-up pipe; Python's exit writes to that pipe, and
            # fails ("Bad file descriptor") if both happen at once. Give the thread a moment;
            # one that is still stuck makes the command end without waiting for it.
            if manager is not None:
                manager.join(timeout=2)
                if manager.is_alive():
                    global stranded
                    stranded = True
            return
        pool.shutdown(wait=True, cancel_futures=True)


stranded = False  # a stopped pool's thread did not finish: the process must not wait for it


def result(future: Future):
    """A job's result; a worker that died (killed, out of memory) is one clear error."""
    from concurrent.futures.process import BrokenProcessPool

    from ..errors import PublisherError

    try:
        return future.result()
    except BrokenProcessPool:
        raise PublisherError(
            "a render process ended unexpectedly (killed, or out of memory)",
            fix="run the build again; if memory is short, use --jobs 1") from None
