"""Stable digests of nested values: cache keys, template salts, server fingerprints."""

from __future__ import annotations

import hashlib
from pathlib import Path


def digest(*parts: object) -> str:
    """A stable hash of strings, bytes, numbers and nested lists/tuples/dicts of them."""
    h = hashlib.sha256()

    def feed(value: object) -> None:
        if isinstance(value, bytes):
            h.update(b"b%d:" % len(value) + value)
        elif isinstance(value, dict):
            h.update(b"{")
            for key in sorted(value):
                feed(str(key))
                feed(value[key])
            h.update(b"}")
        elif isinstance(value, (list, tuple)):
            h.update(b"[")
            for item in value:
                feed(item)
            h.update(b"]")
        else:
            text = repr(value).encode()
            h.update(b"s%d:" % len(text) + text)

    for part in parts:
        feed(part)
    return h.hexdigest()


def file_digest(path: Path) -> str:
    """The sha256 of a file, read in chunks (memory stays flat whatever its size)."""
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()
