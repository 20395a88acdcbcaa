"""Child processes that never outlive their parent, and locks that only their owner holds.

A forked process inherits every open file, and with it every ``flock`` its parent holds: a
render worker left behind by a build killed outright (an out-of-memory kill, say) would keep
the project locked for good. So each child asks the kernel to kill it when its parent dies,
and closes the locks it inherited (the parent's stay held: a lock belongs to the open file,
which the parent still has open).
"""

from __future__ import annotations

import os
import signal

_locks: set = set()  # open files holding a lock that children must not keep
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def hold(file) -> None:
    """``file`` (an open file or a descriptor) holds a lock of this process: forked children
    close it."""
    _locks.add(file)


def release(file) -> None:
    _locks.discard(file)


def become_child(parent: int | None = None) -> None:
    """In a freshly forked child: die with the parent, and let go of its locks."""
    die_with_parent(parent)
    drop_locks()


def die_with_parent(parent: int | None = None) -> None:
    """Ask the kernel to kill this process when its parent ends. ``parent``: the pid it was
    forked from, if known; a parent that died before the kernel was asked is noticed here."""
    _die_with_parent()
    if parent is not None and os.getppid() != parent:
        os._exit(1)


def drop_locks() -> None:
    """Close the locked files inherited from the parent (whose copies keep the locks)."""
    for file in list(_locks):
        try:
            os.close(file) if isinstance(file, int) else file.close()
        except OSError:
            pass
    _locks.clear()


def _die_with_parent() -> None:
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # not Linux: the pool's own supervision is what remains
